"""Confidence intervals of a mean: Student t, Wilson, quasi-Poisson, BCa bootstrap.

The interval functions behind :func:`mdcd_lab.stats.summary.summarize`, vectorised
over many samples, and the rule that picks a metric's default interval from
its support (:data:`mdcd_lab.metrics.SUPPORTS`).  Every distribution function
and the bootstrap come from :mod:`scipy.stats`.  Measured coverage:
``docs/results-and-summaries.md``.
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
           "BOOTSTRAP_RESAMPLES"]

#: Derived 0/1 metrics summarised with Wilson intervals.
PROBABILITY_METRICS = tuple(f"p_{o}" for o in OUTCOMES) + ("p_violation",)
#: Accepted values of ``summarize(method=...)``.
INTERVAL_METHODS = ("auto", "t", "quasi-poisson", "wilson", "bca")
#: Bootstrap resamples of ``method="bca"``.
BOOTSTRAP_RESAMPLES = 9999

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
    :data:`~mdcd_lab.metrics.SUPPORTS` entry of a per-run metric, ``"real"`` for any
    other column."""
    if name in PROBABILITY_METRICS:
        return "probability"
    return _SUPPORT.get(name, "real")


def auto_method(name: str, probability: bool) -> str:
    if probability:
        return "wilson"
    return "quasi-poisson" if metric_support(name) == "count" else "t"
