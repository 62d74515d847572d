"""``reference/oracle.py``: :func:`check_recovery`, the ground truth of a recovery."""

from __future__ import annotations

from numba import njit

from ...constants import ACT, LOW, SDW
from .._config import JIT_NORC
from .layout import (
    CK_ERR,
    CK_NOUT,
    CK_NRECV,
    CO_LEVEL,
    CO_OK,
    CO_TOKEN,
    H_CAS,
    H_CK,
    H_CO,
    H_CUT,
    H_EF,
    H_HELD,
    H_KF,
    H_MS,
    H_OD,
    H_REPL,
    H_RPE,
    H_RST,
    H_TW,
    H_TWO,
    IP_NACT,
    IP_NLOW,
    IP_OUTPUTS_BY_COUNT,
    IP_SUPPRESS_REDONE_OUTPUTS,
    IP_UNCLUSTERED,
    M_CASCADE,
    M_CONTAMINATED_RESTORE,
    M_DUP_OUTPUTS,
    M_DUPLICATES,
    M_LOST,
    M_LOST_OUTPUTS,
    M_ORPHANS,
    MS_CONSUME_ORD,
    MS_DELIVERED,
    MS_DST,
    MS_ERR,
    MS_K,
    MS_LEVEL,
    MS_SEND_ORD,
    MS_SRC,
    MS_TWIN_NO,
    N_CK,
    N_CO,
    N_EF,
    N_MS,
    N_OD,
    N_TW,
    N_TWO,
    P_ERR,
    R0,
    R_CO_MAX,
    R_EXT_SDW,
    R_N_LOW_ACT,
    R_NMSG,
    R_NOD,
    R_TOKEN,
    TW_INDEX,
    pp,
    rd,
    wr,
)
from .levels import lv_leq, lv_vector
from .state import role_of


@njit(**JIT_NORC)
def check_recovery(I, D, ivr, ext_ivr, n_k, resent_err, coord):
    """``oracle.check_recovery`` over the restore (``RST``), cut, replay flags, the
    re-sent twin numbers (``KF``), output flags (``EF``) and, if ``coord``, the held
    twin numbers (``HELD``)."""
    n_low = rd(I, IP_NLOW)
    n_procs = 2 * n_low + rd(I, IP_NACT)
    by_count = rd(I, IP_OUTPUTS_BY_COUNT) != 0
    ck = rd(I, H_CK)
    ms = rd(I, H_MS)
    tw = rd(I, H_TW)
    co = rd(I, H_CO)
    two = rd(I, H_TWO)
    rst = rd(I, H_RST)
    cas = rd(I, H_CAS)
    rpe = rd(I, H_RPE)
    repl = rd(I, H_REPL)
    kf = rd(I, H_KF)
    ef = rd(I, H_EF)
    cut = rd(I, H_CUT)
    held = rd(I, H_HELD)
    nla = rd(I, R0 + R_N_LOW_ACT)
    token = rd(I, R0 + R_TOKEN)
    co_max = rd(I, R0 + R_CO_MAX)
    ext_sdw = rd(I, R0 + R_EXT_SDW)
    n_msg = rd(I, R0 + R_NMSG)
    # -- application messages
    orphans = 0
    lost = 0
    dups = 0
    contaminated = 0
    unclustered = rd(I, IP_UNCLUSTERED) != 0
    vector = lv_vector(I)
    for mid in range(n_msg):
        m = ms + mid * N_MS
        dst = rd(I, m + MS_DST)
        src = rd(I, m + MS_SRC)
        src_role = role_of(I, src)
        if role_of(I, dst) == LOW:
            if unclustered and src_role == ACT and src < n_low:
                # a partner's new-interface message to low0: the old version that takes
                # over never receives it
                if rd(I, rst + src) < 0 or rd(I, m + MS_SEND_ORD) < rd(I, cut + 2 * src):
                    lost += 1
            continue
        cr = rd(I, rst + dst)
        delivered = rd(I, m + MS_DELIVERED) != 0
        rc = delivered and (cr < 0 or rd(I, m + MS_CONSUME_ORD) < rd(I, ck + cr * N_CK + CK_NRECV))
        rp = rd(I, repl + mid) != 0
        transit = not delivered
        k = rd(I, m + MS_K)
        twin_no = rd(I, m + MS_TWIN_NO)
        if vector:   # a cluster message is validated by its own level (its member's number)
            valid = src_role == LOW and lv_leq(I, rd(I, m + MS_LEVEL), ivr)
            twin_valid = valid
        else:
            valid = k <= ivr
            twin_valid = twin_no <= ivr
        if src_role == LOW and twin_no == 0:
            # mdcd-unclustered: a new-interface message of low0 to a partner; the old
            # version never sends it, so a partner state that holds it is an orphan
            if rc or rp or (transit and valid):
                orphans += 1
                wr(I, cas + dst, 1)
            continue
        if src_role == LOW:
            ri = transit and valid and not coord
            if coord:
                d = not (twin_no <= nla and rd(I, held + twin_no) != 0)
            elif 0 <= twin_no < n_k and (rd(I, kf + twin_no) & 2) != 0:
                d = (rd(I, kf + twin_no) & 1) != 0   # a held twin: re-sent iff logged
            else:
                d = not twin_valid   # (re)generated after takeover: suppressed up to ivr
            if ri and rd(I, m + MS_ERR) != 0:
                contaminated += 1
        else:
            cs = rd(I, rst + src)
            # the send is undone
            if cs >= 0 and rd(I, m + MS_SEND_ORD) >= rd(I, cut + 2 * src):
                if rc:
                    orphans += 1
                    wr(I, cas + dst, 1)
                if rp:
                    dups += 1
                continue
            ri = transit and not coord
            d = False
        total = int(rc) + int(rp) + int(ri) + int(d)
        if total == 0:
            lost += 1
        elif total > 1:
            if rc and d and not (0 <= twin_no < n_k and (rd(I, kf + twin_no) & 1) != 0):
                orphans += 1
                wr(I, cas + dst, 1)
            else:
                dups += 1
    # -- external messages of the cluster
    lost_out = 0
    dup_out = 0
    n_e_max = 0
    for e in range(1, co_max + 1):
        if rd(I, co + e * N_CO + CO_TOKEN) == token:
            n_e_max = e
    for e in range(1, ext_sdw + 1):
        if rd(I, two + e * N_TWO) == token and e > n_e_max:
            n_e_max = e
    for e in range(1, n_e_max + 1):
        present = e <= co_max and rd(I, co + e * N_CO + CO_TOKEN) == token
        ok = present and rd(I, co + e * N_CO + CO_OK) != 0
        has_twin = e <= ext_sdw and rd(I, two + e * N_TWO) == token
        if has_twin and rd(I, ef + e * N_EF + 1) == 0:   # same rule as messages
            will = rd(I, ef + e * N_EF) != 0
        elif by_count:
            will = e > ext_ivr
        elif has_twin:   # generated after takeover: suppressed while int_mSN_G_sdw < ivr
            will = rd(I, tw + rd(I, two + e * N_TWO + 1) * N_TW + TW_INDEX) >= ivr
        elif present:
            will = rd(I, co + e * N_CO + CO_LEVEL) >= ivr
        else:
            will = False
        if ok and will:
            dup_out += 1
        elif not ok and not will:
            lost_out += 1
    if rd(I, IP_SUPPRESS_REDONE_OUTPUTS) == 0:
        od = rd(I, H_OD)
        for j in range(rd(I, R0 + R_NOD)):
            c = rd(I, rst + rd(I, od + j * N_OD))
            if c >= 0 and rd(I, od + j * N_OD + 1) >= rd(I, ck + c * N_CK + CK_NOUT):
                dup_out += 1
    for p in range(n_procs):
        role = role_of(I, p)
        if role != ACT and role != SDW:
            continue
        c = rd(I, rst + p)
        state_err = rd(I, ck + c * N_CK + CK_ERR) != 0 if c >= 0 else rd(I, pp(p, P_ERR)) != 0
        if state_err or rd(I, rpe + p) != 0:
            contaminated += 1
    contaminated += resent_err
    cascade = 0
    for p in range(n_procs):
        cascade += rd(I, cas + p)
    wr(I, R0 + M_ORPHANS, orphans)
    wr(I, R0 + M_LOST, lost)
    wr(I, R0 + M_DUPLICATES, dups)
    wr(I, R0 + M_LOST_OUTPUTS, lost_out)
    wr(I, R0 + M_DUP_OUTPUTS, dup_out)
    wr(I, R0 + M_CONTAMINATED_RESTORE, contaminated)
    wr(I, R0 + M_CASCADE, cascade)
