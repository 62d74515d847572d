"""``reference/recovery.py``: :func:`error_recovery` (Section 3.2), then the oracle."""

from __future__ import annotations

from numba import njit

from ...constants import ACT, SDW
from .._config import JIT_NORC
from .confidence import memory_reclamation
from .layout import (
    CK_NEXT,
    CK_NRECV,
    CK_NSENT,
    CK_NTWINS,
    CK_ORD,
    D_CKT,
    ERR_CAPACITY,
    F_NOW,
    H_CAP_R,
    H_CAS,
    H_CK,
    H_CUT,
    H_EF,
    H_KF,
    H_LG,
    H_MS,
    H_REPL,
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
    M_N_REPLAYED,
    M_N_RESENT,
    M_N_SUPPRESSED,
    M_ROLLBACK_EVENTS_MAX,
    M_ROLLBACK_PROCS,
    MF_ROLLBACK_DIST_MAX,
    MF_ROLLBACK_DIST_SUM,
    MS_CONSUME_ORD,
    MS_DELIVERED,
    MS_DST,
    MS_ERR,
    MS_LEVEL,
    MS_RECV_NSENT,
    MS_RECV_NTWINS,
    N_CK,
    N_EF,
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
    P_NRECV,
    P_NSENT,
    P_NTWINS,
    P_TE_HEAD,
    P_TI_HEAD,
    P_V_KNOWN,
    R0,
    R_CO_MAX,
    R_ERROR,
    R_EXT_SDW,
    R_INT_LOW,
    R_INT_SDW,
    R_NMSG,
    R_NTW,
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
from .levels import lv_excess, lv_join, lv_leq, lv_run_row, lv_set, lv_vector
from .oracle import check_recovery
from .state import begin_recovery, role_of


@njit(**JIT_NORC)
def error_recovery(I, D):
    """``recovery.error_recovery`` followed by ``oracle.check_recovery``: the recovery of
    the confidence-driven family (``families.recover`` calls it)."""
    n_low = rd(I, IP_NLOW)
    sdw0 = n_low + rd(I, IP_NACT)
    n_procs = sdw0 + n_low
    coordinated = rd(I, IP_COORDINATED_RECOVERY) != 0
    log_all = rd(I, IP_LOG_ALL_WHEN_DIRTY) != 0
    ck = rd(I, H_CK)
    ms = rd(I, H_MS)
    lg = rd(I, H_LG)
    tw = rd(I, H_TW)
    rst = rd(I, H_RST)
    cas = rd(I, H_CAS)
    rpe = rd(I, H_RPE)
    repl = rd(I, H_REPL)
    kf = rd(I, H_KF)
    ef = rd(I, H_EF)
    now = rd(D, F_NOW)
    v_star, ext_star = begin_recovery(I, D)
    co_max = rd(I, R0 + R_CO_MAX)
    if coordinated:
        # D10: distribute the highest validated level and the device's output count
        for p in range(n_procs):
            role = role_of(I, p)
            if role != ACT and role != SDW:
                continue
            memory_reclamation(I, D, p, role, v_star, ext_star)
            if role == SDW:
                wr(I, pp(p, P_IVR), lv_join(I, rd(I, pp(p, P_IVR)), v_star))
                wr(I, pp(p, P_EXT_IVR), ext_star)
    # rollback of dirty processes to the checkpoint with the smallest index, i.e. the
    # earliest (reference/recovery.py: indices increase along the array under S1/S2)
    n_msg = rd(I, R0 + R_NMSG)
    for m in range(n_msg):
        wr(I, repl + m, 0)
    for p in range(n_procs):
        wr(I, rst + p, -1)
        wr(I, cas + p, 0)
        wr(I, rpe + p, 0)
    n_restore = 0
    rb_max = 0.0
    rb_sum = 0.0
    ev_max = 0
    n_replayed = 0
    for p in range(n_procs):
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
        wr(I, rst + p, best)
        dist = now - rd(D, D_CKT + best)
        ev = rd(I, pp(p, P_NRECV)) - rd(I, ck + best * N_CK + CK_NRECV)
        if n_restore == 0 or dist > rb_max:
            rb_max = dist
        if n_restore == 0 or ev > ev_max:
            ev_max = ev
        rb_sum += dist
        n_restore += 1
        best_nrecv = rd(I, ck + best * N_CK + CK_NRECV)
        v_known = rd(I, pp(p, P_V_KNOWN))
        e = rd(I, pp(p, P_LG_HEAD))
        while e >= 0:
            mid = rd(I, lg + e * N_LG + LG_MID)
            m = ms + mid * N_MS
            # replay only what no sender will send again
            if not log_all or (rd(I, m + MS_CONSUME_ORD) >= best_nrecv
                               and lv_leq(I, rd(I, m + MS_LEVEL), v_known)):
                wr(I, repl + mid, 1)
                n_replayed += 1
                if rd(I, m + MS_ERR) != 0:
                    wr(I, rpe + p, 1)
            e = rd(I, lg + e * N_LG + LG_NEXT)
    # what a rollback undoes: the sends and twins made after the restored checkpoint or,
    # with dedup_regenerated, after the first consumed message that is not replayed
    cut = rd(I, H_CUT)
    dedup = rd(I, IP_DEDUP_REGENERATED) != 0
    for p in range(n_procs):
        c = rd(I, rst + p)
        if c < 0:
            continue
        n_sent = rd(I, ck + c * N_CK + CK_NSENT)
        n_twins = rd(I, ck + c * N_CK + CK_NTWINS)
        if dedup:
            first = -1
            first_ord = 0
            c_nrecv = rd(I, ck + c * N_CK + CK_NRECV)
            for mid in range(n_msg):
                m = ms + mid * N_MS
                co_ord = rd(I, m + MS_CONSUME_ORD)
                if (rd(I, m + MS_DST) == p and rd(I, m + MS_DELIVERED) != 0
                        and co_ord >= c_nrecv and rd(I, repl + mid) == 0
                        and (first < 0 or co_ord < first_ord)):
                    first = mid
                    first_ord = co_ord
            if first >= 0:
                n_sent = rd(I, ms + first * N_MS + MS_RECV_NSENT)
                n_twins = rd(I, ms + first * N_MS + MS_RECV_NTWINS)
            else:
                n_sent = rd(I, pp(p, P_NSENT))
                n_twins = rd(I, pp(p, P_NTWINS))
        wr(I, cut + 2 * p, n_sent)
        wr(I, cut + 2 * p + 1, n_twins)
    # shadow takeover
    if lv_vector(I):   # the join of the shadows' ivr_low, in a row of the run
        ivr = lv_run_row(I, LV_IVR_ALL)
        for i in range(n_low):
            lv_set(I, ivr, i, 0)
        for q in range(sdw0, n_procs):
            lv_join(I, ivr, rd(I, pp(q, P_IVR)))
    else:
        ivr = rd(I, pp(sdw0, P_IVR))
        for q in range(sdw0 + 1, n_procs):
            if rd(I, pp(q, P_IVR)) > ivr:
                ivr = rd(I, pp(q, P_IVR))
    if coordinated:
        ext_ivr = ext_star
    else:
        ext_ivr = rd(I, pp(sdw0, P_EXT_IVR))
        for q in range(sdw0 + 1, n_procs):
            if rd(I, pp(q, P_EXT_IVR)) > ext_ivr:
                ext_ivr = rd(I, pp(q, P_EXT_IVR))
    int_sdw = rd(I, R0 + R_INT_SDW)
    ext_sdw = rd(I, R0 + R_EXT_SDW)
    n_k = max(int_sdw, rd(I, R0 + R_INT_LOW)) + 1
    n_e = max(ext_sdw, co_max) + 1
    if n_k > rd(I, H_CAP_R) or n_e > rd(I, H_CAP_R):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    for k in range(n_k):
        wr(I, kf + k, 0)
    for e in range(n_e):
        wr(I, ef + e * N_EF, 0)
        wr(I, ef + e * N_EF + 1, 0)
    n_undone_k = 0
    for w in range(rd(I, R0 + R_NTW)):
        row = tw + w * N_TW
        c = rd(I, rst + rd(I, row + TW_SDW))
        if c >= 0 and rd(I, row + TW_ORD) >= rd(I, cut + 2 * rd(I, row + TW_SDW) + 1):
            if rd(I, row + TW_K) != 0 and lv_leq(I, rd(I, row + TW_INDEX), ivr):
                n_undone_k += 1
            if rd(I, row + TW_E) != 0:
                wr(I, ef + rd(I, row + TW_E) * N_EF + 1, 1)
        elif rd(I, row + TW_K) != 0:   # bit 2: twin k generated and not undone
            wr(I, kf + rd(I, row + TW_K), 2)
    n_resent = 0
    resent_err = 0
    for q in range(sdw0, n_procs):
        c = rd(I, rst + q)
        lim = rd(I, cut + 2 * q + 1) if c >= 0 else 0
        for f_head in (P_TI_HEAD, P_TE_HEAD):
            w = rd(I, pp(q, f_head))
            while w >= 0:
                row = tw + w * N_TW
                if c < 0 or rd(I, row + TW_ORD) < lim:
                    n_resent += 1
                    if rd(I, row + TW_K) != 0:   # bit 1: re-sent
                        wr(I, kf + rd(I, row + TW_K), rd(I, kf + rd(I, row + TW_K)) | 1)
                    if rd(I, row + TW_E) != 0:
                        wr(I, ef + rd(I, row + TW_E) * N_EF, 1)
                    if rd(I, row + TW_ERR) != 0:
                        resent_err += 1
                w = rd(I, row + TW_NEXT)
    wr(I, R0 + M_ROLLBACK_PROCS, n_restore)
    wr(D, MF_ROLLBACK_DIST_MAX, rb_max)
    wr(D, MF_ROLLBACK_DIST_SUM, rb_sum)
    wr(I, R0 + M_ROLLBACK_EVENTS_MAX, ev_max)
    wr(I, R0 + M_N_REPLAYED, n_replayed)
    wr(I, R0 + M_N_RESENT, n_resent)
    if lv_vector(I):   # each shadow's own numbers (its twins made), in a row of the run
        made = lv_run_row(I, LV_MADE)
        for i in range(n_low):
            lv_set(I, made, i, rd(I, pp(sdw0 + i, P_MSN_OWN)))
        n_pending = lv_excess(I, ivr, made)
    else:
        n_pending = lv_excess(I, ivr, int_sdw)
    wr(I, R0 + M_N_SUPPRESSED, n_pending + n_undone_k)
    check_recovery(I, D, ivr, ext_ivr, n_k, resent_err, False)
