"""``reference/act.py``: the rules of a G_act process (Figure 3).

``act_send`` ("propagating out", the twin copy to the shadow),
``act_output`` (AT when dirty), ``act_notify`` ("passed AT" received).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ACT, HEAP_DELIVER, LOW
from .._config import JIT_HOT, JIT_NORC
from .common import end_failed, notify, pending_recovery
from .families import validate
from .heap import heap_push
from .layout import (
    FP_COMPENSATION,
    FP_COVERAGE,
    H_OD,
    IP_NACT,
    IP_NLOW,
    IP_PRGT_OUT_ON_LOW_SEND,
    IP_UNCLUSTERED,
    M_N_AT,
    M_N_AT_PASSED,
    M_N_COMPENSATED,
    N_OD,
    P_DIRTY,
    P_ERR,
    P_LEVEL,
    P_NOUT,
    P_NSENT,
    P_PRGT,
    R0,
    R_NOD,
    pp,
    rd,
    wr,
)
from .levels import lv_bytes, lv_snap
from .state import new_msg, od_append, role_of


@njit(**JIT_NORC)
def output_delivered(I, p):
    """``act._to_device``: output ``n_out`` of ``p`` reaches the device (one copy)."""
    # reads P[p].n_out; writes OD, R.n_od
    od_append(I, p, rd(I, pp(p, P_NOUT)))


@njit(**JIT_NORC)
def act_output(I, D, p, u_at, u_comp, d_notify):
    """``act.act_output``."""
    # reads P[p] dirty, err, level; writes M AT counters, P[p].n_out, R pending flag and
    # trigger
    err = rd(I, pp(p, P_ERR)) != 0
    if rd(I, pp(p, P_DIRTY)) == 0:
        if err:
            end_failed(I, D)
            return
        output_delivered(I, p)
        wr(I, pp(p, P_NOUT), rd(I, pp(p, P_NOUT)) + 1)
        return
    wr(I, R0 + M_N_AT, rd(I, R0 + M_N_AT) + 1)
    detected = err and u_at < rd(D, FP_COVERAGE)
    if not detected:
        if err:
            end_failed(I, D)
            return
        wr(I, R0 + M_N_AT_PASSED, rd(I, R0 + M_N_AT_PASSED) + 1)
        validate(I, D, p, ACT, rd(I, pp(p, P_LEVEL)), np.int64(-1))
        output_delivered(I, p)
        wr(I, pp(p, P_NOUT), rd(I, pp(p, P_NOUT)) + 1)
        notify(I, D, p, rd(I, pp(p, P_LEVEL)), np.int64(-1), d_notify)
        return
    if u_comp < rd(D, FP_COMPENSATION):
        wr(I, R0 + M_N_COMPENSATED, rd(I, R0 + M_N_COMPENSATED) + 1)
        output_delivered(I, p)
        wr(I, pp(p, P_NOUT), rd(I, pp(p, P_NOUT)) + 1)
        return
    wr(I, pp(p, P_NOUT), rd(I, pp(p, P_NOUT)) + 1)
    pending_recovery(I, D, p, d_notify)


@njit(**JIT_HOT)
def act_send(I, D, p, dst, t_deliver):
    """``act.act_send``: "propagating out" (D9), then piggyback and send.

    A message to ``low_i`` is also delivered to its shadow ``sdw_i`` (D16).
    """
    # reads P[p] dirty, level, err; writes P[p] prgt, n_sent, MS (one or two rows), heap
    drole = role_of(I, dst)
    if drole == ACT or (rd(I, IP_PRGT_OUT_ON_LOW_SEND) != 0 and drole == LOW):
        wr(I, pp(p, P_PRGT), rd(I, pp(p, P_DIRTY)))
    ords = rd(I, pp(p, P_NSENT))
    wr(I, pp(p, P_NSENT), rd(I, pp(p, P_NSENT)) + 1)
    dirty = rd(I, pp(p, P_DIRTY))
    level = lv_snap(I, rd(I, pp(p, P_LEVEL)))   # the piggyback (both copies)
    err = rd(I, pp(p, P_ERR))
    pb = lv_bytes(I, np.bool_(False))
    mid = new_msg(I, D, p, dst, t_deliver, dirty, level, err, ords, np.int64(0), pb)
    if mid >= 0:
        heap_push(I, D, t_deliver, HEAP_DELIVER, mid)
    # a partner's new-interface message to low0 (unclustered) has no twin copy
    if drole == LOW and not (rd(I, IP_UNCLUSTERED) != 0 and p < rd(I, IP_NLOW)):
        twin = rd(I, IP_NLOW) + rd(I, IP_NACT) + dst
        mid = new_msg(I, D, p, twin, t_deliver, dirty, level, err, ords, np.int64(0), pb)
        if mid >= 0:
            heap_push(I, D, t_deliver, HEAP_DELIVER, mid)


@njit(**JIT_NORC)
def od_row(I, q, o):
    """The device's row of output ``o`` of ``q`` (``OD``), -1 if it has none."""
    # reads OD
    od = rd(I, H_OD)
    for j in range(rd(I, R0 + R_NOD)):
        if rd(I, od + j * N_OD) == q and rd(I, od + j * N_OD + 1) == o:
            return j
    return -1


@njit(**JIT_NORC)
def act_output_copy(I, q, o):
    """``executed.act_output_copy``: the device gets output ``o`` of ``q`` once more."""
    # reads OD; writes OD (a copy, or a new row)
    j = od_row(I, q, o)
    if j < 0:
        od_append(I, q, o)
    else:
        row = rd(I, H_OD) + j * N_OD
        wr(I, row + 2, rd(I, row + 2) + 1)
