"""``reference/confidence.py``: confidence-driven checkpointing and logging.

``receive_application_msg`` is the reception rule of G_act and G_sdw with
Section 3.1's S1 / S2 trigger (Figures 3 and 4); ``checkpointing``,
``msg_logging`` and ``memory_reclamation`` are the paper's procedures.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ACT, LOW, SDW
from .._config import JIT_HOT, JIT_NORC
from .common import application_msg_reception
from .layout import (
    CK_INDEX,
    CK_LEVEL_BEFORE,
    CK_NEXT,
    CK_STAMP,
    ERR_CAPACITY,
    H_CAP_M,
    H_CK,
    H_LG,
    H_MS,
    H_TW,
    IP_AWARE_OF_VALIDATED,
    IP_CHECKPOINT_EVERY_RECEIVE,
    IP_CKPT_INDEX_BY_TRIGGER,
    IP_LOG_ALL_WHEN_DIRTY,
    IP_OUTPUTS_BY_COUNT,
    IP_RECLAIM_BY_INTERVAL,
    IP_S2_CHECKPOINTS,
    IP_S2_EVERY_LEVEL,
    LG_CKPT,
    LG_INDEX,
    LG_MID,
    LG_NEXT,
    M_CKPT_ACT,
    M_CKPT_S1,
    M_CKPT_S2,
    M_CKPT_SDW,
    MS_DIRTY,
    MS_LEVEL,
    MS_SRC,
    N_CK,
    N_LG,
    N_MS,
    N_TW,
    P_CK_HEAD,
    P_CK_LEN,
    P_CK_TAIL,
    P_DIRTY,
    P_LEVEL,
    P_LG_HEAD,
    P_LG_LEN,
    P_LG_TAIL,
    P_NCKPT,
    P_PRGT,
    P_TE_HEAD,
    P_TE_LEN,
    P_TI_HEAD,
    P_TI_LEN,
    P_V_KNOWN,
    R0,
    R_ERROR,
    R_NCK,
    R_NLG,
    R_STAMP,
    TW_E,
    TW_INDEX,
    TW_NEXT,
    pp,
    rd,
    wr,
)
from .levels import lv_join, lv_leq, lv_snap
from .state import (
    change_ckpts,
    change_logs,
    check_unsafe,
    list_append,
    list_remove_le,
    role_of,
    save_state,
)


@njit(**JIT_NORC)
def log_remove_stamped(I, p, stamp):
    """Drop the receiver-log entries whose checkpoint was popped now (carries ``stamp``)."""
    # reads LG, CK stamps; writes P[p] receiver-log list
    lg = rd(I, H_LG)
    ck = rd(I, H_CK)
    prev = np.int64(-1)
    cur = rd(I, pp(p, P_LG_HEAD))
    n = np.int64(0)
    while cur >= 0:
        row = lg + cur * N_LG
        nxt = rd(I, row + LG_NEXT)
        c = rd(I, row + LG_CKPT)
        if c < 0 or rd(I, ck + c * N_CK + CK_STAMP) != stamp:
            if prev < 0:
                wr(I, pp(p, P_LG_HEAD), cur)
            else:
                wr(I, lg + prev * N_LG + LG_NEXT, cur)
            prev = cur
            n += 1
        cur = nxt
    if prev < 0:
        wr(I, pp(p, P_LG_HEAD), np.int64(-1))
    else:
        wr(I, lg + prev * N_LG + LG_NEXT, np.int64(-1))
    wr(I, pp(p, P_LG_TAIL), prev)
    wr(I, pp(p, P_LG_LEN), n)


@njit(**JIT_NORC)
def memory_reclamation(I, D, p, role, v_int, v_ext):
    """``confidence.memory_reclamation(run, p, v_int, v_ext)``: the ``validate`` hook of
    the confidence-driven family (``families.validate``)."""
    # reads CK, LG, TW, P[p] lists; writes P[p] lists, v_known, dirty, unsafe, R.stamp,
    # CK stamps, log and checkpoint counters
    ck = rd(I, H_CK)
    before_c = rd(I, pp(p, P_CK_LEN))
    before_l = rd(I, pp(p, P_LG_LEN))
    wr(I, pp(p, P_V_KNOWN), lv_join(I, rd(I, pp(p, P_V_KNOWN)), v_int))
    if rd(I, IP_RECLAIM_BY_INTERVAL) != 0:
        wr(I, R0 + R_STAMP, rd(I, R0 + R_STAMP) + 1)
        stamp = rd(I, R0 + R_STAMP)
        popped = False
        while rd(I, pp(p, P_CK_LEN)) > 0:
            h = rd(I, pp(p, P_CK_HEAD))
            if rd(I, pp(p, P_CK_LEN)) > 1:
                hi = rd(I, ck + rd(I, ck + h * N_CK + CK_NEXT) * N_CK + CK_LEVEL_BEFORE)
            else:
                hi = rd(I, pp(p, P_LEVEL))
            if not lv_leq(I, hi, v_int):
                break
            wr(I, ck + h * N_CK + CK_STAMP, stamp)
            wr(I, pp(p, P_CK_HEAD), rd(I, ck + h * N_CK + CK_NEXT))
            wr(I, pp(p, P_CK_LEN), rd(I, pp(p, P_CK_LEN)) - 1)
            popped = True
        if rd(I, pp(p, P_CK_LEN)) == 0:
            wr(I, pp(p, P_CK_HEAD), np.int64(-1))
            wr(I, pp(p, P_CK_TAIL), np.int64(-1))
            wr(I, pp(p, P_LG_HEAD), np.int64(-1))
            wr(I, pp(p, P_LG_TAIL), np.int64(-1))
            wr(I, pp(p, P_LG_LEN), np.int64(0))
        elif popped and before_l > 0:
            log_remove_stamped(I, p, stamp)
    else:
        if before_c > 0:
            list_remove_le(I, p, P_CK_HEAD, ck, N_CK, CK_NEXT, CK_INDEX, v_int, np.bool_(True))
        if before_l > 0:
            list_remove_le(I, p, P_LG_HEAD, rd(I, H_LG), N_LG, LG_NEXT, LG_INDEX, v_int,
                           np.bool_(True))
    d_send = np.int64(0)
    if role == SDW:
        tw = rd(I, H_TW)
        n_int = rd(I, pp(p, P_TI_LEN))
        n_ext = rd(I, pp(p, P_TE_LEN))
        if n_int > 0:
            list_remove_le(I, p, P_TI_HEAD, tw, N_TW, TW_NEXT, TW_INDEX, v_int, np.bool_(True))
        if rd(I, IP_OUTPUTS_BY_COUNT) != 0:   # outputs are counted apart (D9)
            if v_ext >= 0 and n_ext > 0:
                list_remove_le(I, p, P_TE_HEAD, tw, N_TW, TW_NEXT, TW_E, v_ext, np.bool_(False))
        elif n_ext > 0:
            list_remove_le(I, p, P_TE_HEAD, tw, N_TW, TW_NEXT, TW_INDEX, v_int, np.bool_(True))
        d_send = rd(I, pp(p, P_TI_LEN)) + rd(I, pp(p, P_TE_LEN)) - n_int - n_ext
    change_ckpts(I, rd(I, pp(p, P_CK_LEN)) - before_c)
    change_logs(I, D, d_send, rd(I, pp(p, P_LG_LEN)) - before_l)
    wr(I, pp(p, P_DIRTY), 1 if rd(I, pp(p, P_CK_LEN)) > 0 else 0)
    check_unsafe(I, p, role)


@njit(**JIT_HOT)
def checkpointing(I, D, p, role, level):
    """``confidence.checkpointing``: index = the trigger's ``level`` (D1), or the local
    ``int_mSN_G_low`` with ``ckpt_index_by_trigger`` off."""
    # reads P[p] level, dirty; writes CK (new row), P[p] checkpoint list and count,
    # M checkpoint counters, R.n_ck
    c = rd(I, R0 + R_NCK)
    if c >= rd(I, H_CAP_M):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    wr(I, R0 + R_NCK, c + 1)
    before = lv_snap(I, rd(I, pp(p, P_LEVEL)))   # the saved state's level
    index = level if rd(I, IP_CKPT_INDEX_BY_TRIGGER) != 0 else before
    save_state(I, D, c, p, index, before, rd(I, pp(p, P_NCKPT)))
    wr(I, pp(p, P_NCKPT), rd(I, pp(p, P_NCKPT)) + 1)
    list_append(I, p, P_CK_HEAD, rd(I, H_CK), N_CK, CK_NEXT, c)
    if rd(I, pp(p, P_DIRTY)) == 0:
        wr(I, R0 + M_CKPT_S1, rd(I, R0 + M_CKPT_S1) + 1)
    else:
        wr(I, R0 + M_CKPT_S2, rd(I, R0 + M_CKPT_S2) + 1)
    if role == ACT:
        wr(I, R0 + M_CKPT_ACT, rd(I, R0 + M_CKPT_ACT) + 1)
    else:
        wr(I, R0 + M_CKPT_SDW, rd(I, R0 + M_CKPT_SDW) + 1)
    change_ckpts(I, np.int64(1))


@njit(**JIT_HOT)
def msg_logging(I, D, p, mid):
    # reads P[p] level, checkpoint tail; writes LG (new row), P[p] receiver-log list, R.n_lg
    e = rd(I, R0 + R_NLG)
    if e >= rd(I, H_CAP_M):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    wr(I, R0 + R_NLG, e + 1)
    row = rd(I, H_LG) + e * N_LG
    wr(I, row + LG_INDEX, lv_snap(I, rd(I, pp(p, P_LEVEL))))
    wr(I, row + LG_MID, mid)
    wr(I, row + LG_CKPT, rd(I, pp(p, P_CK_TAIL)))
    list_append(I, p, P_LG_HEAD, rd(I, H_LG), N_LG, LG_NEXT, e)
    change_logs(I, D, np.int64(0), np.int64(1))


@njit(**JIT_HOT)
def receive_application_msg(I, D, p, role, mid):
    """``confidence.receive_application_msg``: reception by a G_act or G_sdw process.

    Section 3.1's S1 / S2 checkpoint trigger (Figure 3; Figure 4 without the
    ``prgt_bit`` gate), "propagating in", receiver-side logging (D4), then
    consumption and the level; the switches ``checkpoint_every_receive``,
    ``s2_checkpoints`` and ``log_all_when_dirty`` select the variants.
    """
    # reads MS[mid], P[p] dirty, prgt, level; writes P[p] dirty, prgt, level, what its callees write
    m = rd(I, H_MS) + mid * N_MS
    m_dirty = rd(I, m + MS_DIRTY)
    m_level = rd(I, m + MS_LEVEL)
    gate = (role == SDW or rd(I, pp(p, P_DIRTY)) == 0 or rd(I, pp(p, P_PRGT)) == 1
            or rd(I, IP_S2_EVERY_LEVEL) != 0)
    every = rd(I, IP_CHECKPOINT_EVERY_RECEIVE) != 0
    if every:
        trigger = True
    elif rd(I, IP_S2_CHECKPOINTS) == 0:   # "static": one checkpoint per dirty period
        trigger = m_dirty == 1 and rd(I, pp(p, P_DIRTY)) == 0
    else:
        trigger = m_dirty == 1 and not lv_leq(I, m_level, rd(I, pp(p, P_LEVEL))) and gate
        if trigger and rd(I, IP_AWARE_OF_VALIDATED) != 0:   # R2: validated levels
            trigger = not lv_leq(I, m_level, rd(I, pp(p, P_V_KNOWN)))   # contaminate nothing
    log_all = rd(I, IP_LOG_ALL_WHEN_DIRTY) != 0
    if trigger:
        checkpointing(I, D, p, role, m_level)
        wr(I, pp(p, P_DIRTY), np.int64(1))
        if role == ACT:   # "propagating in"
            wr(I, pp(p, P_PRGT), 1 if role_of(I, rd(I, m + MS_SRC)) != LOW else 0)
        if log_all:
            msg_logging(I, D, p, mid)
    elif log_all:
        if rd(I, pp(p, P_DIRTY)) == 1:
            msg_logging(I, D, p, mid)
    elif m_dirty == 0 and rd(I, pp(p, P_DIRTY)) == 1:
        msg_logging(I, D, p, mid)
    application_msg_reception(I, p, mid)
    wr(I, pp(p, P_LEVEL), lv_join(I, rd(I, pp(p, P_LEVEL)), m_level))
    if every:   # drop checkpoints already validated
        memory_reclamation(I, D, p, role, rd(I, pp(p, P_V_KNOWN)), np.int64(-1))
    check_unsafe(I, p, role)
