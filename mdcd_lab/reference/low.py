"""Figure 2: error containment algorithm for a process ``P_i^low`` of G_low.

``P_i^low``'s ``dirty_bit`` is constantly 1.  A message to G_act first
increments the cluster's shared ``int_mSN_G_low`` (broadcast atomically inside
the cluster, D6) and piggybacks it; an external message is checked by an AT.
"""

from __future__ import annotations

from ..constants import ACT, HEAP_DELIVER, Event
from .common import application_msg_reception, end_failed, notify
from .state import Proc, Run


def low_send(run: Run, p: Proc, dst: int, t_deliver: float) -> None:
    """Internal message sending of Figure 2 (to G_act, or inside the cluster).

    A message to G_act increments the cluster's shared ``int_mSN_G_low`` and
    piggybacks it.  ``"mdcd-vector"`` (docs/protocol.md, section 8): ``low_i``
    numbers its own messages to G_act (``mSN_own``) and such a message
    piggybacks the member and that number (the level with ``mSN_own`` at ``i``);
    a message inside the cluster piggybacks ``low_i``'s view, the per-member
    numbers its state vouches for.  The shared counter is then only the
    message's identity (its twin's number).
    """
    k = 0
    lv = run.lv
    if run.role(dst) == ACT:
        run.int_mSN_G_low += 1
        k = run.int_mSN_G_low
    if lv.vector:
        if k:   # the member and its own number
            p.mSN_own += 1
            level = lv.unit(run.member_of(p), p.mSN_own)
            p.int_mSN_G_low = lv.join(p.int_mSN_G_low, level)
        else:
            level = p.int_mSN_G_low
    else:
        level = run.int_mSN_G_low
    m = run.new_msg(p.idx, dst, t_deliver, 1, level, p.erroneous, p.n_sent, k,
                    numbered=lv.vector and k > 0)
    p.n_sent += 1
    if k and run.is_act(dst):
        run.n_low_act += 1
        m.twin_no = run.n_low_act
        run.originals[m.twin_no] = m
    run.push(t_deliver, HEAP_DELIVER, m)
    run.log(p.idx, Event.SEND, dst, level, k, dirty=1, err=int(p.erroneous), k=k)


def low_output(run: Run, p: Proc, u_at: float, u_comp: float, d_notify: float) -> None:
    """External message of ``P_i^low``: AT, then device and "passed AT", or compensation."""
    run.ext_mSN_G_low += 1
    e = run.ext_mSN_G_low
    level = run.low_level(p)
    run.m["n_at"] += 1
    detected = p.erroneous and u_at < run.s.at_coverage
    if not detected:
        if p.erroneous:   # an AT missed the error: it reaches the device
            run.log(p.idx, Event.FAILURE, -1, level, e, dirty=1, e=e)
            run.cluster_outputs.append((e, level, True))
            end_failed(run)
            return
        run.m["n_at_passed"] += 1
        run.cluster_outputs.append((e, level, True))
        run.log(p.idx, Event.AT_PASS, -1, level, e, e=e)
        notify(run, p, level, e, d_notify)
        return
    run.log(p.idx, Event.AT_FAIL, -1, level, e, e=e)
    if u_comp < run.s.compensation:
        run.m["n_compensated"] += 1
        run.cluster_outputs.append((e, level, True))
        run.log(p.idx, Event.COMPENSATED, -1, level, e, e=e)
        return
    run.cluster_outputs.append((e, level, False))
    run.family.recover(run, p, d_notify)


def low_receive(run: Run, p: Proc, m) -> None:
    """``application_msg_reception(m)``: a G_low process only consumes.

    ``"mdcd-vector"``: its view absorbs the message's level (what the sender's
    state vouched for when it sent it).
    """
    application_msg_reception(run, p, m)
    if run.lv.vector:
        p.int_mSN_G_low = run.lv.join(p.int_mSN_G_low, m.int_mSN_G_low)
    run.log(p.idx, Event.DELIVER, m.src, m.int_mSN_G_low, m.k, dirty=m.dirty_bit,
            err=int(m.erroneous), k=m.k)


def fault(run: Run, p: Proc) -> None:
    """A design-fault activation in ``p`` (fault_scope 'cluster': every member)."""
    if run.t_fault != run.t_fault:  # NaN: first activation
        run.t_fault = run.now
    targets = ([q for q in run.procs[: run.n_low]] if run.s.fault_scope == "cluster" else [p])
    for q in targets:
        q.erroneous = True
    run.log(p.idx, Event.FAULT, -1, run.low_level(p))
