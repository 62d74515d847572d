"""``reference/recovery.py``: error recovery (Section 3.2), step by step.

``error_recovery`` runs the reference's steps under the same names:
``recovery_round`` (D10), ``rollback``, ``restore_cut``,
``validated_levels`` and ``takeover``, then ``common.record_takeover``
and the oracle (``oracle.oracle_inputs``, ``oracle.check_recovery``).  The
reference's dicts and lists are rows here: ``RST[p]`` the restored checkpoint
(-1: none), ``REPL[mid]`` a replayed message, ``RPE[p]`` an erroneous replay,
``CUT[2p]`` / ``CUT[2p + 1]`` the sends / twins of ``p`` that survive.  The rules of
executed recovery come from here too (``families`` plugs them in):
``restore_point`` (with ``replayed_log`` and ``kept_counts``, shared with
the atomic steps), ``suppresses``, ``discards``.  R3's drain before an atomic
recovery runs in ``engine.after_output`` (it calls the family's hooks).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ACT, SDW
from .._config import JIT_NORC
from .common import begin_recovery, clear_restore, record_takeover
from .confidence import memory_reclamation
from .layout import (
    CK_NEXT,
    CK_NRECV,
    CK_NSENT,
    CK_NTWINS,
    CK_ORD,
    H_CK,
    H_CUT,
    H_LG,
    H_MS,
    H_REPL,
    H_RL,
    H_RPE,
    H_RST,
    H_TW,
    IP_COORDINATED_RECOVERY,
    IP_DEDUP_REGENERATED,
    IP_LOG_ALL_WHEN_DIRTY,
    IP_NACT,
    IP_NLOW,
    LG_MID,
    LG_NEXT,
    LV_IVR_ALL,
    LV_MADE,
    MS_CONSUME_ORD,
    MS_DELIVERED,
    MS_DIRTY,
    MS_DST,
    MS_ERR,
    MS_LEVEL,
    MS_RECV_NSENT,
    MS_RECV_NTWINS,
    N_CK,
    N_LG,
    N_MS,
    N_TW,
    P_CK_HEAD,
    P_CK_LEN,
    P_DIRTY,
    P_EXT_IVR,
    P_IVR,
    P_LG_HEAD,
    P_MSN_OWN,
    P_NSENT,
    P_NTWINS,
    P_TE_HEAD,
    P_TI_HEAD,
    P_V,
    P_V_KNOWN,
    R0,
    R_INT_SDW,
    R_NMSG,
    R_NTW,
    TW_INDEX,
    TW_K,
    TW_NEXT,
    TW_ORD,
    TW_SDW,
    pp,
    rd,
    wr,
)
from .levels import lv_excess, lv_join, lv_leq, lv_run_row, lv_set, lv_vector
from .oracle import check_recovery, oracle_inputs
from .state import role_of


@njit(**JIT_NORC)
def error_recovery(I, D):
    """``recovery.error_recovery``: the recovery of the confidence-driven family
    (``families.recover`` calls it), then the oracle."""
    # reads and writes through its steps (below)
    v_star, ext_star = begin_recovery(I, D)
    if rd(I, IP_COORDINATED_RECOVERY) != 0:
        recovery_round(I, D, v_star, ext_star)
    rollback(I, D)
    restore_cut(I)
    ivr, ext_ivr = validated_levels(I, ext_star)
    n_resent, n_suppressed = takeover(I, ivr)
    record_takeover(I, D, n_resent, n_suppressed)
    n_k, resent_err = oracle_inputs(I)
    if n_k >= 0:
        check_recovery(I, D, ivr, ext_ivr, n_k, resent_err, np.bool_(False))


@njit(**JIT_NORC)
def recovery_round(I, D, v_star, ext_star):
    """``recovery.recovery_round`` (D10): every G_act and G_sdw process reclaims with
    ``v_star`` and ``ext_star``; the shadows raise ``ivr_low``."""
    # reads P roles; writes what memory_reclamation writes, P[sdw].ivr_low, ext_ivr
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        role = role_of(I, p)
        if role != ACT and role != SDW:
            continue
        memory_reclamation(I, D, p, role, v_star, ext_star)
        if role == SDW:
            wr(I, pp(p, P_IVR), lv_join(I, rd(I, pp(p, P_IVR)), v_star))
            wr(I, pp(p, P_EXT_IVR), ext_star)


@njit(**JIT_NORC)
def rollback(I, D):
    """``recovery.rollback``: dirty G_act and G_sdw processes restore the checkpoint
    with the smallest index, i.e. the earliest, and replay their receiver-side log
    (``replayed_log``)."""
    # reads P[p] dirty and lists, CK, LG, MS; writes RST, REPL, RPE, RL (and clears CAS)
    clear_restore(I)
    ck = rd(I, H_CK)
    ms = rd(I, H_MS)
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        role = role_of(I, p)
        if role != ACT and role != SDW:
            continue
        if rd(I, pp(p, P_DIRTY)) != 1 or rd(I, pp(p, P_CK_LEN)) == 0:
            continue
        best = rd(I, pp(p, P_CK_HEAD))
        c = rd(I, ck + best * N_CK + CK_NEXT)
        while c >= 0:
            if rd(I, ck + c * N_CK + CK_ORD) < rd(I, ck + best * N_CK + CK_ORD):
                best = c
            c = rd(I, ck + c * N_CK + CK_NEXT)
        wr(I, rd(I, H_RST) + p, best)
        for i in range(replayed_log(I, p, best)):
            mid = rd(I, rd(I, H_RL) + i)
            wr(I, rd(I, H_REPL) + mid, np.int64(1))
            if rd(I, ms + mid * N_MS + MS_ERR) != 0:
                wr(I, rd(I, H_RPE) + p, np.int64(1))


@njit(**JIT_NORC)
def replayed_log(I, p, c):
    """``recovery.replayed_log``: the messages ``p`` replays after restoring checkpoint
    ``c``, in ``RL[0 .. n - 1]`` (returns ``n``): its receiver-side log, or with
    ``log_all_when_dirty`` only what no sender will send again (consumed after ``c``,
    at a level ``p`` knows to be validated)."""
    # reads P[p] rcv_msg_log, v_known, LG, MS, CK[c]; writes RL
    ms = rd(I, H_MS)
    lg = rd(I, H_LG)
    rl = rd(I, H_RL)
    log_all = rd(I, IP_LOG_ALL_WHEN_DIRTY) != 0
    c_nrecv = rd(I, rd(I, H_CK) + c * N_CK + CK_NRECV)
    v_known = rd(I, pp(p, P_V_KNOWN))
    n = 0
    e = rd(I, pp(p, P_LG_HEAD))
    while e >= 0:
        mid = rd(I, lg + e * N_LG + LG_MID)
        m = ms + mid * N_MS
        if not log_all or (rd(I, m + MS_CONSUME_ORD) >= c_nrecv
                           and lv_leq(I, rd(I, m + MS_LEVEL), v_known)):
            wr(I, rl + n, mid)
            n += 1
        e = rd(I, lg + e * N_LG + LG_NEXT)
    return n


@njit(**JIT_NORC)
def kept_counts(I, p, c):
    """``recovery.kept_counts``: what a rollback of ``p`` to ``c`` keeps, ``(n_sent,
    n_twins)``: the checkpoint's counts, or with ``dedup_regenerated`` the counts when
    ``p`` consumed its first message after ``c`` that is not replayed (``REPL``)."""
    # reads CK[c], MS, REPL, P[p] counts
    ck = rd(I, H_CK) + c * N_CK
    if rd(I, IP_DEDUP_REGENERATED) == 0:
        return rd(I, ck + CK_NSENT), rd(I, ck + CK_NTWINS)
    ms = rd(I, H_MS)
    repl = rd(I, H_REPL)
    c_nrecv = rd(I, ck + CK_NRECV)
    first = -1
    first_ord = 0
    for mid in range(rd(I, R0 + R_NMSG)):
        m = ms + mid * N_MS
        co_ord = rd(I, m + MS_CONSUME_ORD)
        if (rd(I, m + MS_DST) == p and rd(I, m + MS_DELIVERED) != 0
                and co_ord >= c_nrecv and rd(I, repl + mid) == 0
                and (first < 0 or co_ord < first_ord)):
            first = mid
            first_ord = co_ord
    if first < 0:
        return rd(I, pp(p, P_NSENT)), rd(I, pp(p, P_NTWINS))
    return rd(I, ms + first * N_MS + MS_RECV_NSENT), rd(I, ms + first * N_MS + MS_RECV_NTWINS)


@njit(**JIT_NORC)
def restore_cut(I):
    """``recovery.restore_cut``: the sends and twins of each rolled-back ``p`` that
    survive (``kept_counts``)."""
    # reads RST, CK, MS, REPL, P[p] counts; writes CUT
    cut = rd(I, H_CUT)
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        c = rd(I, rd(I, H_RST) + p)
        if c < 0:
            continue
        n_sent, n_twins = kept_counts(I, p, c)
        wr(I, cut + 2 * p, n_sent)
        wr(I, cut + 2 * p + 1, n_twins)


@njit(**JIT_NORC)
def restore_point(I, D, p):
    """``recovery.restore_point`` (executed recovery): ``(checkpoint, replayed, sends kept,
    twins kept)`` of a rollback of ``p``, the checkpoint -1 when ``p`` is clean (it rolls
    forward); the messages to replay are ``RL[0 .. replayed - 1]``."""
    # reads what replayed_log and kept_counts read; writes RL (REPL set and cleared)
    if rd(I, pp(p, P_DIRTY)) != 1 or rd(I, pp(p, P_CK_LEN)) == 0:
        return -1, 0, 0, 0
    c = rd(I, pp(p, P_CK_HEAD))   # ckpt_array[0]
    n = replayed_log(I, p, c)
    rl = rd(I, H_RL)
    repl = rd(I, H_REPL)   # all 0 under executed recovery, but while kept_counts runs
    for i in range(n):
        wr(I, repl + rd(I, rl + i), np.int64(1))
    n_sent, n_twins = kept_counts(I, p, c)
    for i in range(n):
        wr(I, repl + rd(I, rl + i), np.int64(0))
    return c, n, n_sent, n_twins


@njit(**JIT_NORC)
def suppresses(I, q, index):
    """``recovery.suppresses``: a taken-over shadow suppresses a twin whose original is
    validated: "until int_mSN_G_sdw ... matches ivr_low"."""
    # reads P[q].V
    return lv_leq(I, index, rd(I, pp(q, P_V)))


@njit(**JIT_NORC)
def discards(I, q, mid):
    """``recovery.discards``, D4 made local: a recovered process drops a message from a
    potentially contaminated sender whose level the recovery did not validate."""
    # reads MS[mid] dirty, level, P[q].V
    m = rd(I, H_MS) + mid * N_MS
    return rd(I, m + MS_DIRTY) == 1 and not lv_leq(I, rd(I, m + MS_LEVEL), rd(I, pp(q, P_V)))


@njit(**JIT_NORC)
def validated_levels(I, ext_star):
    """``recovery.validated_levels``: ``(ivr, ext_ivr)``, ``ivr_low`` joined over the
    shadows and the cluster outputs they know the device has."""
    # reads P[sdw].ivr_low, ext_ivr; writes LV (the run's row of the join, "mdcd-vector")
    sdw0 = rd(I, IP_NLOW) + rd(I, IP_NACT)
    n_procs = sdw0 + rd(I, IP_NLOW)
    if lv_vector(I):   # the join of the shadows' ivr_low, in a row of the run
        ivr = lv_run_row(I, LV_IVR_ALL)
        for i in range(rd(I, IP_NLOW)):
            lv_set(I, ivr, i, np.int64(0))
        for q in range(sdw0, n_procs):
            lv_join(I, ivr, rd(I, pp(q, P_IVR)))
    else:
        ivr = rd(I, pp(sdw0, P_IVR))
        for q in range(sdw0 + 1, n_procs):
            if rd(I, pp(q, P_IVR)) > ivr:
                ivr = rd(I, pp(q, P_IVR))
    if rd(I, IP_COORDINATED_RECOVERY) != 0:
        return ivr, ext_star
    ext_ivr = rd(I, pp(sdw0, P_EXT_IVR))
    for q in range(sdw0 + 1, n_procs):
        if rd(I, pp(q, P_EXT_IVR)) > ext_ivr:
            ext_ivr = rd(I, pp(q, P_EXT_IVR))
    return ivr, ext_ivr


@njit(**JIT_NORC)
def takeover(I, ivr):
    """``recovery.takeover``: ``(n_resent, n_suppressed)``.  The shadows re-send what
    their logs hold (a rolled-back shadow: its twins before the cut) and will suppress
    the twins not generated yet up to ``ivr`` and the undone ones whose index is at
    most ``ivr``."""
    # reads RST, CUT, TW, P[sdw] sender logs and counts, R.int_mSN_G_sdw; writes LV (made)
    n_low = rd(I, IP_NLOW)
    sdw0 = n_low + rd(I, IP_NACT)
    rst = rd(I, H_RST)
    cut = rd(I, H_CUT)
    tw = rd(I, H_TW)
    n_undone_k = 0
    for w in range(rd(I, R0 + R_NTW)):
        row = tw + w * N_TW
        q = rd(I, row + TW_SDW)
        if (rd(I, rst + q) >= 0 and rd(I, row + TW_ORD) >= rd(I, cut + 2 * q + 1)
                and rd(I, row + TW_K) != 0 and lv_leq(I, rd(I, row + TW_INDEX), ivr)):
            n_undone_k += 1
    n_resent = 0
    for q in range(sdw0, sdw0 + n_low):
        c = rd(I, rst + q)
        lim = rd(I, cut + 2 * q + 1) if c >= 0 else 0
        for f_head in (P_TI_HEAD, P_TE_HEAD):
            w = rd(I, pp(q, f_head))
            while w >= 0:
                if c < 0 or rd(I, tw + w * N_TW + TW_ORD) < lim:
                    n_resent += 1
                w = rd(I, tw + w * N_TW + TW_NEXT)
    if lv_vector(I):   # each shadow's own numbers (its twins made), in a row of the run
        made = lv_run_row(I, LV_MADE)
        for i in range(n_low):
            lv_set(I, made, i, rd(I, pp(sdw0 + i, P_MSN_OWN)))
        n_pending = lv_excess(I, ivr, made)
    else:
        n_pending = lv_excess(I, ivr, rd(I, R0 + R_INT_SDW))
    return n_resent, n_pending + n_undone_k
