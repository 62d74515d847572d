"""``reference/oracle.py``: the ground truth of a recovery.

``oracle_inputs`` turns a takeover into the flags the checks read (the
reference's sets): ``KF[k]`` bit 2, twin ``k`` generated and not undone, bit 1,
re-sent; ``EF[e]`` twin output ``e`` re-sent, undone (``"coordinated"`` builds
them from the line in ``line_oracle_inputs``, with ``HELD``).  ``check_recovery``
runs ``check_messages``, ``check_outputs`` and ``check_states`` and
writes the oracle's metrics (``record_verdicts``); ``quiet.check_quiet`` judges
an executed recovery on what the processes actually hold.
"""

from __future__ import annotations

import numpy as np
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
    ERR_CAPACITY,
    H_CAP_R,
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
    P_TE_HEAD,
    P_TI_HEAD,
    R0,
    R_CO_MAX,
    R_ERROR,
    R_EXT_SDW,
    R_INT_LOW,
    R_INT_SDW,
    R_N_LOW_ACT,
    R_NMSG,
    R_NOD,
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
from .levels import lv_leq, lv_vector
from .state import role_of


@njit(**JIT_NORC)
def clear_flags(I):
    """Empty ``KF`` and ``EF`` for every twin and output number; returns ``n_k`` (the
    twin numbers ``0 .. n_k - 1``), or -1 if a capacity was exceeded."""
    # reads R counters; writes KF, EF (R.error on overflow)
    n_k = max(rd(I, R0 + R_INT_SDW), rd(I, R0 + R_INT_LOW)) + 1
    n_e = max(rd(I, R0 + R_EXT_SDW), rd(I, R0 + R_CO_MAX)) + 1
    if n_k > rd(I, H_CAP_R) or n_e > rd(I, H_CAP_R):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return -1
    kf = rd(I, H_KF)
    ef = rd(I, H_EF)
    for k in range(n_k):
        wr(I, kf + k, np.int64(0))
    for e in range(n_e):
        wr(I, ef + e * N_EF, np.int64(0))
        wr(I, ef + e * N_EF + 1, np.int64(0))
    return n_k


@njit(**JIT_NORC)
def oracle_inputs(I):
    """``oracle.oracle_inputs`` of the confidence-driven takeover: twins undone by a
    shadow's rollback (after its cut) or generated and kept, and the twins and outputs
    the shadows' logs re-send.  Returns ``(n_k, resent_err)``, ``n_k = -1`` on overflow."""
    # reads TW, RST, CUT, P[sdw] sender logs; writes KF, EF
    n_k = clear_flags(I)
    if n_k < 0:
        return -1, 0
    tw = rd(I, H_TW)
    rst = rd(I, H_RST)
    cut = rd(I, H_CUT)
    kf = rd(I, H_KF)
    ef = rd(I, H_EF)
    for w in range(rd(I, R0 + R_NTW)):
        row = tw + w * N_TW
        q = rd(I, row + TW_SDW)
        if rd(I, rst + q) >= 0 and rd(I, row + TW_ORD) >= rd(I, cut + 2 * q + 1):
            if rd(I, row + TW_E) != 0:   # undone
                wr(I, ef + rd(I, row + TW_E) * N_EF + 1, np.int64(1))
        elif rd(I, row + TW_K) != 0:   # bit 2: twin k generated and not undone
            wr(I, kf + rd(I, row + TW_K), np.int64(2))
    resent_err = 0
    sdw0 = rd(I, IP_NLOW) + rd(I, IP_NACT)
    for q in range(sdw0, sdw0 + rd(I, IP_NLOW)):
        c = rd(I, rst + q)
        lim = rd(I, cut + 2 * q + 1) if c >= 0 else 0
        for f_head in (P_TI_HEAD, P_TE_HEAD):
            w = rd(I, pp(q, f_head))
            while w >= 0:
                row = tw + w * N_TW
                if c < 0 or rd(I, row + TW_ORD) < lim:
                    if rd(I, row + TW_K) != 0:   # bit 1: re-sent
                        wr(I, kf + rd(I, row + TW_K), rd(I, kf + rd(I, row + TW_K)) | 1)
                    if rd(I, row + TW_E) != 0:
                        wr(I, ef + rd(I, row + TW_E) * N_EF, np.int64(1))
                    if rd(I, row + TW_ERR) != 0:
                        resent_err += 1
                w = rd(I, row + TW_NEXT)
    return n_k, resent_err


@njit(**JIT_NORC)
def line_resends(I, row, ext_star):
    """Whether the shadows re-send twin ``row`` (a TW row, not undone): a message the
    line does not hold, or an output the device does not have."""
    # reads TW row, HELD, R.n_low_act
    k = rd(I, row + TW_K)
    e = rd(I, row + TW_E)
    k_held = 1 <= k <= rd(I, R0 + R_N_LOW_ACT) and rd(I, rd(I, H_HELD) + k) != 0
    return (k != 0 and not k_held) or (e != 0 and e > ext_star)


@njit(**JIT_NORC)
def line_oracle_inputs(I, ext_star):
    """``oracle.oracle_inputs`` of a line takeover: ``KF`` bit 1 for the re-sent twins,
    ``EF`` for the re-sent and undone outputs (the oracle reads ``HELD`` for the rest).
    Returns ``(n_k, resent_err)``, ``n_k = -1`` on overflow."""
    # reads TW, CUT, HELD; writes KF, EF
    n_k = clear_flags(I)
    if n_k < 0:
        return -1, 0
    tw = rd(I, H_TW)
    cut = rd(I, H_CUT)
    kf = rd(I, H_KF)
    ef = rd(I, H_EF)
    resent_err = 0
    for w in range(rd(I, R0 + R_NTW)):
        row = tw + w * N_TW
        k = rd(I, row + TW_K)
        e = rd(I, row + TW_E)
        if rd(I, row + TW_ORD) >= rd(I, cut + 2 * rd(I, row + TW_SDW) + 1):   # undone
            if e != 0:
                wr(I, ef + e * N_EF + 1, np.int64(1))
        elif line_resends(I, row, ext_star):
            if k != 0:
                wr(I, kf + k, np.int64(1))
            if e != 0:
                wr(I, ef + e * N_EF, np.int64(1))
            if rd(I, row + TW_ERR) != 0:
                resent_err += 1
    return n_k, resent_err


@njit(**JIT_NORC)
def check_recovery(I, D, ivr, ext_ivr, n_k, resent_err, coord):
    """``oracle.check_recovery`` over the restore (``RST``), cut, replay flags, the
    re-sent twin numbers (``KF``), output flags (``EF``) and, if ``coord``, the held
    twin numbers (``HELD``)."""
    # reads what its checks read, CAS; writes M oracle metrics (and CAS via the checks)
    orphans, lost, dups, contaminated = check_messages(I, ivr, n_k, coord)
    lost_out, dup_out = check_outputs(I, ivr, ext_ivr)
    contaminated += check_states(I) + resent_err
    record_verdicts(I, orphans, lost, dups, lost_out, dup_out, contaminated)


@njit(**JIT_NORC)
def record_verdicts(I, orphans, lost, dups, lost_out, dup_out, contaminated):
    """``oracle.record_verdicts``: the oracle's metrics (``cascade``: the processes left
    holding an orphan, ``CAS``)."""
    # reads CAS; writes M oracle metrics
    cascade = np.int64(0)
    cas = rd(I, H_CAS)
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        cascade += rd(I, cas + p)
    wr(I, R0 + M_ORPHANS, orphans)
    wr(I, R0 + M_LOST, lost)
    wr(I, R0 + M_DUPLICATES, dups)
    wr(I, R0 + M_LOST_OUTPUTS, lost_out)
    wr(I, R0 + M_DUP_OUTPUTS, dup_out)
    wr(I, R0 + M_CONTAMINATED_RESTORE, contaminated)
    wr(I, R0 + M_CASCADE, cascade)


@njit(**JIT_NORC)
def check_messages(I, ivr, n_k, coord):
    """``oracle.check_messages``: ``(orphans, lost, duplicates, contaminated)`` of the
    application messages; a process left holding an orphan gets ``CAS[p] = 1``."""
    # reads MS, RST, CK, CUT, REPL, KF, HELD, R.n_low_act; writes CAS
    n_low = rd(I, IP_NLOW)
    ck = rd(I, H_CK)
    ms = rd(I, H_MS)
    rst = rd(I, H_RST)
    cas = rd(I, H_CAS)
    kf = rd(I, H_KF)
    cut = rd(I, H_CUT)
    nla = rd(I, R0 + R_N_LOW_ACT)
    orphans = lost = dups = contaminated = 0
    unclustered = rd(I, IP_UNCLUSTERED) != 0
    vector = lv_vector(I)
    for mid in range(rd(I, R0 + R_NMSG)):
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
        rp = rd(I, rd(I, H_REPL) + mid) != 0
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
                wr(I, cas + dst, np.int64(1))
            continue
        if src_role == LOW:
            ri = transit and valid and not coord
            if coord:
                d = not (twin_no <= nla and rd(I, rd(I, H_HELD) + twin_no) != 0)
            elif 0 <= twin_no < n_k and (rd(I, kf + twin_no) & 2) != 0:
                d = (rd(I, kf + twin_no) & 1) != 0   # a held twin: re-sent iff logged
            else:
                d = not twin_valid   # (re)generated after takeover: suppressed up to ivr
            if ri and rd(I, m + MS_ERR) != 0:
                contaminated += 1
        else:
            # the send is undone
            if rd(I, rst + src) >= 0 and rd(I, m + MS_SEND_ORD) >= rd(I, cut + 2 * src):
                if rc:
                    orphans += 1
                    wr(I, cas + dst, np.int64(1))
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
                wr(I, cas + dst, np.int64(1))
            else:
                dups += 1
    return orphans, lost, dups, contaminated


@njit(**JIT_NORC)
def check_outputs(I, ivr, ext_ivr):
    """``oracle.check_outputs``: ``(lost_outputs, dup_outputs)``, each cluster output
    reaching the device exactly once, and G_act outputs a rollback undoes."""
    # reads CO, TWO, TW, EF, OD, RST, CK
    co = rd(I, H_CO)
    two = rd(I, H_TWO)
    ef = rd(I, H_EF)
    token = rd(I, R0 + R_TOKEN)
    co_max = rd(I, R0 + R_CO_MAX)
    ext_sdw = rd(I, R0 + R_EXT_SDW)
    by_count = rd(I, IP_OUTPUTS_BY_COUNT) != 0
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
            will = rd(I, rd(I, H_TW) + rd(I, two + e * N_TWO + 1) * N_TW + TW_INDEX) >= ivr
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
            c = rd(I, rd(I, H_RST) + rd(I, od + j * N_OD))
            if c >= 0 and rd(I, od + j * N_OD + 1) >= rd(I, rd(I, H_CK) + c * N_CK + CK_NOUT):
                dup_out += 1
    return lost_out, dup_out


@njit(**JIT_NORC)
def check_states(I):
    """``oracle.check_states``: G_act and G_sdw states erroneous after the recovery
    (restored, kept, or fed an erroneous replayed message)."""
    # reads RST, CK, P[p].err, RPE
    contaminated = 0
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        role = role_of(I, p)
        if role != ACT and role != SDW:
            continue
        c = rd(I, rd(I, H_RST) + p)
        if c >= 0:
            state_err = rd(I, rd(I, H_CK) + c * N_CK + CK_ERR) != 0
        else:
            state_err = rd(I, pp(p, P_ERR)) != 0
        if state_err or rd(I, rd(I, H_RPE) + p) != 0:
            contaminated += 1
    return contaminated


# -- executed recovery: the system once quiet ---------------------------------------------
