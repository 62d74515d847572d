"""Where to guard: the optimum of a duration study (docs/performability.md).

From the paired per-run worth of every duration phi (the same runs at every phi):
``best_set``, the durations not significantly below the best (multiple
comparison with the best); ``smooth_optimum``, the maximum of a quadratic
fitted near the top with a bootstrap interval; ``refine_grid``, a finer grid
around a coarse optimum.  [`summarize_duration`][mdcd_lab.performability.summarize_duration]
uses them.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["best_set", "smooth_optimum", "refine_grid"]


def refine_grid(phis: np.ndarray, optima: np.ndarray, points: int) -> np.ndarray:
    """The finer grid of ``refine=True``: ``points`` equally spaced durations strictly
    between the grid neighbours of each optimum in ``optima`` (union, sorted, without
    the grid's own points)."""
    phis = np.asarray(phis, dtype=float)
    out: set[float] = set()
    for opt in optima:
        k = int(np.argmin(np.abs(phis - opt)))
        lo, hi = phis[max(k - 1, 0)], phis[min(k + 1, len(phis) - 1)]
        if hi > lo:
            out.update(float(x) for x in np.linspace(lo, hi, points + 2)[1:-1])
    return np.array(sorted(out - {float(p) for p in phis}), dtype=float)


def best_set(W: np.ndarray, boot: np.ndarray, level: float) -> np.ndarray:
    """The durations whose mean worth is not significantly below the best one.

    Multiple comparison with the best on paired runs (Hsu, *Multiple Comparisons*,
    1996, ch. 4), with simultaneous bounds from a bootstrap of the largest
    studentized deviation (max-t) over all ordered pairs: with ``d_ij`` the mean of
    the per-run differences ``W_i - W_j``, ``s_ij`` its standard error and ``q`` the
    ``level`` quantile of ``max_{i != j} (d*_ij - d_ij) / s_ij`` over the bootstrap
    resamples (``*``), the bounds ``d_ij >= d_ij^ - q s_ij`` hold together with
    probability about ``level``, and phi_j is in the set unless some ``d_ij^ - q
    s_ij > 0`` (another phi is surely better).  The best phi is in the set with
    probability at least ``level`` (approximately: a bootstrap), whatever the ties.

    Parameters
    ----------
    W : ndarray
        Per-run worth, runs x durations (the same runs in every column: paired).
    boot : ndarray
        Resampled column means, resamples x durations (the same resamples for every
        column).
    level : float

    Returns
    -------
    ndarray of bool
        One flag per duration; the grid's argmax is always in the set.
    """
    n, K = W.shape
    mean = W.mean(axis=0)
    d = mean[:, None] - mean[None, :]
    if n < 2:
        return np.ones(K, dtype=bool)
    diff = W[:, :, None] - W[:, None, :]
    s = diff.std(axis=0, ddof=1) / math.sqrt(n)
    pairs = ~np.eye(K, dtype=bool) & (s > 0)
    if pairs.any():
        dev = (boot[:, :, None] - boot[:, None, :] - d)[:, pairs] / s[pairs]
        q = max(float(np.quantile(dev.max(axis=1), level)), 0.0)
    else:
        q = 0.0
    # a pair without spread differs in no run: d_ij = 0 exactly, never "surely better"
    better = (d - q * s > 1e-12 * (1.0 + np.abs(mean).max())) & ~np.eye(K, dtype=bool)
    return ~better.any(axis=0)


def smooth_optimum(phis: np.ndarray, mean: np.ndarray, boot: np.ndarray,
                   in_set: np.ndarray, level: float) -> tuple[float, float, float]:
    """The maximum of a quadratic fitted to the mean worth near the top, with a
    bootstrap percentile interval.

    The fit window runs from one grid point before the best set (``best_set``) to
    one after it (at least three points); the quadratic is fitted by least squares to
    the mean worth there, and again to every resample's means on the same window
    (paired).  Its maximum is the vertex where the quadratic is concave and inside the
    window, else the better end of the window.  Returns ``(phi, low, high)``; NaN with
    fewer than three durations.
    """
    K = len(phis)
    if K < 3:
        return math.nan, math.nan, math.nan
    idx = np.flatnonzero(in_set)
    a, b = max(int(idx.min()) - 1, 0), min(int(idx.max()) + 1, K - 1)
    if b - a < 2:
        a, b = (0, 2) if a == 0 else (max(b - 2, 0), b)
    x = phis[a:b + 1]
    mid, span = (x[0] + x[-1]) / 2.0, (x[-1] - x[0]) / 2.0
    xs = (x - mid) / span
    Y = np.column_stack([mean[a:b + 1], boot[:, a:b + 1].T])
    c2, c1, c0 = np.polyfit(xs, Y, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        vertex = np.where(c2 < 0, -c1 / (2.0 * c2), np.nan)
    ends = np.where(c2 + c1 + c0 >= c2 - c1 + c0, 1.0, -1.0)   # the better end
    top = np.where(np.isfinite(vertex) & (np.abs(vertex) <= 1.0), vertex, ends)
    top = mid + span * top
    alpha = 1.0 - level
    lo, hi = np.quantile(top[1:], [alpha / 2, 1 - alpha / 2])
    return float(top[0]), float(lo), float(hi)
