"""Figure 4: error containment algorithm for a shadow ``P_k^sdw`` of G_sdw.

Shadows compute on the same inputs as the cluster but their messages to G_act
and to the device are suppressed: logged, indexed by the shared
``int_mSN_G_sdw``, and re-sent or suppressed at takeover.  After the takeover of
executed recovery (``executed``) a shadow's twins are real messages and outputs.

A twin row of the trace is numbered when it comes (the ``k``-th twin row to G_act
is twin ``k``, D12).  ``Rules.twins_in_member_order`` (reading R4): a shadow makes
the twin of its member's ``n``-th message to G_act or output only once its member
made it, and consumes an input only once it made the twins of what its member
sent before consuming that input.
"""

from __future__ import annotations

from ..constants import ACT, HEAP_DELIVER, KIND_OUTPUT, Event
from .executed import twin_output, twin_send
from .state import Msg, Proc, Run, Twin


def twin_row(run: Run, p: Proc, kind: int, dst: int) -> None:
    """A twin row of shadow ``p`` in the trace: numbered now, made now or, if it runs
    ahead of its member (R4), once the member has made the event."""
    num = number_twin(run, p, kind)
    p.rows_seen += 1
    member = run.procs[run.member_of(p)]
    if (run.rules.twins_in_member_order and not member.recovered
            and (p.ahead or member.boundary < p.rows_seen)):
        p.ahead.append((kind, dst, num))
        return
    make_twin(run, p, kind, dst, num)


def number_twin(run: Run, p: Proc, kind: int) -> tuple[int, object]:
    """``(number, log index)`` of ``p``'s next twin: ``int_mSN_G_sdw++`` for a message
    (the twin's identity ``k``), the shadows' output count ``e`` for an output.

    ``"mdcd-vector"``: the log index is ``sdw_i``'s own number of the twin
    (``mSN_own``, the level with it at ``i``), the number its cluster message got
    from ``low_i``; the shared counter stays the twin's identity.
    """
    lv = run.lv
    if kind == KIND_OUTPUT:
        run.ext_mSN_G_sdw += 1
        index = lv.unit(run.member_of(p), p.mSN_own) if lv.vector else run.int_mSN_G_sdw
        return run.ext_mSN_G_sdw, index
    run.int_mSN_G_sdw += 1
    if lv.vector:
        p.mSN_own += 1
        return run.int_mSN_G_sdw, lv.unit(run.member_of(p), p.mSN_own)
    return run.int_mSN_G_sdw, run.int_mSN_G_sdw


def make_twin(run: Run, p: Proc, kind: int, dst: int, num: tuple[int, object]) -> None:
    """``p`` makes a twin: suppressed and logged in shadow mode, real after takeover."""
    if p.recovered:
        if kind == KIND_OUTPUT:
            twin_output(run, p, *num)
        else:
            twin_send(run, p, dst, *num)
    elif kind == KIND_OUTPUT:
        sdw_twin_output(run, p, *num)
    else:
        sdw_twin_send(run, p, dst, *num)
    p.made += 1
    while p.waiting and p.waiting[0][0] <= p.made and not run.ended:
        run.family.receive(run, p, p.waiting.pop(0)[1])


def sdw_twin_send(run: Run, p: Proc, dst: int, k: int, index: object) -> None:
    """A suppressed message to G_act: ``int_mSN_G_sdw++`` and sender-side logging."""
    lv = run.lv
    w = Twin(p.idx, index, p.n_twins, p.erroneous, k=k, dst=dst)
    p.n_twins += 1
    run.twins.append(w)
    run.log(p.idx, Event.LOG_SDR, dst, p.int_mSN_G_low, w.index, k=w.k)
    if run.rules.reclaim_validated_twins and lv.leq(w.index, p.ivr_low):
        # already validated (its original was consumed): reclaimed at once (D18)
        run.log(p.idx, Event.RECLAIM, -1, p.ivr_low, len(p.ckpt_array), n=0, n_rcv_log=0,
                n_sender_log=1)
        return
    p.int_msg_log.append(w)
    run.change_logs(1, 0)


def sdw_twin_output(run: Run, p: Proc, e: int, index: object) -> None:
    """A suppressed external message: saved to ``ext_msg_log`` indexed by ``int_mSN_G_sdw``."""
    lv = run.lv
    w = Twin(p.idx, index, p.n_twins, p.erroneous, e=e)
    p.n_twins += 1
    run.twins.append(w)
    run.log(p.idx, Event.LOG_EXT, -1, p.int_mSN_G_low, w.index, e=w.e)
    if run.rules.reclaim_validated_twins and (
            w.e <= p.ext_ivr if run.rules.outputs_by_count else lv.leq(w.index, p.ivr_low)):
        # already validated (the device has the original): reclaimed at once (D18)
        run.log(p.idx, Event.RECLAIM, -1, p.ivr_low, len(p.ckpt_array), n=0, n_rcv_log=0,
                n_sender_log=1)
        return
    p.ext_msg_log.append(w)
    run.change_logs(1, 0)


def sdw_send(run: Run, p: Proc, dst: int, t_deliver: float) -> None:
    """A message between shadows (old interface): delivered, with the piggyback (D8)."""
    m = run.new_msg(p.idx, dst, t_deliver, p.dirty_bit, p.int_mSN_G_low, p.erroneous,
                    p.n_sent)
    p.n_sent += 1
    run.push(t_deliver, HEAP_DELIVER, m)
    run.log(p.idx, Event.SEND, dst, p.int_mSN_G_low, -1, dirty=p.dirty_bit,
            err=int(p.erroneous), k=0)


def sdw_receive(run: Run, p: Proc, m: Msg) -> None:
    """Incoming application message (Figure 4's reception branch).

    R4: an input from G_act that the member consumed after events whose twins ``p``
    has not made yet waits for them.
    """
    if run.rules.twins_in_member_order and run.role(m.src) == ACT:
        member = run.procs[run.member_of(p)]
        if not member.recovered and (p.waiting or p.made < member.boundary):
            p.waiting.append((member.boundary, m))
            return
    run.family.receive(run, p, m)


def member_event(run: Run, low_p: Proc) -> None:
    """Member ``low_p`` sent a message to G_act or an output: a twin row of its shadow
    that waited for it (R4) is made now."""
    low_p.boundary += 1
    q = run.twin_of(low_p.idx)
    while q.ahead and q.rows_seen - len(q.ahead) < low_p.boundary and not run.ended:
        _release_ahead(run, q)


def member_stopped(run: Run, low_p: Proc) -> None:
    """Member ``low_p`` is gone (recovery): its shadow no longer waits for it."""
    q = run.twin_of(low_p.idx)
    while q.ahead and not run.ended:
        _release_ahead(run, q)
    while q.waiting and not run.ended:
        run.deliver(q, q.waiting.pop(0)[1])


def _release_ahead(run: Run, q: Proc) -> None:
    kind, dst, num = q.ahead.pop(0)
    if q.stopped:   # two-phase recovery: made after the release, in order
        q.deferred.append((kind, dst, 0.0, 0.0, 0.0, 0.0, num))
    else:
        make_twin(run, q, kind, dst, num)
