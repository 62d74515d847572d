"""The space-time diagram of one run, drawn from its trace and event log.

One horizontal line per process, grouped ``G_low`` / ``G_sdw`` / ``G_act``, time
running to the right.  Messages are arrows from (send time, sender) to
(delivery time, receiver), coloured by the dirty bit they piggyback, with a red
halo when they are erroneous in the ground truth; the process lines show when
each process believes itself dirty (orange) and when it really is erroneous
(red band).  Checkpoints (S1, S2), reclamations, acceptance tests and their
notifications, the receiver/sender log size of each process, the fault, the
detection and the recovery line complete the picture.

:func:`spacetime_data` turns ``(trace, events)`` of :func:`mdcd_lab.run_events`
into tidy tables (messages, checkpoints, notifications, logs, rollbacks ...);
:func:`plot_spacetime` draws them.  Nothing is simulated here.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.transforms import ScaledTranslation

from .style import OKABE_ITO, legend_below, new_figure, style_axes, style_context

__all__ = ["SpacetimeData", "spacetime_data", "plot_spacetime", "SPACETIME_COLORS"]

_O = OKABE_ITO
#: Colours of the diagram's elements.
SPACETIME_COLORS: dict[str, str] = {
    "clean_msg": _O["blue"],
    "dirty_msg": _O["orange"],
    "error": _O["vermillion"],
    "dirty_proc": _O["orange"],
    "process": "#4D4D4D",
    "at_pass": _O["bluish_green"],
    "at_fail": _O["vermillion"],
    "notify": _O["bluish_green"],
    "reclaim": _O["bluish_green"],
    "recovery": _O["reddish_purple"],
    "log": "#8C8C8C",
    "twin": "#8C8C8C",
    "reclaimed_ckpt": "#A6A6A6",
}

_GROUPS = (("low", "G_low", r"$G_\mathrm{low}$"), ("sdw", "G_sdw", r"$G_\mathrm{sdw}$"),
           ("act", "G_act", r"$G_\mathrm{act}$"))
_NAME_RE = re.compile(r"^(low|act|sdw)(\d+)$")
#: Event-log columns the diagram reads (never ``info``, which is text for people).
_EVENT_COLUMNS = ("t", "proc", "event", "peer", "level", "index", "ckpt", "t_restore",
                  "dirty", "err", "k", "n", "n_rcv_log", "n_sender_log", "metric")
_TOL = 1e-9


# --------------------------------------------------------------------------- data
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


def _split(name: str) -> tuple[str, int] | None:
    m = _NAME_RE.match(str(name))
    return (m.group(1), int(m.group(2))) if m else None


def _known(v: Any) -> float:
    """An event field as a float; its "not set" value -1 as NaN."""
    return math.nan if v < 0 else float(v)


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
        return "recovered", t, t
    fail = events[events["event"] == "failure"]
    if len(fail):
        return "failed", float(fail["t"].iloc[0]), math.nan
    if scenario is not None:
        return "completed", float(scenario.horizon), math.nan
    t_max = float(events["t"].max()) if len(events) else 0.0
    if trace is not None and len(trace):
        t_max = max(t_max, float(trace["t"].max()))
    return "completed", t_max, math.nan


def _messages(events: pd.DataFrame, trace: pd.DataFrame | None) -> pd.DataFrame:
    trace_td: dict[tuple[str, str], list[float]] = defaultdict(list)
    if trace is not None:
        sends = trace[trace["kind"] == "send"]
        tds = (sends["t_deliver"].to_numpy(dtype=float) if "t_deliver" in sends.columns
               else np.full(len(sends), np.nan))
        for s, d, td in zip(sends["src"].astype(str), sends["dst"].astype(str), tds,
                            strict=True):
            trace_td[s, d].append(float(td))
    delivered: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)
    dl = events[events["event"] == "deliver"]
    for t, proc, peer, dirty, err in zip(*(dl[c] for c in ("t", "proc", "peer", "dirty", "err")),
                                         strict=True):
        delivered[str(peer), str(proc)].append((float(t), _known(dirty), _known(err)))
    n_sent: dict[tuple[str, str], int] = defaultdict(int)
    n_recv: dict[tuple[str, str], int] = defaultdict(int)
    rows = []
    sd = events[events["event"] == "send"]
    for t, src, dst, level, s_dirty, s_err in zip(
            *(sd[c] for c in ("t", "proc", "peer", "level", "dirty", "err")), strict=True):
        src, dst = str(src), str(dst)
        k = n_sent[src, dst]
        n_sent[src, dst] += 1
        tds = trace_td.get((src, dst), [])
        td = tds[k] if k < len(tds) else math.nan
        receivers = [(dst, False)]
        s_parts, d_parts = _split(src), _split(dst)
        if s_parts and d_parts and s_parts[0] == "act" and d_parts[0] == "low":
            receivers.append((f"sdw{d_parts[1]}", True))   # D16: the shadow gets a copy
        for rcv, is_copy in receivers:
            j = n_recv[src, rcv]
            n_recv[src, rcv] += 1
            got = delivered.get((src, rcv), [])
            if j < len(got):
                t_del, d_dirty, d_err = got[j]
                ok = True
            else:
                t_del, d_dirty, d_err, ok = td, math.nan, math.nan, False
            # what the sender piggybacked, else what the receiver saw
            dirty = _known(s_dirty) if s_dirty >= 0 else d_dirty
            err = _known(s_err) if s_err >= 0 else d_err
            rows.append((src, rcv, float(t), t_del, ok, dirty, err, _level(level), is_copy))
    return pd.DataFrame(rows, columns=["src", "dst", "t_send", "t_deliver", "delivered",
                                       "dirty", "err", "level", "copy"])


def _level(v: object) -> object:
    """A level as drawn: an ``int``, or a tuple of per-member counters (``"mdcd-vector"``)."""
    return tuple(int(x) for x in v) if isinstance(v, tuple) else int(v)


def _notifications(events: pd.DataFrame, trace: pd.DataFrame | None, procs: list[str],
                   t_end: float) -> pd.DataFrame:
    recipients_all = [p for p in procs if not p.startswith("low")]
    notified = events[events["event"] == "notified"]
    used: set[int] = set()
    outputs = None
    if trace is not None and "d_notify" in trace.columns:
        outputs = trace[trace["kind"] == "output"]
    rows = []
    for t0, origin, level, index in zip(*(events.loc[events["event"] == "notify", c]
                                          for c in ("t", "proc", "level", "index")),
                                        strict=True):
        t0 = float(t0)
        t_arr = math.inf
        if outputs is not None:
            hit = outputs[(outputs["src"].astype(str) == origin)
                          & (np.abs(outputs["t"].to_numpy(float) - t0) <= _TOL)]
            if len(hit):
                d = float(hit["d_notify"].iloc[0])
                t_arr = t0 + (0.0 if math.isnan(d) else d)
        if math.isinf(t_arr):   # no trace: the first unused matching arrival
            cand = notified[(notified["level"].map(lambda v, lv=level: v == lv))
                            & (notified["index"] == index)
                            & (notified["t"] >= t0 - _TOL) & ~notified.index.isin(used)]
            if len(cand):
                t_arr = float(cand["t"].iloc[0])
        if not math.isinf(t_arr):
            used.update(notified.index[np.abs(notified["t"].to_numpy(float) - t_arr) <= _TOL])
        for r in recipients_all:
            if r != origin:
                rows.append((origin, r, t0, t_arr, t_arr <= t_end + _TOL, _level(level)))
    return pd.DataFrame(rows, columns=["origin", "recipient", "t_send", "t_arrive", "arrived",
                                       "level"])


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
                   "reclaim", "log_ext")
    marks = ev[ev["event"].isin(mark_events)]
    empty_reclaim = ((marks["event"] == "reclaim") & (marks["n"] == 0)
                     & (marks["n_rcv_log"] == 0) & (marks["n_sender_log"] == 0))
    marks = marks[~empty_reclaim].reset_index(drop=True)

    # checkpoints, reclamation, logs
    ckpts: dict[str, list[list[Any]]] = defaultdict(list)
    log_changes: dict[str, list] = defaultdict(list)
    held_changes: dict[str, list] = defaultdict(list)
    coordinated = bool((ev["event"] == "coord_ckpt").any())
    members = [p for p in procs if not p.startswith("low")]
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
    rollbacks = []
    replayed = ev[ev["event"] == "replay"]["proc"].value_counts()
    for t, proc, ckpt, t_restore, undone in zip(
            *(ev.loc[ev["event"] == "rollback", c]
              for c in ("t", "proc", "ckpt", "t_restore", "n")), strict=True):
        rollbacks.append((proc, float(t), float(t_restore), int(undone),
                          int(replayed.get(proc, 0))))
        for c in ckpts[proc]:    # the restored checkpoint, by its ordinal
            if c[2] == ckpt and math.isnan(c[3]):
                c[4] = True
    rollbacks_df = pd.DataFrame(rollbacks, columns=["proc", "t", "t_restore", "undone",
                                                    "replayed"])
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
        for p in tracked:
            times, counts = ckpts_held[p]
            spans, start = [], None
            for t, c in zip(times, counts, strict=True):
                if c > 0 and start is None:
                    start = t
                elif c <= 0 and start is not None:
                    spans.append((start, t))
                    start = None
            if start is not None:
                spans.append((start, t_end))
            dirty[p] = [s for s in spans if s[1] > s[0]]

    erroneous_from: dict[str, float] = {}
    scope = getattr(scenario, "fault_scope", "cluster")
    for t, proc in zip(faults["t"], faults["proc"], strict=True):
        # cluster scope: the activation makes every member erroneous (D17), except
        # members a protocol variant runs as ordinary processes (they checkpoint)
        targets = [q for q in groups["G_low"] if q == proc or q not in tracked] \
            if scope == "cluster" else [proc]
        for q in targets:
            erroneous_from.setdefault(q, float(t))
    cont = ev[ev["event"] == "contaminated"]
    for t, proc in zip(cont["t"], cont["proc"], strict=True):
        erroneous_from.setdefault(str(proc), float(t))

    resent = ev[ev["event"] == "resend"]["proc"].value_counts()
    sup = ev[ev["event"] == "suppress"]["n"]
    vio = ev[ev["event"] == "violation"]
    return SpacetimeData(
        procs=procs, groups=groups, outcome=outcome, t_end=t_end, t_fault=t_fault,
        t_detect=t_detect, messages=messages, twins=twins, marks=marks,
        checkpoints=checkpoints,
        notifications=_notifications(ev, trace, procs, t_end), logs=logs,
        ckpts_held=ckpts_held, dirty=dirty, erroneous_from=erroneous_from,
        rollbacks=rollbacks_df, resent={str(k): int(v) for k, v in resent.items()},
        n_suppress=int(sup.iloc[0]) if len(sup) else 0,
        violations={str(m): int(n) for m, n in zip(vio["metric"], vio["n"], strict=True)})


# --------------------------------------------------------------------------- drawing
_C = SPACETIME_COLORS
_GAP = 0.8          # extra space between groups, in line spacings
_MARKS = {          # event -> (legend label, Line2D style)
    "fault": ("fault", dict(marker="*", color=_C["error"], markersize=8,
                                       markeredgewidth=0.4, markeredgecolor="black")),
    "at_pass": ("AT passed", dict(marker="^", color=_C["at_pass"], markersize=4.5,
                                            markeredgewidth=0.4, markeredgecolor="black")),
    "at_fail": ("AT failed", dict(marker="v", color=_C["at_fail"], markersize=5,
                                  markeredgewidth=0.4, markeredgecolor="black")),
    "compensated": ("compensated", dict(marker="P", color="white", markersize=5,
                                              markeredgewidth=0.8,
                                              markeredgecolor=_C["at_pass"])),
    "failure": ("failure (bad output)", dict(marker="X", color="black",
                                                        markersize=7)),
    "output": ("output (no AT)", dict(marker="o", color="white", markersize=3,
                                         markeredgewidth=0.6, markeredgecolor="#4D4D4D")),
    "log_ext": ("shadow output (held)", dict(marker="x", color=_C["twin"], markersize=3.5,
                                                 markeredgewidth=0.8)),
    "reclaim": ("reclamation", dict(marker="|", color=_C["reclaim"], markersize=7,
                                    markeredgewidth=1.3)),
}
_CKPT_STYLE = {
    "S1": ("S1 ckpt", dict(marker="s", color="black", markersize=3.8,
                                 markeredgewidth=0.6, markeredgecolor="black")),
    "S2": ("S2 ckpt", dict(marker="s", color="white", markersize=3.8,
                                 markeredgewidth=0.9, markeredgecolor="black")),
    "line": ("coordinated ckpt", dict(marker="|", color="black", markersize=8,
                                            markeredgewidth=1.3)),
}


def _halo() -> list[Any]:
    return [patheffects.Stroke(linewidth=2.6, foreground=_C["error"], alpha=0.4),
            patheffects.Normal()]


def _y_positions(data: SpacetimeData) -> dict[str, float]:
    y, pos = {}, 0.0
    for g, label in enumerate(("G_low", "G_sdw", "G_act")):
        for p in data.groups[label]:
            y[p] = -pos
            pos += 1.0
        if data.groups[label] and g < 2:
            pos += _GAP
    return y


def _overlaps(a: float, b: float, lo: float, hi: float) -> bool:
    if math.isnan(b):
        b = a
    return min(a, b) <= hi and max(a, b) >= lo


def _at(times: np.ndarray, values: np.ndarray, t: float) -> float:
    i = int(np.searchsorted(times, t, side="right")) - 1
    return float(values[max(i, 0)])


def _title(data: SpacetimeData) -> str:
    text = f"{data.outcome} at t = {data.t_end:.4g}"
    if data.outcome == "recovered":
        n = len(data.rollbacks)
        text += f": {n} process{'es' if n != 1 else ''} roll back"
        r = sum(data.resent.values())
        if r:
            text += f", shadows re-send {r}"
    if data.violations:
        text += "\noracle violation: " + ", ".join(f"{k}={v}" for k, v in data.violations.items())
    return text


def plot_spacetime(trace: pd.DataFrame | None, events: pd.DataFrame, scenario: Any = None,
                   t_range: tuple[float, float] | None = None, ax: Axes | None = None, *,
                   run: int | None = None, width: str | float = "double",
                   title: str | None = None, show_logs: bool = True,
                   show_notifications: bool = True, legend: bool = True) -> Figure:
    """Space-time diagram of one run.

    Parameters
    ----------
    trace : DataFrame or None
        The run's trace, as returned by :func:`mdcd_lab.run_events` (used
        for the delivery times of messages still in transit at the end and
        for notification delays).
    events : DataFrame
        The run's event log from :func:`mdcd_lab.run_events`.
    scenario : Scenario, optional
        Process counts, horizon and fault scope (inferred from the names in
        the log otherwise; then idle processes may be missing).
    t_range : (float, float), optional
        Time window to show (zoom).  Default: the whole run, ``[0, t_end]``.
    ax : Axes, optional
        Draw here (the legend goes under it); default: a new figure.
    run : int, optional
        Which run of ``trace`` the log belongs to, if it holds several.
    width : {"single", "double"} or float, default "double"
        Width of a new figure (ignored with ``ax``).
    title : str, optional
        Axes title; default: the outcome, the rollbacks and any oracle
        violation.  ``""`` for none.
    show_logs : bool, default True
        Draw each process's log size as a grey step area above its line (all
        on one scale; the legend gives the tallest value).
    show_notifications : bool, default True
        Draw "passed AT" notifications as dotted lines to every recipient.
    legend : bool, default True
        Legend under the axes, listing only what is drawn.

    Returns
    -------
    Figure

    Notes
    -----
    What is drawn (every element has a ``gid`` so that it can be found in the
    figure): process lines (``"process"``; orange ``"dirty"`` while the
    process believes it may be contaminated, a red ``"erroneous"`` band
    from when it really is); one arrow per delivery (``"message"``; blue:
    piggybacked dirty bit 0, orange: 1, red halo: erroneous in the ground
    truth), dashed lines for messages still in transit when the run ends
    (``"in_transit"``) and for the shadows' suppressed twins to ``G_act``
    (``"twin"``); checkpoints (``"ckpt_S1"`` filled, ``"ckpt_S2"`` open,
    grey ``"ckpt_reclaimed"`` once a notification reclaimed them); the
    markers of :data:`_MARKS` (``"fault"``, ``"at_pass"``, ...); dotted
    ``"notification"`` lines; the ``"log"`` areas; and at recovery the
    ``"recovery_line"`` through the restored states, ``"rollback"`` arrows
    from the detection back to each restored checkpoint, ``"restored"``
    rings and ``"discarded"`` crosses on ``G_low``.  The top axis marks the
    first fault and the detection (or the failure).
    """
    data = spacetime_data(trace, events, scenario, run)
    if t_range is None:
        lo, hi = 0.0, data.t_end
    else:
        lo, hi = (float(v) for v in t_range)
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            raise ValueError(f"t_range must be (start, stop) with start < stop, got {t_range!r}")
    if hi <= lo:
        hi = lo + 1.0
    y = _y_positions(data)
    entries: dict[str, Any] = {}

    own = ax is None
    with style_context():
        if ax is None:
            n = max(len(data.procs), 1)
            fig, ax = new_figure(width, height=1.05 + 0.2 * n)
        else:
            fig = ax.figure
        ax.grid(False)
        ax.grid(True, axis="x")
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)

        _draw_processes(ax, data, y, lo, hi, entries)
        if show_logs:
            _draw_logs(ax, data, y, lo, hi, entries)
        if show_notifications:
            _draw_notifications(ax, data, y, lo, hi, entries)
        _draw_messages(ax, data, y, lo, hi, entries)
        _draw_checkpoints(ax, data, y, lo, hi, entries)
        _draw_marks(ax, data, y, lo, hi, entries)
        if data.outcome == "recovered":
            _draw_recovery(ax, data, y, lo, hi, entries)

        pad = 0.015 * (hi - lo)
        ax.set_xlim(lo - pad, hi + pad)
        ys = list(y.values()) or [0.0]
        ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
        ax.set_yticks([y[p] for p in data.procs], data.procs)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("time (time units)")
        _group_axis(ax, data, y)
        _time_marks(ax, data, lo, hi)
        text = _title(data) if title is None else title
        if text:
            per_line = int(ax.get_position().width * fig.get_figwidth() * 72 / (0.55 * 7.5))
            text = "\n".join(textwrap.fill(part, max(per_line, 20))
                              for part in text.split("\n"))
            ax.set_title(text, loc="left", fontsize=7.5)
        style_axes(ax)
        if legend and entries:
            legend_below(ax, list(entries.values()), list(entries.keys()),
                         grow_figure=own)
    return fig


def _draw_processes(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
                    entries: dict[str, Any]) -> None:
    for p in data.procs:
        (ln,) = ax.plot([0.0, data.t_end], [y[p], y[p]], color=_C["process"], linewidth=0.7,
                        zorder=2, solid_capstyle="butt")
        ln.set_gid("process")
        for t0, t1 in data.dirty.get(p, []):
            if _overlaps(t0, t1, lo, hi):
                (d,) = ax.plot([t0, t1], [y[p], y[p]], color=_C["dirty_proc"], linewidth=1.8,
                               zorder=2.1, solid_capstyle="butt")
                d.set_gid("dirty")
                entries.setdefault("dirty (belief)", Line2D(
                    [], [], color=_C["dirty_proc"], linewidth=1.8))
        t_err = data.erroneous_from.get(p)
        if t_err is not None and _overlaps(t_err, data.t_end, lo, hi):
            (e,) = ax.plot([t_err, data.t_end], [y[p], y[p]], color=_C["error"], linewidth=5,
                           alpha=0.28, zorder=1, solid_capstyle="butt")
            e.set_gid("erroneous")
            entries.setdefault("erroneous (truth)", Line2D(
                [], [], color=_C["error"], linewidth=5, alpha=0.28))


def _draw_logs(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
               entries: dict[str, Any]) -> None:
    peak = max((float(v.max()) for _, v in data.logs.values() if len(v)), default=0.0)
    if peak <= 0:
        return
    scale = 0.38 / peak
    for p, (times, sizes) in data.logs.items():
        if sizes.max() <= 0 or p not in y:
            continue
        poly = ax.fill_between(times, y[p], y[p] + sizes * scale, step="post",
                               color=_C["log"], alpha=0.35, linewidth=0, zorder=1.5)
        poly.set_gid("log")
    entries.setdefault(f"log size (max {int(peak)})",
                       Patch(facecolor=_C["log"], alpha=0.35, linewidth=0))


def _draw_notifications(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float,
                        hi: float, entries: dict[str, Any]) -> None:
    for row in data.notifications.itertuples(index=False):
        if row.origin not in y or row.recipient not in y:
            continue
        t1 = min(row.t_arrive, data.t_end)
        if not _overlaps(row.t_send, t1, lo, hi):
            continue
        y0, y1 = y[row.origin], y[row.recipient]
        if not row.arrived and math.isfinite(row.t_arrive) and row.t_arrive > row.t_send:
            y1 = y0 + (y1 - y0) * (t1 - row.t_send) / (row.t_arrive - row.t_send)
        elif not row.arrived:
            t1, y1 = row.t_send + 0.01 * (hi - lo), y0 + 0.3 * (y1 - y0)
        (ln,) = ax.plot([row.t_send, t1], [y0, y1], color=_C["notify"], linewidth=0.6,
                        linestyle=(0, (1, 1.2)), zorder=2.5)
        ln.set_gid("notification")
        entries.setdefault("AT notification", Line2D(
            [], [], color=_C["notify"], linewidth=0.8, linestyle=(0, (1, 1.2))))


def _draw_messages(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
                   entries: dict[str, Any]) -> None:
    for m in data.messages.itertuples(index=False):
        if m.src not in y or m.dst not in y:
            continue
        color = _C["dirty_msg"] if m.dirty == 1 else _C["clean_msg"]
        effects = _halo() if m.err == 1 else None
        if m.delivered:
            if not _overlaps(m.t_send, m.t_deliver, lo, hi):
                continue
            arrow = FancyArrowPatch((m.t_send, y[m.src]), (m.t_deliver, y[m.dst]),
                                    arrowstyle="-|>", mutation_scale=5.5, linewidth=0.7,
                                    color=color, shrinkA=0, shrinkB=0, zorder=3,
                                    path_effects=effects)
            arrow.set_gid("message")
            ax.add_patch(arrow)
            key = "message, dirty=1" if m.dirty == 1 else "message, dirty=0"
            entries.setdefault(key, Line2D([], [], color=color, linewidth=0.9))
        else:
            t1 = data.t_end
            if math.isfinite(m.t_deliver) and m.t_deliver > m.t_send:
                y1 = y[m.src] + (y[m.dst] - y[m.src]) * (t1 - m.t_send) / (
                    m.t_deliver - m.t_send)
            else:
                y1 = y[m.src] + 0.3 * (y[m.dst] - y[m.src])
            if not _overlaps(m.t_send, t1, lo, hi):
                continue
            (ln,) = ax.plot([m.t_send, t1], [y[m.src], y1], color=color, linewidth=0.7,
                            linestyle=(0, (2, 1.5)), zorder=3, path_effects=effects)
            ln.set_gid("in_transit")
            entries.setdefault("in transit at end", Line2D(
                [], [], color="#4D4D4D", linewidth=0.8, linestyle=(0, (2, 1.5))))
        if m.err == 1:
            entries.setdefault("erroneous message", Line2D(
                [], [], color=_C["dirty_msg"], linewidth=0.9, path_effects=_halo()))
    stub = 0.012 * (hi - lo)
    for w in data.twins.itertuples(index=False):
        if w.sdw not in y or w.dst not in y or not (lo <= w.t <= hi):
            continue
        (ln,) = ax.plot([w.t, w.t + stub], [y[w.sdw], y[w.sdw] + 0.45 * (y[w.dst] - y[w.sdw])],
                        color=_C["twin"], linewidth=0.7, linestyle=(0, (1.5, 1)), zorder=3)
        ln.set_gid("twin")
        entries.setdefault("suppressed twin", Line2D(
            [], [], color=_C["twin"], linewidth=0.8, linestyle=(0, (1.5, 1))))


def _draw_checkpoints(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float,
                      hi: float, entries: dict[str, Any]) -> None:
    ck = data.checkpoints
    if ck.empty:
        return
    ck = ck[(ck["t"] >= lo) & (ck["t"] <= hi) & ck["proc"].isin(list(y))]
    reclaimed = ck["t_reclaimed"].notna()
    for rule, (label, style) in _CKPT_STYLE.items():
        part = ck[(ck["rule"] == rule) & ~reclaimed]
        if len(part):
            (ln,) = ax.plot(part["t"], [y[p] for p in part["proc"]], linestyle="none",
                            zorder=4, **style)
            ln.set_gid(f"ckpt_{rule}")
            entries.setdefault(label, Line2D([], [], linestyle="none", **style))
        part = ck[(ck["rule"] == rule) & reclaimed]
        if len(part):
            grey = dict(style, markeredgecolor=_C["reclaimed_ckpt"])
            if style["color"] != "white":
                grey["color"] = _C["reclaimed_ckpt"]
            (ln,) = ax.plot(part["t"], [y[p] for p in part["proc"]], linestyle="none",
                            zorder=4, **grey)
            ln.set_gid("ckpt_reclaimed")
            entries.setdefault("ckpt, reclaimed later", Line2D(
                [], [], linestyle="none", **dict(_CKPT_STYLE["S1"][1],
                                                 color=_C["reclaimed_ckpt"],
                                                 markeredgecolor=_C["reclaimed_ckpt"])))


def _draw_marks(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
                entries: dict[str, Any]) -> None:
    mk = data.marks
    mk = mk[(mk["t"] >= lo) & (mk["t"] <= hi) & mk["proc"].isin(list(y))]
    for event, (label, style) in _MARKS.items():
        part = mk[mk["event"] == event]
        if len(part):
            (ln,) = ax.plot(part["t"].to_numpy(float), [y[p] for p in part["proc"]],
                            linestyle="none", zorder=5, **style)
            ln.set_gid(event)
            entries.setdefault(label, Line2D([], [], linestyle="none", **style))


def _draw_recovery(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
                   entries: dict[str, Any]) -> None:
    color = _C["recovery"]
    restore = {r.proc: r.t_restore for r in data.rollbacks.itertuples(index=False)
               if math.isfinite(r.t_restore)}
    members = [p for p in data.procs if not p.startswith("low") or p in restore]
    pts = [(restore.get(p, data.t_detect), y[p]) for p in members]
    if pts:
        (ln,) = ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, linewidth=1.5,
                        alpha=0.9, zorder=6, solid_joinstyle="round")
        ln.set_gid("recovery_line")
        entries.setdefault("recovery line", Line2D(
            [], [], color=color, linewidth=1.5))
    for p, t_r in restore.items():
        if p not in y:
            continue
        (ring,) = ax.plot([t_r], [y[p]], linestyle="none", marker="o", markersize=7.5,
                          markerfacecolor="none", markeredgecolor=color, markeredgewidth=1.2,
                          zorder=6)
        ring.set_gid("restored")
        if t_r < data.t_detect:
            arrow = FancyArrowPatch((data.t_detect, y[p] + 0.24), (t_r, y[p] + 0.24),
                                    arrowstyle="-|>", mutation_scale=6, linewidth=0.8,
                                    linestyle=(0, (3, 1.5)), color=color, shrinkA=0,
                                    shrinkB=0, zorder=6)
            arrow.set_gid("rollback")
            ax.add_patch(arrow)
            entries.setdefault("rollback (restored ckpt)", Line2D(
                [], [], color=color, linewidth=0.8, linestyle=(0, (3, 1.5)), marker="o",
                markerfacecolor="none", markeredgecolor=color, markersize=5.5,
                markevery=[1]))
    lows = [p for p in data.groups["G_low"] if p in y and p not in restore]
    if lows:
        shift = ScaledTranslation(5.0 / 72.0, 0.0, ax.figure.dpi_scale_trans)
        (x,) = ax.plot([data.t_detect] * len(lows), [y[p] for p in lows], linestyle="none",
                       marker="x", markersize=6, markeredgewidth=1.4, color=color, zorder=6,
                       transform=ax.transData + shift, clip_on=False)
        x.set_gid("discarded")
        entries.setdefault(r"$G_\mathrm{low}$ stopped", Line2D(
            [], [], linestyle="none", marker="x", markersize=6, markeredgewidth=1.4,
            color=color))


def _group_axis(ax: Axes, data: SpacetimeData, y: dict[str, float]) -> None:
    centers, labels, bounds = [], [], []
    for _prefix, label, tex in _GROUPS:
        members = [y[p] for p in data.groups[label]]
        if members:
            centers.append(float(np.mean(members)))
            labels.append(tex)
            bounds.append((min(members), max(members)))
    for (lo_a, _), (_, hi_b) in zip(bounds, bounds[1:], strict=False):
        ax.axhline((lo_a + hi_b) / 2, color="0.8", linewidth=0.6, zorder=0)
    sec = ax.secondary_yaxis("right")
    sec.set_yticks(centers, labels)
    sec.tick_params(length=0, labelsize=8)
    sec.spines["right"].set_visible(False)


def _time_marks(ax: Axes, data: SpacetimeData, lo: float, hi: float) -> None:
    ticks: list[tuple[float, str]] = []
    if math.isfinite(data.t_fault):
        ticks.append((data.t_fault, "fault"))
    if data.outcome == "recovered":
        ticks.append((data.t_detect, "detection"))
    elif data.outcome == "failed":
        ticks.append((data.t_end, "failure"))
    ticks = [(t, s) for t, s in ticks if lo <= t <= hi]
    for t, _ in ticks:
        ax.axvline(t, color="0.45", linewidth=0.6, linestyle=(0, (4, 2)), zorder=0.5)
    sec = ax.secondary_xaxis("top")
    sec.set_xticks([t for t, _ in ticks], [s for _, s in ticks])
    sec.tick_params(length=2, labelsize=7, pad=1)
    sec.spines["top"].set_visible(False)
    labels = sec.get_xticklabels()
    if len(labels) == 2:    # fault left of its tick, detection right: they never collide
        labels[0].set_horizontalalignment("right")
        labels[1].set_horizontalalignment("left")
