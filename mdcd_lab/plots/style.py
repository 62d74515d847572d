"""One look for every figure: fonts, a colour-blind-safe palette, print sizes.

Every plot function of [`mdcd_lab.plots`][mdcd_lab.plots] draws inside
[`style_context`][mdcd_lab.plots.style_context], so figures share fonts, line widths and colours
whatever the caller's matplotlib settings are; [`apply_style`][mdcd_lab.plots.apply_style] sets the
same parameters globally (for your own figures in a notebook).

Colours come from the Okabe-Ito palette (distinguishable with the common forms
of colour blindness), and every protocol has a fixed colour, line style and
marker (``PROTOCOL_STYLES``), so "mdcd" looks the same in every figure of
a paper whichever protocols a figure shows.  Sizes are those of a two-column
paper: [`SINGLE_COLUMN`][mdcd_lab.plots.SINGLE_COLUMN] (3.5 in) and
[`DOUBLE_COLUMN`][mdcd_lab.plots.DOUBLE_COLUMN] (7.16 in). What every figure draws on its axes
(legends below the data, log axes, the frame) is in ``mdcd_lab.plots.axes``.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import matplotlib as mpl
from cycler import cycler
from matplotlib.figure import Figure

from .figure import NOTEBOOK_DPI, SAVE_PARAMS, LabFigure, figure_png

__all__ = ["OKABE_ITO", "PROTOCOL_STYLES", "OUTCOME_COLORS", "SINGLE_COLUMN", "DOUBLE_COLUMN",
           "RC_PARAMS", "apply_style", "style_context", "protocol_color", "protocol_style",
           "group_style", "figsize", "new_figure", "LabFigure", "SAVE_PARAMS", "NOTEBOOK_DPI",
           "figure_png"]

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
    """Set ``RC_PARAMS`` in matplotlib's global ``rcParams``.

    Use it once in a notebook to draw your own figures in the same style; the
    functions of [`mdcd_lab.plots`][mdcd_lab.plots] do not need it (they use
    [`style_context`][mdcd_lab.plots.style_context]).
    """
    mpl.rcParams.update(RC_PARAMS)


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Context manager drawing with ``RC_PARAMS``, restoring the caller's settings.

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
        ``PROTOCOL_STYLES``; any other name gets a style derived from a hash
        of the name (stable across sessions).
    """
    name = str(name)
    if name in PROTOCOL_STYLES:
        return dict(PROTOCOL_STYLES[name])
    return {"color": _pick(_FALLBACK_COLORS, name),
            "linestyle": _pick(_FALLBACK_LINESTYLES, name + "/ls"),
            "marker": _pick(_FALLBACK_MARKERS, name + "/m")}


def protocol_color(name: str) -> str:
    """Colour of a protocol (see [`protocol_style`][mdcd_lab.plots.protocol_style])."""
    return protocol_style(name)["color"]


def group_style(by: str | None, value: Any, position: int) -> dict[str, Any]:
    """Style of one group of a grouped plot.

    Parameters
    ----------
    by : str or None
        The grouping column.  ``"protocol"`` uses [`protocol_style`][mdcd_lab.plots.protocol_style].
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
        [`SINGLE_COLUMN`][mdcd_lab.plots.SINGLE_COLUMN],
        [`DOUBLE_COLUMN`][mdcd_lab.plots.DOUBLE_COLUMN] or a width in inches.
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

    The figure is a [`LabFigure`][mdcd_lab.plots.figure.LabFigure]: it is shown as a PNG by a
    notebook when it is the value of a cell (or ``display(fig)``), saved with ``fig.savefig``
    (TrueType fonts in PDF), and never accumulates in pyplot's figure list.

    Parameters
    ----------
    width : {"single", "double"} or float
        Column width (see ``figsize``).
    height : float, optional
        Height in inches (default: 0.62 of the width).
    nrows, ncols : int
        Subplot grid.
    **subplot_kw
        Passed to ``Figure.subplots`` (``sharex`` ...).

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
