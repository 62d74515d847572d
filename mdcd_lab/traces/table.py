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
generated traces (:func:`generate_traces`, from the rows that
:mod:`mdcd_lab.traces.generation` draws), hand-written traces
(:func:`trace_from_rows`) and their validation (:func:`validate_trace`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from .._checks import check_runs_seed
from ..constants import (
    ACT,
    KIND_FAULT,
    KIND_SEND,
    KINDS,
    LOW,
    ROLES,
    SDW,
    U_AT_MISSING,
    U_COMP_MISSING,
)
from ..scenario import Scenario
from .generation import _generate_one, run_seed_sequence

__all__ = ["TRACE_COLUMNS", "ROW_ARRAYS", "proc_names", "proc_index", "generate_traces",
           "validate_trace", "check_twin_members", "trace_from_rows", "trace_frame",
           "empty_run_arrays"]

#: The columns of a trace table, in order (docs/trace-format.md).
TRACE_COLUMNS = ("run", "t", "kind", "src", "dst", "t_deliver", "u_at", "u_comp", "d_notify")
#: The columns a trace must have; the others are filled (:func:`validate_trace`).
REQUIRED_COLUMNS = ("run", "t", "kind", "src", "dst", "t_deliver")
#: The arrays of one run that every engine plays (:func:`validate_trace`): the trace's
#: columns but ``run``, with ``kind`` (an index of ``KINDS``), ``src`` and ``dst``
#: (process indices, -1 for none) as integers, the others as floats.
ROW_ARRAYS = TRACE_COLUMNS[1:]
INT_ARRAYS = ("kind", "src", "dst")


def proc_names(scenario: Scenario) -> list[str]:
    """Process names in index order: ``low*``, ``act*``, ``sdw*`` (the group's role name
    of :data:`mdcd_lab.constants.ROLES` and the index within the group)."""
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
    """The arrays of a run without rows (:data:`ROW_ARRAYS`, their dtypes)."""
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


def check_twin_members(trace: pd.DataFrame, scenario: Scenario) -> None:
    """Refuse a trace whose ``k``-th shadow twin is not from the ``k``-th cluster
    message's member.

    Twin ``k`` is the twin of cluster message ``k`` (docs/trace-format.md);
    ``"mdcd-vector"`` numbers each member's messages (and ``sdw_i`` its twins) on
    their own, so the twin of ``low_i``'s message must come from ``sdw_i``.
    Generated traces always satisfy this; a hand-written one may not.
    ``ValueError`` names the run and the row.  A trace without the columns is left
    to :func:`validate_trace`'s message.
    """
    if not isinstance(trace, pd.DataFrame) or not {"run", "kind", "src", "dst"} <= set(
            trace.columns):
        return
    sends = trace[trace["kind"] == "send"]
    to_act = sends["dst"].astype(str).str.startswith("act")
    src = sends["src"].astype(str)
    for run, rows in sends[to_act].groupby("run", sort=True):
        s = src.loc[rows.index]
        members = s[s.str.startswith("low")].str[3:].tolist()
        twins = s[s.str.startswith("sdw")]
        for k, (row, name) in enumerate(twins.items()):
            if k < len(members) and name[3:] != members[k]:
                raise ValueError(
                    f"run {run}: row {row} is twin {k + 1} from {name}, but cluster message "
                    f"{k + 1} (to G_act) is from low{members[k]}; under per-member "
                    "validation the twin of low_i's message comes from sdw_i")


def validate_trace(trace: pd.DataFrame, scenario: Scenario) -> dict[int, dict[str, np.ndarray]]:
    """Check a trace against ``scenario`` and convert it to per-run arrays.

    Raises
    ------
    ValueError
        On a missing column, an unknown kind or process, a send without a valid
        destination, a delivery before its send, a non-finite or unsorted time, a
        send from G_low to G_sdw or the like, naming the run and row.

    Returns
    -------
    dict
        ``run -> {"t", "kind", "src", "dst", "t_deliver", "u_at", "u_comp",
        "d_notify"}`` numpy arrays, rows in trace order.
    """
    if not isinstance(trace, pd.DataFrame):
        raise ValueError(f"a trace must be a pandas DataFrame, got {type(trace).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in trace.columns]
    if missing:
        raise ValueError(f"trace is missing column(s) {missing}; "
                         f"required: {list(REQUIRED_COLUMNS)}")
    index = proc_index(scenario)
    n_low, n_act = scenario.n_low, scenario.n_act
    kind_map = {k: i for i, k in enumerate(KINDS)}
    kinds = trace["kind"].astype(str).to_numpy()
    bad = [k for k in pd.unique(kinds) if k not in kind_map]
    if bad:
        raise ValueError(f"trace column 'kind' has unknown value(s) {bad}; allowed: {list(KINDS)}")
    kind = np.array([kind_map[k] for k in kinds], dtype=np.int64)

    def names_to_idx(col: str, allow_empty: bool) -> np.ndarray:
        vals = trace[col].to_numpy(dtype=object)
        out = np.empty(len(vals), dtype=np.int64)
        for n, v in enumerate(vals):
            if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
                if not allow_empty:
                    raise ValueError(f"trace row {n}: column '{col}' is empty")
                out[n] = -1
            elif v in index:
                out[n] = index[v]
            else:
                raise ValueError(f"trace row {n}: unknown process {v!r} in column '{col}' "
                                 f"(this scenario has {', '.join(index)})")
        return out

    src = names_to_idx("src", False)
    dst = names_to_idx("dst", True)
    t = trace["t"].to_numpy(dtype=float)
    td = trace["t_deliver"].to_numpy(dtype=float)
    run = trace["run"].to_numpy()
    if len(run) and not np.issubdtype(np.asarray(run).dtype, np.integer):
        raise ValueError("trace column 'run' must hold integers")

    def col_or(name: str, fill: float) -> np.ndarray:
        if name not in trace.columns:
            return np.full(len(trace), fill)
        v = trace[name].to_numpy(dtype=float).copy()
        v[np.isnan(v)] = fill
        return v

    u_at = col_or("u_at", U_AT_MISSING)
    u_comp = col_or("u_comp", U_COMP_MISSING)
    d_notify = col_or("d_notify", 0.0)
    if np.any((u_at < 0) | (u_at >= 1)) or np.any((u_comp < 0) | (u_comp >= 1)):
        raise ValueError("trace columns 'u_at' and 'u_comp' must lie in [0, 1)")
    if np.any(d_notify < 0) or not np.all(np.isfinite(d_notify)):
        raise ValueError("trace column 'd_notify' must be finite and >= 0")

    def role(p: int) -> str:   # the process's group, named as in proc_names
        return ROLES[LOW if p < n_low else (ACT if p < n_low + n_act else SDW)]

    out: dict[int, dict[str, np.ndarray]] = {}
    for r in pd.unique(run):
        sel = np.flatnonzero(run == r)
        tr = t[sel]
        if not np.all(np.isfinite(tr)) or np.any(tr < 0):
            raise ValueError(f"trace run {r}: times must be finite and >= 0")
        if np.any(np.diff(tr) < 0):
            k = int(np.flatnonzero(np.diff(tr) < 0)[0])
            raise ValueError(f"trace run {r}: times are not sorted (row {sel[k + 1]} at "
                             f"t={tr[k + 1]} follows t={tr[k]})")
        if tr.size and tr[-1] > scenario.t_end:
            what = "mission" if scenario.mission > 0 else "horizon"
            raise ValueError(f"trace run {r}: an event at t={tr[-1]} lies beyond the "
                             f"{what} {scenario.t_end}")
        for n in sel:
            k, s_, d_ = kind[n], src[n], dst[n]
            if k == KIND_SEND:
                if d_ < 0:
                    raise ValueError(f"trace row {n}: a send needs a destination 'dst'")
                pair = (role(s_), role(d_))
                if pair not in (("low", "act"), ("low", "low"), ("act", "low"), ("act", "act"),
                                ("sdw", "sdw"), ("sdw", "act")) or s_ == d_:
                    raise ValueError(f"trace row {n}: a send from {role(s_)} to {role(d_)} "
                                     f"({trace['src'].iloc[n]} -> {trace['dst'].iloc[n]}) "
                                     "is not part of the system model")
                # a twin (sdw -> act) is suppressed in shadow mode: its t_deliver is ignored
                if pair != ("sdw", "act") and (math.isnan(td[n]) or td[n] < t[n]):
                    raise ValueError(f"trace row {n}: delivery at t_deliver={td[n]} is before "
                                     f"the send at t={t[n]} (or missing)")
            else:
                if d_ >= 0:
                    raise ValueError(f"trace row {n}: an {KINDS[k]} row must have an empty 'dst'")
                if k == KIND_FAULT and role(s_) != "low":
                    raise ValueError(f"trace row {n}: faults are activated in G_low processes "
                                     f"only, not in {trace['src'].iloc[n]}")
        out[int(r)] = dict(zip(ROW_ARRAYS, (tr, kind[sel], src[sel], dst[sel], td[sel],
                                            u_at[sel], u_comp[sel], d_notify[sel]), strict=True))
    return out


def trace_from_rows(rows: list[tuple], run: int = 0) -> pd.DataFrame:
    """Build a hand-written trace from short tuples (for tests, notebooks, docs).

    Each row is one of::

        ("send", t, src, dst)                  # delivered at once
        ("send", t, src, dst, t_deliver)
        ("output", t, src)                     # u_at, u_comp, d_notify left empty
        ("output", t, src, u_at, u_comp, d_notify)
        ("fault", t, src)

    Empty draws take the fill values of :func:`validate_trace`: an erroneous
    message is detected iff ``at_coverage == 1`` and compensation fails iff
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
