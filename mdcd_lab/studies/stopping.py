"""Sequential stopping: the rule's arguments and the test of one point.

After every batch of runs of a point, :func:`decide` summarises the watched
metrics of every protocol (:func:`mdcd_lab.summary.summarize`, default
intervals) and says whether the point may stop.  See ``docs/studies.md``,
*Sequential stopping*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_int, check_positive_real
from ..metrics import METRICS
from ..summary import PROBABILITY_METRICS, summarize

__all__ = ["StopRule", "as_stop", "decide", "STOP_LEVEL", "STOP_METRICS",
           "DEFAULT_STOP_METRICS"]

#: Confidence level of the sequential stopping rule.
STOP_LEVEL = 0.95
#: Metrics the stopping rule may watch: numeric per-run metrics and the ``p_*`` shares.
STOP_METRICS: tuple[str, ...] = tuple(
    m.name for m in METRICS if m.name not in ("run", "seed", "outcome")) + PROBABILITY_METRICS
#: Metrics watched when ``target_rel_halfwidth`` is given without ``metrics``.
DEFAULT_STOP_METRICS: tuple[str, ...] = ("ckpt_total", "log_entries_peak")
_ZERO_MEAN_RULE = ("a metric whose mean is 0 counts as converged only when its half-width is "
                   "0 too (every value equal); a share p_* observed as 0 never converges "
                   "(its Wilson interval has positive width), so such points run to max_runs")


@dataclass(frozen=True)
class StopRule:
    """Target relative half-width, run cap and watched metrics of a sweep."""

    target: float
    max_runs: int
    metrics: tuple[str, ...]

    def describe(self, batch_runs: int) -> dict[str, Any]:
        """The rule as plain JSON, stored in provenance and store manifests."""
        return {"target_rel_halfwidth": self.target, "max_runs": self.max_runs,
                "metrics": list(self.metrics), "level": STOP_LEVEL, "batch_runs": batch_runs,
                "rule": "after each batch, stop a point when, for every protocol and every "
                        "metric, the half-width of the 95% CI (summary.summarize) is <= "
                        "target_rel_halfwidth * |mean|, or when max_runs runs are done",
                "zero_mean": _ZERO_MEAN_RULE}


def as_stop(runs: int, target: Any, max_runs: Any, metrics: Any) -> StopRule | None:
    """Check the stopping arguments of :func:`~mdcd_lab.studies.sweep`; ``None``: no rule."""
    if target is None:
        if max_runs is not None:
            raise ValueError("max_runs is only used with target_rel_halfwidth (sequential "
                             "stopping); give both or neither")
        if metrics is not None:
            raise ValueError("metrics (the metrics the stopping rule watches) is only used "
                             "with target_rel_halfwidth; give target_rel_halfwidth and "
                             "max_runs too")
        return None
    target = check_positive_real("target_rel_halfwidth", target)
    if max_runs is None:
        raise ValueError("target_rel_halfwidth needs max_runs (the largest number of runs "
                         "per point and protocol)")
    max_runs = check_int("max_runs", max_runs, 1)
    if max_runs < runs:
        raise ValueError(f"max_runs must be >= runs (the first batch), got max_runs="
                         f"{max_runs} < runs={runs}")
    if metrics is None:
        names = list(DEFAULT_STOP_METRICS)
    else:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise ValueError("metrics is empty: name at least one metric for the stopping rule")
    for name in names:
        if name not in STOP_METRICS:
            raise ValueError(f"metrics: unknown metric {name!r}; the stopping rule can watch "
                             f"{', '.join(STOP_METRICS)}")
    dup = sorted({m for m in names if names.count(m) > 1})
    if dup:
        raise ValueError(f"metrics lists {', '.join(map(repr, dup))} more than once")
    return StopRule(target, max_runs, tuple(names))


def decide(rule: StopRule, protocols: tuple[str, ...],
           frames: list[pd.DataFrame]) -> tuple[bool, float | None]:
    """Stopping test of one point: (converged, largest half_width / |mean|).

    ``frames[q]`` holds the runs so far of protocol ``protocols[q]``.
    """
    df = pd.concat(frames, ignore_index=True)
    codes = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
    df["protocol"] = pd.Categorical.from_codes(codes, categories=list(protocols))
    s = summarize(df, by="protocol", metrics=list(rule.metrics), level=STOP_LEVEL)
    hw, mean, n = (s["half_width"].to_numpy(float), s["mean"].to_numpy(float),
                   s["n"].to_numpy())
    bound = rule.target * np.abs(mean)
    ok = (n >= 2) & np.isfinite(hw) & np.isfinite(mean) & (hw <= bound)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(hw == 0, 0.0, hw / np.abs(mean))
    worst = float(np.max(np.where(np.isfinite(ratio) & (n >= 2), ratio, np.inf)))
    return bool(ok.all()), (worst if math.isfinite(worst) else None)
