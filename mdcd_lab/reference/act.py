"""Figure 3: error containment algorithm for a process ``P_j^act`` of G_act."""

from __future__ import annotations

from ..constants import ACT, HEAP_DELIVER, LOW, Event
from .common import end_failed, notify
from .state import Proc, Run


def act_send(run: Run, p: Proc, dst: int, t_deliver: float) -> None:
    """Internal message sending: "propagating out", then piggyback and send.

    A message to ``low_i`` is also delivered to its shadow ``sdw_i``.
    """
    if run.role(dst) == ACT or (run.rules.prgt_out_on_low_send and run.role(dst) == LOW):
        p.prgt_bit = p.dirty_bit
    ords = p.n_sent
    p.n_sent += 1
    m = run.new_msg(p.idx, dst, t_deliver, p.dirty_bit, p.int_mSN_G_low, p.erroneous, ords)
    run.push(t_deliver, HEAP_DELIVER, m)
    if run.role(dst) == LOW and not (run.rules.unclustered and p.idx < run.n_low):
        # the shadow sees the same input (a partner's new-interface message to low0
        # under mdcd-unclustered is not understood by the old version)
        twin = run.twin_of(dst)
        m2 = run.new_msg(p.idx, twin.idx, t_deliver, p.dirty_bit, p.int_mSN_G_low,
                         p.erroneous, ords)
        run.push(t_deliver, HEAP_DELIVER, m2)
    run.log(p.idx, Event.SEND, dst, p.int_mSN_G_low, -1, dirty=p.dirty_bit,
            err=int(p.erroneous), k=0)


def act_output(run: Run, p: Proc, u_at: float, u_comp: float, d_notify: float) -> None:
    """External message: AT if dirty (then reclamation and "passed AT"), else sent as is."""
    if p.dirty_bit == 0:
        if p.erroneous:
            run.log(p.idx, Event.FAILURE, -1, p.int_mSN_G_low, -1, dirty=0)
            end_failed(run)
            return
        _to_device(run, p)
        run.log(p.idx, Event.OUTPUT, -1, p.int_mSN_G_low)
        return
    run.m["n_at"] += 1
    detected = p.erroneous and u_at < run.s.at_coverage
    if not detected:
        if p.erroneous:
            run.log(p.idx, Event.FAILURE, -1, p.int_mSN_G_low, -1, dirty=1)
            end_failed(run)
            return
        run.m["n_at_passed"] += 1
        run.log(p.idx, Event.AT_PASS, -1, p.int_mSN_G_low)
        run.family.validate(run, p, p.int_mSN_G_low, -1)
        _to_device(run, p)
        notify(run, p, p.int_mSN_G_low, -1, d_notify)
        return
    run.log(p.idx, Event.AT_FAIL, -1, p.int_mSN_G_low)
    if u_comp < run.s.compensation:
        run.m["n_compensated"] += 1
        _to_device(run, p)
        run.log(p.idx, Event.COMPENSATED, -1, p.int_mSN_G_low)
        return
    p.n_out += 1
    run.family.recover(run, p, d_notify)


def _to_device(run: Run, p: Proc) -> None:
    """Output ``p.n_out`` of ``p`` reaches the device."""
    p.outputs_delivered.append(p.n_out)
    run.device_act[(p.idx, p.n_out)] = run.device_act.get((p.idx, p.n_out), 0) + 1
    p.n_out += 1


def act_receive(run: Run, p: Proc, m) -> None:
    """Incoming application message (Figure 3's reception branch)."""
    run.family.receive(run, p, m)

