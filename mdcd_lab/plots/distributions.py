"""Distribution of a per-run metric across runs: ECDF or histogram per group.

Means hide what a paper reader wants to know about costs such as the rollback
distance, the log memory or the number of checkpoints: the tail.  An ECDF
shows every run; a histogram shows the shape.  Runs where the metric is
undefined (NaN, e.g. ``rollback_dist_max`` of a run without rollback) are
left out and counted in the legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .axes import legend_below, plain_log_axis, style_axes
from .labels import metric_label
from .style import group_style, new_figure, style_context

__all__ = ["plot_distribution", "DISTRIBUTION_KINDS"]

#: Accepted values of ``kind``.
DISTRIBUTION_KINDS = ("ecdf", "hist")


def _groups(df: pd.DataFrame, metric: str, by: str | None) -> list[tuple[Any, np.ndarray, int]]:
    """(group value, finite values, number of runs) per group, in group order."""
    if by is None:
        values = df[metric].to_numpy(dtype=float)
        return [(None, values[~np.isnan(values)], len(values))]
    out = []
    for key, part in df.groupby(by, observed=True, sort=True, dropna=False):
        key = key[0] if isinstance(key, tuple) else key
        values = part[metric].to_numpy(dtype=float)
        out.append((key, values[~np.isnan(values)], len(values)))
    return out


def _is_integer_valued(values: list[np.ndarray]) -> bool:
    allv = np.concatenate(values) if values else np.zeros(0)
    return allv.size > 0 and bool(np.all(np.isfinite(allv))) and bool(
        np.all(allv == np.round(allv)))


def _bin_edges(values: list[np.ndarray], bins: int | str | Sequence[float]) -> np.ndarray:
    allv = np.concatenate(values)
    if not isinstance(bins, str) or bins != "auto":
        return np.histogram_bin_edges(allv, bins=bins)
    lo, hi = float(allv.min()), float(allv.max())
    if _is_integer_valued(values) and hi - lo <= 60:
        return np.arange(lo - 0.5, hi + 1.5)   # one bin per integer value
    return np.histogram_bin_edges(allv, bins="auto")


def plot_distribution(df: pd.DataFrame, metric: str, by: str | None = "protocol",
                      kind: str = "ecdf", ax: Axes | None = None, *,
                      bins: int | str | Sequence[float] = "auto", logx: bool = False,
                      legend: bool = True) -> Figure:
    """Distribution of a metric over runs, one ECDF or histogram per group.

    Parameters
    ----------
    df : DataFrame
        Per-run results (from [`mdcd_lab.simulate`][mdcd_lab.api.simulate] or a sweep; select one
        study point first if the frame holds several).
    metric : str
        A numeric column, e.g. ``"rollback_dist_max"``, ``"log_entries_peak"``,
        ``"ckpt_total"``.
    by : str or None, default "protocol"
        One curve per value (protocols keep their colours).
    kind : {"ecdf", "hist"}, default "ecdf"
        ``"ecdf"``: fraction of runs with a value ``<= x``, a step line that
        reaches 1 at the largest value.  ``"hist"``: step histograms on shared
        bins, normalised to the fraction of each group's runs (so groups of
        different sizes compare); integer metrics get one bin per value.
    ax : Axes, optional
        Draw here (the legend goes under it); default: a new single-column
        figure.
    bins : int, str or sequence, default "auto"
        Histogram bins (``numpy.histogram_bin_edges``); ignored for ECDFs.
    logx : bool
        Logarithmic x axis (non-positive values are then not shown).
    legend : bool, default True
        Draw the legend under the axes; each entry gives the number of runs
        with a value, and of all runs when some had none (NaN).

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        Unknown ``kind``, missing or non-numeric column, or no finite value.
    """
    if kind not in DISTRIBUTION_KINDS:
        raise ValueError(f"kind must be one of {DISTRIBUTION_KINDS}, got {kind!r}")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame of per-run results, got "
                        f"{type(df).__name__}")
    for col in (metric, by):
        if col is not None and col not in df.columns:
            raise ValueError(f"column {col!r} is not in the frame; columns: "
                             f"{', '.join(map(str, df.columns))}")
    if not pd.api.types.is_numeric_dtype(df[metric]) or pd.api.types.is_bool_dtype(df[metric]):
        raise ValueError(f"metric {metric!r} is not numeric (dtype {df[metric].dtype})")
    groups = _groups(df, metric, by)
    if not any(v.size for _, v, _ in groups):
        raise ValueError(f"metric {metric!r} has no finite value to plot")
    own = ax is None
    with style_context():
        if ax is None:
            fig, ax = new_figure("single")
        else:
            fig = ax.figure
        handles, labels = [], []
        edges = _bin_edges([v for _, v, _ in groups if v.size], bins) if kind == "hist" \
            else None
        for pos, (key, values, n_all) in enumerate(groups):
            if values.size == 0:
                continue
            style = group_style(by, key, pos)
            label = "all runs" if by is None else str(key)
            label += f" (n={values.size}" + (f" of {n_all})" if values.size < n_all else ")")
            if kind == "ecdf":
                xs = np.sort(values)
                ys = np.arange(1, xs.size + 1) / xs.size
                xs = np.concatenate([[xs[0]], xs])
                ys = np.concatenate([[0.0], ys])
                (line,) = ax.plot(xs, ys, drawstyle="steps-post", color=style["color"],
                                  linestyle=style["linestyle"], label=label)
                line.set_gid("ecdf")
                handles.append(line)
            else:
                weights = np.full(values.size, 1.0 / values.size)
                _, _, patches = ax.hist(values, bins=edges, weights=weights,
                                        histtype="step", color=style["color"],
                                        linestyle=style["linestyle"], linewidth=1.3,
                                        label=label)
                for p in patches:
                    p.set_gid("hist")
                handles.append(Line2D([], [], color=style["color"],
                                      linestyle=style["linestyle"], linewidth=1.3))
            labels.append(label)
        ax.set_xlabel(metric_label(metric))
        if kind == "ecdf":
            ax.set_ylabel("fraction of runs \u2264 x")
            ax.set_ylim(-0.02, 1.02)
        else:
            ax.set_ylabel("fraction of runs per bin")
            ax.set_ylim(bottom=0)
        if logx:
            ax.set_xscale("log")
            plain_log_axis(ax.xaxis)
        style_axes(ax)
        if legend:
            legend_below(ax, handles, labels, grow_figure=own)
    return fig
