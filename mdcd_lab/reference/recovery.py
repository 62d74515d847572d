"""Error recovery (Section 3.2, the text after Figure 4), step by step.

"During recovery, P_j^act will roll back to a checkpoint with the smallest index
in its checkpoint array, if dirty bit of P_j^act has a value of 1 when error
recovery is invoked.  After the rollback, the process will resume normal
computation and replay the message(s) saved in the int_msg_log" (:func:`rollback`;
dirty shadows too, D3), which undoes the sends made after the restored state
(:func:`restore_cut`).  "After error recovery, P_i^sdw will take over from
P_i^low", re-sending its logged messages or suppressing regenerated ones by
comparing ``ivr_low`` with ``int_mSN_G_sdw`` (:func:`validated_levels`,
:func:`takeover`).  With ``coordinated_recovery`` a round first distributes the
highest validated level (:func:`recovery_round`, D10).  The run ends here: the
shadows' pending work is recorded (``n_resent``, ``n_suppressed``), and the
oracle checks the recovered global state.

This is the recovery of the confidence-driven family; ``"coordinated"``
recovers in :func:`.coordinated.recover`.  Each step has its twin of the same
name in ``fast/kernels/recovery.py``.
"""

from __future__ import annotations

from ..constants import ACT, SDW, Event
from .common import begin_recovery, record_takeover
from .confidence import memory_reclamation
from .oracle import check_recovery
from .state import Checkpoint, Msg, Proc, Run, Twin


def error_recovery(run: Run, trigger: Proc) -> None:
    """``error_recovery({G_act, G_sdw, G_low})`` invoked by ``trigger`` at ``run.now``."""
    v_star, ext_star = begin_recovery(run, trigger)
    if run.rules.coordinated_recovery:
        recovery_round(run, v_star, ext_star)
    restore, replayed = rollback(run)
    cut = restore_cut(run, restore, replayed)
    ivr, ext_ivr = validated_levels(run, ext_star)
    resent, undone, n_suppressed = takeover(run, cut, ivr)
    record_takeover(run, restore, replayed, resent, n_suppressed, ivr)
    check_recovery(run, restore, cut, replayed, resent, undone, ivr, ext_ivr)


def recovery_round(run: Run, v_star: object, ext_star: int) -> None:
    """D10: before anyone rolls back, every G_act and G_sdw process learns the highest
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


def rollback(run: Run) -> tuple[dict[int, Checkpoint], dict[int, list[Msg]]]:
    """Dirty G_act and G_sdw processes restore the checkpoint with the smallest index
    and replay their receiver-side log.

    Returns ``(restore, replayed)``: the restored checkpoint and the replayed
    messages of each rolled-back process.  Under S1/S2 a checkpoint's trigger level
    exceeds every level absorbed before it, so indices increase along the array and
    the smallest is the earliest (also for ``"every-receive"``, whose indices do not).
    With ``log_all_when_dirty`` only what no sender will send again is replayed.
    """
    lv = run.lv
    restore: dict[int, Checkpoint] = {}
    replayed: dict[int, list[Msg]] = {}
    for p in run.procs:
        if p.role not in (ACT, SDW) or p.dirty_bit != 1 or not p.ckpt_array:
            continue
        c = p.ckpt_array[0]
        restore[p.idx] = c
        entries = p.rcv_msg_log
        if run.rules.log_all_when_dirty:
            entries = [e for e in entries if e.msg.consume_ord >= c.n_recv
                       and lv.leq(e.msg.int_mSN_G_low, p.v_known)]
        replayed[p.idx] = [e.msg for e in entries]
        run.log(p.idx, Event.ROLLBACK, -1, c.index, c.ord, ckpt=c.ord, t_restore=c.t,
                n=p.n_recv - c.n_recv)
        for m in replayed[p.idx]:
            run.log(p.idx, Event.REPLAY, m.src, m.int_mSN_G_low, m.k, k=m.k)
    return restore, replayed


def restore_cut(run: Run, restore: dict[int, Checkpoint],
                replayed: dict[int, list[Msg]]) -> dict[int, tuple[int, int]]:
    """What a rollback undoes: ``cut[p] = (n_sent, n_twins)``, the sends and shadow
    twins of ``p`` that survive are those with smaller ordinals.

    The restored checkpoint's counts, or, with deterministic re-execution and
    duplicate suppression (``dedup_regenerated``), the counts when ``p`` consumed
    its first message that is not replayed.
    """
    cut = {}
    for i, c in restore.items():
        p = run.procs[i]
        n_sent, n_twins = c.n_sent, c.n_twins
        if run.rules.dedup_regenerated:
            ids = {m.mid for m in replayed[i]}
            first = next((m for m in p.consumed[c.n_recv:] if m.mid not in ids), None)
            n_sent = first.recv_n_sent if first is not None else p.n_sent
            n_twins = first.recv_n_twins if first is not None else p.n_twins
        cut[i] = (n_sent, n_twins)
    return cut


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
