"""Statistics of per-run tables: summaries, confidence intervals, paired differences.

- ``summary``: [`summarize`][mdcd_lab.stats.summarize], mean and confidence
  interval of each metric per group;
- ``paired``: [`paired_differences`][mdcd_lab.stats.paired_differences] of protocols played
  on the same traces (common random numbers);
- ``intervals``: the intervals themselves (Student t,
  Wilson, quasi-Poisson, BCa bootstrap);
- ``tables``: what the three share (column checks, groups);
- ``wide``: [`summary_table`][mdcd_lab.stats.summary_table] ("mean [lo, hi]" per
  protocol and point) and [`summary_latex`][mdcd_lab.stats.summary_latex], the same as LaTeX.

See ``docs/results-and-summaries.md``.
"""

from .intervals import PROBABILITY_METRICS, quasi_poisson_interval, wilson_interval
from .paired import PAIRED_COLUMNS, paired_differences
from .summary import SUMMARY_COLUMNS, summarize
from .wide import summary_latex, summary_table

__all__ = ["summarize", "paired_differences", "wilson_interval", "quasi_poisson_interval",
           "SUMMARY_COLUMNS", "PAIRED_COLUMNS", "PROBABILITY_METRICS", "summary_table",
           "summary_latex"]
