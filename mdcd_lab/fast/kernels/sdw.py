"""``reference/sdw.py``: the rules of a shadow G_sdw process (Figure 4).

A twin row is numbered when it comes (``number_twin``, D12) and made by
``make_twin``: suppressed and logged in shadow mode (``sdw_twin_send``,
``sdw_twin_output``), a real message or output once the shadow has taken over
(``twin_send``, ``twin_output``, ``send_twin``, ``twin_output_copy``:
``reference/executed.py``'s, here because ``make_twin`` calls them and the kernels
import in one direction).  ``Rules.twins_in_member_order`` (R4): a twin row ahead of
its member waits in the shadow's ``ahead`` queue until the member makes the event
(``twin_row``, ``member_event``); an input from G_act that the member
consumed after events whose twins are not made yet waits in ``waiting``
(``sdw_receive``).  ``sdw_send``: between shadows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ACT, HEAP_DELIVER, KIND_OUTPUT, SDW
from .._config import JIT_HOT, JIT_NORC
from .common import end_failed
from .families import receive, suppresses
from .heap import heap_push
from .layout import (
    ERR_CAPACITY,
    F_NOW,
    H_CAP_R,
    H_DLD,
    H_DT,
    H_DTND,
    H_MS,
    H_QE,
    H_TN,
    H_TW,
    H_TWO,
    IP_NACT,
    IP_NLOW,
    IP_NON_FIFO,
    IP_OUTPUTS_BY_COUNT,
    IP_RECLAIM_VALIDATED_TWINS,
    IP_TWINS_IN_MEMBER_ORDER,
    M_N_SUPPRESSED,
    MODE_RECOVERED,
    MODE_STOPPED,
    MS_SRC,
    MS_TWIN_NO,
    N_DT,
    N_MS,
    N_QE,
    N_TW,
    N_TWO,
    P_AH_HEAD,
    P_AH_LEN,
    P_BOUNDARY,
    P_DEF_HEAD,
    P_DIRTY,
    P_ERR,
    P_EXT_IVR,
    P_IVR,
    P_LEVEL,
    P_MADE,
    P_MODE,
    P_MSN_OWN,
    P_NSENT,
    P_NTWINS,
    P_ROWS_SEEN,
    P_TE_HEAD,
    P_TI_HEAD,
    P_V,
    P_WT_HEAD,
    QE_A,
    QE_B,
    QE_C,
    QE_D,
    QE_E,
    R0,
    R_DT_MAX,
    R_ENDED,
    R_ERROR,
    R_EXT_SDW,
    R_INT_SDW,
    R_N_LOW_ACT,
    R_NTW,
    R_TOKEN,
    TW_DST,
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
from .levels import lv_bytes, lv_leq, lv_snap, lv_unit, lv_vector
from .state import (
    change_logs,
    list_append,
    member_of,
    new_msg,
    q_floats,
    q_new,
    q_pop,
    role_of,
)


@njit(**JIT_NORC)
def new_twin(I, p, index, k, e, dst):
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
    wr(I, row + TW_DST, dst)
    wr(I, pp(p, P_NTWINS), rd(I, pp(p, P_NTWINS)) + 1)
    return w


@njit(**JIT_HOT)
def number_twin(I, p, kind):
    """``sdw.number_twin``: ``(number, log index)`` of ``p``'s next twin:
    ``int_mSN_G_sdw++`` for a message (its identity ``k``), the shadows' output count
    ``e`` for an output.  ``"mdcd-vector"``: the log index is ``sdw_i``'s own number
    of the twin (``mSN_own``, the level with it at ``i``; docs/protocol.md, section 8)."""
    # reads R.int_mSN_G_sdw, R.ext_mSN_G_sdw, P[p].mSN_own; writes them, LV (a unit row)
    if kind == KIND_OUTPUT:
        e = rd(I, R0 + R_EXT_SDW) + 1
        wr(I, R0 + R_EXT_SDW, e)
        if lv_vector(I):
            return e, lv_unit(I, member_of(I, p), rd(I, pp(p, P_MSN_OWN)))
        return e, rd(I, R0 + R_INT_SDW)
    k = rd(I, R0 + R_INT_SDW) + 1
    wr(I, R0 + R_INT_SDW, k)
    if lv_vector(I):
        c = rd(I, pp(p, P_MSN_OWN)) + 1
        wr(I, pp(p, P_MSN_OWN), c)
        return k, lv_unit(I, member_of(I, p), c)
    return k, k


@njit(**JIT_HOT)
def sdw_twin_send(I, D, p, dst, k, index):
    """``sdw.sdw_twin_send``: twin ``k`` to ``dst``, suppressed and logged sender-side."""
    # reads P[p] ivr_low; writes TW, P[p] int_msg_log
    w = new_twin(I, p, index, k, np.int64(0), dst)
    if w < 0:
        return
    if rd(I, IP_RECLAIM_VALIDATED_TWINS) != 0 and lv_leq(I, index, rd(I, pp(p, P_IVR))):
        return   # already validated: reclaimed at once (D18)
    list_append(I, p, P_TI_HEAD, rd(I, H_TW), N_TW, TW_NEXT, w)
    change_logs(I, D, np.int64(1), np.int64(0))


@njit(**JIT_NORC)
def sdw_twin_output(I, D, p, e, index):
    """``sdw.sdw_twin_output``: twin output ``e``, suppressed and saved to ``ext_msg_log``."""
    # reads P[p] ivr_low, ext_ivr; writes TW, TWO[e], P[p] ext_msg_log
    w = new_twin(I, p, index, np.int64(0), e, np.int64(-1))
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
    change_logs(I, D, np.int64(1), np.int64(0))


@njit(**JIT_HOT)
def make_twin(I, D, p, kind, dst, k, index):
    """``sdw.make_twin``: suppressed and logged in shadow mode, real after the takeover;
    then the inputs that waited for this twin (R4) are consumed."""
    # reads P[p] mode, made, waiting; writes what the twin rules write, P[p].made, the
    # waiting queue, what families.receive writes
    if rd(I, pp(p, P_MODE)) == MODE_RECOVERED:
        if kind == KIND_OUTPUT:
            twin_output(I, D, p, k, index)
        else:
            twin_send(I, D, p, dst, k, index)
    elif kind == KIND_OUTPUT:
        sdw_twin_output(I, D, p, k, index)
    else:
        sdw_twin_send(I, D, p, dst, k, index)
    made = rd(I, pp(p, P_MADE)) + 1
    wr(I, pp(p, P_MADE), made)
    while rd(I, pp(p, P_WT_HEAD)) >= 0 and rd(I, R0 + R_ENDED) == 0:
        if rd(I, rd(I, H_QE) + rd(I, pp(p, P_WT_HEAD)) * N_QE + QE_A) > made:
            break
        receive(I, D, p, SDW, rd(I, q_pop(I, p, P_WT_HEAD) + QE_B))


@njit(**JIT_HOT)
def twin_row(I, D, p, kind, dst):
    """``sdw.twin_row``: a twin row of ``p``, numbered now; made now or, if it runs ahead
    of its member (R4), once the member has made the event (``ahead``)."""
    # reads P[member] mode, boundary, P[p] ahead; writes P[p] rows_seen, ahead, what
    # make_twin writes
    k, index = number_twin(I, p, kind)
    seen = rd(I, pp(p, P_ROWS_SEEN)) + 1
    wr(I, pp(p, P_ROWS_SEEN), seen)
    if rd(I, IP_TWINS_IN_MEMBER_ORDER) != 0:
        member = member_of(I, p)
        if rd(I, pp(member, P_MODE)) != MODE_RECOVERED and (
                rd(I, pp(p, P_AH_LEN)) > 0 or rd(I, pp(member, P_BOUNDARY)) < seen):
            row = q_new(I, p, P_AH_HEAD)
            if row >= 0:
                wr(I, row + QE_A, kind)
                wr(I, row + QE_B, dst)
                wr(I, row + QE_C, k)
                wr(I, row + QE_D, index)
                wr(I, pp(p, P_AH_LEN), rd(I, pp(p, P_AH_LEN)) + 1)
            return
    make_twin(I, D, p, kind, dst, k, index)


@njit(**JIT_NORC)
def defer_row(I, D, p, kind, dst, rel_td, u_at, u_comp, d_notify, has_num, k, index):
    """``p`` has stopped (two-phase recovery): its row waits for the release, its
    delivery delay ``rel_td`` kept; a twin row keeps the number it got (``has_num``)."""
    # writes QE (new item), D_QE, P[p] deferred rows
    row = q_new(I, p, P_DEF_HEAD)
    if row < 0:
        return
    wr(I, row + QE_A, kind)
    wr(I, row + QE_B, dst)
    wr(I, row + QE_C, has_num)
    wr(I, row + QE_D, k)
    wr(I, row + QE_E, index)
    f = q_floats(I, row)
    wr(D, f, rel_td)
    wr(D, f + 1, u_at)
    wr(D, f + 2, u_comp)
    wr(D, f + 3, d_notify)


@njit(**JIT_NORC)
def release_ahead(I, D, q):
    """``sdw._release_ahead``: the first twin row of ``q``'s ``ahead`` queue is made
    (deferred to the release if ``q`` has stopped)."""
    # reads P[q] mode, ahead; writes P[q] ahead, what make_twin or defer_row writes
    row = q_pop(I, q, P_AH_HEAD)
    wr(I, pp(q, P_AH_LEN), rd(I, pp(q, P_AH_LEN)) - 1)
    kind = rd(I, row + QE_A)
    dst = rd(I, row + QE_B)
    k = rd(I, row + QE_C)
    index = rd(I, row + QE_D)
    if rd(I, pp(q, P_MODE)) == MODE_STOPPED:
        defer_row(I, D, q, kind, dst, 0.0, 0.0, 0.0, 0.0, np.int64(1), k, index)
    else:
        make_twin(I, D, q, kind, dst, k, index)


@njit(**JIT_HOT)
def member_event(I, D, low_p):
    """``sdw.member_event``: member ``low_p`` sent a message to G_act or an output; the
    twin rows of its shadow that waited for it (R4) are made now."""
    # reads P[low_p].boundary, P[sdw] ahead, rows_seen; writes P[low_p].boundary, what
    # release_ahead writes
    b = rd(I, pp(low_p, P_BOUNDARY)) + 1
    wr(I, pp(low_p, P_BOUNDARY), b)
    q = rd(I, IP_NLOW) + rd(I, IP_NACT) + low_p
    while (rd(I, pp(q, P_AH_LEN)) > 0 and rd(I, R0 + R_ENDED) == 0
           and rd(I, pp(q, P_ROWS_SEEN)) - rd(I, pp(q, P_AH_LEN)) < b):
        release_ahead(I, D, q)


@njit(**JIT_HOT)
def sdw_receive(I, D, p, mid):
    """``sdw.sdw_receive``: Figure 4's reception; R4: an input from G_act that the member
    consumed after events whose twins ``p`` has not made yet waits for them."""
    # reads MS[mid].src, P[member] mode, boundary, P[p] made, waiting; writes the waiting
    # queue or what families.receive writes
    if rd(I, IP_TWINS_IN_MEMBER_ORDER) != 0 and \
            role_of(I, rd(I, rd(I, H_MS) + mid * N_MS + MS_SRC)) == ACT:
        member = member_of(I, p)
        boundary = rd(I, pp(member, P_BOUNDARY))
        if rd(I, pp(member, P_MODE)) != MODE_RECOVERED and (
                rd(I, pp(p, P_WT_HEAD)) >= 0 or rd(I, pp(p, P_MADE)) < boundary):
            row = q_new(I, p, P_WT_HEAD)
            if row >= 0:
                wr(I, row + QE_A, boundary)
                wr(I, row + QE_B, mid)
            return
    receive(I, D, p, SDW, mid)


@njit(**JIT_HOT)
def sdw_send(I, D, p, dst, t_deliver):
    """``sdw.sdw_send``: a message between shadows (old interface), delivered (D8)."""
    # reads P[p] dirty, level, err; writes P[p].n_sent, MS (new row), heap
    mid = new_msg(I, D, p, dst, t_deliver, rd(I, pp(p, P_DIRTY)),
                  lv_snap(I, rd(I, pp(p, P_LEVEL))), rd(I, pp(p, P_ERR)),
                  rd(I, pp(p, P_NSENT)), np.int64(0), lv_bytes(I, np.bool_(False)))
    wr(I, pp(p, P_NSENT), rd(I, pp(p, P_NSENT)) + 1)
    if mid >= 0:
        heap_push(I, D, t_deliver, HEAP_DELIVER, mid)


# -- a shadow that has taken over (reference/executed.py) ---------------------------------
@njit(**JIT_NORC)
def twin_send(I, D, q, dst, k, index):
    """``executed.twin_send``: twin ``k`` of taken-over shadow ``q``: suppressed if the
    family says the original is held ("suppress ... until int_mSN_G_sdw reaches
    ivr_low"), else sent."""
    # reads P[q] err, V; writes M.n_suppressed or what send_twin writes
    if suppresses(I, q, k, index):
        wr(I, R0 + M_N_SUPPRESSED, rd(I, R0 + M_N_SUPPRESSED) + 1)
        return
    send_twin(I, D, q, dst, k, rd(I, pp(q, P_ERR)))


@njit(**JIT_NORC)
def twin_output(I, D, q, e, index):
    """``executed.twin_output``: twin output ``e`` of taken-over shadow ``q``, suppressed
    if the device has output ``e``."""
    # reads P[q] ext_ivr, V, err; writes M.n_suppressed or what twin_output_copy writes
    if rd(I, IP_OUTPUTS_BY_COUNT) != 0:
        done = e <= rd(I, pp(q, P_EXT_IVR))
    else:
        done = lv_leq(I, index, rd(I, pp(q, P_V)))
    if done:
        wr(I, R0 + M_N_SUPPRESSED, rd(I, R0 + M_N_SUPPRESSED) + 1)
        return
    twin_output_copy(I, D, e, rd(I, pp(q, P_ERR)))


@njit(**JIT_NORC)
def send_twin(I, D, q, dst, k, err):
    """``executed.send_twin``: twin ``k`` to ``dst`` with the delay its cluster message
    had (0 if it has none), FIFO on a FIFO channel."""
    # reads TN, D_TND, LD, P[q] level, n_sent; writes MS (new row), P[q].n_sent, heap
    delay = 0.0
    if 1 <= k <= rd(I, R0 + R_N_LOW_ACT) and rd(I, rd(I, H_TN) + k) >= 0:
        delay = rd(D, rd(I, H_DTND) + k)
    t = rd(D, F_NOW) + delay
    if rd(I, IP_NON_FIFO) == 0:
        ld = rd(D, rd(I, H_DLD) + q * (2 * rd(I, IP_NLOW) + rd(I, IP_NACT)) + dst)
        if ld > t:
            t = ld
    mid = new_msg(I, D, q, dst, t, np.int64(0), lv_snap(I, rd(I, pp(q, P_LEVEL))), err,
                  rd(I, pp(q, P_NSENT)), k, lv_bytes(I, np.bool_(False)))
    wr(I, pp(q, P_NSENT), rd(I, pp(q, P_NSENT)) + 1)
    if mid >= 0:
        wr(I, rd(I, H_MS) + mid * N_MS + MS_TWIN_NO, k)
        heap_push(I, D, t, HEAP_DELIVER, mid)


@njit(**JIT_NORC)
def twin_output_copy(I, D, e, err):
    """``executed.twin_output_copy``: the device gets twin output ``e`` (an erroneous one
    fails the run)."""
    # reads R.token; writes DT[e], R.dt_max, what end_failed writes
    if e >= rd(I, H_CAP_R):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    row = rd(I, H_DT) + e * N_DT
    if rd(I, row) != rd(I, R0 + R_TOKEN):
        wr(I, row, rd(I, R0 + R_TOKEN))
        wr(I, row + 1, np.int64(0))
    wr(I, row + 1, rd(I, row + 1) + 1)
    if e > rd(I, R0 + R_DT_MAX):
        wr(I, R0 + R_DT_MAX, e)
    if err != 0:
        end_failed(I, D)
