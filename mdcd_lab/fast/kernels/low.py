"""``reference/low.py``: the rules of a G_low process (Figure 2).

``low_send``, ``low_output`` (AT, "passed AT" via ``notify``,
compensation, or a recovery request), ``low_receive``, ``fault``,
``end_failed``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ACT, HEAP_DELIVER
from .._config import JIT_HOT, JIT_NORC
from .common import application_msg_reception, end_failed, notify, pending_recovery
from .heap import heap_push
from .layout import (
    CO_LEVEL,
    CO_OK,
    CO_TOKEN,
    ERR_CAPACITY,
    F_NOW,
    FP_COMPENSATION,
    FP_COVERAGE,
    H_CAP_R,
    H_CO,
    H_DTND,
    H_MS,
    H_TN,
    IP_NLOW,
    IP_SCOPE_CLUSTER,
    M_N_AT,
    M_N_AT_PASSED,
    M_N_COMPENSATED,
    MF_T_FAULT,
    MS_LEVEL,
    MS_TWIN_NO,
    N_CO,
    N_MS,
    P_ERR,
    P_LEVEL,
    P_MSN_OWN,
    P_NSENT,
    R0,
    R_CO_MAX,
    R_ERROR,
    R_EXT_LOW,
    R_INT_LOW,
    R_N_LOW_ACT,
    R_ORIG_MAX,
    R_TOKEN,
    pp,
    rd,
    wr,
)
from .levels import lv_bytes, lv_join, lv_set, lv_snap, lv_unit, lv_vector
from .state import new_msg, role_of


@njit(**JIT_NORC)
def cluster_output(I, e, level, ok):
    # reads R.token; writes CO[e], R.co_max
    if e >= rd(I, H_CAP_R):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    row = rd(I, H_CO) + e * N_CO
    wr(I, row + CO_TOKEN, rd(I, R0 + R_TOKEN))
    wr(I, row + CO_LEVEL, lv_snap(I, level))
    wr(I, row + CO_OK, ok)
    if e > rd(I, R0 + R_CO_MAX):
        wr(I, R0 + R_CO_MAX, e)


@njit(**JIT_NORC)
def low_output(I, D, p, u_at, u_comp, d_notify):
    """``low.low_output``."""
    # reads P[p].err, level; writes R.ext_mSN_G_low, M AT counters, CO, R pending flag and
    # trigger
    wr(I, R0 + R_EXT_LOW, rd(I, R0 + R_EXT_LOW) + 1)
    e = rd(I, R0 + R_EXT_LOW)
    wr(I, R0 + M_N_AT, rd(I, R0 + M_N_AT) + 1)
    err = rd(I, pp(p, P_ERR)) != 0
    level = low_level(I, p)
    detected = err and u_at < rd(D, FP_COVERAGE)
    if not detected:
        if err:   # an AT missed the error: it reaches the device
            cluster_output(I, e, level, np.int64(1))
            end_failed(I, D)
            return
        wr(I, R0 + M_N_AT_PASSED, rd(I, R0 + M_N_AT_PASSED) + 1)
        cluster_output(I, e, level, np.int64(1))
        notify(I, D, p, level, e, d_notify)
        return
    if u_comp < rd(D, FP_COMPENSATION):
        wr(I, R0 + M_N_COMPENSATED, rd(I, R0 + M_N_COMPENSATED) + 1)
        cluster_output(I, e, level, np.int64(1))
        return
    cluster_output(I, e, level, np.int64(0))
    pending_recovery(I, D, p, d_notify)


@njit(**JIT_NORC)
def fault(I, D, p):
    """``low.fault``."""
    # reads F.now; writes M.t_fault, P err of the fault scope
    if rd(D, MF_T_FAULT) != rd(D, MF_T_FAULT):   # NaN: first activation
        wr(D, MF_T_FAULT, rd(D, F_NOW))
    if rd(I, IP_SCOPE_CLUSTER) != 0:
        for q in range(rd(I, IP_NLOW)):
            wr(I, pp(q, P_ERR), np.int64(1))
    else:
        wr(I, pp(p, P_ERR), np.int64(1))


@njit(**JIT_NORC)
def low_level(I, p):
    """``Run.low_level``: the shared ``int_mSN_G_low``, or ``p``'s view (``"mdcd-vector"``)."""
    # reads P[p].level or R.int_mSN_G_low
    if lv_vector(I):
        return rd(I, pp(p, P_LEVEL))
    return rd(I, R0 + R_INT_LOW)


@njit(**JIT_HOT)
def low_send(I, D, p, dst, t_deliver):
    """``low.low_send``: Figure 2's internal send (to G_act, or inside the cluster)."""
    # reads P[p] err, n_sent, level; writes R.int_mSN_G_low, R.n_low_act, R.orig_max,
    # P[p] n_sent, mSN_own, level, MS (new row), TN, D_TND, heap
    k = np.int64(0)
    if role_of(I, dst) == ACT:
        wr(I, R0 + R_INT_LOW, rd(I, R0 + R_INT_LOW) + 1)
        k = rd(I, R0 + R_INT_LOW)
    if lv_vector(I):
        if k != 0:   # the member and its own number (docs/protocol.md, section 8)
            c = rd(I, pp(p, P_MSN_OWN)) + 1
            wr(I, pp(p, P_MSN_OWN), c)
            lv_set(I, rd(I, pp(p, P_LEVEL)), p, c)
            level = lv_unit(I, p, c)
        else:        # inside the cluster: the sender's view
            level = lv_snap(I, rd(I, pp(p, P_LEVEL)))
    else:
        level = rd(I, R0 + R_INT_LOW)
    mid = new_msg(I, D, p, dst, t_deliver, np.int64(1), level, rd(I, pp(p, P_ERR)),
                  rd(I, pp(p, P_NSENT)), k, lv_bytes(I, k != 0))
    wr(I, pp(p, P_NSENT), rd(I, pp(p, P_NSENT)) + 1)
    if k != 0 and dst >= rd(I, IP_NLOW):   # is_act(dst): the twin number
        nla = rd(I, R0 + R_N_LOW_ACT) + 1
        wr(I, R0 + R_N_LOW_ACT, nla)
        if mid >= 0:   # run.originals[nla], and its delay (that of a re-sent twin nla)
            wr(I, rd(I, H_MS) + mid * N_MS + MS_TWIN_NO, nla)
            wr(I, rd(I, H_TN) + nla, mid)
            wr(D, rd(I, H_DTND) + nla, t_deliver - rd(D, F_NOW))
            wr(I, R0 + R_ORIG_MAX, nla)
    if mid >= 0:
        heap_push(I, D, t_deliver, HEAP_DELIVER, mid)


@njit(**JIT_HOT)
def low_receive(I, p, mid):
    """``low.low_receive``: a G_low process only consumes (``"mdcd-vector"``: its view
    absorbs the message's level)."""
    # reads MS[mid].level; writes P[p] (reception, level)
    application_msg_reception(I, p, mid)
    if lv_vector(I):
        lv_join(I, rd(I, pp(p, P_LEVEL)), rd(I, rd(I, H_MS) + mid * N_MS + MS_LEVEL))
