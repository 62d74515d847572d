"""The figure class of mdcd_lab: shown as a PNG in notebooks, saved with TrueType fonts.

The plot functions build their figures without pyplot, so matplotlib's inline
backend never shows them; [`LabFigure`][mdcd_lab.plots.figure.LabFigure] shows itself
(``_repr_png_``) and always saves PDFs with TrueType fonts (``SAVE_PARAMS``).
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

__all__ = ["SAVE_PARAMS", "SAVE_DPI", "NOTEBOOK_DPI", "figure_png", "LabFigure"]

#: Parameters [`LabFigure.savefig`][mdcd_lab.plots.figure.LabFigure.savefig] always saves with:
#: TrueType (Type 42) fonts in PDF and PostScript, text kept as text in SVG.  Many venues reject the
#: Type 3 fonts matplotlib embeds by default.
SAVE_PARAMS: dict[str, Any] = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none"}

#: Resolution of raster files [`LabFigure.savefig`][mdcd_lab.plots.figure.LabFigure.savefig] writes
#: (PNG ...) unless its caller passes ``dpi=``: print quality, whatever the caller's ``rcParams``.
SAVE_DPI = 300

#: Resolution of the PNG a notebook shows; it is displayed pixel for pixel, so a
#: single-column figure (3.5 in) is 504 pixels wide on screen, its 8 pt text about 16 px.
NOTEBOOK_DPI = 144


def figure_png(fig: Figure, dpi: int = NOTEBOOK_DPI) -> tuple[bytes, dict[str, int]]:
    """PNG bytes of a figure and its display size.

    Parameters
    ----------
    fig : Figure
    dpi : int
        Pixels per inch of the PNG.

    Returns
    -------
    (bytes, dict)
        The PNG and ``{"width": w, "height": h}``: its size in pixels
        (``fig.get_size_inches() * dpi``), so that the notebook shows it pixel
        for pixel, sharp, rather than scaled.
    """
    import io

    buf = io.BytesIO()
    with mpl.rc_context(SAVE_PARAMS):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "mdcd_lab"})
    png = buf.getvalue()
    # the IHDR chunk: width and height as big-endian 32-bit integers at bytes 16-24
    return png, {"width": int.from_bytes(png[16:20], "big"),
                 "height": int.from_bytes(png[20:24], "big")}


class LabFigure(Figure):
    """A ``matplotlib.figure.Figure`` that shows itself in notebooks and saves for print.

    The plot functions build figures without pyplot (nothing accumulates in
    pyplot's figure list and nothing is shown twice), so matplotlib's inline
    backend never sees them.  This class gives them a ``_repr_png_``: a figure
    that is the value of a notebook cell, or passed to ``display()``, is shown
    as an ``image/png`` output in Jupyter, JupyterLab and nbconvert, whether or
    not pyplot was imported.  [`savefig`][mdcd_lab.plots.figure.LabFigure.savefig] always embeds
    TrueType fonts (``SAVE_PARAMS``), whatever the caller's ``rcParams``, and writes raster
    files at ``SAVE_DPI`` (300 dpi) unless given ``dpi=``.
    """

    def _repr_png_(self) -> tuple[bytes, dict[str, int]]:
        return figure_png(self)

    def savefig(self, fname: Any, *args: Any, **kwargs: Any) -> None:
        """``matplotlib.figure.Figure.savefig`` with ``SAVE_PARAMS`` in force and
        ``dpi`` defaulting to ``SAVE_DPI`` (300)."""
        kwargs.setdefault("dpi", SAVE_DPI)
        with mpl.rc_context(SAVE_PARAMS):
            super().savefig(fname, *args, **kwargs)
