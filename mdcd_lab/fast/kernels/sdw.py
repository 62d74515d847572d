"""``reference/sdw.py``: the rules of a shadow G_sdw process (Figure 4).

:func:`sdw_twin_send` and :func:`sdw_twin_output` (suppressed, logged),
:func:`sdw_send` (between shadows), :func:`sdw_notify` ("passed AT" received).
"""

from __future__ import annotations

from numba import njit

from ...constants import HEAP_DELIVER, SDW
from .._config import JIT_NORC
from .families import validate
from .layout import (
    ERR_CAPACITY,
    H_CAP_R,
    H_TW,
    H_TWO,
    IP_OUTPUTS_BY_COUNT,
    IP_RECLAIM_VALIDATED_TWINS,
    N_TW,
    N_TWO,
    P_DIRTY,
    P_ERR,
    P_EXT_IVR,
    P_IVR,
    P_LEVEL,
    P_MSN_OWN,
    P_NSENT,
    P_NTWINS,
    P_TE_HEAD,
    P_TI_HEAD,
    R0,
    R_ERROR,
    R_EXT_SDW,
    R_INT_SDW,
    R_NTW,
    R_TOKEN,
    TW_E,
    TW_ERR,
    TW_INDEX,
    TW_K,
    TW_NEXT,
    TW_ORD,
    TW_SDW,
    pp,
    rd,
    wr,
)
from .levels import lv_bytes, lv_join, lv_leq, lv_snap, lv_unit, lv_vector
from .state import change_logs, heap_push, list_append, member_of, new_msg


@njit(**JIT_NORC)
def new_twin(I, p, index, k, e):
    # reads P[p] err, n_twins; writes TW (new row), P[p].n_twins, R.n_tw
    w = rd(I, R0 + R_NTW)
    if w >= rd(I, H_CAP_R):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return -1
    wr(I, R0 + R_NTW, w + 1)
    row = rd(I, H_TW) + w * N_TW
    wr(I, row + TW_SDW, p)
    wr(I, row + TW_INDEX, index)
    wr(I, row + TW_ORD, rd(I, pp(p, P_NTWINS)))
    wr(I, row + TW_ERR, rd(I, pp(p, P_ERR)))
    wr(I, row + TW_K, k)
    wr(I, row + TW_E, e)
    wr(I, pp(p, P_NTWINS), rd(I, pp(p, P_NTWINS)) + 1)
    return w


@njit(**JIT_NORC)
def sdw_twin_send(I, D, p):
    """``sdw.sdw_twin_send``."""
    # reads P[p] ivr_low; writes R.int_mSN_G_sdw, P[p] mSN_own, int_msg_log, TW
    wr(I, R0 + R_INT_SDW, rd(I, R0 + R_INT_SDW) + 1)
    k = rd(I, R0 + R_INT_SDW)
    if lv_vector(I):   # the shadow's own number of the twin (docs/protocol.md, section 8)
        c = rd(I, pp(p, P_MSN_OWN)) + 1
        wr(I, pp(p, P_MSN_OWN), c)
        index = lv_unit(I, member_of(I, p), c)
    else:
        index = k
    w = new_twin(I, p, index, k, 0)
    if w < 0:
        return
    if rd(I, IP_RECLAIM_VALIDATED_TWINS) != 0 and lv_leq(I, index, rd(I, pp(p, P_IVR))):
        return   # already validated: reclaimed at once (D18)
    list_append(I, p, P_TI_HEAD, rd(I, H_TW), N_TW, TW_NEXT, w)
    change_logs(I, D, 1, 0)


@njit(**JIT_NORC)
def sdw_twin_output(I, D, p):
    """``sdw.sdw_twin_output``."""
    # reads P[p] ivr_low, ext_ivr; writes R.ext_mSN_G_sdw, TW, TWO[e], P[p] ext_msg_log
    wr(I, R0 + R_EXT_SDW, rd(I, R0 + R_EXT_SDW) + 1)
    e = rd(I, R0 + R_EXT_SDW)
    if lv_vector(I):
        index = lv_unit(I, member_of(I, p), rd(I, pp(p, P_MSN_OWN)))
    else:
        index = rd(I, R0 + R_INT_SDW)
    w = new_twin(I, p, index, 0, e)
    if w < 0:
        return
    if e >= rd(I, H_CAP_R):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    wr(I, rd(I, H_TWO) + e * N_TWO, rd(I, R0 + R_TOKEN))
    wr(I, rd(I, H_TWO) + e * N_TWO + 1, w)
    if rd(I, IP_RECLAIM_VALIDATED_TWINS) != 0:
        if rd(I, IP_OUTPUTS_BY_COUNT) != 0:
            validated = e <= rd(I, pp(p, P_EXT_IVR))
        else:
            validated = lv_leq(I, index, rd(I, pp(p, P_IVR)))
        if validated:
            return   # already validated: reclaimed at once (D18)
    list_append(I, p, P_TE_HEAD, rd(I, H_TW), N_TW, TW_NEXT, w)
    change_logs(I, D, 1, 0)


@njit(**JIT_NORC)
def sdw_send(I, D, p, dst, t_deliver):
    """``sdw.sdw_send``: a message between shadows (old interface), delivered (D8)."""
    # reads P[p] dirty, level, err; writes P[p].n_sent, MS (new row), heap
    mid = new_msg(I, p, dst, rd(I, pp(p, P_DIRTY)), lv_snap(I, rd(I, pp(p, P_LEVEL))),
                  rd(I, pp(p, P_ERR)), rd(I, pp(p, P_NSENT)), 0, lv_bytes(I, False))
    wr(I, pp(p, P_NSENT), rd(I, pp(p, P_NSENT)) + 1)
    if mid >= 0:
        heap_push(I, D, t_deliver, HEAP_DELIVER, mid)


@njit(**JIT_NORC)
def sdw_notify(I, D, p, v_int, v_ext):
    """``sdw.sdw_notify``: reclamation, ``ivr_low = max(m.int_mSN_G_low, ivr_low)``."""
    # writes what families.validate writes, P[p] ivr_low, ext_ivr
    validate(I, D, p, SDW, v_int, v_ext)
    wr(I, pp(p, P_IVR), lv_join(I, rd(I, pp(p, P_IVR)), v_int))
    if v_ext >= 0 and v_ext > rd(I, pp(p, P_EXT_IVR)):
        wr(I, pp(p, P_EXT_IVR), v_ext)
