"""Summaries of per-run result tables: means with confidence intervals.

[`summarize`][mdcd_lab.stats.summarize] turns a tidy per-run frame (one row per run, see
[`mdcd_lab.metrics`][mdcd_lab.metrics]) into a tidy long frame with one row per (group,
metric): the sample size, mean, standard deviation, a two-sided confidence
interval and whether that interval is reliable at this sample size.  The
interval's method is chosen per metric family in one place
(``mdcd_lab.stats.intervals.AUTO_METHODS``, from the metric's *support*,
[`mdcd_lab.metrics.SUPPORTS`][mdcd_lab.metrics.SUPPORTS]): Hall's skewness-corrected t for counts
and non-negative reals (which Student's t under-covers when they are skewed and
mostly zero), with ``[0, inf)`` for a sample that bounds nothing,
Clopper-Pearson for the outcome and violation shares, Student's t otherwise; or
the one given as ``method=``.  No interval of a non-negative metric goes below 0.
[`paired_differences`][mdcd_lab.stats.paired_differences] compares protocols run on the same traces
(common random numbers) through per-run differences.

Every distribution function and the bootstrap come from ``scipy.stats``.
See ``docs/results-and-summaries.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_int, check_level
from ..metrics import NONNEGATIVE_SUPPORTS, RUN_LENGTH_METRICS
from .intervals import (
    BOOTSTRAP_RESAMPLES,
    INTERVAL_METHODS,
    PROBABILITY_METRICS,
    RARE_MODE_RUNS,
    auto_method,
    bca_interval,
    clopper_pearson_bounds,
    hall_interval,
    hurdle_interval,
    metric_support,
    min_reliable_n,
    quasi_poisson_interval,
    rare_mode_factor,
    t_half_width,
    wilson_bounds,
    wilson_interval,
    z_value,
)
from .paired import PAIRED_COLUMNS, paired_differences
from .tables import (
    as_by,
    as_metrics,
    check_frame,
    group_stats,
    is_probability,
    key_frame,
    metric_values,
)

__all__ = ["summarize", "paired_differences", "wilson_interval", "quasi_poisson_interval",
           "metric_support", "PROBABILITY_METRICS", "SUMMARY_COLUMNS", "PAIRED_COLUMNS",
           "INTERVAL_METHODS", "BOOTSTRAP_RESAMPLES"]

#: Columns of [`summarize`][mdcd_lab.stats.summarize] after the ``by`` columns.
SUMMARY_COLUMNS = ("metric", "n", "mean", "std", "ci_low", "ci_high", "half_width", "method",
                   "ci_reliable")


# --------------------------------------------------------------------------- summarize
def _as_methods(df: pd.DataFrame, names: list[str], method: Any) -> list[str]:
    """The interval method of every metric, checked against what the metric can take."""
    if isinstance(method, str):
        chosen = {name: method for name in names}
    elif isinstance(method, Mapping):
        unknown = [k for k in method if k not in names]
        if unknown:
            raise ValueError(f"method names metric(s) {unknown!r} that are not summarised; "
                             f"metrics: {names!r}")
        chosen = {name: method.get(name, "auto") for name in names}
    else:
        raise ValueError(f"method must be one of {INTERVAL_METHODS} or a mapping of metric to "
                         f"method, got {method!r}")
    out = []
    for name in names:
        m = chosen[name]
        if m not in INTERVAL_METHODS:
            raise ValueError(f"unknown interval method {m!r} for metric {name!r}; choose one "
                             f"of {INTERVAL_METHODS}")
        prob = is_probability(df, name)
        if m == "auto":
            m = auto_method(name, prob)
        elif m in ("wilson", "clopper-pearson") and not prob:
            raise ValueError(f"method {m!r} is for the shares {PROBABILITY_METRICS}, not "
                             f"for {name!r}")
        elif m in ("quasi-poisson", "hurdle"):
            support = metric_support(name)
            if support not in NONNEGATIVE_SUPPORTS and support != "probability":
                values = metric_values(df, name)
                if np.any(values[~np.isnan(values)] < 0):
                    raise ValueError(f"method {m!r} needs non-negative values; "
                                     f"metric {name!r} has negative ones")
        out.append(m)
    return out


def summarize(df: pd.DataFrame, by: str | Sequence[str] | None = None,
              metrics: str | Sequence[str] | None = None, level: float = 0.95,
              method: str | Mapping[str, str] = "auto", seed: int = 0) -> pd.DataFrame:
    """Mean and confidence interval of every metric, per group, in long format.

    Parameters
    ----------
    df : DataFrame
        Per-run results (one row per run).
    by : str or list of str, optional
        Grouping columns (e.g. ``"protocol"``, ``["point", "protocol"]``).
        Groups are sorted; only observed categories appear; missing keys form
        their own group.
    metrics : str or list of str, optional
        Columns to summarise, plus any of ``p_completed``, ``p_failed``,
        ``p_recovered`` (share of runs with that ``outcome``) and
        ``p_violation`` (share of runs with any oracle column of
        [`VIOLATIONS`][mdcd_lab.metrics.VIOLATIONS] > 0).  Default: every numeric
        column of [`METRIC_NAMES`][mdcd_lab.metrics.METRIC_NAMES] present in ``df``
        except ``run`` and ``seed`` and the ``by`` columns, in that order, with
        ``outcome`` replaced by the three outcome probabilities, then
        ``p_violation`` if all violation columns are present.
    level : float, default 0.95
        Two-sided confidence level in ``(0, 1)``.
    method : str or mapping of str to str, default "auto"
        Interval method (``INTERVAL_METHODS``), for every metric or per
        metric (``{"n_compensated": "bca"}``; metrics not named get
        ``"auto"``).  ``"auto"`` (``mdcd_lab.stats.intervals.AUTO_METHODS``):
        ``"clopper-pearson"`` for the ``p_*`` shares, ``"hall"`` for counts and
        non-negative reals (support ``"count"`` or ``"nonnegative"`` in
        [`mdcd_lab.metrics.METRICS`][mdcd_lab.metrics.METRICS]; for a metric that grows with the
        run, with its lower end guarded, see Notes), ``"t"`` otherwise.
    seed : int, default 0
        Seed of the bootstrap resamples of ``"bca"`` (the group and metric
        at row ``i`` of the result use ``SeedSequence(seed, spawn_key=(i,))``).

    Returns
    -------
    DataFrame
        The ``by`` columns (with their original dtypes where possible), then
        ``metric``, ``n`` (non-missing values), ``mean``, ``std`` (sample
        standard deviation, ``ddof=1``), ``ci_low``, ``ci_high``,
        ``half_width``, ``method`` (the interval actually computed) and
        ``ci_reliable``: ``n`` is at least the family's documented minimum
        (``mdcd_lab.stats.intervals.MIN_RELIABLE_N``: 30 for counts and
        non-negative reals, 10 for other numbers, 1 for shares) and the interval
        is finite with positive width.  One row per (group, metric), groups
        outermost.  ``level`` is stored in ``attrs["level"]``.

    Raises
    ------
    ValueError
        Unknown ``by`` column, unknown or non-numeric metric, ``level`` not in
        ``(0, 1)``, an unknown method or one the metric cannot take
        (``"wilson"`` or ``"clopper-pearson"`` for a non-share,
        ``"quasi-poisson"`` or ``"hurdle"`` for negative values), or an
        ``outcome`` value outside
        [`OUTCOMES`][mdcd_lab.metrics.OUTCOMES].

    Notes
    -----
    Missing values (NaN, e.g. ``rollback_dist_max`` of a run without
    rollback) are dropped per metric; ``n < 2`` gives NaN ``std``,
    ``half_width`` and bounds (except Wilson, defined from ``n = 1``).

    * ``"t"``: Student t, ``mean +- t(1 - a/2, n - 1) * std / sqrt(n)``.
    * ``"hall"``: Student t corrected for the sample's skewness
      (``mdcd_lab.stats.intervals.hall_interval``); NaN for ``n < 3``.  For a
      non-negative metric (support ``"count"`` or ``"nonnegative"``), a sample
      without spread (all values equal, e.g. all zero) or with fewer than two
      non-zero values bounds nothing: ``[0, inf)``, flagged ``ci_reliable =
      False``.
    * ``"hurdle"``: ``mdcd_lab.stats.intervals.hurdle_interval``, the share of
      non-zero values (Wilson) times the mean of the non-zero values (Hall's
      skewness-corrected t), combined by the MOVER rule; a sample without
      zeros gets Hall's interval of its mean; the ``[0, inf)`` rule of
      ``"hall"`` applies.
    * ``"quasi-poisson"``: [`quasi_poisson_interval`][mdcd_lab.stats.quasi_poisson_interval]; skewed
      and never of zero width (a sample of zeros gives ``[0, 3.69 / n]`` at 95%: a
      Poisson bound, which fails zero-inflated counts).
    * ``"wilson"``: Wilson score interval of the proportion ``mean``; ``std``
      is the sample standard deviation of the 0/1 indicator.  Runs with a
      missing outcome (or a missing violation column and no positive one) are
      left out of ``n``.
    * ``"clopper-pearson"``: the exact binomial interval (Beta quantiles);
      coverage at least ``level`` for every proportion and ``n``, so it is
      the default for shares (Wilson dips below near 0 and 1).
    * ``"bca"``: bias-corrected and accelerated bootstrap
      (``scipy.stats.bootstrap``, ``BOOTSTRAP_RESAMPLES`` resamples);
      NaN when every value is equal (the bootstrap law is degenerate).

    The default interval of a metric that grows with the run's length
    ([`RUN_LENGTH_METRICS`][mdcd_lab.metrics.RUN_LENGTH_METRICS]) guards its lower end against a
    sample without the rare early endings (``outcome`` ``'failed'`` or
    ``'recovered'``), which would overstate the mean: in a group with ``k <``
    ``RARE_MODE_RUNS`` early endings among the
    metric's ``n`` values, the lower bound (after the clip at 0) is multiplied by
    ``rare_mode_factor`` ``(k, n, level)``, one minus
    the Clopper-Pearson upper bound of the share of runs that end early.  Not for an
    explicit ``method=`` of that metric, nor without an ``outcome`` column.

    The bounds of a non-negative metric (support ``"count"`` or
    ``"nonnegative"``) are clipped at 0 and those of a share to ``[0, 1]``.
    ``half_width`` is half the interval's length (``t * std / sqrt(n)`` for
    an unclipped t interval).  Measured coverage: docs/results-and-summaries.md.
    """
    check_frame(df)
    level = check_level(level)
    seed = check_int("seed", seed, 0)
    by_cols = as_by(df, by)
    names = as_metrics(df, metrics, by_cols)
    methods = _as_methods(df, names, method)
    chosen_auto = [method == "auto" if isinstance(method, str) else
                   method.get(name, "auto") == "auto" for name in names]
    values = pd.DataFrame({i: metric_values(df, m) for i, m in enumerate(names)})
    keys = [df[c].reset_index(drop=True) for c in by_cols]  # aligned with `values`
    index, count, total, mean, std = group_stats(values, keys)
    n_groups, n_metrics = count.shape

    n_flat = count.ravel()
    mean_flat = np.where(n_flat > 0, mean.ravel(), np.nan)
    std_flat = np.where(n_flat >= 2, std.ravel(), np.nan)
    method_flat = np.tile(np.array(methods, dtype=object), n_groups)
    name_flat = np.tile(np.array(names, dtype=object), n_groups)

    t_half = t_half_width(n_flat, std_flat, level)
    lo, hi = mean_flat - t_half, mean_flat + t_half
    is_t = method_flat == "t"
    lo, hi, support = _bounds_by_method(values, keys, total, mean, lo, hi, n_flat, mean_flat,
                                        std_flat, method_flat, name_flat, level, seed)

    floor0 = np.isin(support, [*NONNEGATIVE_SUPPORTS, "probability"])
    with np.errstate(invalid="ignore"):
        clipped = (floor0 & (lo < 0)) | ((support == "probability") & (hi > 1))
        lo = np.where(floor0 & (lo < 0), 0.0, lo)
        hi = np.where((support == "probability") & (hi > 1), 1.0, hi)
    guard = _rare_mode_rows(df, values, keys, names, chosen_auto, n_groups)
    if guard.any():
        # a run-length metric's default interval from a sample with fewer than
        # RARE_MODE_RUNS early endings: its lower end times rare_mode_factor (docs:
        # *Intervals*); after the clip at 0, so the factor only ever lowers it
        k_early = _early_endings(df, values, keys).ravel()
        lo = np.where(guard, lo * rare_mode_factor(np.where(guard, k_early, 0.0),
                                                   np.where(guard, n_flat, 1.0), level), lo)
        clipped = clipped | guard
    half = np.where(is_t & ~clipped, t_half, (hi - lo) / 2.0)
    min_n = np.array([min_reliable_n(nm) for nm in name_flat])
    with np.errstate(invalid="ignore"):
        reliable = (n_flat >= min_n) & np.isfinite(lo) & np.isfinite(hi) & (hi > lo)

    body = pd.DataFrame({
        "metric": name_flat,
        "n": n_flat.astype(np.int64),
        "mean": mean_flat,
        "std": std_flat,
        "ci_low": lo,
        "ci_high": hi,
        "half_width": half,
        "method": method_flat,
        "ci_reliable": reliable,
    })
    if by_cols:
        out = pd.concat([key_frame(index, by_cols, df, n_metrics), body], axis=1)
    else:
        out = body
    out.attrs["level"] = level
    return out


def _bounds_by_method(values: pd.DataFrame, keys: list[pd.Series], total: np.ndarray,
                      mean: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_flat: np.ndarray,
                      mean_flat: np.ndarray, std_flat: np.ndarray, method_flat: np.ndarray,
                      name_flat: np.ndarray, level: float, seed: int):
    """The bounds of each (group, metric) row by its method (the Student t bounds
    ``lo``, ``hi`` where the method is ``"t"``), before clipping; also each row's
    support."""
    n_metrics = values.shape[1]
    if (method_flat == "wilson").any():
        w_lo, w_hi = wilson_bounds(total.ravel(), n_flat.astype(float), z_value(level))
        lo = np.where(method_flat == "wilson", w_lo, lo)
        hi = np.where(method_flat == "wilson", w_hi, hi)
    if (method_flat == "quasi-poisson").any():
        q_lo, q_hi = quasi_poisson_interval(mean_flat, std_flat, n_flat, level)
        lo = np.where(method_flat == "quasi-poisson", q_lo, lo)
        hi = np.where(method_flat == "quasi-poisson", q_hi, hi)
    if (method_flat == "hall").any():
        skew = _group_skew(values, keys, mean)
        a_lo, a_hi = hall_interval(mean_flat, std_flat, skew.ravel(), n_flat, level)
        lo = np.where(method_flat == "hall", a_lo, lo)
        hi = np.where(method_flat == "hall", a_hi, hi)
    if (method_flat == "hurdle").any():
        pos = values.where(values > 0)
        _, k, _, mean_pos, std_pos = group_stats(pos, keys)
        skew_pos = _group_skew(pos, keys, mean_pos).ravel()
        h_lo, h_hi = hurdle_interval(n_flat, k.ravel(), mean_pos.ravel(), std_pos.ravel(),
                                     level, skew_pos)
        lo = np.where(method_flat == "hurdle", h_lo, lo)
        hi = np.where(method_flat == "hurdle", h_hi, hi)
    support = np.array([metric_support(nm) for nm in name_flat], dtype=object)
    nonneg = np.isin(support, NONNEGATIVE_SUPPORTS)
    if (nonneg & np.isin(method_flat, ("hall", "hurdle"))).any():
        # a non-negative sample with fewer than two non-zero values, or without spread
        # (all values equal), bounds nothing: [0, inf) (docs: *Intervals*)
        n_pos = group_stats((values > 0).astype(float).where(values.notna()), keys)[2]
        few = ((n_pos.ravel() < 2) | ~(std_flat > 0)) & (n_flat > 0)
        rule = nonneg & np.isin(method_flat, ("hall", "hurdle")) & few
        lo = np.where(rule, 0.0, lo)
        hi = np.where(rule, np.inf, hi)
    if (method_flat == "clopper-pearson").any():
        c_lo, c_hi = clopper_pearson_bounds(total.ravel(), n_flat.astype(float), level)
        lo = np.where(method_flat == "clopper-pearson", c_lo, lo)
        hi = np.where(method_flat == "clopper-pearson", c_hi, hi)
    if (method_flat == "bca").any():
        rows = np.flatnonzero(method_flat == "bca")
        lo, hi = lo.copy(), hi.copy()
        lo[rows], hi[rows] = _bca_rows(values, keys, rows, n_metrics, level, seed)

    return lo, hi, support


def _early_endings(df: pd.DataFrame, values: pd.DataFrame,
                   keys: list[pd.Series]) -> np.ndarray:
    """Runs that ended early (``outcome`` ``'failed'`` or ``'recovered'``) among the
    non-missing values of each metric, per group: shape (groups, metrics)."""
    early = df["outcome"].isin(("failed", "recovered")).to_numpy()
    mask = values.notna().to_numpy() & early[:, None]
    ind = pd.DataFrame(mask.astype(float), columns=values.columns).where(values.notna())
    return group_stats(ind, keys)[2]


def _rare_mode_rows(df: pd.DataFrame, values: pd.DataFrame, keys: list[pd.Series],
                    names: list[str], chosen_auto: list[bool], n_groups: int) -> np.ndarray:
    """The result rows (group-major) whose lower bound ``rare_mode_factor`` guards:
    a metric of [`RUN_LENGTH_METRICS`][mdcd_lab.metrics.RUN_LENGTH_METRICS] with its default
    interval (``method`` ``"auto"``), in a group with fewer than ``RARE_MODE_RUNS`` early
    endings among its values.  None without an ``outcome`` column (nothing tells the
    early endings apart)."""
    cols = np.array([nm in RUN_LENGTH_METRICS and auto
                     for nm, auto in zip(names, chosen_auto, strict=True)])
    if "outcome" not in df.columns or not cols.any():
        return np.zeros(n_groups * len(names), dtype=bool)
    k = _early_endings(df, values, keys)
    return ((k < RARE_MODE_RUNS) & cols[None, :]).ravel()


def _group_skew(values: pd.DataFrame, keys: list[pd.Series], mean: np.ndarray) -> np.ndarray:
    """Adjusted Fisher-Pearson skewness ``n sqrt(n - 1) / (n - 2) * m3 / m2^(3/2)``
    (``m2``, ``m3``: sums of squared and cubed deviations) per group and column, shape
    (groups, columns); NaN where ``n < 3`` or every value is equal."""
    if keys:
        codes = values[values.columns[0]].groupby(keys, observed=True, dropna=False,
                                                  sort=True).ngroup().to_numpy()
    else:
        codes = np.zeros(len(values), dtype=np.int64)
    x = values.to_numpy(dtype=float)
    d = x - mean[codes]
    g = pd.DataFrame(np.column_stack([d * d, d * d * d]), copy=False).groupby(codes)
    sums = g.sum(min_count=1).to_numpy()
    cnt = g.count().to_numpy()[:, : x.shape[1]].astype(float)
    m2, m3 = sums[:, : x.shape[1]], sums[:, x.shape[1]:]
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = cnt * np.sqrt(cnt - 1.0) / (cnt - 2.0) * m3 / m2 ** 1.5
    return np.where((cnt >= 3) & (m2 > 0), skew, np.nan)


def _bca_rows(values: pd.DataFrame, keys: list[pd.Series], rows: np.ndarray, n_metrics: int,
              level: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """BCa bounds of the result rows ``rows`` (row = group * n_metrics + metric)."""
    if keys:
        codes = values[0].groupby(keys, observed=True, dropna=False, sort=True).ngroup()
        codes = codes.to_numpy()
    else:
        codes = np.zeros(len(values), dtype=np.int64)
    lo, hi = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    for j, i in enumerate(rows):
        arr = values[int(i % n_metrics)].to_numpy(dtype=float)[codes == i // n_metrics]
        lo[j], hi[j] = bca_interval(arr[~np.isnan(arr)], level, seed, int(i))
    return lo, hi


