"""The validation of a trace: checked against a scenario, converted to the engines' arrays.

[`validate_trace`][mdcd_lab.traces.validate_trace] refuses a trace that is not a trace of the
scenario's system (docs/trace-format.md), naming the run and the row, and returns the
per-run arrays ``ROW_ARRAYS`` both engines play;
[`check_twin_members`][mdcd_lab.traces.check_twin_members] adds the pairing of twins by member that
``"mdcd-vector"`` needs.  Both are vectorised (numpy and pandas over whole
columns, one pass per check): memory is linear in the rows, and the first
offending row of each check is named.
"""

from __future__ import annotations

import difflib
from typing import Any

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
from .table import REQUIRED_COLUMNS, ROW_ARRAYS, TRACE_COLUMNS, proc_index

__all__ = ["validate_trace", "check_twin_members"]

#: The sends of the system model (Section 3.1), by the groups of sender and receiver.
SEND_PAIRS = (("low", "act"), ("low", "low"), ("act", "low"), ("act", "act"), ("sdw", "sdw"),
              ("sdw", "act"))
#: ``_ALLOWED[g_src, g_dst]``: a send between these groups (``LOW``, ``ACT``, ``SDW``)
#: is part of the system model.
_ALLOWED = np.zeros((3, 3), dtype=bool)
for _a, _b in SEND_PAIRS:
    _ALLOWED[ROLES.index(_a), ROLES.index(_b)] = True


def check_twin_members(trace: pd.DataFrame, scenario: Scenario) -> None:
    """Refuse a trace whose ``k``-th shadow twin is not from the ``k``-th cluster
    message's member.

    Twin ``k`` is the twin of cluster message ``k`` (docs/trace-format.md);
    ``"mdcd-vector"`` numbers each member's messages (and ``sdw_i`` its twins) on
    their own, so the twin of ``low_i``'s message must come from ``sdw_i``.
    Generated traces always satisfy this; a hand-written one may not.
    ``ValueError`` names the run and the row.  A trace without the columns is left
    to [`validate_trace`][mdcd_lab.traces.validate_trace]'s message.
    """
    if not isinstance(trace, pd.DataFrame) or not {"run", "kind", "src", "dst"} <= set(
            trace.columns):
        return
    sends = trace.loc[(trace["kind"] == "send").to_numpy(), ["run", "src", "dst"]]
    sends = sends[sends["dst"].astype(str).str.startswith("act").to_numpy()]
    src = sends["src"].astype(str)
    low, sdw = src.str.startswith("low").to_numpy(), src.str.startswith("sdw").to_numpy()
    members = pd.DataFrame({"run": sends["run"].to_numpy()[low],
                            "member": src.to_numpy()[low]})
    twins = pd.DataFrame({"run": sends["run"].to_numpy()[sdw], "name": src.to_numpy()[sdw],
                          "row": sends.index.to_numpy()[sdw]})
    members["k"] = members.groupby("run", sort=False).cumcount()
    twins["k"] = twins.groupby("run", sort=False).cumcount()
    both = twins.merge(members, on=["run", "k"], how="inner", sort=False)
    bad = both[both["name"].str[3:].to_numpy() != both["member"].str[3:].to_numpy()]
    if len(bad):
        first = bad.sort_values(["run", "row"]).iloc[0]     # the first run, its first twin
        k = int(first["k"])
        raise ValueError(
            f"run {first['run']}: row {first['row']} is twin {k + 1} from {first['name']}, "
            f"but cluster message {k + 1} (to G_act) is from {first['member']}; under "
            "per-member validation the twin of low_i's message comes from sdw_i")


def validate_trace(trace: pd.DataFrame, scenario: Scenario) -> dict[int, dict[str, np.ndarray]]:
    """Check a trace against ``scenario`` and convert it to per-run arrays.

    Raises
    ------
    ValueError
        On a missing or unknown column (with a suggestion for a misspelt one), a
        value that is not a number in a numeric column, a negative or non-integer
        run id, an unknown kind or process, a send without a valid destination, a
        delivery before its send or at a non-finite time, a non-finite or unsorted
        time, a send from G_low to G_sdw or the like, naming the column, the run
        and the row.

    Returns
    -------
    dict
        ``run -> {"t", "kind", "src", "dst", "t_deliver", "u_at", "u_comp",
        "d_notify"}`` numpy arrays, rows in trace order.
    """
    _check_columns(trace)
    kind = _codes(trace, "kind", list(KINDS), allow_empty=False, what="kind")
    index = proc_index(scenario)
    src = _codes(trace, "src", list(index), allow_empty=False, what="process")
    dst = _codes(trace, "dst", list(index), allow_empty=True, what="process")
    t = _floats(trace, "t")
    td = _floats(trace, "t_deliver")
    run = _runs(trace)
    u_at = _draw_column(trace, "u_at", U_AT_MISSING)
    u_comp = _draw_column(trace, "u_comp", U_COMP_MISSING)
    d_notify = _draw_column(trace, "d_notify", 0.0)
    for name, v in (("u_at", u_at), ("u_comp", u_comp)):
        _first_bad(trace, (v < 0) | (v >= 1), f"column '{name}' must lie in [0, 1)", name)
    _first_bad(trace, np.isinf(td), "column 't_deliver' must be a finite time, or empty "
               "where nothing is delivered", "t_deliver")
    _first_bad(trace, ~np.isfinite(d_notify) | (d_notify < 0),
               "column 'd_notify' must be finite and >= 0", "d_notify")
    # the runs in trace order are usually already sorted (every trace mdcd_lab writes
    # is): then each column is cut as it is, without a gather by a sort order
    in_order = bool(np.all(run[1:] >= run[:-1])) if len(run) > 1 else True
    order = None if in_order else np.argsort(run, kind="stable")
    _check_times(run, order, t, scenario)
    _check_rows(trace, run, kind, src, dst, t, td, scenario)
    run_o = run if order is None else run[order]
    starts = np.flatnonzero(np.r_[True, run_o[1:] != run_o[:-1]]) if len(run) else \
        np.zeros(0, dtype=np.int64)
    stops = np.r_[starts[1:], len(run)].astype(np.int64) if len(run) else starts
    # each column sorted by run once (a copy: the arrays are the engines' own, never
    # views of the caller's frame), then cut into per-run views; the runs in the order
    # of their first row, as in the trace
    bounds = list(zip(starts.tolist(), stops.tolist(), strict=True))
    columns = (t, kind, src, dst, td, u_at, u_comp, d_notify)
    columns = [(x if x.flags.owndata else x.copy()) if order is None else x[order]
               for x in columns]
    pieces = [[c[a:b] for a, b in bounds] for c in columns]
    runs = run_o[starts].tolist()
    out = dict(zip(runs, (dict(zip(ROW_ARRAYS, arrays, strict=True))
                          for arrays in zip(*pieces, strict=True)), strict=True))
    if order is None:
        return out
    first = order[starts]
    if np.any(np.diff(first) < 0):
        return {runs[i]: out[runs[i]] for i in np.argsort(first, kind="stable")}
    return out


def _check_columns(trace: Any) -> None:
    """A DataFrame with every required column and no unknown one."""
    if not isinstance(trace, pd.DataFrame):
        raise ValueError(f"a trace must be a pandas DataFrame, got {type(trace).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in trace.columns]
    if missing:
        raise ValueError(f"trace is missing column(s) {missing}; "
                         f"required: {list(REQUIRED_COLUMNS)}")
    for c in trace.columns:
        if c not in TRACE_COLUMNS:
            close = difflib.get_close_matches(str(c), TRACE_COLUMNS, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"trace has unknown column {c!r}{hint}; the columns of a trace "
                             f"are {', '.join(TRACE_COLUMNS)} (docs/trace-format.md)")


def _first_bad(trace: pd.DataFrame, bad: np.ndarray, what: str, col: str | None = None) -> None:
    """Raise ``ValueError`` naming the first row where ``bad`` holds."""
    if bad.any():
        n = int(np.argmax(bad))
        v = trace[col].iloc[n] if col is not None else None
        v = v.item() if isinstance(v, np.generic) else v
        value = f" (row {n}: {v!r})" if col is not None else f" (row {n})"
        raise ValueError(f"trace {what}{value}")


def _floats(trace: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` as floats; a value that is not a number names the column and row."""
    values = trace[col]
    try:
        return values.to_numpy(dtype=float)
    except (TypeError, ValueError):
        parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(parsed) & values.notna().to_numpy()
        n = int(np.argmax(bad))
        raise ValueError(f"trace column '{col}': row {n} holds {values.iloc[n]!r}, which is "
                         f"not a number") from None


def _runs(trace: pd.DataFrame) -> np.ndarray:
    """Column ``run``: integers >= 0."""
    run = trace["run"].to_numpy()
    if len(run) and not np.issubdtype(run.dtype, np.integer):
        raise ValueError("trace column 'run' must hold integers")
    _first_bad(trace, run < 0, "column 'run' must hold integers >= 0", "run")
    return run


def _codes(trace: pd.DataFrame, col: str, names: list[str], allow_empty: bool,
           what: str) -> np.ndarray:
    """Column ``col`` of names as indices into ``names`` (-1: empty, if allowed).

    One hash pass over the column (``pandas.factorize``), then a look-up of its
    few distinct values."""
    values = trace[col]
    fast = _arrow_codes(values, names, allow_empty)
    if fast is None and isinstance(values.dtype, pd.CategoricalDtype):
        # a categorical column (a generated trace's ``kind``): its categories looked up
        # once, its codes mapped; anything not a known name goes the slow way below
        lut = pd.Index(names).get_indexer(pd.Index(values.dtype.categories, dtype=object))
        codes = values.cat.codes.to_numpy()
        fast = lut[codes] if not (codes < 0).any() and (lut >= 0).all() else None
        fast = None if fast is None else fast.astype(np.int64)
    if fast is not None:
        return fast
    fact, uniq = pd.factorize(values)
    uniq = np.asarray(uniq, dtype=object)
    lut = pd.Index(names).get_indexer(pd.Index(uniq, dtype=object)).astype(np.int64) \
        if len(uniq) else np.zeros(0, dtype=np.int64)
    codes = np.where(fact < 0, -1, lut[np.maximum(fact, 0)] if len(uniq) else -1)
    if not (codes < 0).any():
        return codes
    raw = values.to_numpy(dtype=object)
    blank = np.flatnonzero(uniq == "")
    empty = (fact < 0) | (np.isin(fact, blank) if len(blank) else False)
    if col == "kind":
        bad = list(pd.unique(raw[codes < 0]))
        raise ValueError(f"trace column 'kind' has unknown value(s) {bad}; allowed: "
                         f"{list(KINDS)}")
    if empty.any() and not allow_empty:
        raise ValueError(f"trace row {int(np.argmax(empty))}: column '{col}' is empty")
    wrong = (codes < 0) & ~empty
    if wrong.any():
        n = int(np.argmax(wrong))
        raise ValueError(f"trace row {n}: unknown {what} {raw[n]!r} in column '{col}' "
                         f"(this scenario has {', '.join(names)})")
    return codes


def _arrow_codes(values: pd.Series, names: list[str], allow_empty: bool) -> np.ndarray | None:
    """Indices into ``names`` of a column of strings stored by pyarrow (pandas' string
    dtype on pyarrow, as read from Parquet or a generated trace), -1 where missing if
    ``allow_empty``, in one pass of ``pyarrow.compute.index_in``; None if the column is
    stored otherwise or holds a value not in ``names`` (an empty string included), so
    that ``_codes`` names the row."""
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    arr = pa.array(values.array)
    idx = pc.index_in(arr, value_set=pa.array(names, type=arr.type))
    if not idx.null_count:
        return idx.to_numpy().astype(np.int64)
    if not allow_empty:
        return None
    empty = pc.or_kleene(pc.is_null(arr), pc.equal(arr, ""))   # missing or ""
    if idx.null_count != pc.sum(empty).as_py():
        return None
    return pc.fill_null(idx, -1).to_numpy().astype(np.int64)


def _draw_column(trace: pd.DataFrame, name: str, fill: float) -> np.ndarray:
    """Column ``name`` of random draws, ``fill`` where missing (or the column absent)."""
    if name not in trace.columns:
        return np.full(len(trace), fill)
    v = _floats(trace, name).copy()
    v[np.isnan(v)] = fill
    return v


def _check_times(run: np.ndarray, order: np.ndarray | None, t: np.ndarray,
                 scenario: Scenario) -> None:
    """Each run's times: finite, non-negative, sorted, within the scenario (``order``:
    the rows sorted by run, None if they already are)."""
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        raise ValueError(f"trace run {run[int(np.argmax(bad))]}: times must be finite and "
                         f">= 0 (row {int(np.argmax(bad))}: t={t[int(np.argmax(bad))]})")
    t_o, run_o = (t, run) if order is None else (t[order], run[order])
    down = (np.diff(t_o) < 0) & (run_o[1:] == run_o[:-1])
    if down.any():
        k = int(np.argmax(down))
        after = k + 1 if order is None else order[k + 1]
        raise ValueError(f"trace run {run_o[k]}: times are not sorted (row {after} at "
                         f"t={t_o[k + 1]} follows t={t_o[k]})")
    late = t > scenario.t_end
    if late.any():
        n = int(np.argmax(late))
        what = "mission" if scenario.mission > 0 else "horizon"
        raise ValueError(f"trace run {run[n]}: an event at t={t[n]} lies beyond the "
                         f"{what} {scenario.t_end}")


def _groups(p: np.ndarray, scenario: Scenario) -> np.ndarray:
    """The group (``LOW``, ``ACT``, ``SDW``) of each process index of ``p`` (>= 0), by a
    look-up in the table of the scenario's processes."""
    n_low, n_act = scenario.n_low, scenario.n_act
    table = np.array([LOW] * n_low + [ACT] * n_act + [SDW] * n_low, dtype=np.int8)
    return table[p]


def _check_rows(trace: pd.DataFrame, run: np.ndarray, kind: np.ndarray, src: np.ndarray,
                dst: np.ndarray, t: np.ndarray, td: np.ndarray, scenario: Scenario) -> None:
    """Every row: a send of the system model delivered at a finite time after it is sent,
    or an output or a fault (faults in G_low only) without a destination."""
    send = kind == KIND_SEND
    if (send & (dst < 0)).any():
        n = int(np.argmax(send & (dst < 0)))
        raise ValueError(f"trace row {n}: a send needs a destination 'dst'")
    gs, gd = _groups(src, scenario), _groups(np.maximum(dst, 0), scenario)
    wrong = send & (~_ALLOWED[gs, gd] | (src == dst))
    if wrong.any():
        n = int(np.argmax(wrong))
        raise ValueError(f"trace row {n}: a send from {ROLES[gs[n]]} to {ROLES[gd[n]]} "
                         f"({trace['src'].iloc[n]} -> {trace['dst'].iloc[n]}) "
                         "is not part of the system model")
    # a twin (sdw -> act) is suppressed in shadow mode: its t_deliver is ignored
    with np.errstate(invalid="ignore"):
        late = send & ~((gs == SDW) & (gd == ACT)) & ~(np.isfinite(td) & (td >= t))
    if late.any():
        n = int(np.argmax(late))
        raise ValueError(f"trace row {n}: delivery at t_deliver={td[n]} is before the send "
                         f"at t={t[n]} (or missing, or not a finite time)")
    placed = ~send & (dst >= 0)
    if placed.any():
        n = int(np.argmax(placed))
        raise ValueError(f"trace row {n}: an {KINDS[kind[n]]} row must have an empty 'dst'")
    fault = (kind == KIND_FAULT) & (gs != LOW)
    if fault.any():
        n = int(np.argmax(fault))
        raise ValueError(f"trace row {n}: faults are activated in G_low processes "
                         f"only, not in {trace['src'].iloc[n]}")
