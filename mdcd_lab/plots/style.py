"""One look for every figure: fonts, a colour-blind-safe palette, print sizes.

Every plot function of :mod:`mdcd_lab.plots` draws inside :func:`style_context`,
so figures share fonts, line widths and colours whatever the caller's
matplotlib settings are; :func:`apply_style` sets the same parameters globally
(for your own figures in a notebook).

Colours come from the Okabe-Ito palette (distinguishable with the common forms
of colour blindness), and every protocol has a fixed colour, line style and
marker (:data:`PROTOCOL_STYLES`), so "mdcd" looks the same in every figure of
a paper whichever protocols a figure shows.  Sizes are those of a two-column
paper: :data:`SINGLE_COLUMN` (3.5 in) and :data:`DOUBLE_COLUMN` (7.16 in).
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.transforms import ScaledTranslation

from .figure import NOTEBOOK_DPI, SAVE_PARAMS, LabFigure, figure_png

__all__ = ["OKABE_ITO", "PROTOCOL_STYLES", "OUTCOME_COLORS", "SINGLE_COLUMN", "DOUBLE_COLUMN",
           "RC_PARAMS", "apply_style", "style_context", "protocol_color", "protocol_style",
           "group_style", "figsize", "new_figure", "legend_below",
           "plain_log_axis", "log_axis_at", "style_axes",
           "LabFigure", "SAVE_PARAMS", "NOTEBOOK_DPI", "figure_png"]

#: The Okabe-Ito palette (Okabe & Ito 2008), by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Width of one column of a two-column paper (inches).
SINGLE_COLUMN = 3.5
#: Width of a figure spanning both columns (inches).
DOUBLE_COLUMN = 7.16

_O = OKABE_ITO
#: Fixed colour, line style and marker of each known protocol.
PROTOCOL_STYLES: dict[str, dict[str, Any]] = {
    "mdcd": {"color": _O["blue"], "linestyle": "-", "marker": "o"},
    "mdcd-paper": {"color": _O["vermillion"], "linestyle": "--", "marker": "s"},
    "mdcd-unclustered": {"color": _O["bluish_green"], "linestyle": "-.", "marker": "^"},
    "every-receive": {"color": _O["reddish_purple"], "linestyle": ":", "marker": "D"},
    "coordinated": {"color": _O["orange"], "linestyle": (0, (5, 1.5)), "marker": "v"},
    "static": {"color": _O["sky_blue"], "linestyle": (0, (3, 1, 1, 1, 1, 1)), "marker": "P"},
}

# Unknown protocols and other groupings get one of these, chosen from the name
# (stable across figures and sessions) or by position.
_FALLBACK_COLORS = ("#000000", "#7F7F7F", "#994F00", "#332288", "#44AA99", "#882255")
_FALLBACK_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1.5)), (0, (3, 1, 1, 1, 1, 1)))
_FALLBACK_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_GROUP_COLORS = (_O["blue"], _O["vermillion"], _O["bluish_green"], _O["reddish_purple"],
                 _O["orange"], _O["sky_blue"], _O["black"])

#: Colours of the three run outcomes.
OUTCOME_COLORS: dict[str, str] = {
    "failed": _O["vermillion"],
    "recovered": _O["bluish_green"],
    "completed": _O["blue"],
}

#: The matplotlib parameters every figure is drawn with (sized for print).
RC_PARAMS: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "mathtext.fontset": "dejavusans",
    "font.size": 8.0,
    "axes.titlesize": 8.0,
    "axes.labelsize": 8.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "legend.fontsize": 7.0,
    "legend.title_fontsize": 7.0,
    "legend.frameon": False,
    "legend.handlelength": 2.2,
    "legend.columnspacing": 1.2,
    "axes.linewidth": 0.6,
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(_GROUP_COLORS)),
    "grid.linewidth": 0.4,
    "grid.alpha": 0.5,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "lines.linewidth": 1.2,
    "lines.markersize": 4.0,
    "patch.linewidth": 0.6,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
}


def apply_style() -> None:
    """Set :data:`RC_PARAMS` in matplotlib's global ``rcParams``.

    Use it once in a notebook to draw your own figures in the same style; the
    functions of :mod:`mdcd_lab.plots` do not need it (they use
    :func:`style_context`).
    """
    mpl.rcParams.update(RC_PARAMS)


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Context manager drawing with :data:`RC_PARAMS`, restoring the caller's settings.

    Examples
    --------
    >>> from mdcd_lab.plots.style import style_context, new_figure
    >>> with style_context():
    ...     fig, ax = new_figure()
    """
    with mpl.rc_context(RC_PARAMS):
        yield


def _pick(seq: Sequence[Any], name: str) -> Any:
    return seq[zlib.crc32(name.encode("utf-8")) % len(seq)]


def protocol_style(name: str) -> dict[str, Any]:
    """Colour, line style and marker of a protocol, the same in every figure.

    Parameters
    ----------
    name : str
        Protocol name (``"mdcd"``, ``"mdcd-paper"``, ...).

    Returns
    -------
    dict
        ``{"color", "linestyle", "marker"}``.  Known protocols have the entry of
        :data:`PROTOCOL_STYLES`; any other name gets a style derived from a hash
        of the name (stable across sessions).
    """
    name = str(name)
    if name in PROTOCOL_STYLES:
        return dict(PROTOCOL_STYLES[name])
    return {"color": _pick(_FALLBACK_COLORS, name),
            "linestyle": _pick(_FALLBACK_LINESTYLES, name + "/ls"),
            "marker": _pick(_FALLBACK_MARKERS, name + "/m")}


def protocol_color(name: str) -> str:
    """Colour of a protocol (see :func:`protocol_style`)."""
    return protocol_style(name)["color"]


def group_style(by: str | None, value: Any, position: int) -> dict[str, Any]:
    """Style of one group of a grouped plot.

    Parameters
    ----------
    by : str or None
        The grouping column.  ``"protocol"`` uses :func:`protocol_style`.
    value : object
        The group's value.
    position : int
        Index of the group among the plotted groups (for other columns, the
        palette is used in order).

    Returns
    -------
    dict
        ``{"color", "linestyle", "marker"}``.
    """
    if by == "protocol":
        return protocol_style(str(value))
    return {"color": _GROUP_COLORS[position % len(_GROUP_COLORS)],
            "linestyle": _FALLBACK_LINESTYLES[position % len(_FALLBACK_LINESTYLES)],
            "marker": _FALLBACK_MARKERS[position % len(_FALLBACK_MARKERS)]}


def figsize(width: str | float = "single", aspect: float = 0.62) -> tuple[float, float]:
    """Figure size in inches for a column width.

    Parameters
    ----------
    width : {"single", "double"} or float
        :data:`SINGLE_COLUMN`, :data:`DOUBLE_COLUMN` or a width in inches.
    aspect : float
        Height / width.

    Returns
    -------
    (float, float)
    """
    if width == "single":
        w = SINGLE_COLUMN
    elif width == "double":
        w = DOUBLE_COLUMN
    elif isinstance(width, (int, float)) and not isinstance(width, bool) and width > 0:
        w = float(width)
    else:
        raise ValueError(f"width must be 'single', 'double' or a positive number of inches, "
                         f"got {width!r}")
    return (w, w * aspect)


def new_figure(width: str | float = "single", height: float | None = None, nrows: int = 1,
               ncols: int = 1, **subplot_kw: Any) -> tuple[Figure, Any]:
    """A constrained-layout figure of print size, not registered with pyplot.

    The figure is a :class:`LabFigure`: it is shown as a PNG by a notebook when
    it is the value of a cell (or ``display(fig)``), saved with ``fig.savefig``
    (TrueType fonts in PDF), and never accumulates in pyplot's figure list.

    Parameters
    ----------
    width : {"single", "double"} or float
        Column width (see :func:`figsize`).
    height : float, optional
        Height in inches (default: 0.62 of the width).
    nrows, ncols : int
        Subplot grid.
    **subplot_kw
        Passed to :meth:`Figure.subplots` (``sharex`` ...).

    Returns
    -------
    (LabFigure, Axes or array of Axes)
    """
    w, h = figsize(width)
    if height is not None:
        h = float(height)
    fig = LabFigure(figsize=(w, h), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, **subplot_kw)
    return fig, axes


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
    :func:`new_figure`) the axes shrink to make room for it.

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
    :func:`plain_log_axis` plus the two end values.

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
    """Apply :data:`RC_PARAMS` to an existing axes (e.g. one the caller made).

    Tick labels, axis labels and the title of an axes take their sizes when
    the axes is created, so an axes made outside :func:`style_context` would
    keep the caller's fonts; this sets them explicitly.  Every plot function
    calls it after labelling.
    """
    rc = RC_PARAMS
    ax.tick_params(axis="x", labelsize=rc["xtick.labelsize"], width=rc["xtick.major.width"],
                   length=rc["xtick.major.size"])
    ax.tick_params(axis="y", labelsize=rc["ytick.labelsize"], width=rc["ytick.major.width"])
    ax.xaxis.label.set_fontsize(rc["axes.labelsize"])
    ax.yaxis.label.set_fontsize(rc["axes.labelsize"])
    for spine in ax.spines.values():
        spine.set_linewidth(rc["axes.linewidth"])
    for line in [*ax.get_xgridlines(), *ax.get_ygridlines()]:
        line.set_linewidth(rc["grid.linewidth"])
        line.set_alpha(rc["grid.alpha"])
