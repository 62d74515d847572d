"""The tables of a run's space-time diagram, from its trace and event log.

[`spacetime_data`][mdcd_lab.plots.spacetime_data] turns ``(trace, events)`` of
[`mdcd_lab.run_events`][mdcd_lab.api.run_events] into a
[`SpacetimeData`][mdcd_lab.plots.SpacetimeData]: messages and notifications
(``mdcd_lab.plots.spacetime_channels``), checkpoints and their reclamation, log sizes and
checkpoints held as step functions, the intervals where a process believes itself dirty or really is
erroneous, and the rollbacks. [`mdcd_lab.plots.plot_spacetime`][mdcd_lab.plots.plot_spacetime] draws
them.  Nothing is simulated here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .spacetime_channels import _messages, _notifications, _split

__all__ = ["SpacetimeData", "spacetime_data"]

_GROUPS = (("low", "G_low", r"$G_\mathrm{low}$"), ("sdw", "G_sdw", r"$G_\mathrm{sdw}$"),
           ("act", "G_act", r"$G_\mathrm{act}$"))
#: Event-log columns the diagram reads (never ``info``, which is text for people).
_EVENT_COLUMNS = ("t", "proc", "event", "peer", "level", "index", "ckpt", "t_restore",
                  "dirty", "err", "k", "n", "n_rcv_log", "n_sender_log", "metric")


@dataclass
class SpacetimeData:
    """Everything the space-time diagram shows, as tables.

    Attributes
    ----------
    procs : list of str
        Process names from top to bottom (``G_low``, ``G_sdw``, ``G_act``).
    groups : dict
        ``{"G_low": [...], "G_sdw": [...], "G_act": [...]}``.
    outcome : str
        ``"completed"``, ``"failed"`` or ``"recovered"``.
    t_end : float
        End of the run (horizon, failure or recovery).
    t_fault, t_detect : float
        First fault activation and the failed AT that started recovery (NaN
        if none).
    messages : DataFrame
        One row per (message, receiver): ``src``, ``dst``, ``t_send``,
        ``t_deliver`` (NaN if unknown), ``delivered`` (consumed by ``t_end``),
        ``dirty`` and ``err`` (piggybacked dirty bit and ground truth, 0/1, NaN
        if unknown), ``level`` (piggybacked ``int_mSN_G_low``) and ``copy``
        (the copy of an ``act -> low_i`` message that ``sdw_i`` receives).
    twins : DataFrame
        Suppressed shadow twins: ``sdw``, ``dst``, ``t``, ``k``.
    marks : DataFrame
        Point events drawn as markers: the event-log rows (all their columns).
    checkpoints : DataFrame
        ``proc``, ``t``, ``rule`` (``"S1"``, ``"S2"`` or ``"line"`` for a
        coordinated checkpoint), ``ckpt`` (its ordinal in its process, the
        line number for a line), ``t_reclaimed`` (NaN if kept) and ``restored``
        (the checkpoint a rollback restores, by its ordinal).
    notifications : DataFrame
        "passed AT" notifications: ``origin``, ``recipient``, ``t_send``,
        ``t_arrive`` (``inf`` if unknown), ``arrived``, ``level``.
    logs : dict
        ``proc -> (times, sizes)``: log entries held (receiver-side log plus,
        for a shadow, its sender-side logs), a step function from 0 to
        ``t_end`` with one step per change (equal times kept, so momentary
        peaks are kept too).  Coordinated checkpointing logs channel state
        per line, not per process: it does not appear here.
    ckpts_held : dict
        ``proc -> (times, counts)``: checkpoints held, a step function.
    dirty : dict
        ``proc -> [(t0, t1), ...]``: intervals where the process believes it
        may be contaminated (``G_low`` always; ``G_act``/``G_sdw``, and a
        ``G_low`` process that checkpoints under a protocol variant, while
        they hold a checkpoint, D2).  Empty when unknown (coordinated
        checkpointing).
    erroneous_from : dict
        ``proc -> t``: when the process became erroneous (ground truth).
    rollbacks : DataFrame
        ``proc``, ``t`` (recovery), ``t_restore``, ``undone`` (receptions
        undone) and ``replayed`` (log entries replayed).
    resent : dict
        ``sdw -> n``: messages and outputs re-sent by that shadow at takeover.
    recovered_at : dict
        Process -> when it acted on the recovery (executed recovery: its notice, or the
        two-phase release; atomic: the detection).
    n_suppress : int
        Regenerated messages the shadows will still suppress after takeover.
    violations : dict
        ``oracle metric -> count`` of the oracle's violations (empty if none).
    """

    procs: list[str]
    groups: dict[str, list[str]]
    outcome: str
    t_end: float
    t_fault: float
    t_detect: float
    messages: pd.DataFrame
    twins: pd.DataFrame
    marks: pd.DataFrame
    checkpoints: pd.DataFrame
    notifications: pd.DataFrame
    logs: dict[str, tuple[np.ndarray, np.ndarray]]
    ckpts_held: dict[str, tuple[np.ndarray, np.ndarray]]
    dirty: dict[str, list[tuple[float, float]]]
    erroneous_from: dict[str, float]
    rollbacks: pd.DataFrame
    resent: dict[str, int] = field(default_factory=dict)
    n_suppress: int = 0
    violations: dict[str, int] = field(default_factory=dict)
    recovered_at: dict[str, float] = field(default_factory=dict)


def _select_run(trace: pd.DataFrame | None, run: int | None) -> pd.DataFrame | None:
    if trace is None:
        return None
    if not isinstance(trace, pd.DataFrame):
        raise TypeError(f"trace must be a DataFrame or None, got {type(trace).__name__}")
    missing = [c for c in ("t", "kind", "src", "dst") if c not in trace.columns]
    if missing:
        raise ValueError(f"trace lacks column(s) {missing}; see docs/trace-format.md")
    if "run" in trace.columns:
        runs = pd.unique(trace["run"])
        if run is not None:
            trace = trace[trace["run"] == run]
            if trace.empty:
                raise ValueError(f"run {run} is not in the trace (runs: {sorted(runs)[:10]})")
        elif len(runs) > 1:
            raise ValueError(f"the trace holds {len(runs)} runs; pass run=... to choose the "
                             f"one the event log belongs to")
    return trace.reset_index(drop=True)


def _process_names(events: pd.DataFrame, trace: pd.DataFrame | None,
                   scenario: Any) -> dict[str, list[str]]:
    if scenario is not None:
        n = {"low": scenario.n_low, "sdw": scenario.n_low, "act": scenario.n_act}
    else:
        n = {"low": 0, "sdw": 0, "act": 0}
        names = set(events["proc"]) | set(events["peer"])
        if trace is not None:
            names |= set(trace["src"].astype(str)) | set(trace["dst"].astype(str))
        for name in names:
            parts = _split(name)
            if parts:
                n[parts[0]] = max(n[parts[0]], parts[1] + 1)
        n["low"] = n["sdw"] = max(n["low"], n["sdw"])
    return {label: [f"{prefix}{i}" for i in range(n[prefix])] for prefix, label, _ in _GROUPS}


def _run_end(events: pd.DataFrame, trace: pd.DataFrame | None,
             scenario: Any) -> tuple[str, float, float]:
    rec = events[events["event"] == "recovery"]
    if len(rec):
        t = float(rec["t"].iloc[0])
        quiet = events[events["event"] == "quiet"]   # executed recovery: the window's end
        return "recovered", float(quiet["t"].iloc[0]) if len(quiet) else t, t
    fail = events[events["event"] == "failure"]
    if len(fail):
        return "failed", float(fail["t"].iloc[0]), math.nan
    if scenario is not None:
        return "completed", float(scenario.horizon), math.nan
    t_max = float(events["t"].max()) if len(events) else 0.0
    if trace is not None and len(trace):
        t_max = max(t_max, float(trace["t"].max()))
    return "completed", t_max, math.nan


def _step(changes: list[tuple[float, int, str]], t_end: float) -> tuple[np.ndarray, np.ndarray]:
    """Step function from (time, value, mode) changes; mode '+' adds, '=' sets."""
    times, values, v = [0.0], [0], 0
    for t, dv, mode in changes:
        v = dv if mode == "=" else v + dv
        times.append(t)
        values.append(v)
    times.append(t_end)
    values.append(v)
    return np.asarray(times, float), np.asarray(values, float)


def _checkpoint_history(ev: pd.DataFrame, members: list[str], coordinated: bool):
    """Per process: its checkpoints ``[t, rule, ordinal, t_reclaimed, restored]``, the
    changes of its log size and of its checkpoint count, from the event log."""
    ckpts: dict[str, list[list[Any]]] = defaultdict(list)
    log_changes: dict[str, list] = defaultdict(list)
    held_changes: dict[str, list] = defaultdict(list)
    for t, proc, event, index, ckpt, n_ck, n_rcv, n_snd in zip(
            *(ev[c] for c in ("t", "proc", "event", "index", "ckpt", "n", "n_rcv_log",
                              "n_sender_log")), strict=True):
        t = float(t)
        if event in ("ckpt_s1", "ckpt_s2"):
            ckpts[proc].append([t, "S1" if event == "ckpt_s1" else "S2", int(ckpt), math.nan,
                                False])
            held_changes[proc].append((t, 1, "+"))
        elif event == "coord_ckpt":
            for p in members:
                ckpts[p].append([t, "line", int(ckpt), math.nan, False])
        elif event in ("log_rcv", "log_sdr", "log_ext"):
            log_changes[proc].append((t, 1, "+"))
        elif event == "reclaim":
            # reclamation deletes the oldest checkpoints (indices grow with time)
            kept = [c for c in ckpts[proc] if math.isnan(c[3])]
            for c in kept[:int(n_ck)]:
                c[3] = t
            if n_rcv or n_snd:
                log_changes[proc].append((t, -int(n_rcv + n_snd), "+"))
            if not coordinated:
                held_changes[proc].append((t, int(index), "="))
    return ckpts, log_changes, held_changes


def _rollbacks(ev: pd.DataFrame, ckpts: dict[str, list[list[Any]]]) -> pd.DataFrame:
    """One row per rollback; marks the restored checkpoint (by its ordinal) in ``ckpts``."""
    rollbacks = []
    replayed = ev[ev["event"] == "replay"]["proc"].value_counts()
    for t, proc, ckpt, t_restore, undone in zip(
            *(ev.loc[ev["event"] == "rollback", c]
              for c in ("t", "proc", "ckpt", "t_restore", "n")), strict=True):
        rollbacks.append((proc, float(t), float(t_restore), int(undone),
                          int(replayed.get(proc, 0))))
        for c in ckpts[proc]:
            if c[2] == ckpt and math.isnan(c[3]):
                c[4] = True
    return pd.DataFrame(rollbacks, columns=["proc", "t", "t_restore", "undone", "replayed"])


def _dirty_spans(times, counts, t_end: float) -> list[tuple[float, float]]:
    """The time spans in which a process holds a checkpoint (D2: it is dirty)."""
    spans, start = [], None
    for t, c in zip(times, counts, strict=True):
        if c > 0 and start is None:
            start = t
        elif c <= 0 and start is not None:
            spans.append((start, t))
            start = None
    if start is not None:
        spans.append((start, t_end))
    return [s for s in spans if s[1] > s[0]]


def _erroneous_from(ev: pd.DataFrame, faults: pd.DataFrame, g_low: list[str],
                    tracked: list[str], scenario: Any) -> dict[str, float]:
    """When each process became erroneous (ground truth: faults, contamination)."""
    erroneous_from: dict[str, float] = {}
    scope = getattr(scenario, "fault_scope", "cluster")
    for t, proc in zip(faults["t"], faults["proc"], strict=True):
        # cluster scope: the activation makes every member erroneous (D17), except
        # members a protocol variant runs as ordinary processes (they checkpoint)
        targets = [q for q in g_low if q == proc or q not in tracked] \
            if scope == "cluster" else [proc]
        for q in targets:
            erroneous_from.setdefault(q, float(t))
    cont = ev[ev["event"] == "contaminated"]
    for t, proc in zip(cont["t"], cont["proc"], strict=True):
        erroneous_from.setdefault(str(proc), float(t))
    return erroneous_from


def spacetime_data(trace: pd.DataFrame | None, events: pd.DataFrame, scenario: Any = None,
                   run: int | None = None) -> SpacetimeData:
    """Tidy tables of one run's space-time diagram.

    Parameters
    ----------
    trace : DataFrame or None
        The run's trace (``run_events`` returns it); gives the delivery times
        of messages still in transit at the end and the notification delays.
        May hold several runs if ``run`` is given.  ``None``: those are
        unknown.
    events : DataFrame
        The run's event log (columns ``t, proc, event, peer, level, index,
        info``).
    scenario : Scenario, optional
        Gives the process counts, the horizon and the fault scope; otherwise
        they are inferred from the names in the log and trace.
    run : int, optional
        Which run of ``trace`` the log belongs to.

    Returns
    -------
    SpacetimeData

    Notes
    -----
    Channels are FIFO, so the n-th send on a (sender, receiver) channel is
    the n-th delivery on it; ``act_j -> low_i`` sends also reach ``sdw_i``
    (D16).  A process is drawn dirty while it holds a checkpoint (D2:
    ``dirty_bit = size(ckpt_array) > 1`` counting the base entry).
    """
    if not isinstance(events, pd.DataFrame):
        raise TypeError(f"events must be the event DataFrame of run_events, got "
                        f"{type(events).__name__}")
    missing = [c for c in _EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"events lacks column(s) {missing}; pass the event log of "
                         f"mdcd_lab.run_events")
    trace = _select_run(trace, run)
    events = events.reset_index(drop=True)
    groups = _process_names(events, trace, scenario)
    procs = [p for label in ("G_low", "G_sdw", "G_act") for p in groups[label]]
    outcome, t_end, t_detect = _run_end(events, trace, scenario)
    ev = events
    faults = ev[ev["event"] == "fault"]
    t_fault = float(faults["t"].min()) if len(faults) else math.nan

    messages = _messages(ev, trace)
    tw = ev[ev["event"] == "log_sdr"]
    twins = pd.DataFrame({"sdw": tw["proc"].astype(str).to_numpy(),
                          "dst": tw["peer"].astype(str).to_numpy(),
                          "t": tw["t"].to_numpy(float),
                          "k": tw["k"].to_numpy(np.int64)})
    mark_events = ("at_pass", "at_fail", "compensated", "output", "failure", "fault",
                   "reclaim", "log_ext", "notice", "release", "discard")
    marks = ev[ev["event"].isin(mark_events)]
    empty_reclaim = ((marks["event"] == "reclaim") & (marks["n"] == 0)
                     & (marks["n_rcv_log"] == 0) & (marks["n_sender_log"] == 0))
    marks = marks[~empty_reclaim].reset_index(drop=True)

    # checkpoints, reclamation, logs
    coordinated = bool((ev["event"] == "coord_ckpt").any())
    members = [p for p in procs if not p.startswith("low")]
    ckpts, log_changes, held_changes = _checkpoint_history(ev, members, coordinated)
    rollbacks_df = _rollbacks(ev, ckpts)
    ck_rows = [(p, *c) for p in procs for c in ckpts.get(p, [])]
    checkpoints = pd.DataFrame(ck_rows, columns=["proc", "t", "rule", "ckpt", "t_reclaimed",
                                                 "restored"])
    # G_act and G_sdw, plus any G_low process that checkpoints or logs (a protocol
    # variant may run some cluster members as ordinary high-confidence processes)
    tracked = [p for p in procs if p in members or p in ckpts or p in log_changes]
    logs = {p: _step(log_changes.get(p, []), t_end) for p in tracked}
    ckpts_held = {p: _step(held_changes.get(p, []), t_end) for p in tracked}

    dirty: dict[str, list[tuple[float, float]]] = {
        p: [(0.0, t_end)] for p in groups["G_low"] if p not in tracked}
    if not coordinated:
        dirty.update({p: _dirty_spans(*ckpts_held[p], t_end) for p in tracked})
    erroneous_from = _erroneous_from(ev, faults, groups["G_low"], tracked, scenario)

    resent = ev[ev["event"] == "resend"]["proc"].value_counts()
    sup = ev[ev["event"] == "suppress"]["n"]
    back = ev[ev["event"].isin(["recovery", "notice", "release"])]   # executed recovery
    recovered_at = {str(p): float(t) for t, p in zip(back["t"], back["proc"], strict=True)}
    vio = ev[ev["event"] == "violation"]
    return SpacetimeData(
        procs=procs, groups=groups, outcome=outcome, t_end=t_end, t_fault=t_fault,
        t_detect=t_detect, messages=messages, twins=twins, marks=marks,
        checkpoints=checkpoints,
        notifications=_notifications(ev, trace, procs, t_end), logs=logs,
        ckpts_held=ckpts_held, dirty=dirty, erroneous_from=erroneous_from,
        rollbacks=rollbacks_df, resent={str(k): int(v) for k, v in resent.items()},
        n_suppress=int(sup.sum()), recovered_at=recovered_at,
        violations={str(m): int(n) for m, n in zip(vio["metric"], vio["n"], strict=True)})
