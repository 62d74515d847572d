"""Error recovery (Section 3.2, the text after Figure 4).

Dirty G_act and G_sdw processes roll back to the checkpoint with the smallest
index and replay their receiver-side log; G_sdw takes over from G_low and
re-sends its logged messages or suppresses regenerated ones by comparing
``ivr_low`` with ``int_mSN_G_sdw``.  Under executed recovery (the default) these
steps run as events (:mod:`.executed`), with this module's :func:`restore_point`,
:func:`suppresses` and :func:`discards` as the family's rules; under atomic
recovery (``Scenario.recovery == "atomic"``) :func:`error_recovery` does them in
one step, the run ends there, the shadows' pending work is recorded
(``n_resent``, ``n_suppressed``), and the oracle checks the recovered global
state.  This is the recovery of the confidence-driven family; ``"coordinated"``
recovers in :mod:`.coordinated`.
"""

from __future__ import annotations

from ..constants import ACT, SDW, Event
from .common import begin_recovery, drain_notifications, record_takeover
from .confidence import memory_reclamation
from .executed import invoke
from .oracle import check_recovery
from .state import Msg, Proc, Run


def restore_point(run: Run, p: Proc) -> tuple | None:
    """Where a rollback of ``p`` goes (Section 3.2): ``(checkpoint, replayed messages,
    sends kept, twins kept)``, or None when ``p`` does not roll back (it is clean).

    "P_j^act will roll back to a checkpoint with the smallest index in its checkpoint
    array, if dirty_bit of P_j^act has a value of 1 when error recovery is invoked.
    After the rollback, the process will ... replay the message(s) saved in the
    int_msg_log".  Under S1/S2 a checkpoint's trigger level exceeds every level
    absorbed before it, so indices increase along the array and the smallest is the
    earliest (also for "every-receive", whose indices do not).  What the rollback
    undoes: sends (and shadow twins) after the checkpoint, or, with deterministic
    re-execution and duplicate suppression (``dedup_regenerated``), after the first
    consumed message that is not replayed.
    """
    rules, lv = run.rules, run.lv
    if p.dirty_bit != 1 or not p.ckpt_array:
        return None
    c = p.ckpt_array[0]
    entries = p.rcv_msg_log
    if rules.log_all_when_dirty:   # replay only what no sender will send again
        entries = [e for e in entries if e.msg.consume_ord >= c.n_recv
                   and lv.leq(e.msg.int_mSN_G_low, p.v_known)]
    replayed = [e.msg for e in entries]
    n_sent, n_twins = c.n_sent, c.n_twins
    if rules.dedup_regenerated:
        ids = {m.mid for m in replayed}
        first = next((m for m in p.consumed[c.n_recv:] if m.mid not in ids), None)
        n_sent = first.recv_n_sent if first is not None else p.n_sent
        n_twins = first.recv_n_twins if first is not None else p.n_twins
    return c, replayed, n_sent, n_twins


def suppresses(run: Run, q: Proc, k: int, index: object) -> bool:
    """Executed recovery: a taken-over shadow suppresses twin ``k`` (log index ``index``)
    whose original is validated: "until int_mSN_G_sdw ... matches ivr_low"."""
    return run.lv.leq(index, q.V)


def discards(run: Run, q: Proc, m: Msg) -> bool:
    """Executed recovery, D4 made local: a recovered process drops a message from a
    potentially contaminated sender whose level the recovery did not validate."""
    return m.dirty_bit == 1 and not run.lv.leq(m.int_mSN_G_low, q.V)


def error_recovery(run: Run, trigger: Proc, d_notice: float) -> None:
    """``error_recovery({G_act, G_sdw, G_low})`` invoked by ``trigger`` at ``run.now``.

    Executed recovery (the default): :func:`.executed.invoke` plays it as events.
    Atomic recovery (``Scenario.recovery == "atomic"``): one step, the run ends here.
    """
    if run.s.recovery == "executed":
        invoke(run, trigger, d_notice)
        return
    rules, lv = run.rules, run.lv
    begin_recovery(run, trigger)
    act_sdw = [p for p in run.procs if p.role in (ACT, SDW)]
    shadows = [p for p in run.procs if p.role == SDW]
    if rules.drain_notifications:   # R3: the notifications in flight arrive first
        for p in act_sdw:
            drain_notifications(run, p, run.now)
    v_star = lv.zero
    for v in run.passed_levels:
        v_star = lv.join(v_star, v)
    ext_star = sum(1 for _e, _lvl, ok in run.cluster_outputs if ok)
    if rules.coordinated_recovery:
        # C: the recovery round distributes the highest validated level and the
        # number of cluster outputs the device has, before anyone rolls back.
        for p in act_sdw:
            memory_reclamation(run, p, v_star, ext_star)
            if p.role == SDW:
                p.ivr_low = lv.join(p.ivr_low, v_star)
                p.ext_ivr = ext_star
    restore, replayed, cut = {}, {}, {}
    for p in act_sdw:
        point = restore_point(run, p)
        if point is None:
            continue
        c, msgs, n_sent, n_twins = point
        restore[p.idx], replayed[p.idx], cut[p.idx] = c, msgs, (n_sent, n_twins)
        run.log(p.idx, Event.ROLLBACK, -1, c.index, c.ord, ckpt=c.ord, t_restore=c.t,
                n=p.n_recv - c.n_recv)
        for m in msgs:
            run.log(p.idx, Event.REPLAY, m.src, m.int_mSN_G_low, m.k, k=m.k)
    # shadow takeover
    ivr = lv.zero
    for q in shadows:
        ivr = lv.join(ivr, q.ivr_low)
    ext_ivr = ext_star if rules.coordinated_recovery else max(
        (q.ext_ivr for q in shadows), default=0)
    undone = []
    for q in shadows:
        if q.idx not in cut:
            continue
        n_twins = cut[q.idx][1]
        q.int_msg_log = [w for w in q.int_msg_log if w.twin_ord < n_twins]
        q.ext_msg_log = [w for w in q.ext_msg_log if w.twin_ord < n_twins]
        undone += [w for w in run.twins if w.sdw == q.idx and w.twin_ord >= n_twins]
    resent = [w for q in shadows for w in q.int_msg_log + q.ext_msg_log]
    # twins the shadows have not generated yet but will suppress, and undone ones
    made = run.int_mSN_G_sdw
    if lv.vector:   # each shadow's own numbers
        made = tuple(run.twin_of(i).mSN_own for i in range(run.n_low))
    n_suppressed = lv.excess(ivr, made) + sum(
        1 for w in undone if w.k and lv.leq(w.index, ivr))
    record_takeover(run, restore, replayed, resent, n_suppressed, ivr)
    check_recovery(run, restore, cut, replayed, resent, undone, ivr, ext_ivr)

