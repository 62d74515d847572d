"""Traces: what the application does, independent of any protocol.

A trace is the application behaviour of one or more runs (Section 3.1's system
model): message sends, external outputs and design-fault activations, with the
random draws that decide acceptance-test (AT) detection and error compensation
stored as columns so that every protocol replaying the trace sees the same luck
(common random numbers).  The format is documented in ``docs/trace-format.md``.

Process numbering (used by both engines): ``low{i}`` is ``i``, ``act{j}`` is
``n_low + j`` and ``sdw{i}`` (the old version of ``low{i}``) is
``n_low + n_act + i``.

This module holds the trace table: its columns, the process names, the
generated traces ([`generate_traces`][mdcd_lab.traces.generate_traces], from the rows that
``mdcd_lab.traces.generation`` draws) and hand-written traces
([`trace_from_rows`][mdcd_lab.traces.trace_from_rows]); ``mdcd_lab.traces.validate`` checks them.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from .._checks import check_runs_seed
from ..constants import (
    ACT,
    KINDS,
    LOW,
    ROLES,
    SDW,
)
from ..scenario import Scenario
from .generation import _generate_one, run_seed_sequence

__all__ = ["TRACE_COLUMNS", "ROW_ARRAYS", "proc_names", "proc_index", "generate_traces",
           "trace_from_rows", "trace_frame", "empty_run_arrays"]

#: The columns of a trace table, in order (docs/trace-format.md).
TRACE_COLUMNS = ("run", "t", "kind", "src", "dst", "t_deliver", "u_at", "u_comp", "d_notify")
#: The columns a trace must have; the others are filled
#: ([`validate_trace`][mdcd_lab.traces.validate_trace]).
REQUIRED_COLUMNS = ("run", "t", "kind", "src", "dst", "t_deliver")
#: The arrays of one run that every engine plays
#: ([`validate_trace`][mdcd_lab.traces.validate_trace]): the trace's columns but ``run``, with
#: ``kind`` (an index of ``KINDS``), ``src`` and ``dst`` (process indices, -1 for none) as integers,
#: the others as floats.
ROW_ARRAYS = TRACE_COLUMNS[1:]
INT_ARRAYS = ("kind", "src", "dst")


def proc_names(scenario: Scenario) -> list[str]:
    """Process names in index order: ``low*``, ``act*``, ``sdw*`` (the group's role name
    of ``mdcd_lab.constants.ROLES`` and the index within the group)."""
    groups = ((LOW, scenario.n_low), (ACT, scenario.n_act), (SDW, scenario.n_low))
    return [f"{ROLES[role]}{i}" for role, n in groups for i in range(n)]


def proc_index(scenario: Scenario) -> dict[str, int]:
    """Map a process name to its index."""
    return {name: i for i, name in enumerate(proc_names(scenario))}


def trace_frame(run: np.ndarray, rows: np.ndarray, scenario: Scenario) -> pd.DataFrame:
    """The trace table of numeric rows: ``rows[:, j]`` is column ``ROW_ARRAYS[j]``
    (``kind``, ``src``, ``dst`` as codes and indices), ``run`` the run of each row."""
    names = np.array(proc_names(scenario) + [""], dtype=object)
    rows = np.asarray(rows, dtype=float).reshape(-1, len(ROW_ARRAYS))
    cols = dict(zip(ROW_ARRAYS, rows.T, strict=True))
    return pd.DataFrame({
        "run": np.asarray(run, dtype=np.int64),
        **cols,
        "kind": pd.Categorical.from_codes(cols["kind"].astype(np.int8), categories=list(KINDS)),
        "src": names[cols["src"].astype(np.int64)],
        "dst": names[cols["dst"].astype(np.int64)],
    }, columns=list(TRACE_COLUMNS))


def empty_run_arrays() -> dict[str, np.ndarray]:
    """The arrays of a run without rows (``ROW_ARRAYS``, their dtypes)."""
    return {k: np.zeros(0, dtype=np.int64 if k in INT_ARRAYS else float) for k in ROW_ARRAYS}


def generate_traces(scenario: Scenario, runs: int, seed: int, first_run: int = 0) -> pd.DataFrame:
    """Generate the traces of ``runs`` runs (runs ``first_run`` .. ``first_run + runs - 1``).

    Parameters
    ----------
    scenario : Scenario
        The model parameters.
    runs : int
        Number of runs (>= 1).
    seed : int
        Study seed (>= 0); run ``r`` uses ``SeedSequence(seed, spawn_key=(r,))``.
    first_run : int
        Index of the first run.

    Returns
    -------
    pandas.DataFrame
        Columns ``run, t, kind, src, dst, t_deliver, u_at, u_comp, d_notify``;
        see ``docs/trace-format.md``.
    """
    check_runs_seed(runs, seed, first_run)
    rows_run: list[int] = []
    rows: list[tuple] = []
    # a mission run's trace covers [0, mission] (docs/performability.md); its rows with
    # t <= horizon are the trace of the same run without a mission (prefix property)
    gen_scenario = scenario if scenario.t_end == scenario.horizon else dataclasses.replace(
        scenario, horizon=scenario.t_end, mission=0.0)
    for r in range(first_run, first_run + runs):
        rng = np.random.Generator(np.random.PCG64(run_seed_sequence(seed, r)))
        one = _generate_one(gen_scenario, rng)
        rows.extend(one)
        rows_run.extend([r] * len(one))
    return trace_frame(np.array(rows_run, dtype=np.int64), np.array(rows, dtype=float),
                       scenario)


def trace_from_rows(rows: list[tuple], run: int = 0) -> pd.DataFrame:
    """Build a hand-written trace from short tuples (for tests, notebooks, docs).

    Each row is one of::

        ("send", t, src, dst)                  # delivered at once
        ("send", t, src, dst, t_deliver)
        ("output", t, src)                     # u_at, u_comp, d_notify left empty
        ("output", t, src, u_at, u_comp, d_notify)
        ("fault", t, src)

    Empty draws take the fill values of [`validate_trace`][mdcd_lab.traces.validate_trace]: an
    erroneous message is detected iff ``at_coverage == 1`` and compensation fails iff
    ``compensation == 0``.
    """
    out = []
    nan = math.nan
    for n, row in enumerate(rows):
        kind = row[0]
        if kind == "send":
            if len(row) not in (4, 5):
                raise ValueError(f"row {n}: a send is (\"send\", t, src, dst[, t_deliver])")
            td = row[4] if len(row) == 5 else (nan if str(row[2]).startswith("sdw")
                                               and str(row[3]).startswith("act") else row[1])
            out.append((run, float(row[1]), "send", row[2], row[3], td, nan, nan, nan))
        elif kind == "output":
            if len(row) not in (3, 6):
                raise ValueError(f"row {n}: an output is (\"output\", t, src[, u_at, u_comp, "
                                 "d_notify])")
            u = row[3:] if len(row) == 6 else (nan, nan, nan)
            out.append((run, float(row[1]), "output", row[2], "", nan, *map(float, u)))
        elif kind == "fault":
            out.append((run, float(row[1]), "fault", row[2], "", nan, nan, nan, nan))
        else:
            raise ValueError(f"row {n}: unknown kind {kind!r}; allowed: {list(KINDS)}")
    df = pd.DataFrame(out, columns=list(TRACE_COLUMNS))
    df["kind"] = pd.Categorical(df["kind"], categories=list(KINDS))
    return df
