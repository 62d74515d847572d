"""The validation of a trace: checked against a scenario, converted to the engines' arrays.

:func:`validate_trace` refuses a trace that is not a trace of the scenario's
system (docs/trace-format.md), naming the run and the row, and returns the
per-run arrays :data:`~mdcd_lab.traces.table.ROW_ARRAYS` both engines play;
:func:`check_twin_members` adds the pairing of twins by member that
``"mdcd-vector"`` needs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

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
from .table import REQUIRED_COLUMNS, ROW_ARRAYS, proc_index

__all__ = ["validate_trace", "check_twin_members"]

#: The sends of the system model (Section 3.1), by the groups of sender and receiver.
SEND_PAIRS = (("low", "act"), ("low", "low"), ("act", "low"), ("act", "act"), ("sdw", "sdw"),
              ("sdw", "act"))


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
    kind_map = {k: i for i, k in enumerate(KINDS)}
    kinds = trace["kind"].astype(str).to_numpy()
    bad = [k for k in pd.unique(kinds) if k not in kind_map]
    if bad:
        raise ValueError(f"trace column 'kind' has unknown value(s) {bad}; allowed: {list(KINDS)}")
    kind = np.array([kind_map[k] for k in kinds], dtype=np.int64)
    index = proc_index(scenario)
    src = _proc_column(trace, "src", index, False)
    dst = _proc_column(trace, "dst", index, True)
    t = trace["t"].to_numpy(dtype=float)
    td = trace["t_deliver"].to_numpy(dtype=float)
    run = trace["run"].to_numpy()
    if len(run) and not np.issubdtype(np.asarray(run).dtype, np.integer):
        raise ValueError("trace column 'run' must hold integers")
    u_at = _draw_column(trace, "u_at", U_AT_MISSING)
    u_comp = _draw_column(trace, "u_comp", U_COMP_MISSING)
    d_notify = _draw_column(trace, "d_notify", 0.0)
    if np.any((u_at < 0) | (u_at >= 1)) or np.any((u_comp < 0) | (u_comp >= 1)):
        raise ValueError("trace columns 'u_at' and 'u_comp' must lie in [0, 1)")
    if np.any(d_notify < 0) or not np.all(np.isfinite(d_notify)):
        raise ValueError("trace column 'd_notify' must be finite and >= 0")
    out: dict[int, dict[str, np.ndarray]] = {}
    for r in pd.unique(run):
        sel = np.flatnonzero(run == r)
        _check_times(r, sel, t[sel], scenario)
        for n in sel:
            _check_row(trace, n, kind[n], src[n], dst[n], t[n], td[n], scenario)
        out[int(r)] = dict(zip(ROW_ARRAYS, (t[sel], kind[sel], src[sel], dst[sel], td[sel],
                                            u_at[sel], u_comp[sel], d_notify[sel]), strict=True))
    return out


def _proc_column(trace: pd.DataFrame, col: str, index: dict[str, int],
                 allow_empty: bool) -> np.ndarray:
    """Column ``col`` of process names as process indices (-1: empty, if allowed)."""
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


def _draw_column(trace: pd.DataFrame, name: str, fill: float) -> np.ndarray:
    """Column ``name`` of random draws, ``fill`` where missing (or the column absent)."""
    if name not in trace.columns:
        return np.full(len(trace), fill)
    v = trace[name].to_numpy(dtype=float).copy()
    v[np.isnan(v)] = fill
    return v


def _check_times(r, sel: np.ndarray, tr: np.ndarray, scenario: Scenario) -> None:
    """Run ``r``'s times (rows ``sel``): finite, non-negative, sorted, within the scenario."""
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


def _group(p: int, scenario: Scenario) -> str:
    """The group of process ``p``, named as in :func:`~mdcd_lab.traces.table.proc_names`."""
    return ROLES[LOW if p < scenario.n_low else (ACT if p < scenario.n_low + scenario.n_act
                                                 else SDW)]


def _check_row(trace: pd.DataFrame, n: int, k: int, s_: int, d_: int, t: float, td: float,
               scenario: Scenario) -> None:
    """Row ``n``: a send of the system model delivered after it is sent, or an output or
    a fault (faults in G_low only) without a destination."""
    if k == KIND_SEND:
        if d_ < 0:
            raise ValueError(f"trace row {n}: a send needs a destination 'dst'")
        pair = (_group(s_, scenario), _group(d_, scenario))
        if pair not in SEND_PAIRS or s_ == d_:
            raise ValueError(f"trace row {n}: a send from {pair[0]} to {pair[1]} "
                             f"({trace['src'].iloc[n]} -> {trace['dst'].iloc[n]}) "
                             "is not part of the system model")
        # a twin (sdw -> act) is suppressed in shadow mode: its t_deliver is ignored
        if pair != ("sdw", "act") and (math.isnan(td) or td < t):
            raise ValueError(f"trace row {n}: delivery at t_deliver={td} is before "
                             f"the send at t={t} (or missing)")
    else:
        if d_ >= 0:
            raise ValueError(f"trace row {n}: an {KINDS[k]} row must have an empty 'dst'")
        if k == KIND_FAULT and _group(s_, scenario) != ROLES[LOW]:
            raise ValueError(f"trace row {n}: faults are activated in G_low processes "
                             f"only, not in {trace['src'].iloc[n]}")
