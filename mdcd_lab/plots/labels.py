"""Human-readable axis labels of metrics and Scenario fields, with their units.

Figures never show raw column names: a metric reads its ``label`` and ``unit``
from :data:`mdcd_lab.metrics.METRICS`, a Scenario field its entry of
:data:`FIELD_LABELS` and its unit from :data:`mdcd_lab.scenario.FIELDS`.
"""

from __future__ import annotations

__all__ = ["FIELD_LABELS", "metric_label", "field_label"]

_PROB_LABELS = {"p_failed": "P(failed)", "p_recovered": "P(recovered)",
                "p_completed": "P(completed)", "p_violation": "P(oracle violation)"}

#: Axis labels of the Scenario fields (without the unit), for figures.
FIELD_LABELS: dict[str, str] = {
    "n_low": "cluster size n_low", "n_act": "G_act size n_act",
    "horizon": "guarded-operation duration", "rate_low_act": "G_low \u2192 G_act message rate",
    "rate_low_low": "G_low \u2192 G_low message rate",
    "rate_sdw_sdw": "G_sdw \u2192 G_sdw message rate",
    "rate_act_low": "G_act \u2192 G_low message rate",
    "rate_act_act": "G_act \u2192 G_act message rate",
    "rate_ext_low": "G_low external-message (AT) rate",
    "rate_ext_act": "G_act external-message rate", "fault_rate": "fault rate per G_low process",
    "fault_scope": "fault scope", "channel": "channel model", "at_coverage": "AT coverage",
    "compensation": "P(compensation succeeds)", "latency": "mean channel delay",
    "shadow_lag": "shadow lag", "msg_bytes": "message size", "ckpt_bytes": "checkpoint size",
    "coord_period": "coordinated-checkpoint period",
    "mission": "mission length theta", "recovery": "recovery model",
    "after_recovery": "recovery window cap",
}


def metric_label(name: str) -> str:
    """Human-readable axis label of a metric with its unit.

    ``"checkpoints per run"``, ``"largest rollback distance (time units)"``: the
    ``label`` and ``unit`` of the metric in :data:`mdcd_lab.metrics.METRICS`
    (:attr:`~mdcd_lab.metrics.Metric.axis_label`).  Outcome probabilities read
    ``"P(failed)"``; columns that are not metrics keep their name.
    """
    from ..metrics import METRICS

    if name in _PROB_LABELS:
        return _PROB_LABELS[name]
    for m in METRICS:
        if m.name == name:
            return m.axis_label
    return str(name)


def field_label(name: str) -> str:
    """Axis label of a Scenario field with its unit, e.g. ``"mean channel delay (time units)"``.

    Probabilities and counts whose label names them carry no unit.
    """
    from ..scenario import FIELDS

    info = FIELDS.get(name)
    label = FIELD_LABELS.get(name, str(name))
    if info is None or not info.unit or info.unit in ("probability", "processes"):
        return label
    return f"{label} ({info.unit})"
