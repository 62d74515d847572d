"""Error recovery (Section 3.2, the text after Figure 4), step by step.

"During recovery, P_j^act will roll back to a checkpoint with the smallest index
in its checkpoint array, if dirty bit of P_j^act has a value of 1 when error
recovery is invoked.  After the rollback, the process will resume normal
computation and replay the message(s) saved in the int_msg_log" (``rollback``;
dirty shadows too, D3), which undoes the sends made after the restored state
(``restore_cut``).  "After error recovery, P_i^sdw will take over from
P_i^low", re-sending its logged messages or suppressing regenerated ones by
comparing ``ivr_low`` with ``int_mSN_G_sdw`` (``validated_levels``,
``takeover``).  With ``coordinated_recovery`` a round first distributes the
highest validated level (``recovery_round``).

Executed recovery (``Scenario.recovery == "executed"``, the default) plays these
steps as events (``executed``): ``restore_point``, ``suppresses``
and ``discards`` are this family's rules there.  Atomic recovery does them in
one step at the detection (``error_recovery``); the run ends there, the
shadows' pending work is recorded (``n_resent``, ``n_suppressed``), and the
oracle checks the recovered global state.

This is the recovery of the confidence-driven family; ``"coordinated"``
recovers in ``coordinated``.  Each step has its twin of the same name in
``fast/kernels/recovery.py``.
"""

from __future__ import annotations

from ..constants import ACT, SDW, Event
from .common import begin_recovery, drain_notifications, record_takeover
from .confidence import memory_reclamation
from .executed import invoke
from .oracle import check_recovery
from .state import Checkpoint, Msg, Proc, Run, Twin


def error_recovery(run: Run, trigger: Proc, d_notice: float) -> None:
    """``error_recovery({G_act, G_sdw, G_low})`` invoked by ``trigger`` at ``run.now``.

    Executed recovery (the default): ``executed.invoke`` plays it as events,
    the recovery notice travelling ``d_notice``.  Atomic: one step, the run ends here.
    """
    if run.s.recovery == "executed":
        invoke(run, trigger, d_notice)
        return
    v_star, ext_star = begin_recovery(run, trigger)
    if run.rules.drain_notifications:   # R3: the notifications in flight arrive first
        for p in run.procs:
            if p.role in (ACT, SDW):
                drain_notifications(run, p, run.now)
    if run.rules.coordinated_recovery:
        recovery_round(run, v_star, ext_star)
    restore, replayed = rollback(run)
    cut = restore_cut(run, restore, replayed)
    ivr, ext_ivr = validated_levels(run, ext_star)
    resent, undone, n_suppressed = takeover(run, cut, ivr)
    record_takeover(run, restore, replayed, resent, n_suppressed, ivr)
    check_recovery(run, restore, cut, replayed, resent, undone, ivr, ext_ivr)


def recovery_round(run: Run, v_star: object, ext_star: int) -> None:
    """C: before anyone rolls back, every G_act and G_sdw process learns the highest
    level validated by a passed AT (``v_star``) and the number of cluster outputs the
    device has (``ext_star``), and reclaims with them; the shadows raise ``ivr_low``."""
    lv = run.lv
    for p in run.procs:
        if p.role not in (ACT, SDW):
            continue
        memory_reclamation(run, p, v_star, ext_star)
        if p.role == SDW:
            p.ivr_low = lv.join(p.ivr_low, v_star)
            p.ext_ivr = ext_star


def replayed_log(run: Run, p: Proc, c: Checkpoint) -> list[Msg]:
    """The messages ``p`` replays after restoring ``c``: its receiver-side log, or with
    ``log_all_when_dirty`` only what no sender will send again (consumed after ``c``,
    at a level ``p`` knows to be validated)."""
    entries = p.rcv_msg_log
    if run.rules.log_all_when_dirty:
        entries = [e for e in entries if e.msg.consume_ord >= c.n_recv
                   and run.lv.leq(e.msg.int_mSN_G_low, p.v_known)]
    return [e.msg for e in entries]


def kept_counts(run: Run, p: Proc, c: Checkpoint, replayed: list[Msg]) -> tuple[int, int]:
    """What a rollback of ``p`` to ``c`` keeps: ``(n_sent, n_twins)``, the sends and
    shadow twins with smaller ordinals survive.  The restored checkpoint's counts, or,
    with deterministic re-execution and duplicate suppression (``dedup_regenerated``),
    the counts when ``p`` consumed its first message that is not replayed."""
    if not run.rules.dedup_regenerated:
        return c.n_sent, c.n_twins
    ids = {m.mid for m in replayed}
    first = next((m for m in p.consumed[c.n_recv:] if m.mid not in ids), None)
    if first is None:
        return p.n_sent, p.n_twins
    return first.recv_n_sent, first.recv_n_twins


def rollback(run: Run) -> tuple[dict[int, Checkpoint], dict[int, list[Msg]]]:
    """Dirty G_act and G_sdw processes restore the checkpoint with the smallest index
    and replay their receiver-side log.

    Returns ``(restore, replayed)``: the restored checkpoint and the replayed
    messages of each rolled-back process.  Under S1/S2 a checkpoint's trigger level
    exceeds every level absorbed before it, so indices increase along the array and
    the smallest is the earliest (also for ``"every-receive"``, whose indices do not).
    """
    restore: dict[int, Checkpoint] = {}
    replayed: dict[int, list[Msg]] = {}
    for p in run.procs:
        if p.role not in (ACT, SDW) or p.dirty_bit != 1 or not p.ckpt_array:
            continue
        c = p.ckpt_array[0]
        restore[p.idx] = c
        replayed[p.idx] = replayed_log(run, p, c)
        run.log(p.idx, Event.ROLLBACK, -1, c.index, c.ord, ckpt=c.ord, t_restore=c.t,
                n=p.n_recv - c.n_recv)
        for m in replayed[p.idx]:
            run.log(p.idx, Event.REPLAY, m.src, m.int_mSN_G_low, m.k, k=m.k)
    return restore, replayed


def restore_cut(run: Run, restore: dict[int, Checkpoint],
                replayed: dict[int, list[Msg]]) -> dict[int, tuple[int, int]]:
    """What each rollback undoes: ``cut[p] = (n_sent, n_twins)`` (``kept_counts``)."""
    return {i: kept_counts(run, run.procs[i], c, replayed[i]) for i, c in restore.items()}


def restore_point(run: Run, p: Proc) -> tuple | None:
    """Executed recovery: where ``p`` rolls back to, ``(checkpoint, replayed messages,
    sends kept, twins kept)``, or None when ``p`` is clean (it rolls forward)."""
    if p.dirty_bit != 1 or not p.ckpt_array:
        return None
    c = p.ckpt_array[0]
    replayed = replayed_log(run, p, c)
    return (c, replayed, *kept_counts(run, p, c, replayed))


def suppresses(run: Run, q: Proc, k: int, index: object) -> bool:
    """Executed recovery: a taken-over shadow suppresses its twin ``k`` (log index
    ``index``) whose original is validated: "until int_mSN_G_sdw ... matches ivr_low"."""
    return run.lv.leq(index, q.V)


def discards(run: Run, q: Proc, m: Msg) -> bool:
    """Executed recovery, D4 made local: a recovered process drops a message from a
    potentially contaminated sender whose level the recovery did not validate."""
    return m.dirty_bit == 1 and not run.lv.leq(m.int_mSN_G_low, q.V)


def validated_levels(run: Run, ext_star: int) -> tuple[object, int]:
    """What the shadows know to be validated when they take over: ``ivr_low`` joined
    over the shadows, and the cluster outputs the device has (by count: their
    ``ext_ivr``, or ``ext_star`` after a recovery round)."""
    shadows = [p for p in run.procs if p.role == SDW]
    ivr = run.lv.zero
    for q in shadows:
        ivr = run.lv.join(ivr, q.ivr_low)
    ext_ivr = ext_star if run.rules.coordinated_recovery else max(
        (q.ext_ivr for q in shadows), default=0)
    return ivr, ext_ivr


def takeover(run: Run, cut: dict[int, tuple[int, int]],
             ivr: object) -> tuple[list[Twin], list[Twin], int]:
    """G_sdw takes over from G_low: it re-sends what its logs hold and will suppress
    the messages it regenerates up to ``ivr``.

    A rolled-back shadow first undoes its twins after the cut (they leave its logs
    and will be generated again).  Returns ``(resent, undone, n_suppressed)``:
    ``n_suppressed`` counts the twins not generated yet up to ``ivr``
    (``ivr_low - int_mSN_G_sdw`` when positive; per member under ``"mdcd-vector"``)
    and the undone ones whose index is at most ``ivr``.
    """
    lv = run.lv
    shadows = [p for p in run.procs if p.role == SDW]
    undone: list[Twin] = []
    for q in shadows:
        if q.idx not in cut:
            continue
        n_twins = cut[q.idx][1]
        q.int_msg_log = [w for w in q.int_msg_log if w.twin_ord < n_twins]
        q.ext_msg_log = [w for w in q.ext_msg_log if w.twin_ord < n_twins]
        undone += [w for w in run.twins if w.sdw == q.idx and w.twin_ord >= n_twins]
    resent = [w for q in shadows for w in q.int_msg_log + q.ext_msg_log]
    made = run.int_mSN_G_sdw
    if lv.vector:   # each shadow's own numbers
        made = tuple(run.twin_of(i).mSN_own for i in range(run.n_low))
    n_suppressed = lv.excess(ivr, made) + sum(
        1 for w in undone if w.k and lv.leq(w.index, ivr))
    return resent, undone, n_suppressed
