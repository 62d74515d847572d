"""A metric against a swept parameter, with confidence bands.

Both functions take a per-run sweep table (one row per run, every Scenario
field as a column, plus ``protocol``, ``point``, ``run``, ``seed`` and the
metrics; [`mdcd_lab.studies.sweep`][mdcd_lab.studies.sweep.sweep] makes one), summarise it with
[`mdcd_lab.stats.summary.summarize`][mdcd_lab.stats.summarize] and draw the means with their
confidence intervals as shaded bands.  They also take such a summary itself (a table with
``metric``, ``mean``, ``ci_low``, ``ci_high`` and ``method``, as the figure
set's CSVs hold), and draw it as it is.  They never simulate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..stats.summary import summarize
from ..stats.wide import method_names
from .axes import legend_below, log_axis_at, plain_log_axis, style_axes
from .labels import field_label, metric_label
from .style import group_style, new_figure, style_context

__all__ = ["plot_sweep", "plot_outcomes", "ci_label", "method_names"]

#: The columns that make a table a summary
#: ([`mdcd_lab.stats.summary.summarize`][mdcd_lab.stats.summarize]) rather than per-run results.
SUMMARY_COLUMNS = ("metric", "mean", "ci_low", "ci_high", "method")

_OUTCOME_METRICS = {"failed": "p_failed", "recovered": "p_recovered", "completed": "p_completed"}


def _as_by(df: pd.DataFrame, by: str | Sequence[str] | None, x: str) -> list[str]:
    if by is None:
        cols: list[str] = []
    elif isinstance(by, str):
        cols = [by]
    else:
        cols = list(by)
    for c in cols:
        if c not in df.columns:
            raise ValueError(f"`by` column {c!r} is not in the frame; columns: "
                             f"{', '.join(map(str, df.columns))}")
    if x in cols:
        raise ValueError(f"`by` cannot contain the x column {x!r}")
    return cols


def _check_frame(df: Any, x: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame of per-run results, got "
                        f"{type(df).__name__}")
    if len(df) == 0:
        raise ValueError("the frame is empty: nothing to plot")
    if x not in df.columns:
        raise ValueError(f"x column {x!r} is not in the frame; columns: "
                         f"{', '.join(map(str, df.columns))}")


def _check_not_pooled(df: pd.DataFrame, x: str, by_cols: list[str]) -> None:
    """Refuse to average over another Scenario field that varies at fixed (x, by)."""
    from ..scenario import FIELDS

    others = [f for f in FIELDS if f in df.columns and f != x and f not in by_cols]
    if not others:
        return
    counts = df.groupby([x, *by_cols], observed=True, dropna=False)[others].nunique(
        dropna=False)
    varying = [f for f in others if int(counts[f].max()) > 1]
    if varying:
        f = varying[0]
        values = sorted(map(str, pd.unique(df[f])))[:5]
        raise ValueError(f"Scenario field {f!r} varies at fixed {x!r} (values {values}); "
                         f"a line would average over it.  Select one value first, e.g. "
                         f"df[df[{f!r}] == ...], or add it to `by`")


def _x_values(col: pd.Series) -> tuple[np.ndarray, list[Any] | None]:
    """Numeric x positions, and tick labels when x is not numeric."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=float), None
    if isinstance(col.dtype, pd.CategoricalDtype):
        order = [c for c in col.dtype.categories if c in set(col.dropna())]
    else:
        order = sorted(pd.unique(col.dropna()), key=str)
    pos = {v: i for i, v in enumerate(order)}
    return np.array([pos.get(v, np.nan) for v in col], dtype=float), order


def _line_style(by_cols: list[str], key: tuple, groups: list, pos: int) -> dict[str, Any]:
    """Style of one line: with ``protocol`` among several ``by`` columns, the protocol's
    colour and the other columns' combination as line style and marker (in order of
    appearance), so that protocols keep their colours in every figure."""
    if len(by_cols) > 1 and "protocol" in by_cols:
        i = by_cols.index("protocol")
        rest = [k[:i] + k[i + 1:] for k, _ in groups]
        rank = list(dict.fromkeys(rest)).index(key[:i] + key[i + 1:])
        other = group_style(None, None, rank)
        return {"color": group_style("protocol", key[i], pos)["color"],
                "linestyle": other["linestyle"], "marker": other["marker"]}
    return group_style(by_cols[0] if len(by_cols) == 1 else None, key[0], pos)


def _group_label(by_cols: list[str], key: tuple) -> str:
    if len(by_cols) == 1:
        return str(key[0])
    return ", ".join(f"{c}={v}" for c, v in zip(by_cols, key, strict=True))


def _draw_lines(ax: Axes, summary: pd.DataFrame, x: str, by_cols: list[str],
                ticklabels: list[Any] | None) -> tuple[list[Any], list[str]]:
    """Draw one mean line with its CI band per group; return legend entries."""
    handles, labels = [], []
    if by_cols:
        groups = list(summary.groupby(by_cols, observed=True, sort=False, dropna=False))
    else:
        groups = [((None,), summary)]
    for pos, (key, part) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        style = _line_style(by_cols, key, groups, pos)
        if ticklabels is None:
            xs = part[x].to_numpy(dtype=float)
        else:
            index = {v: i for i, v in enumerate(ticklabels)}
            xs = np.array([index[v] for v in part[x]], dtype=float)
        order = np.argsort(xs, kind="stable")
        xs = xs[order]
        mean = part["mean"].to_numpy(float)[order]
        lo = part["ci_low"].to_numpy(float)[order]
        hi = part["ci_high"].to_numpy(float)[order]
        hi = np.where(np.isfinite(hi), hi, np.nan)   # [0, inf): no band drawn there
        if ticklabels is None:
            ax.fill_between(xs, lo, hi, color=style["color"], alpha=0.2, linewidth=0,
                            zorder=1)
            (line,) = ax.plot(xs, mean, color=style["color"], linestyle=style["linestyle"],
                              marker=style["marker"], markersize=3.5, zorder=3)
        else:   # categories: no line between them, error bars side by side
            dodge = 0.12 * (pos - (len(groups) - 1) / 2)
            err = np.vstack([mean - lo, hi - mean])
            ax.errorbar(xs + dodge, mean, yerr=np.where(np.isfinite(err), err, 0.0),
                        color=style["color"], linestyle="none", capsize=2.5,
                        elinewidth=1.0, zorder=2)
            (line,) = ax.plot(xs + dodge, mean, color=style["color"], linestyle="none",
                              marker=style["marker"], markersize=4, zorder=3)
        line.set_gid("mean")
        handles.append(line)
        labels.append(_group_label(by_cols, key) if by_cols else "mean")
    if ticklabels is not None:
        ax.set_xticks(range(len(ticklabels)), [str(v) for v in ticklabels])
        ax.set_xlim(-0.5, len(ticklabels) - 0.5)
        ax.grid(False, axis="x")
    return handles, labels


def ci_label(summary: pd.DataFrame, level: float | None = None) -> str:
    """The legend text of a summary's intervals, from its ``method`` column: ``"95% CI
    (Clopper-Pearson)"``, or, when probabilities and means are both in the table,
    ``"95% CI (Clopper-Pearson for probabilities, skew-corrected t for means)"``.

    ``level`` defaults to the table's ``level`` column, else 0.95.
    """
    if level is None:
        from ..stats.wide import _level
        level = _level(summary)
    is_p = summary["metric"].astype(str).str.startswith("p_").to_numpy()
    if is_p.all() or not is_p.any():
        return f"{level:.0%} CI ({method_names(summary['method'])})"
    return (f"{level:.0%} CI ({method_names(summary['method'][is_p])} for probabilities, "
            f"{method_names(summary['method'][~is_p])} for means)")


def _ci_entry(summary: pd.DataFrame, level: float,
              categorical: bool = False) -> tuple[Any, str]:
    if categorical:
        handle: Any = Line2D([], [], color="0.4", marker="|", markersize=8, linestyle="none",
                             markeredgewidth=1.0)
    else:
        handle = Patch(facecolor="0.5", alpha=0.3, linewidth=0)
    return handle, ci_label(summary, level)


def _finish_axis(ax: Axes, metric: str, logx: bool, logy: bool,
                 xs: np.ndarray | None = None) -> None:
    if logx:
        ax.set_xscale("log")
        if xs is None:
            plain_log_axis(ax.xaxis)
        else:   # label every swept value, so the first and last points have a tick label
            log_axis_at(ax.xaxis, xs)
    elif xs is not None and len(xs) and np.all(np.isfinite(xs)) and \
            np.array_equal(xs, np.round(xs)):
        # an integer axis (n_low, ...): integer ticks only
        from matplotlib.ticker import MaxNLocator
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if logy:
        ax.set_yscale("log")
        plain_log_axis(ax.yaxis)
    elif metric.startswith("p_"):
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, -0.02), min(hi, 1.02))


def _is_summary(df: pd.DataFrame) -> bool:
    return all(c in df.columns for c in SUMMARY_COLUMNS)


def _summary_rows(df: pd.DataFrame, x: str, by_cols: list[str],
                  metrics: list[str]) -> pd.DataFrame:
    """The rows of a summary table for ``metrics``, checked: one row per (x, by, metric)."""
    missing = sorted(set(metrics) - set(df["metric"].astype(str)))
    if missing:
        raise ValueError(f"metric(s) {missing} are not in the summary; it has "
                         f"{sorted(set(df['metric'].astype(str)))}")
    rows = df[df["metric"].astype(str).isin(metrics) & df[x].notna()]
    if rows.duplicated([x, *by_cols, "metric"]).any():
        raise ValueError(f"the summary has several rows per {[x, *by_cols, 'metric']}; "
                         f"select one study point first or add the varying column to `by`")
    return rows.reset_index(drop=True)


def _summary_level(summary: pd.DataFrame, level: float) -> float:
    if "level" in summary.columns or "level" in summary.attrs:
        from ..stats.wide import _level
        return _level(summary)
    return level


def _summary(df: pd.DataFrame, x: str, by_cols: list[str], metrics: list[str],
             level: float) -> pd.DataFrame:
    xs, _ = _x_values(df[x])
    if np.isnan(xs).any():
        raise ValueError(f"x column {x!r} has missing values")
    return summarize(df, by=[x, *by_cols], metrics=metrics, level=level)


def plot_sweep(df: pd.DataFrame, x: str, metric: str, by: str | Sequence[str] | None = "protocol",
               level: float = 0.95, ax: Axes | None = None, *, logx: bool = False,
               logy: bool = False, legend: bool = True) -> Figure:
    """Mean of a metric against a swept parameter, one line per group, with CI bands.

    Parameters
    ----------
    df : DataFrame
        Per-run results of a sweep (one row per run), with column ``x``, the
        ``by`` columns and the metric's source column; or a summary of them
        ([`summarize`][mdcd_lab.stats.summarize] by ``x`` and ``by``, a figure
        CSV of ``data/figures``), drawn as it is (its ``method`` column names the
        intervals in the legend).
    x : str
        The swept column, usually a Scenario field (``"at_coverage"``).  A
        non-numeric column (``"fault_scope"``) is drawn at evenly spaced
        positions.
    metric : str
        A numeric column or an outcome probability understood by
        [`summarize`][mdcd_lab.stats.summarize]: ``p_failed``, ``p_recovered``,
        ``p_completed`` or ``p_violation``.
    by : str or list of str or None, default "protocol"
        One line per value.  Protocols keep their colour in every figure
        ([`protocol_style`][mdcd_lab.plots.protocol_style]), also among several
        ``by`` columns (``by=["protocol", "horizon"]``: the protocol's colour, one
        line style and marker per horizon).
    level : float, default 0.95
        Confidence level of the bands.
    ax : Axes, optional
        Draw here (the legend goes under it); default: a new single-column
        figure.
    logx, logy : bool
        Logarithmic axes.
    legend : bool, default True
        Draw the legend (under the axes, never over the data).

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        Missing columns, an empty frame, a bad metric or level, or another
        Scenario field that varies at fixed ``x`` and ``by`` (the line would
        silently average over it: select a value first or add it to ``by``).

    Notes
    -----
    The bands are [`summarize`][mdcd_lab.stats.summarize]'s default intervals
    (Hall's skewness-corrected t for counts and non-negative reals, Student t
    for signed metrics, Clopper-Pearson for ``p_*``: never outside [0, 1]);
    the legend names them from the summary's ``method`` column.  A point with
    fewer than two runs (or, for metrics with missing values such as
    ``rollback_dist_max``, fewer than two non-missing values) has no band,
    and neither has an interval without a finite upper bound.
    """
    _check_frame(df, x)
    by_cols = _as_by(df, by, x)
    if _is_summary(df):
        summary = _summary_rows(df, x, by_cols, [metric])
        level = _summary_level(summary, level)
    else:
        _check_not_pooled(df, x, by_cols)
        summary = _summary(df, x, by_cols, [metric], level)
    _, ticklabels = _x_values(summary[x])
    own = ax is None
    with style_context():
        if ax is None:
            fig, ax = new_figure("single")
        else:
            fig = ax.figure
        handles, labels = _draw_lines(ax, summary, x, by_cols, ticklabels)
        ax.set_xlabel(field_label(x))
        ax.set_ylabel(metric_label(metric))
        _finish_axis(ax, metric, logx, logy, summary[x].to_numpy(dtype=float)
                     if ticklabels is None else None)
        style_axes(ax)
        if legend:
            patch, text = _ci_entry(summary, level, ticklabels is not None)
            legend_below(ax, [*handles, patch], [*labels, text], grow_figure=own)
    return fig


def plot_outcomes(df: pd.DataFrame, x: str, by: str | Sequence[str] | None = "protocol",
                  outcomes: Sequence[str] = ("failed", "recovered", "completed"),
                  level: float = 0.95, ax: Axes | Sequence[Axes] | None = None, *,
                  logx: bool = False, legend: bool = True) -> Figure:
    """Probabilities of the run outcomes against a swept parameter, one panel each.

    Parameters
    ----------
    df : DataFrame
        Per-run results with an ``outcome`` column, or their summary with the
        ``p_*`` metrics (see [`plot_sweep`][mdcd_lab.plots.plot_sweep]).
    x : str
        The swept column (``"at_coverage"``, ``"horizon"``, ...).
    by : str or list of str or None, default "protocol"
        One line per value in every panel.
    outcomes : sequence of str
        Which of ``"failed"``, ``"recovered"``, ``"completed"`` to draw, one
        panel each, stacked vertically (shared x axis), in this order.
    level : float, default 0.95
        Confidence level of the bands (``summarize``'s default: Clopper-Pearson).
    ax : Axes or sequence of Axes, optional
        One axes per outcome (a single Axes is accepted for one outcome).
        Default: a new single-column figure.
    logx : bool
        Logarithmic x axis.
    legend : bool, default True
        One legend under the bottom panel.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        Unknown outcome, wrong number of axes, plus the errors of
        [`plot_sweep`][mdcd_lab.plots.plot_sweep].
    """
    outcomes = list(outcomes)
    bad = [o for o in outcomes if o not in _OUTCOME_METRICS]
    if bad or not outcomes:
        raise ValueError(f"outcomes must be a non-empty list of {tuple(_OUTCOME_METRICS)}, "
                         f"got {outcomes!r}")
    _check_frame(df, x)
    if "outcome" not in df.columns and not _is_summary(df):
        raise ValueError("the frame has no 'outcome' column")
    by_cols = _as_by(df, by, x)
    metrics = [_OUTCOME_METRICS[o] for o in outcomes]
    if _is_summary(df):
        summary = _summary_rows(df, x, by_cols, metrics)
        level = _summary_level(summary, level)
    else:
        _check_not_pooled(df, x, by_cols)
        summary = _summary(df, x, by_cols, metrics, level)
    _, ticklabels = _x_values(summary[x])
    own = ax is None
    with style_context():
        if ax is None:
            fig, axes = new_figure("single", height=0.3 + 1.25 * len(outcomes),
                                   nrows=len(outcomes), sharex=True)
            axes = list(np.atleast_1d(axes))
        else:
            axes = [ax] if isinstance(ax, Axes) else list(ax)
            if len(axes) != len(outcomes):
                raise ValueError(f"got {len(axes)} axes for {len(outcomes)} outcomes; pass one "
                                 f"axes per outcome")
            fig = axes[0].figure
        handles: list[Any] = []
        labels: list[str] = []
        for a, m in zip(axes, metrics, strict=True):
            part = summary[summary["metric"] == m]
            handles, labels = _draw_lines(a, part, x, by_cols, ticklabels)
            a.set_ylabel(metric_label(m))
            _finish_axis(a, m, logx, False, part[x].to_numpy(dtype=float)
                         if ticklabels is None else None)
        for a in axes[:-1]:
            if a.get_shared_x_axes().joined(a, axes[-1]):
                a.tick_params(labelbottom=False)
        axes[-1].set_xlabel(field_label(x))
        for a in axes:
            style_axes(a)
        if legend:
            patch, text = _ci_entry(summary, level, ticklabels is not None)
            legend_below(axes[-1], [*handles, patch], [*labels, text],
                         grow_figure=own)
    return fig
