"""Confidence intervals of a mean: Student t, Hall's skewness-corrected t, hurdle,
quasi-Poisson, Wilson, Clopper-Pearson, BCa bootstrap.

The interval functions behind [`mdcd_lab.stats.summary.summarize`][mdcd_lab.stats.summarize],
vectorised over many samples, the rule that picks a metric's default interval from its
family (``AUTO_METHODS``, by the support of
[`mdcd_lab.metrics.SUPPORTS`][mdcd_lab.metrics.SUPPORTS]) and the smallest sample at which
``summarize`` calls it reliable (``MIN_RELIABLE_N``), both in one place, and the guard of the lower
bound of a metric that grows with the run's length (``rare_mode_factor``).  Every
distribution function and the bootstrap come from ``scipy.stats``.  Measured coverage:
``benchmarks/interval_coverage.py``, tabulated in ``docs/results-and-summaries.md``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats

from .._checks import check_level
from ..metrics import METRICS, OUTCOMES

__all__ = ["wilson_interval", "wilson_bounds", "quasi_poisson_interval", "t_half_width",
           "bca_interval", "z_value",
           "metric_support", "auto_method", "PROBABILITY_METRICS", "INTERVAL_METHODS",
           "BOOTSTRAP_RESAMPLES", "hurdle_interval", "hall_interval", "clopper_pearson_bounds",
           "MIN_RELIABLE_N", "AUTO_METHODS", "min_reliable_n", "RARE_MODE_RUNS",
           "rare_mode_factor"]

#: Derived 0/1 metrics summarised with Wilson intervals.
PROBABILITY_METRICS = tuple(f"p_{o}" for o in OUTCOMES) + ("p_violation",)
#: Accepted values of ``summarize(method=...)``.
INTERVAL_METHODS = ("auto", "t", "hall", "quasi-poisson", "hurdle", "wilson",
                    "clopper-pearson", "bca")
#: Bootstrap resamples of ``method="bca"``.
BOOTSTRAP_RESAMPLES = 9999

#: Smallest sample size (non-missing values of the metric) at which ``summarize``
#: calls an interval reliable (column ``ci_reliable``), per family
#: (``metric_support``), from the coverage measured by
#: ``benchmarks/interval_coverage.py`` on scenarios drawn at random
#: (docs/results-and-summaries.md, *Coverage*): the default interval of counts and
#: non-negative reals misses at n = 10 where a few percent of the runs end early or
#: hold all of the metric; Clopper-Pearson covers at every n (a theorem); Student t
#: of the signed metrics covered from n = 10.
MIN_RELIABLE_N = {"count": 30, "nonnegative": 30, "probability": 1, "real": 10}
#: Early endings (runs whose outcome is ``'failed'`` or ``'recovered'``) a sample must
#: hold for the interval of a metric that grows with the run's length
#: ([`mdcd_lab.metrics.RUN_LENGTH_METRICS`][mdcd_lab.metrics.RUN_LENGTH_METRICS]) to be computed
#: from its spread alone; with fewer, its lower end is multiplied by ``rare_mode_factor`` (the same
#: threshold as the two non-zero values a non-negative sample needs to bound anything).
RARE_MODE_RUNS = 2

_SUPPORT = {m.name: m.support for m in METRICS}


def z_value(level: float) -> float:
    """Two-sided normal quantile ``z(1/2 + level/2)``."""
    return float(stats.norm.ppf(0.5 + level / 2.0))


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
    level = check_level(level)
    if n < 0 or x < 0 or x > n:
        raise ValueError(f"wilson_interval needs 0 <= x <= n, got x={x}, n={n}")
    if n == 0:
        return math.nan, math.nan
    lo, hi = wilson_bounds(np.array([x], float), np.array([n], float), z_value(level))
    return float(lo[0]), float(hi[0])


def clopper_pearson_bounds(x: np.ndarray, n: np.ndarray,
                           level: float) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Clopper-Pearson ("exact") bounds of ``x`` successes out of ``n``:
    Beta quantiles ``B(a/2; x, n - x + 1)`` and ``B(1 - a/2; x + 1, n - x)``, 0 at
    ``x = 0`` and 1 at ``x = n``; coverage at least ``level`` for every ``p`` and ``n``
    (NaN where ``n == 0``)."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    alpha = 1.0 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(x <= 0, 0.0, stats.beta.ppf(alpha / 2.0, np.maximum(x, 1e-300),
                                                  np.maximum(n - x + 1.0, 1e-300)))
        hi = np.where(x >= n, 1.0, stats.beta.ppf(1.0 - alpha / 2.0, x + 1.0,
                                                  np.maximum(n - x, 1e-300)))
    empty = n <= 0
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def rare_mode_factor(k: Any, n: Any, level: float) -> np.ndarray:
    """Factor of the lower bound of a metric that grows with the run's length, given
    ``k`` early endings out of ``n`` runs: ``1 - q_hi`` where ``k <`` ``RARE_MODE_RUNS``,
    1 otherwise.

    ``q_hi`` is the Clopper-Pearson upper bound (``clopper_pearson_bounds`` at
    ``level``) of the share ``q`` of runs that end early.  For a non-negative metric ``X``,
    ``E[X] = (1 - q) E[X | completed] + q E[X | early] >= (1 - q) E[X | completed]``
    whatever the early runs hold, so a lower bound ``L`` of the runs that completed
    becomes ``(1 - q_hi) L``: a sample with no early ending (or one) cannot see how many
    runs end early, and its spread says nothing of them.  ``1 - q_hi`` of ``k = 0`` is
    ``(a/2)^(1/n)`` (0.884 at ``n = 30``, 0.964 at 100, 0.996 at 1000 for 95%).  With
    ``k = 1``, ``L`` of the whole sample (which holds the early run, so it is lower)
    stands in for that of the completed runs.  The two bounds, each two-sided at
    ``level``, leave a lower tail of at most ``1 - level`` (Bonferroni), not
    ``(1 - level) / 2``; the coverage measured is in docs/results-and-summaries.md.

    Examples
    --------
    >>> [round(float(v), 4) for v in rare_mode_factor([0, 1, 2], [30, 30, 30], 0.95)]
    [0.8843, 0.8278, 1.0]
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    _, q_hi = clopper_pearson_bounds(k, n, level)
    return np.where(k < RARE_MODE_RUNS, 1.0 - q_hi, 1.0)


def wilson_bounds(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson bounds of ``x`` successes out of ``n`` (NaN where ``n == 0``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z2 = z * z
        denom = n + z2
        center = (x + z2 / 2.0) / denom
        half = z / denom * np.sqrt(np.maximum(x * (n - x) / n, 0.0) + z2 / 4.0)
        lo = np.where(x <= 0, 0.0, np.maximum(center - half, 0.0))
        hi = np.where(x >= n, 1.0, np.minimum(center + half, 1.0))
    empty = n <= 0
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def t_half_width(n: np.ndarray, std: np.ndarray, level: float) -> np.ndarray:
    """``t(1 - a/2, n - 1) * std / sqrt(n)``; NaN where ``n < 2``."""
    n = np.asarray(n, dtype=float)
    ok = (n >= 2) & np.isfinite(std)
    df = np.where(ok, n - 1.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + level / 2.0, df) * std / np.sqrt(n)
    return np.where(ok, half, np.nan)


def quasi_poisson_interval(mean: Any, std: Any, n: Any,
                           level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Quasi-Poisson interval of the mean of a non-negative count.

    Parameters
    ----------
    mean, std, n : array-like
        Sample mean, sample standard deviation (``ddof=1``) and size of each
        sample; the values must be non-negative.
    level : float, default 0.95
        Two-sided confidence level in ``(0, 1)``.

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper bounds; NaN where ``n < 2``.

    Notes
    -----
    The exact (Garwood) Poisson interval of the total ``S = n * mean``,
    ``[G(a/2; S), G(1 - a/2; S + 1)] / n`` with ``G(p; k)`` the ``p``
    quantile of the Gamma(k, 1) law, applied to the *effective* count
    ``S / phi`` out of ``n / phi`` runs, where the dispersion

    ``phi = max(1, std**2 / mean * (t(1 - a/2, n - 1) / z(1 - a/2))**2)``

    is the variance-to-mean ratio (1 for Poisson counts), inflated by the
    squared ratio of the Student and normal quantiles for the uncertainty of
    its estimate, and never below 1 (at least Poisson spread).  For a sample of
    zeros (no spread to estimate) ``phi = 1``: the bound is ``[0, -ln(a/2) / n]`` (3.69 / n at 95%),
    never of zero width; the lower bound is 0 only when ``S == 0`` and never
    negative.  For large samples it tends to ``mean +- z * std / sqrt(n)``
    when ``std**2 > mean``, and it is conservative (wider than Student's t)
    for under-dispersed counts.  Coverage for a skewed, mostly-zero count is
    tabulated in ``docs/results-and-summaries.md``.

    Examples
    --------
    >>> lo, hi = quasi_poisson_interval([0.0], [0.0], [10])
    >>> float(lo[0]), round(float(hi[0]), 4)
    (0.0, 0.3689)
    """
    level = check_level(level)
    mean, std, n = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (mean, std, n))
    alpha = 1.0 - level
    ok = (n >= 2) & np.isfinite(mean) & np.isfinite(std)
    nn = np.where(ok, n, 2.0)
    m = np.where(ok, mean, 0.0)
    s = np.where(ok, std, 0.0)
    inflate = (stats.t.ppf(1.0 - alpha / 2.0, nn - 1.0) / stats.norm.ppf(1.0 - alpha / 2.0)) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = s * s / np.where(m > 0, m, 1.0)
    phi = np.where(m > 0, np.maximum(1.0, ratio * inflate), 1.0)
    count = nn * m / phi
    runs = nn / phi
    lo = np.where(count > 0, stats.gamma.ppf(alpha / 2.0, np.where(count > 0, count, 1.0)),
                  0.0) / runs
    hi = stats.gamma.ppf(1.0 - alpha / 2.0, count + 1.0) / runs
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)


def hall_interval(mean: Any, std: Any, skew: Any, n: Any,
                  level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Skewness-corrected t interval of a mean (Hall's transformation).

    Hall, *On the removal of skewness by transformation* (JRSS B 54, 1992), as
    used by Zhou & Dinh (Biostatistics 6, 2005): with ``T = (mean - mu) / std``
    and the sample skewness ``g`` (adjusted Fisher-Pearson),
    ``h(T) = T + g T^2 / 3 + g^2 T^3 / 27 + g / (6 n)`` is monotone and
    ``sqrt(n) h(T)`` is nearly Student-t; inverting
    ``h^-1(x) = 3 / g ((1 + g (x - g / (6 n)))^(1/3) - 1)`` gives

    ``[mean - std h^-1(q / sqrt(n)), mean - std h^-1(-q / sqrt(n))]``,
    ``q = t(1 - a/2, n - 1)``,

    longer on the side of the skew.  ``g = 0`` gives Student's t.

    Parameters
    ----------
    mean, std, skew, n : array-like
        Sample mean, standard deviation (``ddof=1``), skewness and size.
    level : float, default 0.95

    Returns
    -------
    (ndarray, ndarray)
        Bounds; NaN where ``n < 3`` or the skewness is not finite.

    Examples
    --------
    >>> lo, hi = hall_interval([1.0], [1.0], [0.0], [10])
    >>> [round(float(lo[0]), 4), round(float(hi[0]), 4)]
    [0.2846, 1.7154]
    >>> lo, hi = hall_interval([1.0], [1.0], [2.0], [10])
    >>> bool(hi[0] - 1.0 > 1.0 - lo[0])
    True
    """
    level = check_level(level)
    mean, std, g, n = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (mean, std, skew, n))
    ok = (n >= 3) & np.isfinite(mean) & np.isfinite(std) & np.isfinite(g)
    nn = np.where(ok, n, 3.0)
    gg = np.where(ok, g, 0.0)
    q = stats.t.ppf(0.5 + level / 2.0, nn - 1.0) / np.sqrt(nn)
    small = np.abs(gg) < 1e-9

    def inverse(x: np.ndarray) -> np.ndarray:
        safe = np.where(small, 1.0, gg)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = 3.0 / safe * (np.cbrt(1.0 + safe * (x - safe / (6.0 * nn))) - 1.0)
        return np.where(small, x, y)

    lo = mean - std * inverse(q)
    hi = mean - std * inverse(-q)
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)


def hurdle_interval(n: Any, k: Any, mean_pos: Any, std_pos: Any, level: float = 0.95,
                    skew_pos: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Hurdle interval of the mean of a non-negative, possibly zero-heavy metric.

    The mean is ``p * mu``: ``p = P(X > 0)`` and ``mu = E[X | X > 0]``.  Its
    interval combines the Wilson interval of ``p`` (``k`` non-zero values out of
    ``n``) and the interval of ``mu`` from the ``k`` non-zero values (Hall's
    skewness-corrected t given ``skew_pos``, Student t without) by the MOVER
    rule on the log scale (Zou & Donner, *Construction of confidence
    limits about effect measures: a general approach*, Statistics in Medicine 27,
    2008): with estimates ``p^``, ``mu^`` and bounds ``(l1, u1)``, ``(l2, u2)``,

    ``lower = p^ mu^ exp(-sqrt(ln(p^/l1)^2 + ln(mu^/l2)^2))``,
    ``upper = p^ mu^ exp(+sqrt(ln(u1/p^)^2 + ln(u2/mu^)^2))``

    (``lower = 0`` where ``l2 <= 0``).

    Parameters
    ----------
    n, k : array-like
        Sample sizes and numbers of non-zero values.
    mean_pos, std_pos : array-like
        Mean and sample standard deviation (``ddof=1``) of the non-zero values.
    level : float, default 0.95
        Two-sided confidence level in ``(0, 1)``.
    skew_pos : array-like, optional
        Sample skewness of the non-zero values (``hall_interval``); without
        it, or where it is not finite, Student t.

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper bounds.  A sample without zeros (``k == n``) gets the
        interval of its mean (``p^ = 1`` adds no width).  Where ``k < 2`` the
        mean of the non-zero values has no interval: the bounds are ``[0, inf)``
        (an all-zero sample bounds nothing without a bound on the non-zero values;
        ``summarize`` flags it ``ci_reliable = False``).  NaN where ``n == 0``.

    Examples
    --------
    >>> lo, hi = hurdle_interval([10, 10], [0, 10], [np.nan, 2.0], [np.nan, 0.5])
    >>> float(lo[0]), float(hi[0])
    (0.0, inf)
    >>> [round(float(v), 4) for v in (lo[1], hi[1])]
    [1.6423, 2.3577]
    """
    level = check_level(level)
    n, k, mu, sd = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (n, k, mean_pos, std_pos))
    z = z_value(level)
    many = k >= 2
    kk = np.where(many, k, 2.0)
    mu = np.where(many, mu, 1.0)
    sd = np.where(many & np.isfinite(sd), sd, 0.0)
    half = t_half_width(kk, sd, level)
    l2, u2 = mu - half, mu + half
    if skew_pos is not None:
        h_lo, h_hi = hall_interval(mu, sd, skew_pos, kk, level)
        l2 = np.where(np.isfinite(h_lo), h_lo, l2)
        u2 = np.where(np.isfinite(h_hi), h_hi, u2)
    p = np.where(n > 0, k / np.where(n > 0, n, 1.0), 0.0)
    l1, u1 = wilson_bounds(k, n, z)
    hurdle = many & (k < n)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_lo = np.sqrt(np.log(np.where(hurdle, p / l1, 1.0)) ** 2
                       + np.log(np.where(l2 > 0, mu / np.where(l2 > 0, l2, 1.0), 1.0)) ** 2)
        d_hi = np.sqrt(np.log(np.where(hurdle, u1 / p, 1.0)) ** 2 + np.log(u2 / mu) ** 2)
        lo = np.where(hurdle, np.where(l2 > 0, p * mu * np.exp(-d_lo), 0.0), l2)
        hi = np.where(hurdle, p * mu * np.exp(d_hi), u2)
    lo = np.where(many, np.maximum(lo, 0.0), 0.0)
    hi = np.where(many, hi, math.inf)
    empty = n <= 0
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def bca_interval(values: np.ndarray, level: float, seed: int, key: int) -> tuple[float, float]:
    """BCa bootstrap interval of the mean (``scipy.stats.bootstrap``)."""
    if len(values) < 2 or np.all(values == values[0]):
        return math.nan, math.nan
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap((values,), np.mean, n_resamples=BOOTSTRAP_RESAMPLES,
                              confidence_level=level, method="BCa", vectorized=True,
                              batch=max(1, min(BOOTSTRAP_RESAMPLES, 2_000_000 // len(values))),
                              rng=rng)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def metric_support(name: str) -> str:
    """Support of a summary metric: ``"probability"`` for the ``p_*`` shares, the
    [`SUPPORTS`][mdcd_lab.metrics.SUPPORTS] entry of a per-run metric, ``"real"`` for any
    other column."""
    if name in PROBABILITY_METRICS:
        return "probability"
    return _SUPPORT.get(name, "real")


#: The default interval of each family (``metric_support``): the one place where
#: ``method="auto"`` is decided (docs/results-and-summaries.md, *Intervals*).
AUTO_METHODS = {"probability": "clopper-pearson", "count": "hall", "nonnegative": "hall",
                "real": "t"}


def min_reliable_n(name: str) -> int:
    """``MIN_RELIABLE_N`` of metric ``name``'s family (``"real"`` for any other)."""
    return MIN_RELIABLE_N.get(metric_support(name), MIN_RELIABLE_N["real"])


def auto_method(name: str, probability: bool) -> str:
    """The default interval method of metric ``name`` (``AUTO_METHODS``)."""
    return AUTO_METHODS["probability" if probability else metric_support(name)
                        if metric_support(name) in AUTO_METHODS else "real"]
