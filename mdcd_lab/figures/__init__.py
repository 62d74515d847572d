"""The figure set: the paper's figures, the review figures and the studies behind them.

- ``paper``: [`FIGURES`][mdcd_lab.figures.FIGURES], [`make_figures`][mdcd_lab.figures.make_figures]
  and [`draw_figure`][mdcd_lab.figures.draw_figure] (a figure from its CSV alone);
- ``paper_figures``: the paper's own figures, builder and drawer;
- ``review``: the figures a reviewer asks for;
- ``studies``: the studies behind every figure, with the
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
