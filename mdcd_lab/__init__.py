"""mdcd_lab: simulate, measure and picture the clustered MDCD protocol.

Public API: :class:`Scenario`, :func:`generate_traces`, :func:`trace_from_rows`,
:func:`replay`, :func:`simulate`, :func:`run_events`, :func:`sweep`,
:func:`sample`, :func:`explore`, :func:`summarize`, :func:`paired_differences`,
:func:`to_csv`, :func:`to_parquet`, :func:`load_results`, :func:`worth`, :class:`Costs`,
:func:`duration_study` (docs/performability.md); plots in :mod:`mdcd_lab.plots`,
explorers in :mod:`mdcd_lab.widgets`, the figure set in :mod:`mdcd_lab.figures`.
"""

from .api import replay, run_events, simulate
from .exploration import Scope, explore
from .io import load_results, to_csv, to_parquet
from .performability import Costs, DurationStudy, duration_study, worth
from .protocols import protocol_names, variant_names
from .scenario import FIELDS, Scenario
from .stats import paired_differences, summarize
from .studies import expand_grid, point_seed, sample, sweep, sweep_status
from .traces import generate_traces, trace_from_rows, validate_trace

__version__ = "0.1.0"

__all__ = ["Scenario", "FIELDS", "generate_traces", "trace_from_rows", "validate_trace",
           "replay", "simulate", "run_events", "protocol_names", "variant_names", "sweep",
           "sweep_status",
           "expand_grid", "sample", "point_seed", "summarize", "paired_differences", "to_csv",
           "to_parquet", "load_results", "explore", "Scope", "worth", "Costs", "duration_study",
           "DurationStudy", "__version__"]
