"""What every figure draws on its axes: legends below the data, log axes, the frame.

``legend_below`` puts a legend under the x axis in as many columns as fit,
so that it never covers data; ``plain_log_axis`` and ``log_axis_at``
label log axes with plain numbers; ``style_axes`` is the one frame of the
figure set.  The fonts, colours and sizes are in ``mdcd_lab.plots.style``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.transforms import ScaledTranslation

from .style import RC_PARAMS

__all__ = ["legend_below", "plain_log_axis", "log_axis_at", "style_axes"]


def _renderer(fig: Figure) -> Any:
    get = getattr(fig.canvas, "get_renderer", None)
    return get() if callable(get) else fig._get_renderer()


def _xaxis_depth_points(ax: Axes) -> float:
    """Height (points) of what hangs below the axes: tick labels and the x label."""
    fig = ax.figure
    renderer = _renderer(fig)
    box = ax.get_window_extent(renderer)
    tight = ax.xaxis.get_tightbbox(renderer)
    below = box.y0 if tight is None else min(box.y0, tight.y0)
    return max(0.0, (box.y0 - below) * 72.0 / fig.dpi)


def _fitting_columns(ax: Axes, handles: Sequence[Any], labels: Sequence[str], renderer: Any,
                     whole_width: bool) -> int:
    """Largest number of legend columns whose total width fits the axes (or figure)."""
    fig = ax.figure
    probe = ax.legend(handles, labels, ncols=1)
    fontsize = probe.prop.get_size_in_points()
    widths = [t.get_window_extent(renderer).width * 72.0 / fig.dpi for t in probe.texts]
    probe.remove()
    rc = mpl.rcParams
    handle = fontsize * (rc["legend.handlelength"] + rc["legend.handletextpad"])
    spacing = fontsize * rc["legend.columnspacing"]
    avail = ax.get_window_extent(renderer).width * 72.0 / fig.dpi
    if whole_width:   # a figure of ours: the legend may use the figure's width
        avail = max(avail, 0.94 * fig.get_figwidth() * 72.0)
    pad = 2.0 * fontsize * (rc["legend.borderpad"] + rc["legend.borderaxespad"])
    n = len(widths)
    for ncols in range(min(n, 6), 1, -1):
        # matplotlib's split: the first (n mod ncols) columns get one more entry
        rows, n_large = divmod(n, ncols)
        sizes = [rows + 1] * n_large + [rows] * (ncols - n_large)
        starts = np.cumsum([0, *sizes[:-1]])
        cols = [widths[a:a + k] for a, k in zip(starts, sizes, strict=True) if k]
        total = sum(handle + max(c) for c in cols) + spacing * (len(cols) - 1) + pad
        if total <= avail:
            return ncols
    return 1


def legend_below(ax: Axes, handles: Sequence[Any], labels: Sequence[str],
                 ncols: int | None = None, title: str | None = None,
                 grow_figure: bool = False) -> Legend:
    """Put a legend under an axes, below its x tick labels and x label.

    The legend is anchored in points under the axes' decorations, so it
    never covers the data area; with a constrained layout (the figures of
    ``new_figure``) the axes shrink to make room for it.

    Parameters
    ----------
    ax : Axes
    handles, labels : sequences
        Legend entries.
    ncols : int, optional
        Columns (default: as many as fit the width of the axes).
    title : str, optional
    grow_figure : bool, default False
        Make the figure taller by the legend's height, so the data area
        keeps its size (for figures made by the plot functions; a figure you
        pass in keeps its size).

    Returns
    -------
    matplotlib.legend.Legend
    """
    fig = ax.figure
    renderer = _renderer(fig)
    if ncols is None:
        ncols = _fitting_columns(ax, handles, labels, renderer, grow_figure)
    depth = _xaxis_depth_points(ax) + 4.0
    offset = ScaledTranslation(0.0, -depth / 72.0, fig.dpi_scale_trans)
    leg = ax.legend(handles, labels, loc="upper center", ncols=ncols, title=title,
                    bbox_to_anchor=(0.5, 0.0), bbox_transform=ax.transAxes + offset,
                    borderaxespad=0.0)
    if grow_figure:
        height_in = leg.get_window_extent(renderer).height / fig.dpi
        fig.set_figheight(fig.get_figheight() + height_in + 0.05)
    return leg


def plain_log_axis(axis: Any) -> None:
    """Logarithmic ticks at 1, 2, 5 x 10^k, written as plain numbers (``20``, not ``2x10^1``).

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis`` or ``ax.yaxis`` of an axes already in log scale.
    """
    from matplotlib import ticker

    axis.set_major_locator(ticker.LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def log_axis_at(axis: Any, values: Any, max_ticks: int = 12) -> None:
    """Logarithmic ticks at the swept values, so the first and last points are labelled.

    With up to ``max_ticks`` distinct positive values every value gets a
    labelled tick (``25, 50, 100, 200, 400``); with more, the ticks of
    ``plain_log_axis`` plus the two end values.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis`` or ``ax.yaxis`` of an axes already in log scale.
    values : array-like
        The data values along that axis.
    """
    from matplotlib import ticker

    v = np.asarray(values, dtype=float)
    v = np.unique(v[np.isfinite(v) & (v > 0)])
    if v.size == 0:
        plain_log_axis(axis)
        return
    if v.size > max_ticks:
        lo, hi = float(v[0]), float(v[-1])
        decades = np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
        grid = np.array([m * 10.0 ** d for d in decades for m in (1.0, 2.0, 5.0)])
        inner = grid[(grid > lo * 1.15) & (grid < hi / 1.15)]
        v = np.concatenate([[lo], inner, [hi]])
    axis.set_major_locator(ticker.FixedLocator(v))
    axis.set_major_formatter(ticker.FuncFormatter(lambda x, _pos: f"{x:g}"))
    axis.set_minor_locator(ticker.NullLocator())


def style_axes(ax: Axes) -> None:
    """Apply ``RC_PARAMS`` to an existing axes (e.g. one the caller made).

    Tick labels, axis labels and the title of an axes take their sizes when
    the axes is created, so an axes made outside [`style_context`][mdcd_lab.plots.style_context]
    would keep the caller's fonts; this sets them explicitly, and the frame (left and
    bottom spines only), so every figure of the set has the same.  Every plot
    function calls it after labelling.
    """
    rc = RC_PARAMS
    ax.tick_params(axis="x", labelsize=rc["xtick.labelsize"], width=rc["xtick.major.width"],
                   length=rc["xtick.major.size"])
    ax.tick_params(axis="y", labelsize=rc["ytick.labelsize"], width=rc["ytick.major.width"])
    ax.xaxis.label.set_fontsize(rc["axes.labelsize"])
    ax.yaxis.label.set_fontsize(rc["axes.labelsize"])
    for side, spine in ax.spines.items():
        spine.set_linewidth(rc["axes.linewidth"])
        if side in ("top", "right"):     # one frame for every figure: left and bottom
            spine.set_visible(rc[f"axes.spines.{side}"])
    for line in [*ax.get_xgridlines(), *ax.get_ygridlines()]:
        line.set_linewidth(rc["grid.linewidth"])
        line.set_alpha(rc["grid.alpha"])
