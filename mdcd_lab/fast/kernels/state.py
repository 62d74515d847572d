"""``reference/state.py``'s ``Run`` methods over the arenas.

``role_of`` (``Run.role``), ``new_msg``, the log and checkpoint counters
(``change_logs``, ``change_ckpts``), ``check_unsafe``, the pool
lists (``list_append``, ``list_remove_le``) and
``application_msg_reception`` (a message consumed) and
``begin_recovery`` (``reference/common.py``: a recovery starts, the run ends).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ABSENT, ACT, LOW, SDW
from .._config import JIT_NORC
from .layout import (
    CK_ERR,
    CK_INDEX,
    CK_LEVEL_BEFORE,
    CK_NOUT,
    CK_NRECV,
    CK_NSENT,
    CK_NTWINS,
    CK_ORD,
    CK_STAMP,
    D_CKT,
    ERR_CAPACITY,
    F_DELAY_MAX,
    F_LOG_AREA,
    F_LOG_T,
    F_NOW,
    H_CAP_M,
    H_CAP_QE,
    H_CAP_R,
    H_CK,
    H_DLD,
    H_DQE,
    H_MS,
    H_NPROCS,
    H_OD,
    H_QE,
    IP_FIFO_NOTES,
    IP_NACT,
    IP_NLOW,
    IP_TRACK_LD,
    IP_UNCLUSTERED,
    M_CKPT_ARRAY_PEAK,
    M_LOG_ENTRIES_PEAK,
    M_LOG_RECEIVER_PEAK,
    M_LOG_SENDER_PEAK,
    M_N_APP_MSGS,
    M_N_LOGGED,
    M_PIGGYBACK_BYTES,
    MS_CONSUME_ORD,
    MS_DELIVERED,
    MS_DIRTY,
    MS_DSEQ,
    MS_DST,
    MS_ERR,
    MS_HOLDX,
    MS_K,
    MS_LEVEL,
    MS_SEND_ORD,
    MS_SRC,
    MS_TWIN_NO,
    N_CK,
    N_MS,
    N_OD,
    N_QE,
    N_QF,
    P_CUT_SENT,
    P_DIRTY,
    P_ERR,
    P_NOUT,
    P_NRECV,
    P_NSENT,
    P_NTWINS,
    P_REC_MID,
    P_UNSAFE,
    QE_NEXT,
    R0,
    R_CK_NOW,
    R_ERROR,
    R_LOG_R,
    R_LOG_S,
    R_NMSG,
    R_NOD,
    R_NQE,
    pp,
    rd,
    wr,
)
from .levels import lv_leq


@njit(**JIT_NORC)
def role_of(I, p):
    """``Run.role``; under ``unclustered`` low0's partners are ACT, sdw_i (i >= 1) ABSENT."""
    # reads IP_NLOW, IP_NACT, IP_UNCLUSTERED
    n_low = rd(I, IP_NLOW)
    if rd(I, IP_UNCLUSTERED) != 0:
        if p == 0:
            return LOW
        sdw0 = n_low + rd(I, IP_NACT)
        if p < sdw0:
            return ACT
        return SDW if p == sdw0 else ABSENT
    if p < n_low:
        return LOW
    return ACT if p < n_low + rd(I, IP_NACT) else SDW


@njit(**JIT_NORC)
def member_of(I, p):
    """``Run.member_of``: ``i`` of ``low_i`` or of its shadow ``sdw_i``."""
    # reads IP_NLOW, IP_NACT
    n_low = rd(I, IP_NLOW)
    return p if p < n_low else p - n_low - rd(I, IP_NACT)


@njit(**JIT_NORC)
def change_logs(I, D, d_sender, d_receiver):
    """``Run.change_logs``: advance the log-size integral, then the sizes and peaks."""
    # reads F.now, F.log_t; writes F.log_area, F.log_t, R log sizes, M log peaks, M.n_logged
    # log_area += (log_sender + log_receiver) * (now - log_t), the reference's operations
    size = rd(I, R0 + R_LOG_S) + rd(I, R0 + R_LOG_R)
    wr(D, F_LOG_AREA, rd(D, F_LOG_AREA) + size * (rd(D, F_NOW) - rd(D, F_LOG_T)))
    wr(D, F_LOG_T, rd(D, F_NOW))
    wr(I, R0 + M_N_LOGGED, rd(I, R0 + M_N_LOGGED) + max(d_sender, 0) + max(d_receiver, 0))
    s = rd(I, R0 + R_LOG_S) + d_sender
    r = rd(I, R0 + R_LOG_R) + d_receiver
    wr(I, R0 + R_LOG_S, s)
    wr(I, R0 + R_LOG_R, r)
    if s + r > rd(I, R0 + M_LOG_ENTRIES_PEAK):
        wr(I, R0 + M_LOG_ENTRIES_PEAK, s + r)
    if s > rd(I, R0 + M_LOG_SENDER_PEAK):
        wr(I, R0 + M_LOG_SENDER_PEAK, s)
    if r > rd(I, R0 + M_LOG_RECEIVER_PEAK):
        wr(I, R0 + M_LOG_RECEIVER_PEAK, r)


@njit(**JIT_NORC)
def change_ckpts(I, d):
    # writes R.ck_now, M.ckpt_array_peak
    n = rd(I, R0 + R_CK_NOW) + d
    wr(I, R0 + R_CK_NOW, n)
    if n > rd(I, R0 + M_CKPT_ARRAY_PEAK):
        wr(I, R0 + M_CKPT_ARRAY_PEAK, n)


@njit(**JIT_NORC)
def check_unsafe(I, p, role):
    # reads P[p] err, dirty; writes P[p].unsafe
    if rd(I, pp(p, P_ERR)) != 0 and rd(I, pp(p, P_DIRTY)) == 0 and role != LOW:
        wr(I, pp(p, P_UNSAFE), np.int64(1))


@njit(**JIT_NORC)
def save_state(I, D, c, p, index, before, ordinal):
    """``Checkpoint(...)``: CK row ``c`` saves ``p``'s state now, indexed by level
    ``index`` (``before``: the state's own level; ``ordinal``: its ordinal)."""
    # reads P[p] counts and err, F.now; writes CK[c], D_CKT[c]
    row = rd(I, H_CK) + c * N_CK
    wr(I, row + CK_INDEX, index)
    wr(I, row + CK_LEVEL_BEFORE, before)
    wr(I, row + CK_NRECV, rd(I, pp(p, P_NRECV)))
    wr(I, row + CK_NSENT, rd(I, pp(p, P_NSENT)))
    wr(I, row + CK_NTWINS, rd(I, pp(p, P_NTWINS)))
    wr(I, row + CK_NOUT, rd(I, pp(p, P_NOUT)))
    wr(I, row + CK_ERR, rd(I, pp(p, P_ERR)))
    wr(I, row + CK_ORD, ordinal)
    wr(I, row + CK_STAMP, np.int64(0))
    wr(D, D_CKT + c, rd(D, F_NOW))


@njit(**JIT_NORC)
def new_msg(I, D, src, dst, t_deliver, dirty, level, err, send_ord, k, pb):
    """``Run.new_msg``: an application message of the guarded operation piggybacking
    ``pb`` bytes (counted in ``n_app_msgs`` / ``piggyback_bytes``), or of the unguarded
    phase (``pb < 0``, not counted).  A guarded message also moves its channel's last
    delivery (where a FIFO note or a re-sent twin queues up) and the longest delay (the
    unit of executed recovery's window)."""
    # reads F.now; writes MS (new row), R.n_msg, M.n_app_msgs, M.piggyback_bytes,
    # LD[src, dst], F.delay_max
    if pb >= 0:
        wr(I, R0 + M_N_APP_MSGS, rd(I, R0 + M_N_APP_MSGS) + 1)
        wr(I, R0 + M_PIGGYBACK_BYTES, rd(I, R0 + M_PIGGYBACK_BYTES) + pb)
        if rd(I, IP_TRACK_LD) != 0:   # Run.last_delivery[(src, dst)]
            ch = rd(I, H_DLD) + src * rd(I, H_NPROCS) + dst
            if t_deliver > rd(D, ch):
                wr(D, ch, t_deliver)
        delay = t_deliver - rd(D, F_NOW)
        if delay > rd(D, F_DELAY_MAX):
            wr(D, F_DELAY_MAX, delay)
    mid = rd(I, R0 + R_NMSG)
    if mid >= rd(I, H_CAP_M):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return -1
    wr(I, R0 + R_NMSG, mid + 1)
    m = rd(I, H_MS) + mid * N_MS
    wr(I, m + MS_SRC, src)
    wr(I, m + MS_DST, dst)
    wr(I, m + MS_DIRTY, dirty)
    wr(I, m + MS_LEVEL, level)
    wr(I, m + MS_ERR, err)
    wr(I, m + MS_SEND_ORD, send_ord)
    wr(I, m + MS_K, k)
    wr(I, m + MS_CONSUME_ORD, np.int64(-1))
    wr(I, m + MS_DELIVERED, np.int64(0))
    wr(I, m + MS_TWIN_NO, np.int64(0))
    wr(I, m + MS_DSEQ, np.int64(-1))
    wr(I, m + MS_HOLDX, np.int64(0))
    return mid


@njit(**JIT_NORC)
def msg_undone(I, mid):
    """``Msg.undone``: the sender rolled back past the send (a send before its cut, and
    before it recovered)."""
    # reads MS[mid], P[src] cut and rec_mid
    m = rd(I, H_MS) + mid * N_MS
    src = rd(I, m + MS_SRC)
    cut = rd(I, pp(src, P_CUT_SENT))
    return cut >= 0 and rd(I, m + MS_SEND_ORD) >= cut and mid < rd(I, pp(src, P_REC_MID))


@njit(**JIT_NORC)
def fifo_arrival(I, D, src, dst, t):
    """``Run.fifo_arrival``: a control message from ``src`` to ``dst`` due at ``t``
    comes after ``src``'s earlier messages to ``dst`` (notes FIFO on a FIFO channel)."""
    # reads LD[src, dst]
    if rd(I, IP_FIFO_NOTES) != 0:
        ld = rd(D, rd(I, H_DLD) + src * rd(I, H_NPROCS) + dst)
        if ld > t:
            return ld
    return t


@njit(**JIT_NORC)
def od_append(I, p, o):
    """A row of the device's G_act outputs: ordinal ``o`` of ``p``, one copy (the
    reference's ``outputs_delivered`` and ``device_act``)."""
    # reads R.n_od; writes OD (new row), R.n_od
    k = rd(I, R0 + R_NOD)
    if k >= 2 * rd(I, H_CAP_R):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    wr(I, R0 + R_NOD, k + 1)
    row = rd(I, H_OD) + k * N_OD
    wr(I, row, p)
    wr(I, row + 1, o)
    wr(I, row + 2, np.int64(1))


@njit(**JIT_NORC)
def q_new(I, p, f_head):
    """A new item at the end of ``p``'s queue whose head is field ``f_head`` (its tail
    the next field): its ``QE`` row, or -1 if the pool is full (``R_ERROR`` set)."""
    # reads R.n_qe; writes R.n_qe, QE (new row), P[p] queue
    q = rd(I, R0 + R_NQE)
    if q >= rd(I, H_CAP_QE):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return -1
    wr(I, R0 + R_NQE, q + 1)
    row = rd(I, H_QE) + q * N_QE
    wr(I, row + QE_NEXT, np.int64(-1))
    tail = rd(I, pp(p, f_head + 1))
    if tail < 0:
        wr(I, pp(p, f_head), q)
    else:
        wr(I, rd(I, H_QE) + tail * N_QE + QE_NEXT, q)
    wr(I, pp(p, f_head + 1), q)
    return row


@njit(**JIT_NORC)
def q_pop(I, p, f_head):
    """Remove the first item of ``p``'s queue (not empty); returns its ``QE`` row."""
    # reads QE; writes P[p] queue
    q = rd(I, pp(p, f_head))
    row = rd(I, H_QE) + q * N_QE
    nxt = rd(I, row + QE_NEXT)
    wr(I, pp(p, f_head), nxt)
    if nxt < 0:
        wr(I, pp(p, f_head + 1), np.int64(-1))
    return row


@njit(**JIT_NORC)
def q_floats(I, row):
    """Offset in ``D`` of the floats of the queue item at ``QE`` row ``row``."""
    # reads H_QE, H_DQE
    return rd(I, H_DQE) + (row - rd(I, H_QE)) // N_QE * N_QF


@njit(**JIT_NORC)
def list_append(I, p, f_head, base, width, f_next, item):
    """Append pool row ``item`` to the list (head, tail, length at ``f_head``...) of ``p``."""
    # writes P[p] list (head, tail, length), the pool row's next
    wr(I, base + item * width + f_next, np.int64(-1))
    tail = rd(I, pp(p, f_head + 1))
    if tail < 0:
        wr(I, pp(p, f_head), item)
    else:
        wr(I, base + tail * width + f_next, item)
    wr(I, pp(p, f_head + 1), item)
    wr(I, pp(p, f_head + 2), rd(I, pp(p, f_head + 2)) + 1)


@njit(**JIT_NORC)
def list_remove_le(I, p, f_head, base, width, f_next, f_key, thr, level):
    """Keep, in order, the items of ``p``'s list whose key is ``> thr``: not covered by
    level ``thr`` if ``level`` (``levels.lv_leq``), else as integers."""
    # reads the pool rows' keys; writes P[p] list (head, tail, length), next links
    list_keep(I, p, f_head, base, width, f_next, f_key, thr, 1 if level else 0)


@njit(**JIT_NORC)
def list_keep(I, p, f_head, base, width, f_next, f_key, thr, mode):
    """Keep, in order, the items of ``p``'s list whose key is ``> thr`` (``mode`` 0),
    not covered by level ``thr`` (1, ``levels.lv_leq``) or ``< thr`` (2)."""
    # reads the pool rows' keys; writes P[p] list (head, tail, length), next links
    prev = np.int64(-1)
    cur = rd(I, pp(p, f_head))
    n = np.int64(0)
    while cur >= 0:
        row = base + cur * width
        nxt = rd(I, row + f_next)
        key = rd(I, row + f_key)
        if mode == 0:
            keep = key > thr
        elif mode == 1:
            keep = not lv_leq(I, key, thr)
        else:
            keep = key < thr
        if keep:
            if prev < 0:
                wr(I, pp(p, f_head), cur)
            else:
                wr(I, base + prev * width + f_next, cur)
            prev = cur
            n += 1
        cur = nxt
    if prev < 0:
        wr(I, pp(p, f_head), np.int64(-1))
    else:
        wr(I, base + prev * width + f_next, np.int64(-1))
    wr(I, pp(p, f_head + 1), prev)
    wr(I, pp(p, f_head + 2), n)
