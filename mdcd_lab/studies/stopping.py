"""Sequential stopping: the rule's arguments and the test of one point.

After every batch of runs of a point, ``decide`` summarises the watched
metrics of every protocol ([`mdcd_lab.stats.summary.summarize`][mdcd_lab.stats.summarize], default
intervals: hurdle for counts and non-negative reals, Clopper-Pearson for
shares, Student t otherwise) and says whether the point may stop.  Three guards
keep the stopped intervals honest: no point stops before ``MIN_STOP_RUNS``
runs, no interval counts as converged unless ``summarize`` calls it reliable
(``ci_reliable``: at least the family's minimum n of
``mdcd_lab.stats.intervals.MIN_RELIABLE_N``, never above ``MIN_STOP_RUNS``,
and a finite interval), and an interval of zero width never counts as
converged, except for a metric that cannot be non-zero in the point's scenario
(``STRUCTURAL_ZEROS``).  See ``docs/studies.md``, *Sequential stopping*,
for the rule and its measured coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_int, check_positive_real
from ..metrics import METRICS
from ..scenario import Scenario
from ..stats.intervals import MIN_RELIABLE_N
from ..stats.summary import PROBABILITY_METRICS, summarize

__all__ = ["StopRule", "as_stop", "decide", "structural_zeros", "STOP_LEVEL", "STOP_METRICS",
           "DEFAULT_STOP_METRICS", "MIN_STOP_RUNS", "STRUCTURAL_ZEROS"]

#: Confidence level of the sequential stopping rule.
STOP_LEVEL = 0.95
#: Metrics the stopping rule may watch: numeric per-run metrics and the ``p_*`` shares.
STOP_METRICS: tuple[str, ...] = tuple(
    m.name for m in METRICS if m.name not in ("run", "seed", "outcome")) + PROBABILITY_METRICS
#: Metrics watched when ``target_rel_halfwidth`` is given without ``metrics``.
DEFAULT_STOP_METRICS: tuple[str, ...] = ("ckpt_total", "log_entries_peak")
#: No point is declared converged before this many runs per protocol (at least the
#: largest minimum n at which ``summarize`` calls an interval reliable).
MIN_STOP_RUNS = max(30, *MIN_RELIABLE_N.values())
#: Metrics that cannot be non-zero in a scenario: metric -> ((field, value), ...); the
#: metric is identically 0 at a point whose scenario has any of these field values.
#: ``n_compensated`` counts failed ATs (which need an erroneous state, hence a fault,
#: and a detection) whose compensation succeeded (``u_comp < compensation``).
STRUCTURAL_ZEROS: dict[str, tuple[tuple[str, float], ...]] = {
    "n_compensated": (("compensation", 0.0), ("at_coverage", 0.0), ("fault_rate", 0.0)),
}
_ZERO_RULE = ("an interval of zero width never counts as converged (a metric constant in the "
              "runs so far is not known exactly), except for a metric that cannot be non-zero "
              "in the point's scenario (STRUCTURAL_ZEROS: n_compensated when compensation, "
              "at_coverage or fault_rate is 0), which is left out of the test; a metric "
              "whose mean is 0 otherwise never converges (a count observed as 0 has the "
              "interval [0, inf), a share observed as 0 one of positive width), so such "
              "points run to max_runs")


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
                "rule": "after each batch, stop a point when it has at least min_runs runs "
                        "and, for every protocol and every metric, the 95% CI "
                        "(summary.summarize, default methods) is reliable (ci_reliable) and "
                        "its half-width is > 0 and <= target_rel_halfwidth * |mean|, or when "
                        "max_runs runs are done",
                "min_runs": MIN_STOP_RUNS,
                "zero_width": _ZERO_RULE}


def as_stop(runs: int, target: Any, max_runs: Any, metrics: Any) -> StopRule | None:
    """Check the stopping arguments of [`sweep`][mdcd_lab.studies.sweep.sweep]; ``None``: no
    rule."""
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


def structural_zeros(scenario: Scenario) -> frozenset[str]:
    """Metrics of ``STRUCTURAL_ZEROS`` that are identically 0 in ``scenario``."""
    return frozenset(m for m, conditions in STRUCTURAL_ZEROS.items()
                     if any(getattr(scenario, f) == v for f, v in conditions))


def decide(rule: StopRule, scenario: Scenario, protocols: tuple[str, ...],
           frames: list[pd.DataFrame]) -> tuple[bool, float | None]:
    """Stopping test of one point: (converged, largest half_width / |mean|).

    ``frames[q]`` holds the runs so far of protocol ``protocols[q]`` at a point
    whose scenario is ``scenario``.  Converged: at least ``MIN_STOP_RUNS``
    runs per protocol and, for every protocol and watched metric that is not a
    structural zero of the scenario, a reliable interval (``ci_reliable``) with
    ``0 < half_width <= target * |mean|``.  The
    ratio leaves out structural zeros, zero means and zero widths (``None`` if
    nothing is left).
    """
    df = pd.concat(frames, ignore_index=True)
    codes = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
    df["protocol"] = pd.Categorical.from_codes(codes, categories=list(protocols))
    s = summarize(df, by="protocol", metrics=list(rule.metrics), level=STOP_LEVEL)
    hw, mean, n = (s["half_width"].to_numpy(float), s["mean"].to_numpy(float),
                   s["n"].to_numpy())
    reliable = s["ci_reliable"].to_numpy(bool)
    skip = s["metric"].isin(structural_zeros(scenario)).to_numpy()
    bound = rule.target * np.abs(mean)
    ok = reliable & (n >= 2) & np.isfinite(hw) & np.isfinite(mean) & (hw > 0) & (hw <= bound)
    enough = min(len(f) for f in frames) >= MIN_STOP_RUNS
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(hw > 0, hw / np.abs(mean), np.nan)
    ratio = ratio[~skip & (n >= 2) & np.isfinite(ratio)]
    worst = float(ratio.max()) if len(ratio) else None
    return bool(enough and (ok | skip).all()), worst
