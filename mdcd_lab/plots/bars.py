"""Bar charts of summaries: one bar per protocol, with confidence intervals.

[`plot_bars`][mdcd_lab.plots.plot_bars] draws a long-format summary
([`mdcd_lab.stats.summary.summarize`][mdcd_lab.stats.summarize] or any table with ``metric``,
``mean``, ``ci_low``, ``ci_high``) as bars per protocol, in the protocol's colour, with error bars.
A second grouping (``hue``: a column such as ``fault_scope``, or several metrics of one panel
such as S1 and S2 checkpoints) is told apart by hatching, explained by a legend
of neutral swatches, so the legend never shows one protocol's colour for a
whole group.  A bar of height zero would be invisible: it is drawn as a short
thick line at zero in its colour, so "zero" reads differently from "missing".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .axes import style_axes
from .labels import metric_label
from .style import new_figure, protocol_color, style_context

__all__ = ["plot_bars", "zero_mark", "HATCHES"]

#: Hatching of the hue groups, in order (the first group is solid).
HATCHES = ("", "////", "....", "xxxx", "\\\\\\\\", "++")


def _panel_rows(summary: pd.DataFrame, panel: str | Sequence[str], hue: str | None,
                hue_order: Sequence[Any] | None) -> list[tuple[Any, pd.DataFrame]]:
    """(hue value, rows) per hue group of one panel."""
    if not isinstance(panel, str):
        return [(m, summary[summary["metric"] == m]) for m in panel]
    rows = summary[summary["metric"] == panel]
    if hue is None:
        return [(None, rows)]
    order = list(hue_order) if hue_order is not None else list(dict.fromkeys(rows[hue]))
    return [(h, rows[rows[hue] == h]) for h in order]


def _draw_bar(ax: Axes, r: pd.Series, x: float, w: float, gi: int, n_g: int, color: Any,
              top: float) -> None:
    """One bar of summary row ``r`` at ``x`` (group ``gi`` of ``n_g``: hatched, lighter
    after the first) with its confidence interval; a zero mean gets a flat mark and a
    "0" label, so that it is not mistaken for a missing bar."""
    mean = float(r["mean"])
    hatch = HATCHES[gi % len(HATCHES)] if n_g > 1 else ""
    (bar,) = ax.bar([x], [mean], width=w, color=color, alpha=1.0 if gi == 0 else 0.55,
                    hatch=hatch, edgecolor="black", linewidth=0.4)
    bar.set_gid("bar")
    lo, hi = float(r["ci_low"]), float(r["ci_high"])
    if np.isfinite(lo) and np.isfinite(hi):
        ax.errorbar([x], [mean], yerr=[[mean - lo], [hi - mean]], fmt="none", ecolor="black",
                    elinewidth=0.7, capsize=2)
    if mean == 0.0:
        # the "0" sits above the interval's upper whisker, never struck through by it
        zero_mark(ax, x, w, color, label_at=(hi if np.isfinite(hi) else 0.0)
                  + max(top, 1e-12) * 0.02)


def zero_mark(ax: Axes, x: float, w: float, color: Any, label_at: float | None = None) -> None:
    """A bar of height zero: a short thick line at 0 in its colour (``gid="zero_bar"``),
    and, if ``label_at`` is given, a "0" there (``gid="zero_label"``)."""
    (z,) = ax.plot([x - 0.42 * w, x + 0.42 * w], [0.0, 0.0], color=color, linewidth=2.2,
                   solid_capstyle="butt", clip_on=False, zorder=4)
    z.set_gid("zero_bar")
    if label_at is not None:
        t = ax.text(x, label_at, "0", ha="center", va="bottom", fontsize=5.5, color="0.25")
        t.set_gid("zero_label")


def plot_bars(summary: pd.DataFrame, panels: Sequence[str | Sequence[str]], *,
              hue: str | None = None, hue_order: Sequence[Any] | None = None,
              hue_labels: dict[Any, str] | None = None, hue_title: str | None = None,
              ylabels: Sequence[str | None] | None = None, nrows: int = 1,
              width: str | float = "double", height: float | None = None,
              ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Bars per protocol with confidence intervals, one panel per metric.

    Parameters
    ----------
    summary : DataFrame
        Long format: ``protocol``, ``metric``, ``mean``, ``ci_low``, ``ci_high``
        (and the ``hue`` column if given).
    panels : sequence
        One entry per panel: a metric name, or a tuple of metric names drawn
        side by side per protocol (the metrics are then the hue groups).
    hue : str, optional
        Column splitting each panel's bars into groups (e.g. ``"fault_scope"``).
    hue_order : sequence, optional
        Order of the hue values (default: order of appearance).
    hue_labels : dict, optional
        Legend text per hue value (or per metric of a tuple panel).
    hue_title : str, optional
        Title of the hue legend.
    ylabels : sequence, optional
        Axis label per panel (default: ``metric_label``
        of the panel's metric).
    nrows : int
        Rows of panels.
    width : {"single", "double"} or float
        Figure width.
    height : float, optional
        Figure height in inches (default 2.9 per row).
    ax : Axes or sequence of Axes, optional
        Draw here, one axes per panel (the hue legend then goes above the
        first axes); default: a new figure with ``nrows`` rows of panels.

    Returns
    -------
    Figure
        Bars carry ``gid="bar"``, zero-height bars a ``gid="zero_bar"`` line and a
        "0" (``gid="zero_label"``) above their interval.  With a ``method`` column
        (a [`summarize`][mdcd_lab.stats.summarize] table), the legend names the
        intervals' methods.

    Raises
    ------
    ValueError
        A missing column or a panel whose metric is not in ``summary``.
    """
    need = {"protocol", "metric", "mean", "ci_low", "ci_high"} | ({hue} if hue else set())
    missing = sorted(need - set(summary.columns))
    if missing:
        raise ValueError(f"summary lacks column(s) {missing}")
    flat = [m for p in panels for m in ([p] if isinstance(p, str) else p)]
    unknown = sorted(set(flat) - set(summary["metric"]))
    if unknown:
        raise ValueError(f"metric(s) {unknown} are not in the summary")
    ylabels = list(ylabels) if ylabels is not None else [None] * len(panels)
    hue_labels = dict(hue_labels or {})
    protos = [str(p) for p in dict.fromkeys(summary["protocol"].astype(str))]
    ncols = -(-len(panels) // nrows)
    own = ax is None
    with style_context():
        if own:
            fig, axes = new_figure(width, height=height or 2.9 * nrows + 0.4, nrows=nrows,
                                   ncols=ncols)
            axes = np.atleast_1d(axes).ravel()
        else:
            axes = np.array([ax] if isinstance(ax, Axes) else list(ax), dtype=object)
            if len(axes) != len(panels):
                raise ValueError(f"got {len(axes)} axes for {len(panels)} panels; pass one "
                                 f"axes per panel")
            fig = axes[0].figure
        legend_groups: list[Any] = []
        for ax, panel, ylabel in zip(axes, panels, ylabels, strict=False):
            groups = _panel_rows(summary, panel, hue, hue_order)
            n_g = len(groups)
            w = 0.8 / n_g
            highs = summary[summary["metric"].isin(
                [panel] if isinstance(panel, str) else list(panel))]["ci_high"].to_numpy(
                dtype=float)
            top = float(np.max(highs[np.isfinite(highs)], initial=0.0))   # [0, inf) too
            if not isinstance(panel, str):      # metrics side by side: a legend per panel
                ax.legend(_swatches(n_g), [hue_labels.get(g, metric_label(g)) for g, _ in groups],
                          loc="upper left", bbox_to_anchor=(0.0, 1.0), frameon=False)
            elif n_g > 1 and not legend_groups:
                legend_groups = [g for g, _ in groups]
            for gi, (_gval, rows) in enumerate(groups):
                for pi, p in enumerate(protos):
                    row = rows[rows["protocol"].astype(str) == p]
                    if row.empty:
                        continue
                    _draw_bar(ax, row.iloc[0], pi + (gi - (n_g - 1) / 2) * w, w, gi, n_g,
                              protocol_color(p), top)
            ax.set_xticks(range(len(protos)))
            ax.set_xticklabels(protos, rotation=40, ha="right", rotation_mode="anchor")
            ax.set_xlim(-0.6, len(protos) - 0.4)
            ax.set_ylim(0.0, max(ax.get_ylim()[1], top * 1.12))   # room for the "0" labels
            first = panel if isinstance(panel, str) else panel[0]
            ax.set_ylabel(ylabel or metric_label(first))
            ax.grid(False, axis="x")
            style_axes(ax)
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        handles: list[Any] = _swatches(len(legend_groups))
        labels = [hue_labels.get(g, str(g)) for g in legend_groups]
        if "method" in summary.columns:     # the whiskers, named from the table's methods
            from matplotlib.lines import Line2D

            from .sweeps import ci_label
            handles.append(Line2D([], [], color="black", marker="_", markersize=5,
                                  linewidth=0.7))
            labels.append(ci_label(summary[summary["metric"].isin(flat)]))
        if handles:
            if own:
                fig.legend(handles, labels, title=hue_title,
                           loc="outside upper center", ncols=len(labels), frameon=False)
            else:
                axes[0].legend(handles, labels, title=hue_title,
                               loc="lower left", bbox_to_anchor=(0.0, 1.02),
                               ncols=len(labels), frameon=False)
    return fig


def _swatches(n: int) -> list[Patch]:
    """Neutral legend swatches of the hue groups: grey, hatched like the bars."""
    return [Patch(facecolor="0.7" if i == 0 else "0.9", edgecolor="black", linewidth=0.4,
                  hatch=HATCHES[i % len(HATCHES)]) for i in range(n)]
