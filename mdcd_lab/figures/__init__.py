"""The figure set: the paper's figures, the review figures and the studies behind them.

- :mod:`~mdcd_lab.figures.paper`: :data:`FIGURES`, :func:`make_figures` and
  :func:`draw_figure` (a figure from its CSV alone);
- :mod:`~mdcd_lab.figures.paper_figures`: the paper's own figures, builder and drawer;
- :mod:`~mdcd_lab.figures.review`: the figures a reviewer asks for;
- :mod:`~mdcd_lab.figures.studies`: the studies behind every figure, with the
  provenance of each.

See ``docs/figures.md``.
"""

from .paper import (
    FIGURES,
    FigureResult,
    FigureSpec,
    draw_figure,
    make_figures,
    scope_summary_lines,
)
from .studies import BASE, SEED

__all__ = ["FIGURES", "make_figures", "draw_figure", "scope_summary_lines", "FigureSpec",
           "FigureResult", "BASE", "SEED"]
