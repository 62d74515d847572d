"""Figures from mdcd_lab's tables and event logs (matplotlib; nothing is simulated).

- [`plot_sweep`][mdcd_lab.plots.plot_sweep]: a metric against a swept parameter, one line per
  protocol, with the confidence bands of ``summarize``'s defaults (named in the legend);
- [`plot_outcomes`][mdcd_lab.plots.plot_outcomes]: P(failed), P(recovered), P(completed) against a
  swept parameter, one panel each;
- [`plot_distribution`][mdcd_lab.plots.plot_distribution]: ECDF or histogram of a per-run metric per
  protocol;
- [`plot_bars`][mdcd_lab.plots.plot_bars]: bars per protocol with confidence intervals, from a
  summary;
- [`plot_spacetime`][mdcd_lab.plots.plot_spacetime]: the space-time diagram of one run
  ([`mdcd_lab.run_events`][mdcd_lab.api.run_events]), and
  [`spacetime_data`][mdcd_lab.plots.spacetime_data], its tables;
- [`plot_correction_space`][mdcd_lab.plots.plot_correction_space]: checkpoints against peak log
  entries of every combination of corrections (``mdcd_lab.studies.correction_space``).

Every function returns a [`LabFigure`][mdcd_lab.plots.figure.LabFigure] (a matplotlib
Figure that notebooks show as a PNG and that saves TrueType PDFs), accepts an
optional ``ax`` and draws with ``mdcd_lab.plots.style`` (print sizes, the
Okabe-Ito palette, one colour per protocol in every figure).  See
``docs/plots-and-widgets.md``.
"""

from .bars import plot_bars
from .correction import plot_correction_space
from .distributions import plot_distribution
from .spacetime import SpacetimeData, plot_spacetime, spacetime_data
from .style import (
    DOUBLE_COLUMN,
    OKABE_ITO,
    SINGLE_COLUMN,
    apply_style,
    protocol_color,
    protocol_style,
    style_context,
)
from .sweeps import plot_outcomes, plot_sweep

__all__ = ["plot_sweep", "plot_outcomes", "plot_distribution", "plot_bars", "plot_spacetime",
           "plot_correction_space",
           "spacetime_data", "SpacetimeData", "apply_style", "style_context", "protocol_color",
           "protocol_style", "OKABE_ITO", "SINGLE_COLUMN", "DOUBLE_COLUMN"]
