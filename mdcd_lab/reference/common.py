"""Primitives every role and every protocol family shares.

``application_msg_reception`` (the application consumes a message; Figures 2-4),
``notify`` (the "passed AT" broadcast of Figures 2 and 3), ``end_failed`` (an
erroneous external message reached the device), ``begin_recovery`` (the common
start of ``error_recovery``, Section 3.2) and ``record_takeover`` (the shadows'
pending work and the rollback metrics of a recovery).  They depend on
``state`` only, so the role modules (``low``, ``act``, ``sdw``)
and the protocol families (``confidence`` with ``recovery``, and
``coordinated``) can all use them without importing each other.
"""

from __future__ import annotations

from ..constants import ACT, HEAP_NOTIFY, SDW, Event
from .state import Msg, Note, Proc, Run


def application_msg_reception(run: Run, p: Proc, m: Msg) -> None:
    """Consume ``m`` (the application sees it); ground truth propagates."""
    m.consume_ord = p.n_recv
    m.recv_n_sent = p.n_sent
    m.recv_n_twins = p.n_twins
    m.delivered = True
    p.n_recv += 1
    p.consumed.append(m)
    if m.erroneous and not p.erroneous:
        p.erroneous = True
        run.log(p.idx, Event.CONTAMINATED, m.src, m.int_mSN_G_low)


def notify(run: Run, origin: Proc, v_int: int, v_ext: int, d_notify: float) -> None:
    """Broadcast "passed AT" with ``int_mSN_G_low`` (and the cluster output count).

    The protocol family learns of the passed AT at once
    (``on_passed_at``); the other G_act and G_sdw processes
    after ``d_notify``, one ``Note`` each: with ``Rules.notify_fifo`` on
    a FIFO channel, not before ``origin``'s earlier messages to it, and
    (``fifo_before``) before its later ones.
    """
    run.m["n_notifications"] += 1
    run.passed_levels.append(v_int)
    run.family.on_passed_at(run)
    for q in run.procs:
        if q.role not in (ACT, SDW) or q.idx == origin.idx:
            continue
        note = Note(v_int, v_ext, origin.idx, q.idx, run.next_mid, run.now, run.n_notes)
        run.n_notes += 1
        run.notes.setdefault((origin.idx, q.idx), []).append(note)
        run.push(run.fifo_arrival(origin.idx, q.idx, run.now + d_notify), HEAP_NOTIFY,
                 note)
    run.delay_max = max(run.delay_max, d_notify)
    run.log(origin.idx, Event.NOTIFY, -1, v_int, v_ext)


def apply_notification(run: Run, note: Note) -> None:
    """``note`` reaches its recipient (once): Figure 3's or Figure 4's "passed AT" branch.

    A process that has recovered (executed recovery) or is stopped waiting for the
    release ignores it: the recovery carries what it needs.
    """
    if note.done:
        return
    note.done = True
    run.notes[(note.origin, note.dst)].remove(note)
    p = run.procs[note.dst]
    if p.recovered or p.stopped:
        return
    run.log(p.idx, Event.NOTIFIED, -1, note.v_int, note.v_ext)
    run.family.validate(run, p, note.v_int, note.v_ext)
    if p.role == SDW:   # Figure 4: ivr_low = max(m.int_mSN_G_low, ivr_low)
        p.ivr_low = run.lv.join(note.v_int, p.ivr_low)
        if note.v_ext >= 0:
            p.ext_ivr = max(note.v_ext, p.ext_ivr)


def fifo_before(run: Run, m: Msg) -> None:
    """FIFO control messages (``Rules.notify_fifo``): before ``m`` is delivered, what its
    sender sent to its receiver before it reaches the receiver first."""
    if not (run.rules.notify_fifo and run.s.channel == "fifo"):
        return
    for note in list(run.notes.get((m.src, m.dst), ())):
        if note.mid <= m.mid:
            apply_notification(run, note)


def drain_notifications(run: Run, p: Proc, t: float) -> None:
    """``Rules.drain_notifications``: ``p`` applies the notifications sent to it by ``t``,
    in the order they were sent."""
    pending = [n for (_o, d), notes in run.notes.items() if d == p.idx for n in notes
               if n.t_sent <= t]
    for note in sorted(pending, key=lambda n: n.seq):
        apply_notification(run, note)


def end_failed(run: Run) -> None:
    """An erroneous external message reached the device: the run fails."""
    run.outcome = "failed"
    run.ended = True
    run.t_end = run.now


def begin_recovery(run: Run, trigger: Proc) -> tuple[object, int]:
    """``error_recovery({G_act, G_sdw, G_low})`` invoked by ``trigger``: the run ends here.

    Returns ``(v_star, ext_star)``: the highest level a passed AT validated so far
    (the join of ``run.passed_levels``) and the number of cluster outputs the device
    has.
    """
    run.t_detect = run.now
    run.outcome = "recovered"
    run.ended = True
    run.t_end = run.now
    run.log(trigger.idx, Event.RECOVERY, -1, run.int_mSN_G_low, run.int_mSN_G_sdw)
    v_star = run.lv.zero
    for v in run.passed_levels:
        v_star = run.lv.join(v_star, v)
    return v_star, sum(1 for _e, _lvl, ok in run.cluster_outputs if ok)


def record_takeover(run: Run, restore: dict, replayed: dict, resent: list,
                    n_suppressed: int, ivr: int) -> None:
    """Log the shadows' pending work and store the rollback metrics of a recovery."""
    for w in resent:
        run.log(w.sdw, Event.RESEND, -1, w.index, w.k or w.e, k=w.k, e=w.e)
    if n_suppressed:
        run.log(-1, Event.SUPPRESS, -1, ivr, run.int_mSN_G_sdw, n=n_suppressed)
    run.m.update(
        rollback_procs=len(restore),
        rollback_dist_max=max((run.now - c.t for c in restore.values()), default=0.0),
        rollback_dist_sum=sum(run.now - c.t for c in restore.values()),
        rollback_events_max=max((run.procs[i].n_recv - c.n_recv for i, c in restore.items()),
                                default=0),
        n_replayed=sum(len(v) for v in replayed.values()),
        n_resent=len(resent),
        n_suppressed=n_suppressed,
        recovery_latency=0.0,
    )
