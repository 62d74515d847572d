"""Traces: what the application does, independent of any protocol (docs/trace-format.md).

A trace is the application behaviour of one or more runs: message sends,
external outputs and fault activations, with the random draws of the ATs and
of error compensation, so that every protocol replaying it sees the same luck
(common random numbers).

- ``table``: the trace table: its columns, the process
  names, generated and hand-written traces;
- ``validate``: their validation against a scenario;
- ``generation``: the random generator of one run's rows,
  the readable reference of the numba kernel ``fast/kernels/gen.py``.
"""

from .generation import realised_means, run_seed_sequence
from .table import TRACE_COLUMNS, generate_traces, proc_index, proc_names, trace_from_rows
from .validate import check_twin_members, validate_trace

__all__ = ["TRACE_COLUMNS", "generate_traces", "trace_from_rows", "validate_trace",
           "check_twin_members", "proc_names", "proc_index", "run_seed_sequence",
           "realised_means"]
