"""Figure 4: error containment algorithm for a shadow ``P_k^sdw`` of G_sdw.

Shadows compute on the same inputs as the cluster but their messages to G_act
and to the device are suppressed: logged, indexed by the shared
``int_mSN_G_sdw``, and re-sent or suppressed at takeover.
"""

from __future__ import annotations

from ..constants import HEAP_DELIVER, Event
from .state import Proc, Run, Twin


def sdw_twin_send(run: Run, p: Proc, dst: int) -> None:
    """A suppressed message to G_act: ``int_mSN_G_sdw++`` and sender-side logging.

    ``"mdcd-vector"``: the log index is ``sdw_i``'s own number of the twin
    (``mSN_own``, the level with it at ``i``), the number its cluster message
    got from ``low_i``; the shared counter stays the twin's identity.
    """
    lv = run.lv
    run.int_mSN_G_sdw += 1
    k = run.int_mSN_G_sdw
    if lv.vector:
        p.mSN_own += 1
        index = lv.unit(run.member_of(p), p.mSN_own)
    else:
        index = k
    w = Twin(p.idx, index, p.n_twins, p.erroneous, k=k)
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


def sdw_twin_output(run: Run, p: Proc) -> None:
    """A suppressed external message: saved to ``ext_msg_log`` indexed by ``int_mSN_G_sdw``."""
    lv = run.lv
    run.ext_mSN_G_sdw += 1
    index = lv.unit(run.member_of(p), p.mSN_own) if lv.vector else run.int_mSN_G_sdw
    w = Twin(p.idx, index, p.n_twins, p.erroneous, e=run.ext_mSN_G_sdw)
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


def sdw_receive(run: Run, p: Proc, m) -> None:
    """Incoming application message (Figure 4's reception branch)."""
    run.family.receive(run, p, m)


def sdw_notify(run: Run, p: Proc, v_int: int, v_ext: int) -> None:
    """Incoming "passed AT": reclamation, dirty bit, ``ivr_low = max(m.int_mSN_G_low, ivr_low)``."""
    run.log(p.idx, Event.NOTIFIED, -1, v_int, v_ext)
    run.family.validate(run, p, v_int, v_ext)
    p.ivr_low = run.lv.join(v_int, p.ivr_low)
    if v_ext >= 0:
        p.ext_ivr = max(v_ext, p.ext_ivr)
