"""The reference event loop: plays one run's trace under one protocol.

Rows are processed in trace order.  Before a row at time ``t`` every scheduled
delivery or "passed AT" notification with time ``<= t`` is processed, in the
order (time, scheduling order); so a send whose ``t_deliver == t`` is delivered
before the next row, and rows at equal times keep their order (D7 in
docs/protocol.md).  After the last row, the remaining deliveries up to the
horizon are processed.  A mission run (``Scenario.mission``) then plays the
rows after the horizon under the unguarded rules (``unguarded``,
docs/performability.md); ``"unguarded"`` plays every row so.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd

from ..constants import (
    ABSENT,
    ACT,
    HEAP_DELIVER,
    HEAP_NOTICE,
    HEAP_NOTIFY,
    HEAP_TIMER,
    KIND_FAULT,
    KIND_OUTPUT,
    LOW,
    SDW,
)
from ..metrics import METRIC_NAMES, finalize_frame
from ..protocols import get_rules
from ..scenario import Scenario
from ..traces.generation import realised_means
from ..traces.table import proc_names
from ..traces.validate import validate_trace
from . import act, executed, low, sdw, unguarded
from .common import apply_notification, fifo_before
from .events import EVENT_COLUMNS, event_frame
from .families import family_of
from .state import Run


def _dispatch_heap_item(run: Run, item: tuple) -> None:
    t, _seq, kind, payload = item
    run.now = t
    if kind == HEAP_DELIVER:
        _arrive(run, payload)
    elif kind == HEAP_NOTIFY:
        apply_notification(run, payload)
    elif kind == HEAP_TIMER:
        run.family.on_timer(run, payload)
    elif kind == HEAP_NOTICE:
        executed.notice(run, run.procs[payload])
    else:   # HEAP_RELEASE
        executed.release(run, run.procs[payload])


def _arrive(run: Run, m) -> None:
    """Application message ``m`` reaches its receiver (FIFO control messages first)."""
    m.arrived = True
    if run.rules.notify_fifo:
        fifo_before(run, m)
        notice = run.notices.get(m.dst)   # the recovery notice, FIFO too
        if notice is not None and notice[1] == m.src and notice[0] <= m.mid \
                and run.s.channel == "fifo":
            executed.notice(run, run.procs[m.dst])
        if run.ended:
            return
    _deliver(run, run.procs[m.dst], m)


def _deliver(run: Run, p, m) -> None:
    """``p`` gets ``m``: by its role's reception rule, or as a process that has stopped
    (two-phase recovery: kept for later), has recovered, or is gone (G_low)."""
    if p.stopped:
        p.buffer.append(m)
    elif p.recovered:
        if p.role != LOW:
            executed.receive_recovered(run, p, m)
    elif p.role == LOW:
        low.low_receive(run, p, m)
    elif p.role == ACT:
        act.act_receive(run, p, m)
    else:
        sdw.sdw_receive(run, p, m)


def _drain(run: Run, until: float) -> None:
    while run.heap and run.heap[0][0] <= until and not run.ended:
        _dispatch_heap_item(run, heapq.heappop(run.heap))
        _window(run)


def _window(run: Run) -> None:
    """Executed recovery: the run ends once the system is quiet, or at the window's cap."""
    if run.recovering and not run.ended:
        if executed.is_quiet(run):
            executed.end_window(run, True)
        elif run.heap and run.heap[0][0] > run.t_detect + run.s.after_recovery * run.delay_max:
            executed.end_window(run, False)


def play_run(arrays: dict[str, np.ndarray], scenario: Scenario, protocol: str = "mdcd",
             record: bool = False) -> tuple[dict, pd.DataFrame | None]:
    """Play one run.

    Parameters
    ----------
    arrays : dict
        One run of [`mdcd_lab.traces.validate_trace`][mdcd_lab.traces.validate_trace]'s output.
    scenario : Scenario
    protocol : str
    record : bool
        Also return the event log.

    Returns
    -------
    (dict, DataFrame or None)
        The run's metrics (keys of [`mdcd_lab.metrics.METRIC_NAMES`][mdcd_lab.metrics.METRIC_NAMES]
        except ``run`` and ``seed``) and, if ``record``, its event log.
    """
    rules = get_rules(protocol)
    run = Run(scenario, rules, record, family_of(rules))
    run.deliver = lambda p, m: _deliver(run, p, m)
    run.member_stopped = lambda q: sdw.member_stopped(run, q)
    run.play_deferred = lambda p, row: _play_row(run, p, row[0], row[1], run.now + row[2],
                                                 *row[3:])
    run.family.start(run)
    t_arr, kind, src, dst = arrays["t"], arrays["kind"], arrays["src"], arrays["dst"]
    td, u_at, u_comp, d_notify = (arrays["t_deliver"], arrays["u_at"], arrays["u_comp"],
                                  arrays["d_notify"])
    n_events = 0
    # guarded operation on [0, phi]; rows after phi (a mission run) are left to the
    # unguarded phase, from row ``first`` on
    first = n_guarded = 0 if rules.unguarded else len(t_arr)
    for n in range(n_guarded):
        if t_arr[n] > run.guard_end:
            first = n
            break
        _drain(run, t_arr[n])
        if run.ended:
            break
        if run.recovering and t_arr[n] > run.t_detect + scenario.after_recovery * run.delay_max:
            executed.end_window(run, False)
            break
        run.now = t_arr[n]
        n_events += 1
        p = run.procs[src[n]]
        if p.role == ABSENT or (dst[n] >= 0 and run.role(int(dst[n])) == ABSENT):
            continue   # a shadow that does not exist under this protocol
        if p.stopped:   # two-phase recovery: the application waits for the release
            row = (int(kind[n]), int(dst[n]), td[n] - t_arr[n], u_at[n], u_comp[n],
                   d_notify[n])
            if p.role == SDW and _is_twin(run, row[0], row[1]):
                row = (*row, sdw.number_twin(run, p, row[0]))
            p.deferred.append(row)
            continue
        _play_row(run, p, int(kind[n]), int(dst[n]), td[n], u_at[n], u_comp[n], d_notify[n])
        _window(run)
        if run.ended:
            break
    if not run.ended:
        _drain(run, run.guard_end)
    if run.recovering and not run.ended:   # the window goes on past the guarded rows
        _drain(run, math.inf)
        if not run.ended:
            executed.end_window(run, executed.is_quiet(run))
    run.now = run.t_end   # the horizon unless the run ended earlier
    run.change_logs(0, 0)   # close the time integral of the log sizes
    t_guarded = run.t_end
    if not run.ended and scenario.t_end > run.guard_end:
        n_events += unguarded.play_unguarded(run, arrays, first)
    res = _collect(run, n_events, t_guarded)
    res["delivery_delay_mean"], res["twin_offset_mean"] = realised_means(
        t_arr, kind, src, dst, td, scenario.n_low, scenario.n_act, scenario.horizon)
    events = event_frame(run.events, proc_names(scenario)) if record else None
    return res, events


def _is_twin(run: Run, kind: int, dst: int) -> bool:
    return kind == KIND_OUTPUT or run.role(dst) == ACT


def _play_row(run: Run, p, kind: int, dst: int, td: float, u_at: float, u_comp: float,
              d_notify: float, num: tuple | None = None) -> None:
    """One trace row of process ``p`` at ``run.now`` (a send is delivered at ``td``)."""
    if p.role == LOW and p.recovered:
        # G_low is gone (D20): the row sends nothing and moves no counter, since no
        # counter of G_low is read again; the shadows number their twins themselves
        # (``sdw.number_twin``), so twin ``k`` stays the trace's ``k``-th cluster message
        return
    if kind == KIND_FAULT:
        low.fault(run, p)
    elif p.role == SDW:
        if num is not None:   # a twin row numbered while ``p`` was stopped
            sdw.make_twin(run, p, kind, dst, num)
        elif _is_twin(run, kind, dst):
            sdw.twin_row(run, p, kind, dst)
        else:
            sdw.sdw_send(run, p, dst, td)
    elif kind == KIND_OUTPUT:
        if p.role == LOW:
            low.low_output(run, p, u_at, u_comp, d_notify)
            sdw.member_event(run, p)
        else:
            act.act_output(run, p, u_at, u_comp, d_notify)
    elif p.role == LOW:
        low.low_send(run, p, dst, td)
        if run.role(dst) == ACT:
            sdw.member_event(run, p)
    else:
        act.act_send(run, p, dst, td)


def _collect(run: Run, n_events: int, t_guarded: float) -> dict:
    """The run's metrics: ``run.m`` (schema defaults, counted and set by the protocol
    code) completed with the ones derived from the end state."""
    m = run.m
    m.update(
        outcome=run.outcome, t_end=run.t_end, n_events=n_events,
        t_fault=run.t_fault, t_detect=run.t_detect,
        t_fail=run.t_end if run.outcome == "failed" else math.nan,
        t_guarded=t_guarded, phase=run.phase,
        ckpt_total=m["ckpt_act"] + m["ckpt_sdw"],
        ckpt_array_peak=run.ckpt_peak,
        log_entries_peak=run.log_peak,
        log_entries_mean=run.log_area / t_guarded if t_guarded > 0 else 0.0,
        log_bytes_peak=run.log_peak * run.s.msg_bytes,
        log_sender_peak=run.log_sender_peak,
        log_receiver_peak=run.log_receiver_peak,
        unsafe_clean=sum(1 for p in run.procs if p.role in (ACT, SDW) and p.unsafe),
    )
    return dict(m)


def replay_reference(trace: pd.DataFrame, scenario: Scenario, protocol: str = "mdcd",
                     seed: int = -1) -> pd.DataFrame:
    """Play every run of ``trace`` on the reference engine; one row per run."""
    get_rules(protocol)
    runs = validate_trace(trace, scenario)
    rows = []
    for r, arrays in runs.items():
        res, _ = play_run(arrays, scenario, protocol)
        res["run"] = r
        res["seed"] = seed
        rows.append(res)
    return finalize_frame(pd.DataFrame(rows, columns=list(METRIC_NAMES)))


__all__ = ["play_run", "replay_reference", "EVENT_COLUMNS"]
