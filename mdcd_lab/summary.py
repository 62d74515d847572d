"""Summaries of per-run result tables: means with confidence intervals.

:func:`summarize` turns a tidy per-run frame (one row per run, see
:mod:`mdcd_lab.metrics`) into a tidy long frame with one row per (group,
metric): the sample size, mean, standard deviation and a two-sided confidence
interval.  The interval's method is chosen per metric from its *support*
(:data:`mdcd_lab.metrics.SUPPORTS`): a quasi-Poisson interval for counts
(which Student's t under-covers when they are skewed and mostly zero), Wilson
score for the outcome and violation shares, Student's t otherwise; or the one
given as ``method=``.  No interval of a non-negative metric goes below 0.
:func:`paired_differences` compares protocols run on the same traces (common
random numbers) through per-run differences.

Every distribution function and the bootstrap come from :mod:`scipy.stats`.
See ``docs/results-and-summaries.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_int, check_level
from .intervals import (
    BOOTSTRAP_RESAMPLES,
    INTERVAL_METHODS,
    PROBABILITY_METRICS,
    auto_method,
    bca_interval,
    metric_support,
    quasi_poisson_interval,
    t_half_width,
    wilson_bounds,
    wilson_interval,
    z_value,
)
from .metrics import METRIC_NAMES, NONNEGATIVE_SUPPORTS, OUTCOMES, VIOLATIONS

__all__ = ["summarize", "paired_differences", "wilson_interval", "quasi_poisson_interval",
           "metric_support", "PROBABILITY_METRICS", "SUMMARY_COLUMNS", "PAIRED_COLUMNS",
           "INTERVAL_METHODS", "BOOTSTRAP_RESAMPLES"]

#: Columns of :func:`summarize` after the ``by`` columns.
SUMMARY_COLUMNS = ("metric", "n", "mean", "std", "ci_low", "ci_high", "half_width", "method")
#: Columns of :func:`paired_differences` after the ``by`` columns.
PAIRED_COLUMNS = ("protocol", "baseline", "metric", "n", "mean_diff", "ci_low", "ci_high",
                  "half_width")
_NOT_DEFAULT = ("run", "seed")


# --------------------------------------------------------------------------- validation
def _check_df(df: Any) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")


def _as_by(df: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    unknown = [c for c in cols if c not in df.columns]
    if unknown:
        raise ValueError(f"unknown `by` column(s) {unknown!r}; the frame has "
                         f"{list(df.columns)!r}")
    if len(set(cols)) != len(cols):
        raise ValueError(f"`by` lists a column twice: {cols!r}")
    return cols


def _is_metric_column(s: pd.Series) -> bool:
    return ((pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype))
            and not isinstance(s.dtype, pd.CategoricalDtype))


def _default_metrics(df: pd.DataFrame, by: list[str]) -> list[str]:
    out: list[str] = []
    for name in METRIC_NAMES:
        if name in by or name in _NOT_DEFAULT or name not in df.columns:
            continue
        if name == "outcome":
            out.extend(f"p_{o}" for o in OUTCOMES)
        elif _is_metric_column(df[name]):
            out.append(name)
    if all(v in df.columns for v in VIOLATIONS):
        out.append("p_violation")
    if not out:
        raise ValueError("no metric columns found: the frame has none of the numeric columns "
                         "of mdcd_lab.metrics.METRIC_NAMES nor 'outcome'; pass `metrics`")
    return out


def _as_metrics(df: pd.DataFrame, metrics: str | Sequence[str] | None,
                by: list[str]) -> list[str]:
    if metrics is None:
        return _default_metrics(df, by)
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise ValueError("metrics is empty")
    if len(set(names)) != len(names):
        raise ValueError(f"metrics lists a name twice: {names!r}")
    for name in names:
        if name in df.columns:
            if not _is_metric_column(df[name]):
                raise ValueError(f"metric {name!r} is not numeric (dtype {df[name].dtype}); "
                                 f"for outcomes use 'p_completed', 'p_failed', 'p_recovered'")
        elif name in PROBABILITY_METRICS:
            needed = ["outcome"] if name != "p_violation" else list(VIOLATIONS)
            missing = [c for c in needed if c not in df.columns]
            if missing:
                raise ValueError(f"metric {name!r} needs column(s) {missing!r}, absent from "
                                 f"the frame")
        else:
            raise ValueError(f"unknown metric {name!r}: not a column of the frame nor one of "
                             f"{PROBABILITY_METRICS}")
    return names


def _is_probability(df: pd.DataFrame, name: str) -> bool:
    return name in PROBABILITY_METRICS and name not in df.columns


def _metric_values(df: pd.DataFrame, name: str) -> np.ndarray:
    """Float values of a metric (NaN = missing); 0/1 indicators for probabilities."""
    if not _is_probability(df, name):
        return df[name].to_numpy(dtype=float, na_value=np.nan)
    if name == "p_violation":
        arr = np.column_stack([df[c].to_numpy(dtype=float, na_value=np.nan) for c in VIOLATIONS])
        if arr.size == 0:
            return np.zeros(len(df))
        anypos = (arr > 0).any(axis=1)
        unknown = np.isnan(arr).any(axis=1)
        return np.where(anypos, 1.0, np.where(unknown, np.nan, 0.0))
    outcome = df["outcome"]
    present = outcome.dropna()
    bad = sorted({str(v) for v in present.unique()} - set(OUTCOMES))
    if bad:
        raise ValueError(f"column 'outcome' holds unknown value(s) {bad!r}; expected {OUTCOMES}")
    target = name[2:]
    values = (outcome.astype(object) == target).to_numpy(dtype=float)
    values[outcome.isna().to_numpy()] = np.nan
    return values


def _group_stats(values: pd.DataFrame, keys: list[pd.Series]) -> tuple[Any, ...]:
    """count/sum/mean/std per group and column: arrays of shape (groups, columns)."""
    if keys:
        g = values.groupby(keys, observed=True, dropna=False, sort=True)
        count, total = g.count(), g.sum(min_count=0)
        mean, std = g.mean(), g.std(ddof=1)
        return (count.index, count.to_numpy(dtype=np.int64), total.to_numpy(float),
                mean.to_numpy(float), std.to_numpy(float))
    count = values.count().to_numpy(dtype=np.int64)[None, :]
    total = values.sum(min_count=0).to_numpy(float)[None, :]
    mean = values.mean().to_numpy(float)[None, :]
    std = values.std(ddof=1).to_numpy(float)[None, :]
    return None, count, total, mean, std


def _key_frame(index: pd.Index, by: list[str], df: pd.DataFrame, repeat: int) -> pd.DataFrame:
    """The ``by`` columns of a grouped result, each row repeated ``repeat`` times."""
    if isinstance(index, pd.MultiIndex):
        parts = {c: index.get_level_values(i) for i, c in enumerate(by)}
    else:
        parts = {by[0]: index}
    out = {}
    for c, level in parts.items():
        values = np.repeat(np.asarray(level.to_numpy(dtype=object)), repeat)
        col = pd.Series(values, name=c)
        try:
            col = col.astype(df[c].dtype)
        except (TypeError, ValueError):
            pass
        out[c] = col
    return pd.DataFrame(out)


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
        prob = _is_probability(df, name)
        if m == "auto":
            m = auto_method(name, prob)
        elif m == "wilson" and not prob:
            raise ValueError(f"method 'wilson' is for the shares {PROBABILITY_METRICS}, not "
                             f"for {name!r}")
        elif m == "quasi-poisson":
            support = metric_support(name)
            if support not in NONNEGATIVE_SUPPORTS and support != "probability":
                values = _metric_values(df, name)
                if np.any(values[~np.isnan(values)] < 0):
                    raise ValueError(f"method 'quasi-poisson' needs non-negative values; "
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
        :data:`~mdcd_lab.metrics.VIOLATIONS` > 0).  Default: every numeric
        column of :data:`~mdcd_lab.metrics.METRIC_NAMES` present in ``df``
        except ``run`` and ``seed`` and the ``by`` columns, in that order, with
        ``outcome`` replaced by the three outcome probabilities, then
        ``p_violation`` if all violation columns are present.
    level : float, default 0.95
        Two-sided confidence level in ``(0, 1)``.
    method : str or mapping of str to str, default "auto"
        Interval method (:data:`INTERVAL_METHODS`), for every metric or per
        metric (``{"n_compensated": "bca"}``; metrics not named get
        ``"auto"``).  ``"auto"``: ``"wilson"`` for the ``p_*`` shares,
        ``"quasi-poisson"`` for count metrics (support ``"count"`` in
        :data:`mdcd_lab.metrics.METRICS`), ``"t"`` otherwise.
    seed : int, default 0
        Seed of the bootstrap resamples of ``"bca"`` (the group and metric
        at row ``i`` of the result use ``SeedSequence(seed, spawn_key=(i,))``).

    Returns
    -------
    DataFrame
        The ``by`` columns (with their original dtypes where possible), then
        ``metric``, ``n`` (non-missing values), ``mean``, ``std`` (sample
        standard deviation, ``ddof=1``), ``ci_low``, ``ci_high``,
        ``half_width`` and ``method``.  One row per (group, metric), groups
        outermost.  ``level`` is stored in ``attrs["level"]``.

    Raises
    ------
    ValueError
        Unknown ``by`` column, unknown or non-numeric metric, ``level`` not in
        ``(0, 1)``, an unknown method or one the metric cannot take
        (``"wilson"`` for a non-share, ``"quasi-poisson"`` for negative
        values), or an ``outcome`` value outside
        :data:`~mdcd_lab.metrics.OUTCOMES`.

    Notes
    -----
    Missing values (NaN, e.g. ``rollback_dist_max`` of a run without
    rollback) are dropped per metric; ``n < 2`` gives NaN ``std``,
    ``half_width`` and bounds (except Wilson, defined from ``n = 1``).

    * ``"t"``: Student t, ``mean +- t(1 - a/2, n - 1) * std / sqrt(n)``.
    * ``"quasi-poisson"``: :func:`quasi_poisson_interval`; skewed and never
      of zero width (a sample of zeros gives ``[0, 3.69 / n]`` at 95%).
    * ``"wilson"``: Wilson score interval of the proportion ``mean``; ``std``
      is the sample standard deviation of the 0/1 indicator.  Runs with a
      missing outcome (or a missing violation column and no positive one) are
      left out of ``n``.
    * ``"bca"``: bias-corrected and accelerated bootstrap
      (``scipy.stats.bootstrap``, :data:`BOOTSTRAP_RESAMPLES` resamples);
      NaN when every value is equal (the bootstrap law is degenerate).

    The bounds of a non-negative metric (support ``"count"`` or
    ``"nonnegative"``) are clipped at 0 and those of a share to ``[0, 1]``.
    ``half_width`` is half the interval's length (``t * std / sqrt(n)`` for
    an unclipped t interval).  Measured coverage: docs/results-and-summaries.md.
    """
    _check_df(df)
    level = check_level(level)
    seed = check_int("seed", seed, 0)
    by_cols = _as_by(df, by)
    names = _as_metrics(df, metrics, by_cols)
    methods = _as_methods(df, names, method)
    values = pd.DataFrame({i: _metric_values(df, m) for i, m in enumerate(names)})
    keys = [df[c].reset_index(drop=True) for c in by_cols]  # aligned with `values`
    index, count, total, mean, std = _group_stats(values, keys)
    n_groups, n_metrics = count.shape

    n_flat = count.ravel()
    mean_flat = np.where(n_flat > 0, mean.ravel(), np.nan)
    std_flat = np.where(n_flat >= 2, std.ravel(), np.nan)
    method_flat = np.tile(np.array(methods, dtype=object), n_groups)
    name_flat = np.tile(np.array(names, dtype=object), n_groups)

    t_half = t_half_width(n_flat, std_flat, level)
    lo, hi = mean_flat - t_half, mean_flat + t_half
    is_t = method_flat == "t"
    if (method_flat == "wilson").any():
        w_lo, w_hi = wilson_bounds(total.ravel(), n_flat.astype(float), z_value(level))
        lo = np.where(method_flat == "wilson", w_lo, lo)
        hi = np.where(method_flat == "wilson", w_hi, hi)
    if (method_flat == "quasi-poisson").any():
        q_lo, q_hi = quasi_poisson_interval(mean_flat, std_flat, n_flat, level)
        lo = np.where(method_flat == "quasi-poisson", q_lo, lo)
        hi = np.where(method_flat == "quasi-poisson", q_hi, hi)
    if (method_flat == "bca").any():
        rows = np.flatnonzero(method_flat == "bca")
        lo, hi = lo.copy(), hi.copy()
        lo[rows], hi[rows] = _bca_rows(values, keys, rows, n_metrics, level, seed)

    support = np.array([metric_support(nm) for nm in name_flat], dtype=object)
    floor0 = np.isin(support, [*NONNEGATIVE_SUPPORTS, "probability"])
    with np.errstate(invalid="ignore"):
        clipped = (floor0 & (lo < 0)) | ((support == "probability") & (hi > 1))
        lo = np.where(floor0 & (lo < 0), 0.0, lo)
        hi = np.where((support == "probability") & (hi > 1), 1.0, hi)
    half = np.where(is_t & ~clipped, t_half, (hi - lo) / 2.0)

    body = pd.DataFrame({
        "metric": name_flat,
        "n": n_flat.astype(np.int64),
        "mean": mean_flat,
        "std": std_flat,
        "ci_low": lo,
        "ci_high": hi,
        "half_width": half,
        "method": method_flat,
    })
    if by_cols:
        out = pd.concat([_key_frame(index, by_cols, df, n_metrics), body], axis=1)
    else:
        out = body
    out.attrs["level"] = level
    return out


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


# --------------------------------------------------------------------------- paired
def _protocol_order(col: pd.Series) -> list[Any]:
    present = col.dropna().unique()
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [c for c in col.dtype.categories if c in set(present)]
    try:
        return sorted(present)
    except TypeError:
        return list(present)


def paired_differences(df: pd.DataFrame, metrics: str | Sequence[str], baseline: str,
                       by: str | Sequence[str] | None = None,
                       level: float = 0.95) -> pd.DataFrame:
    """Per-run differences between protocols played on the same traces.

    Parameters
    ----------
    df : DataFrame
        Per-run results of several protocols, with columns ``protocol`` and
        ``run`` (and ``point``/``seed`` when present).
    metrics : str or list of str
        Numeric columns and/or the probability metrics of :func:`summarize`
        (their difference is the difference of 0/1 indicators).
    baseline : str
        The protocol subtracted from every other one.
    by : str or list of str, optional
        Grouping columns (not ``protocol``).
    level : float, default 0.95
        Two-sided confidence level in ``(0, 1)``.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``protocol``, ``baseline``, ``metric``,
        ``n`` (pairs with both values present), ``mean_diff`` (mean of
        ``protocol - baseline``), ``ci_low``, ``ci_high`` and ``half_width``
        (Student t interval of the mean difference).  One row per (group,
        protocol other than the baseline, metric).

    Raises
    ------
    ValueError
        Missing ``protocol``/``run`` column, baseline absent, no other
        protocol, a run key appearing twice for one protocol, or runs present
        for one protocol but not for the baseline (or vice versa; the message
        says how many), plus the checks of :func:`summarize`.

    Notes
    -----
    A run is identified by the ``by`` columns, ``seed`` and ``point`` (those
    present) and ``run``: with ``SeedSequence(seed, spawn_key=(run,))`` this
    is the trace, so each difference compares two protocols on the same
    trace, which removes the trace-to-trace variance (common random numbers).
    """
    _check_df(df)
    level = check_level(level)
    for col in ("protocol", "run"):
        if col not in df.columns:
            raise ValueError(f"paired_differences needs a {col!r} column")
    by_cols = _as_by(df, by)
    if "protocol" in by_cols:
        raise ValueError("`by` cannot contain 'protocol': differences are taken across it")
    if metrics is None:
        raise ValueError("paired_differences needs `metrics`")
    names = _as_metrics(df, metrics, by_cols)
    if df["protocol"].isna().any():
        raise ValueError(f"column 'protocol' has {int(df['protocol'].isna().sum())} missing "
                         f"value(s)")
    protocols = _protocol_order(df["protocol"])
    if baseline not in protocols:
        raise ValueError(f"baseline protocol {baseline!r} is not in the frame; protocols: "
                         f"{protocols!r}")
    others = [p for p in protocols if p != baseline]
    if not others:
        raise ValueError(f"only the baseline protocol {baseline!r} is in the frame")

    keys = list(dict.fromkeys([*by_cols, *(c for c in ("seed", "point") if c in df), "run"]))
    values = pd.DataFrame({m: _metric_values(df, m) for m in names})
    key_frame = df[keys].reset_index(drop=True)
    proto = df["protocol"].astype(object).to_numpy()

    def block(p: Any) -> pd.DataFrame:
        mask = proto == p
        idx = pd.MultiIndex.from_frame(key_frame[mask])
        dup = int(idx.duplicated().sum())
        if dup:
            raise ValueError(f"protocol {p!r}: {dup} run(s) share a key {tuple(keys)!r} with "
                             f"another run; cannot pair")
        return values[mask].set_index(idx)

    base = block(baseline)
    level_ids = list(range(len(by_cols)))
    parts = []
    for p in others:
        other = block(p)
        missing_in_other = len(base.index.difference(other.index))
        missing_in_base = len(other.index.difference(base.index))
        if missing_in_other or missing_in_base:
            raise ValueError(f"cannot pair protocol {p!r} with baseline {baseline!r}: "
                             f"{missing_in_other} baseline run(s) have no {p!r} counterpart "
                             f"and {missing_in_base} {p!r} run(s) have no baseline "
                             f"counterpart (runs are keyed by {tuple(keys)!r})")
        diff = other - base.reindex(other.index)
        if by_cols:
            g = diff.groupby(level=level_ids, observed=True, dropna=False, sort=True)
            count, mean, std = g.count(), g.mean(), g.std(ddof=1)
            index = count.index
        else:
            count = diff.count().to_frame().T
            mean = diff.mean().to_frame().T
            std = diff.std(ddof=1).to_frame().T
            index = None
        n = count.to_numpy(dtype=np.int64).ravel()
        m = np.where(n > 0, mean.to_numpy(float).ravel(), np.nan)
        s = np.where(n >= 2, std.to_numpy(float).ravel(), np.nan)
        half = t_half_width(n, s, level)
        n_groups = count.shape[0]
        body = pd.DataFrame({
            "protocol": np.full(n_groups * len(names), p, dtype=object),
            "baseline": np.full(n_groups * len(names), baseline, dtype=object),
            "metric": np.tile(np.array(names, dtype=object), n_groups),
            "n": n,
            "mean_diff": m,
            "ci_low": m - half,
            "ci_high": m + half,
            "half_width": half,
            "_group": np.repeat(np.arange(n_groups), len(names)),
            "_proto": others.index(p),
            "_metric": np.tile(np.arange(len(names)), n_groups),
        })
        if by_cols:
            body = pd.concat([_key_frame(index, by_cols, df, len(names)), body], axis=1)
        parts.append(body)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["_group", "_proto", "_metric"], kind="stable")
    out = out.drop(columns=["_group", "_proto", "_metric"]).reset_index(drop=True)
    if isinstance(df["protocol"].dtype, pd.CategoricalDtype):
        out["protocol"] = out["protocol"].astype(df["protocol"].dtype)
    out.attrs["level"] = level
    return out
