"""Summaries of per-run result tables: means with confidence intervals.

:func:`summarize` turns a tidy per-run frame (one row per run, see
:mod:`mdcd_lab.metrics`) into a tidy long frame with one row per (group,
metric): the sample size, mean, standard deviation and a two-sided confidence
interval -- Student's t for numeric metrics, Wilson score for the outcome and
violation probabilities.  :func:`paired_differences` compares protocols run on
the same traces (common random numbers) through per-run differences.

SciPy is not a dependency, so the Student t quantile is computed here
(:func:`student_t_ppf`) by bisection on the t distribution function, itself a
regularized incomplete beta function evaluated by its continued fraction
(:func:`betainc`).  See ``docs/results-and-summaries.md``.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from .metrics import METRIC_NAMES, OUTCOMES, VIOLATIONS

__all__ = ["summarize", "paired_differences", "student_t_ppf", "student_t_cdf", "betainc",
           "wilson_interval", "PROBABILITY_METRICS", "SUMMARY_COLUMNS", "PAIRED_COLUMNS"]

#: Derived 0/1 metrics summarised with Wilson intervals.
PROBABILITY_METRICS = tuple(f"p_{o}" for o in OUTCOMES) + ("p_violation",)
#: Columns of :func:`summarize` after the ``by`` columns.
SUMMARY_COLUMNS = ("metric", "n", "mean", "std", "ci_low", "ci_high", "half_width", "method")
#: Columns of :func:`paired_differences` after the ``by`` columns.
PAIRED_COLUMNS = ("protocol", "baseline", "metric", "n", "mean_diff", "ci_low", "ci_high",
                  "half_width")

_NOT_DEFAULT = ("run", "seed")
#: Above this many degrees of freedom the t quantile uses the Cornish-Fisher expansion.
_CF_DF = 1e3


# --------------------------------------------------------------------------- special functions
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (Numerical Recipes ``betacf``)."""
    maxit = 300 + int(20 * math.sqrt(max(a, b)))
    eps, fpmin = 1e-16, 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > fpmin else fpmin)
    h = d
    for m in range(1, maxit + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > fpmin else fpmin)
        c = 1.0 + aa / c
        c = c if abs(c) > fpmin else fpmin
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > fpmin else fpmin)
        c = 1.0 + aa / c
        c = c if abs(c) > fpmin else fpmin
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            return h
    raise ArithmeticError(f"betacf did not converge for a={a}, b={b}, x={x}")


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function :math:`I_x(a, b)`.

    Parameters
    ----------
    a, b : float
        Positive shape parameters.
    x : float
        Point in ``[0, 1]``.

    Returns
    -------
    float
        :math:`I_x(a, b) = B(x; a, b) / B(a, b)`.

    Notes
    -----
    Continued fraction of Numerical Recipes (``betai``/``betacf``), evaluated
    directly for ``x < (a + 1) / (a + b + 2)`` and through the symmetry
    :math:`I_x(a, b) = 1 - I_{1-x}(b, a)` otherwise, where it converges fast.
    """
    if not (a > 0 and b > 0):
        raise ValueError(f"betainc needs a > 0 and b > 0, got a={a}, b={b}")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"betainc needs 0 <= x <= 1, got x={x}")
    if x == 0.0 or x == 1.0:
        return x
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _t_upper_tail(t: float, df: float) -> float:
    """P[T > t] for t >= 0, computed without cancellation."""
    return 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))


def student_t_cdf(t: float, df: float) -> float:
    """Distribution function of Student's t with ``df`` degrees of freedom.

    Parameters
    ----------
    t : float
        Point.
    df : float
        Degrees of freedom, > 0.

    Returns
    -------
    float
        :math:`P[T \\le t]`.
    """
    if not df > 0:
        raise ValueError(f"degrees of freedom must be > 0, got {df}")
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = _t_upper_tail(abs(t), df)
    return 1.0 - tail if t > 0 else tail


def _cornish_fisher(p: float, df: float) -> float:
    """t quantile from the normal one (Abramowitz & Stegun 26.7.5); for large df."""
    x = NormalDist().inv_cdf(p)
    x2 = x * x
    g1 = (x2 + 1.0) * x / 4.0
    g2 = ((5.0 * x2 + 16.0) * x2 + 3.0) * x / 96.0
    g3 = (((3.0 * x2 + 19.0) * x2 + 17.0) * x2 - 15.0) * x / 384.0
    g4 = ((((79.0 * x2 + 776.0) * x2 + 1482.0) * x2 - 1920.0) * x2 - 945.0) * x / 92160.0
    return x + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@functools.lru_cache(maxsize=4096)
def _t_ppf_upper(p: float, df: float) -> float:
    """Quantile for p > 0.5 by bisection on the upper tail probability."""
    if df > _CF_DF:
        return _cornish_fisher(p, df)
    q = 1.0 - p
    lo, hi = 0.0, 1.0
    while _t_upper_tail(hi, df) > q:
        lo, hi = hi, 2.0 * hi
        if hi > 1e300:
            return math.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _t_upper_tail(mid, df) > q:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 4e-16 * hi:
            break
    return 0.5 * (lo + hi)


def student_t_ppf(p: float, df: float) -> float:
    """Quantile function of Student's t distribution.

    Parameters
    ----------
    p : float
        Probability in ``(0, 1)``.
    df : float
        Degrees of freedom, > 0.

    Returns
    -------
    float
        ``t`` with ``student_t_cdf(t, df) == p``.

    Notes
    -----
    Bisection on :func:`student_t_cdf` (to about 1e-15 relative) for
    ``df <= 1000``; above, the Cornish-Fisher expansion of Abramowitz & Stegun
    26.7.5 around the normal quantile, whose error there is below 1e-12.
    Results are cached.

    Examples
    --------
    >>> round(student_t_ppf(0.975, 10), 4)
    2.2281
    """
    p = float(p)
    df = float(df)
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if not df > 0 or math.isnan(df):
        raise ValueError(f"degrees of freedom must be > 0, got {df}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -_t_ppf_upper(1.0 - p, df)
    return _t_ppf_upper(p, df)


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def wilson_interval(x: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    x : int
        Successes, ``0 <= x <= n``.
    n : int
        Trials; ``n == 0`` gives ``(nan, nan)``.
    level : float
        Confidence level in ``(0, 1)``.

    Returns
    -------
    (float, float)
        Lower and upper bound; exactly 0 when ``x == 0`` and 1 when ``x == n``.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(3, 10)]
    [0.1078, 0.6032]
    """
    level = _check_level(level)
    if n < 0 or x < 0 or x > n:
        raise ValueError(f"wilson_interval needs 0 <= x <= n, got x={x}, n={n}")
    if n == 0:
        return math.nan, math.nan
    lo, hi = _wilson(np.array([x], float), np.array([n], float), _z(level))
    return float(lo[0]), float(hi[0])


def _wilson(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        z2 = z * z
        denom = n + z2
        center = (x + z2 / 2.0) / denom
        half = z / denom * np.sqrt(np.maximum(x * (n - x) / n, 0.0) + z2 / 4.0)
        lo = np.where(x <= 0, 0.0, np.maximum(center - half, 0.0))
        hi = np.where(x >= n, 1.0, np.minimum(center + half, 1.0))
    empty = n <= 0
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def _t_half_width(n: np.ndarray, std: np.ndarray, level: float) -> np.ndarray:
    q = 0.5 + level / 2.0
    half = np.full(len(n), np.nan)
    for i, (k, s) in enumerate(zip(n, std, strict=True)):
        if k >= 2 and not math.isnan(s):
            half[i] = _t_ppf_upper(q, float(k - 1)) * s / math.sqrt(k)
    return half


# --------------------------------------------------------------------------- validation
def _check_level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1), e.g. 0.95; got {level!r}")
    return float(level)


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
def summarize(df: pd.DataFrame, by: str | Sequence[str] | None = None,
              metrics: str | Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
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
        ``(0, 1)``, or an ``outcome`` value outside
        :data:`~mdcd_lab.metrics.OUTCOMES`.

    Notes
    -----
    ``method == "t"``: Student t interval ``mean +- t(1 - a/2, n - 1) * std /
    sqrt(n)``; missing values (NaN, e.g. ``rollback_dist_max`` of a run
    without rollback) are dropped per metric, and ``n < 2`` gives NaN
    ``std``, ``half_width`` and bounds.  ``method == "wilson"``: Wilson score
    interval of the proportion ``mean``; it is not symmetric about the mean,
    so ``half_width`` is half its length; ``std`` is the sample standard
    deviation of the 0/1 indicator.  Runs with a missing outcome (or a
    missing violation column and no positive one) are left out of ``n``.
    """
    _check_df(df)
    level = _check_level(level)
    by_cols = _as_by(df, by)
    names = _as_metrics(df, metrics, by_cols)
    values = pd.DataFrame({i: _metric_values(df, m) for i, m in enumerate(names)})
    keys = [df[c].reset_index(drop=True) for c in by_cols]  # aligned with `values`
    index, count, total, mean, std = _group_stats(values, keys)
    n_groups, n_metrics = count.shape
    is_prob = np.array([_is_probability(df, m) for m in names])
    prob = np.broadcast_to(is_prob, count.shape)

    n_flat = count.ravel()
    mean_flat = np.where(n_flat > 0, mean.ravel(), np.nan)
    std_flat = np.where(n_flat >= 2, std.ravel(), np.nan)
    prob_flat = prob.ravel()
    half = _t_half_width(n_flat, std_flat, level)
    lo, hi = mean_flat - half, mean_flat + half
    w_lo, w_hi = _wilson(total.ravel(), n_flat.astype(float), _z(level))
    lo = np.where(prob_flat, w_lo, lo)
    hi = np.where(prob_flat, w_hi, hi)
    half = np.where(prob_flat, (w_hi - w_lo) / 2.0, half)

    body = pd.DataFrame({
        "metric": np.tile(np.array(names, dtype=object), n_groups),
        "n": n_flat.astype(np.int64),
        "mean": mean_flat,
        "std": std_flat,
        "ci_low": lo,
        "ci_high": hi,
        "half_width": half,
        "method": np.where(prob_flat, "wilson", "t").astype(object),
    })
    if by_cols:
        out = pd.concat([_key_frame(index, by_cols, df, n_metrics), body], axis=1)
    else:
        out = body
    out.attrs["level"] = level
    return out


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
    level = _check_level(level)
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
    q = 0.5 + level / 2.0
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
        half = np.array([_t_ppf_upper(q, float(k - 1)) * sd / math.sqrt(k)
                         if k >= 2 and not math.isnan(sd) else np.nan
                         for k, sd in zip(n, s, strict=True)])
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
