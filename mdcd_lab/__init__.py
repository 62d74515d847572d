"""mdcd_lab: simulate, measure and picture the clustered MDCD protocol.

Public API: :class:`Scenario`, :func:`generate_traces`, :func:`replay`,
:func:`simulate`, :func:`run_events`.
"""

from .api import replay, run_events, simulate
from .protocols import protocol_names
from .scenario import FIELDS, Scenario
from .traces import generate_traces, trace_from_rows, validate_trace

__version__ = "0.1.0"

__all__ = ["Scenario", "FIELDS", "generate_traces", "validate_trace", "replay", "simulate",
           "run_events", "protocol_names", "trace_from_rows", "__version__"]
