"""Human-readable axis labels of metrics and Scenario fields, with their units.

Figures never show raw column names: a metric reads its ``label`` and ``unit``
from [`mdcd_lab.metrics.METRICS`][mdcd_lab.metrics.METRICS], a Scenario field its ``label`` and
``unit`` from [`mdcd_lab.scenario.FIELDS`][mdcd_lab.scenario.FIELDS] (the one place both are
defined).
"""

from __future__ import annotations

from ..metrics import METRICS
from ..scenario import FIELDS

__all__ = ["FIELD_LABELS", "metric_label", "field_label"]

_PROB_LABELS = {"p_failed": "P(failed)", "p_recovered": "P(recovered)",
                "p_completed": "P(completed)", "p_violation": "P(oracle violation)"}

#: Axis labels of the Scenario fields (without the unit), read from
#: [`mdcd_lab.scenario.FIELDS`][mdcd_lab.scenario.FIELDS] (``FieldInfo.label``); a field without a
#: label is missing here.
FIELD_LABELS: dict[str, str] = {name: info.label for name, info in FIELDS.items() if info.label}


def metric_label(name: str) -> str:
    """Human-readable axis label of a metric with its unit.

    ``"checkpoints per run"``, ``"largest rollback distance (time units)"``: the
    ``label`` and ``unit`` of the metric in [`mdcd_lab.metrics.METRICS`][mdcd_lab.metrics.METRICS]
    ([`axis_label`][mdcd_lab.metrics.Metric.axis_label]).  Outcome probabilities read
    ``"P(failed)"``; columns that are not metrics keep their name.
    """
    if name in _PROB_LABELS:
        return _PROB_LABELS[name]
    for m in METRICS:
        if m.name == name:
            return m.axis_label
    return str(name)


def field_label(name: str) -> str:
    """Axis label of a Scenario field with its unit, e.g. ``"shadow lag (time units)"``
    ([`axis_label`][mdcd_lab.scenario.FieldInfo.axis_label]); other columns keep their name.

    Probabilities and counts whose label names them carry no unit.
    """
    info = FIELDS.get(name)
    if info is None or not info.label:
        return str(name)
    return info.axis_label
