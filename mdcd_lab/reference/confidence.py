"""Confidence-driven mechanisms shared by G_act and G_sdw (Section 3.1).

``checkpointing`` establishes an entry of ``ckpt_array`` (rules S1/S2),
``msg_logging`` keeps receiver-side log entries, ``memory_reclamation`` is what a
"passed AT" does to the arrays and logs, and ``receive_application_msg`` is the
common reception path of Figures 3 and 4 (the only difference between the two
figures is the ``(dirty_bit == 0 || prgt_bit == 1)`` gate of S2, which shadows
do not have).  With ``recovery.error_recovery`` they are the handlers of the
confidence-driven protocol family (``state.Family``); ``"coordinated"``
plugs in ``coordinated`` instead.
"""

from __future__ import annotations

from ..constants import ACT, LOW, SDW, Event
from .common import application_msg_reception
from .state import Checkpoint, LogEntry, Msg, Proc, Run


def checkpointing(run: Run, p: Proc, m: Msg) -> None:
    """Establish a checkpoint of ``p`` immediately before it consumes ``m``.

    S1 if ``p`` is clean, S2 if it is already potentially contaminated.  The
    index is the piggybacked ``int_mSN_G_low`` of the triggering message, the
    level the checkpoint guards against (D1 in docs/protocol.md); with
    ``ckpt_index_by_trigger`` off, the local level of the saved state.
    """
    index = m.int_mSN_G_low if run.rules.ckpt_index_by_trigger else p.int_mSN_G_low
    rule = Event.CKPT_S1 if p.dirty_bit == 0 else Event.CKPT_S2
    c = Checkpoint(index, p.int_mSN_G_low, run.now, p.n_recv, p.n_sent, p.n_twins, p.n_out,
                   p.erroneous, p.n_ckpt_made)
    p.n_ckpt_made += 1
    p.ckpt_array.append(c)
    run.m[rule.value] += 1
    run.m["ckpt_act" if p.role == ACT else "ckpt_sdw"] += 1
    run.change_ckpts(1)
    run.log(p.idx, rule, m.src, m.int_mSN_G_low, index, ckpt=c.ord)


def msg_logging(run: Run, p: Proc, m: Msg) -> None:
    """Receiver-side logging: save ``m`` so that a rollback can re-receive it."""
    ckpt_ord = p.ckpt_array[-1].ord if p.ckpt_array else -1
    p.rcv_msg_log.append(LogEntry(p.int_mSN_G_low, m, ckpt_ord))
    run.change_logs(0, 1)
    run.log(p.idx, Event.LOG_RCV, m.src, m.int_mSN_G_low, p.int_mSN_G_low)


def memory_reclamation(run: Run, p: Proc, v_int: int, v_ext: int = -1) -> None:
    """Apply a validation of level ``v_int`` (and ``v_ext`` cluster outputs) to ``p``.

    Literal reading: delete checkpoints and log entries whose index is
    ``<= v_int``.  ``mdcd``: delete the leading checkpoints whose interval (up to
    the next checkpoint, or up to now for the last one) absorbed only levels
    ``<= v_int``, with the receiver-log entries of those intervals.  Shadows also
    reclaim their sender-side logs.  Then ``dirty_bit = (size(ckpt_array) > 1)``
    counting a permanent base entry (D2), i.e. dirty iff a checkpoint remains.
    """
    lv = run.lv
    before_c, before_l = len(p.ckpt_array), len(p.rcv_msg_log)
    p.v_known = lv.join(p.v_known, v_int)
    if run.rules.reclaim_by_interval:
        while p.ckpt_array:
            hi = (p.ckpt_array[1].level_before if len(p.ckpt_array) > 1
                  else p.int_mSN_G_low)
            if not lv.leq(hi, v_int):
                break
            gone = p.ckpt_array.pop(0)
            p.rcv_msg_log = [e for e in p.rcv_msg_log if e.ckpt_ord != gone.ord]
        if not p.ckpt_array:
            p.rcv_msg_log = []
    else:
        p.ckpt_array = [c for c in p.ckpt_array if not lv.leq(c.index, v_int)]
        p.rcv_msg_log = [e for e in p.rcv_msg_log if not lv.leq(e.index, v_int)]
    d_send = 0
    if p.role == SDW:
        n_int, n_ext = len(p.int_msg_log), len(p.ext_msg_log)
        p.int_msg_log = [w for w in p.int_msg_log if not lv.leq(w.index, v_int)]
        if run.rules.outputs_by_count:   # outputs are counted apart (D9)
            if v_ext >= 0:
                p.ext_msg_log = [w for w in p.ext_msg_log if w.e > v_ext]
        else:
            p.ext_msg_log = [w for w in p.ext_msg_log if not lv.leq(w.index, v_int)]
        d_send = len(p.int_msg_log) + len(p.ext_msg_log) - n_int - n_ext
    run.change_ckpts(len(p.ckpt_array) - before_c)
    run.change_logs(d_send, len(p.rcv_msg_log) - before_l)
    p.dirty_bit = 1 if p.ckpt_array else 0
    if before_c or before_l or d_send:
        run.log(p.idx, Event.RECLAIM, -1, v_int, len(p.ckpt_array),
                n=before_c - len(p.ckpt_array), n_rcv_log=before_l - len(p.rcv_msg_log),
                n_sender_log=-d_send)
    run.check_unsafe(p)


def receive_application_msg(run: Run, p: Proc, m: Msg) -> None:
    """Reception of an application message by a G_act (Figure 3) or G_sdw (Figure 4) process."""
    rules, lv = run.rules, run.lv
    gate = p.role == SDW or p.dirty_bit == 0 or p.prgt_bit == 1 or rules.s2_every_level
    if rules.checkpoint_every_receive:
        trigger = True
    elif not rules.s2_checkpoints:   # "static": one checkpoint per dirty period
        trigger = m.dirty_bit == 1 and p.dirty_bit == 0
    else:
        trigger = (m.dirty_bit == 1 and not lv.leq(m.int_mSN_G_low, p.int_mSN_G_low)
                   and gate)
        if trigger and rules.aware_of_validated:   # R2: a validated level contaminates nothing
            trigger = not lv.leq(m.int_mSN_G_low, p.v_known)
    if trigger:
        checkpointing(run, p, m)
        p.dirty_bit = 1
        if p.role == ACT:  # "propagating in"
            p.prgt_bit = 1 if run.role(m.src) != LOW else 0
        if rules.log_all_when_dirty:
            msg_logging(run, p, m)
    elif rules.log_all_when_dirty:
        if p.dirty_bit == 1:
            msg_logging(run, p, m)
    elif m.dirty_bit == 0 and p.dirty_bit == 1:
        msg_logging(run, p, m)
    application_msg_reception(run, p, m)
    p.int_mSN_G_low = lv.join(m.int_mSN_G_low, p.int_mSN_G_low)
    run.log(p.idx, Event.DELIVER, m.src, m.int_mSN_G_low, m.k, dirty=m.dirty_bit,
            err=int(m.erroneous), k=m.k)
    if rules.checkpoint_every_receive:   # drop checkpoints already validated
        memory_reclamation(run, p, p.v_known)
    run.check_unsafe(p)
