"""``reference/coordinated.py``: the ``coordinated`` protocol, self-contained.

Checkpoint lines every ``coord_period`` (``schedule_lines``,
``take_line``), their validation (``validate_lines``,
``validate``), reception without checkpointing (``receive``) and
the rollback of every member to the newest validated line (``recover``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ACT, HEAP_TIMER, LOW, SDW
from .._config import JIT_NORC
from .common import application_msg_reception, begin_recovery, clear_restore, record_takeover
from .heap import heap_push
from .layout import (
    CK_NRECV,
    CK_NSENT,
    CK_NTWINS,
    D_CKT,
    ERR_CAPACITY,
    FP_COORD_PERIOD,
    H_CAP_M,
    H_CK,
    H_CUT,
    H_HELD,
    H_HELD_RUN,
    H_LN,
    H_MS,
    H_REPL,
    H_RL,
    H_RPE,
    H_RST,
    H_TN,
    H_TW,
    IP_N_LINES,
    IP_NACT,
    IP_NLOW,
    LN_CK,
    LN_DSTAMP,
    LN_LEVEL,
    LN_NCHAN,
    LN_NMEM,
    LN_NMSG,
    M_CKPT_ACT,
    M_CKPT_SDW,
    MS_CONSUME_ORD,
    MS_DELIVERED,
    MS_DSEQ,
    MS_DST,
    MS_ERR,
    MS_K,
    MS_LEVEL,
    MS_SRC,
    N_CK,
    N_LN,
    N_MS,
    N_TW,
    P_DIRTY,
    P_LEVEL,
    P_REC_MID,
    P_TE_HEAD,
    P_TE_LEN,
    P_TI_HEAD,
    P_TI_LEN,
    P_TI_TAIL,
    P_V_KNOWN,
    R0,
    R_DSEQ,
    R_ERROR,
    R_HELD_N,
    R_INT_SDW,
    R_L0,
    R_LINE,
    R_N_LOW_ACT,
    R_NL,
    R_NMSG,
    R_NPASSED,
    R_NTW,
    R_PASSED_MAX,
    R_RECOVERING,
    R_V_STAR,
    TW_E,
    TW_K,
    TW_NEXT,
    TW_ORD,
    TW_SDW,
    pp,
    rd,
    wr,
)
from .oracle import check_recovery, line_oracle_inputs, line_resends
from .state import (
    change_ckpts,
    change_logs,
    check_unsafe,
    list_remove_le,
    role_of,
    save_state,
)


@njit(**JIT_NORC)
def new_line(I, D, ordinal):
    """Append a line (checkpoints of every G_act and G_sdw member, channel size)."""
    # reads P[p] levels and counts, MS, R counters; writes CK (the line's rows), LN, R.n_lines
    j = rd(I, R0 + R_NL)
    n_procs = 2 * rd(I, IP_NLOW) + rd(I, IP_NACT)
    if j > rd(I, IP_N_LINES):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return -1
    base = rd(I, H_CAP_M) + j * n_procs
    level = np.int64(0)
    n_mem = np.int64(0)
    n_act = 0
    for p in range(n_procs):
        role = role_of(I, p)
        if role != ACT and role != SDW:
            continue
        save_state(I, D, base + p, p, rd(I, pp(p, P_LEVEL)), rd(I, pp(p, P_LEVEL)), ordinal)
        n_mem += 1
        if role == ACT:
            n_act += 1
        if rd(I, pp(p, P_LEVEL)) > level:
            level = rd(I, pp(p, P_LEVEL))
    # the line's channel state: messages to G_act / G_sdw created and not yet delivered
    n_chan = np.int64(0)
    ms = rd(I, H_MS)
    for mid in range(rd(I, R0 + R_NMSG)):
        m = ms + mid * N_MS
        if rd(I, m + MS_DELIVERED) == 0 and role_of(I, rd(I, m + MS_DST)) != LOW:
            n_chan += 1
    ln = rd(I, H_LN) + j * N_LN
    wr(I, ln + LN_LEVEL, level)
    wr(I, ln + LN_NMSG, rd(I, R0 + R_NMSG))
    wr(I, ln + LN_DSTAMP, rd(I, R0 + R_DSEQ))
    wr(I, ln + LN_NCHAN, n_chan)
    wr(I, ln + LN_NMEM, n_mem)
    wr(I, ln + LN_CK, base)
    wr(I, R0 + R_NL, j + 1)
    return n_act


@njit(**JIT_NORC)
def schedule_lines(I, D):
    """``coordinated.schedule_lines``: line 0 now (t = 0), line events k * coord_period."""
    # writes R line counters, line 0, heap (timer items)
    wr(I, R0 + R_NL, np.int64(0))
    wr(I, R0 + R_L0, np.int64(0))
    new_line(I, D, np.int64(0))
    period = rd(D, FP_COORD_PERIOD)
    for k in range(1, rd(I, IP_N_LINES) + 1):
        heap_push(I, D, k * period, HEAP_TIMER, k)


@njit(**JIT_NORC)
def take_line(I, D, k):
    """``coordinated.take_line`` (none once executed recovery is under way)."""
    # reads LN, R.recovering; writes a new line, M checkpoint counters, log and checkpoint
    # counters
    if rd(I, R0 + R_RECOVERING) != 0:
        return
    n_act = new_line(I, D, k)
    if n_act < 0:
        return
    ln = rd(I, H_LN) + (rd(I, R0 + R_NL) - 1) * N_LN
    n_mem = rd(I, ln + LN_NMEM)
    wr(I, R0 + M_CKPT_ACT, rd(I, R0 + M_CKPT_ACT) + n_act)
    wr(I, R0 + M_CKPT_SDW, rd(I, R0 + M_CKPT_SDW) + n_mem - n_act)
    change_ckpts(I, n_mem)
    change_logs(I, D, np.int64(0), rd(I, ln + LN_NCHAN))
    validate_lines(I, D)


@njit(**JIT_NORC)
def in_channel(I, ln, mid):
    """Whether message ``mid`` (to a G_act / G_sdw process) is in line ``ln``'s channel."""
    # reads MS[mid] delivery stamp, LN
    m = rd(I, H_MS) + mid * N_MS
    if mid >= rd(I, ln + LN_NMSG):
        return False
    return rd(I, m + MS_DELIVERED) == 0 or rd(I, m + MS_DSEQ) >= rd(I, ln + LN_DSTAMP)


@njit(**JIT_NORC)
def held_by(I, j, v_star, held):
    """``coordinated.held_by``: ``I[held + t]`` for twin numbers ``t = 1 .. n_low_act``
    (0 for a number without an original: a G_low row skipped after the stop)."""
    # reads LN, CK, MS, TN; writes HELD (or HELD_RUN)
    ln = rd(I, H_LN) + j * N_LN
    base = rd(I, ln + LN_CK)
    ck = rd(I, H_CK)
    ms = rd(I, H_MS)
    tn = rd(I, H_TN)
    for t in range(1, rd(I, R0 + R_N_LOW_ACT) + 1):
        mid = rd(I, tn + t)
        h = np.int64(0)
        if mid >= 0:
            m = ms + mid * N_MS
            c = ck + (base + rd(I, m + MS_DST)) * N_CK
            if rd(I, m + MS_DELIVERED) != 0 and \
                    rd(I, m + MS_CONSUME_ORD) < rd(I, c + CK_NRECV):
                h = np.int64(1)
            elif in_channel(I, ln, mid) and rd(I, m + MS_K) <= v_star:
                h = np.int64(1)
        wr(I, held + t, h)


@njit(**JIT_NORC)
def is_held(I, held, n, k):
    """Twin ``k`` is in the held set ``I[held + 1 .. held + n]``."""
    # reads HELD (or HELD_RUN)
    return 1 <= k <= n and rd(I, held + k) != 0


@njit(**JIT_NORC)
def remove_held(I, p, held, n):
    """Keep, in order, the twins of ``p``'s ``int_msg_log`` whose number is not held."""
    # reads TW, HELD (or HELD_RUN); writes P[p] sender-log list (int_msg_log)
    tw = rd(I, H_TW)
    prev = np.int64(-1)
    cur = rd(I, pp(p, P_TI_HEAD))
    kept = np.int64(0)
    while cur >= 0:
        row = tw + cur * N_TW
        nxt = rd(I, row + TW_NEXT)
        if not is_held(I, held, n, rd(I, row + TW_K)):
            if prev < 0:
                wr(I, pp(p, P_TI_HEAD), cur)
            else:
                wr(I, tw + prev * N_TW + TW_NEXT, cur)
            prev = cur
            kept += 1
        cur = nxt
    if prev < 0:
        wr(I, pp(p, P_TI_HEAD), np.int64(-1))
    else:
        wr(I, tw + prev * N_TW + TW_NEXT, np.int64(-1))
    wr(I, pp(p, P_TI_TAIL), prev)
    wr(I, pp(p, P_TI_LEN), kept)


@njit(**JIT_NORC)
def validate_lines(I, D):
    """``coordinated.validate_lines``: discard the lines older than the newest valid one."""
    # reads R passed levels, LN, D_CKT; writes R.l0, HELD, P[sdw] int_msg_log,
    # log and checkpoint counters
    v = rd(I, R0 + R_PASSED_MAX) if rd(I, R0 + R_NPASSED) > 0 else 0
    lnb = rd(I, H_LN)
    l0 = rd(I, R0 + R_L0)
    nv = l0
    for j in range(rd(I, R0 + R_NL) - 1, l0 - 1, -1):
        if rd(I, lnb + j * N_LN + LN_LEVEL) <= v:
            nv = j
            break
    if nv == l0:
        return
    d_ck = 0
    d_ch = 0
    for j in range(l0, nv):
        ln = lnb + j * N_LN
        # the line's time: the row of act0 (always a member)
        if rd(D, D_CKT + rd(I, ln + LN_CK) + rd(I, IP_NLOW)) > 0:
            d_ck += rd(I, ln + LN_NMEM)
        d_ch += rd(I, ln + LN_NCHAN)
    wr(I, R0 + R_L0, nv)
    change_ckpts(I, -d_ck)
    change_logs(I, D, np.int64(0), -d_ch)
    held_by(I, nv, v, rd(I, H_HELD))
    n_procs = 2 * rd(I, IP_NLOW) + rd(I, IP_NACT)
    for q in range(n_procs):   # shadows' twins the valid line holds are never needed again
        if role_of(I, q) != SDW:
            continue
        n = rd(I, pp(q, P_TI_LEN))
        if n > 0:
            remove_held(I, q, rd(I, H_HELD), rd(I, R0 + R_N_LOW_ACT))
        change_logs(I, D, rd(I, pp(q, P_TI_LEN)) - n, np.int64(0))


@njit(**JIT_NORC)
def recover(I, D):
    """``coordinated.recover``: every member rolls back to the newest validated line."""
    # reads and writes through its steps (below)
    v_star, ext_star = begin_recovery(I, D)
    j = newest_valid_line(I, v_star)
    rollback_to_line(I, D, j, v_star)
    held_by(I, j, v_star, rd(I, H_HELD))
    n_resent, n_suppressed = takeover_from_line(I, ext_star)
    record_takeover(I, D, n_resent, n_suppressed)
    n_k, resent_err = line_oracle_inputs(I, ext_star)
    if n_k >= 0:
        check_recovery(I, D, v_star, ext_star, n_k, resent_err, np.bool_(True))


@njit(**JIT_NORC)
def newest_valid_line(I, v_star):
    """The newest line whose level ``v_star`` covers (line ``R_L0`` if none)."""
    # reads LN, R.l0, R.n_lines
    lnb = rd(I, H_LN)
    for j in range(rd(I, R0 + R_NL) - 1, rd(I, R0 + R_L0) - 1, -1):
        if rd(I, lnb + j * N_LN + LN_LEVEL) <= v_star:
            return j
    return rd(I, R0 + R_L0)


@njit(**JIT_NORC)
def rollback_to_line(I, D, j, v_star):
    """``coordinated.rollback_to_line``: every member restores its checkpoint of line
    ``j`` (its cut: that checkpoint's counts) and replays the line's channel state, a
    cluster message only if validated."""
    # reads LN, CK, MS; writes RST, CUT, REPL, RPE (and clears CAS)
    clear_restore(I)
    ck = rd(I, H_CK)
    ms = rd(I, H_MS)
    cut = rd(I, H_CUT)
    ln = rd(I, H_LN) + j * N_LN
    base = rd(I, ln + LN_CK)
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        role = role_of(I, p)
        if role != ACT and role != SDW:
            continue
        c = base + p
        wr(I, rd(I, H_RST) + p, c)
        wr(I, cut + 2 * p, rd(I, ck + c * N_CK + CK_NSENT))
        wr(I, cut + 2 * p + 1, rd(I, ck + c * N_CK + CK_NTWINS))
    for mid in range(rd(I, R0 + R_NMSG)):
        m = ms + mid * N_MS
        dst = rd(I, m + MS_DST)
        if role_of(I, dst) == LOW or not in_channel(I, ln, mid):
            continue
        src_role = role_of(I, rd(I, m + MS_SRC))
        if src_role == ACT or src_role == SDW or rd(I, m + MS_K) <= v_star:
            wr(I, rd(I, H_REPL) + mid, np.int64(1))
            if rd(I, m + MS_ERR) != 0:
                wr(I, rd(I, H_RPE) + dst, np.int64(1))


@njit(**JIT_NORC)
def takeover_from_line(I, ext_star):
    """``coordinated.takeover_from_line``: ``(n_resent, n_suppressed)``.  Twins after a
    shadow's line checkpoint are undone; the others are re-sent (``line_resends``);
    the held twins not generated yet, or undone, will be suppressed."""
    # reads TW, CUT, HELD, R counters
    tw = rd(I, H_TW)
    cut = rd(I, H_CUT)
    held = rd(I, H_HELD)
    nla = rd(I, R0 + R_N_LOW_ACT)
    n_suppressed = 0
    n_resent = 0
    for w in range(rd(I, R0 + R_NTW)):
        row = tw + w * N_TW
        k = rd(I, row + TW_K)
        if rd(I, row + TW_ORD) >= rd(I, cut + 2 * rd(I, row + TW_SDW) + 1):   # undone
            if 1 <= k <= nla and rd(I, held + k) != 0:
                n_suppressed += 1
        elif line_resends(I, row, ext_star):
            n_resent += 1
    for t in range(rd(I, R0 + R_INT_SDW) + 1, nla + 1):
        n_suppressed += rd(I, held + t)
    return n_resent, n_suppressed


@njit(**JIT_NORC)
def validate(I, D, p, role, v_int, v_ext):
    """``coordinated.validate``: ``p`` learns that level ``v_int`` is validated, then a
    shadow drops the logged cluster outputs up to ``v_ext``."""
    # reads P[p] level, v_known; writes P[p] v_known, dirty, unsafe, ext_msg_log
    if v_int > rd(I, pp(p, P_V_KNOWN)):
        wr(I, pp(p, P_V_KNOWN), v_int)
    wr(I, pp(p, P_DIRTY), 1 if rd(I, pp(p, P_LEVEL)) > rd(I, pp(p, P_V_KNOWN)) else 0)
    check_unsafe(I, p, role)
    if role == SDW and v_ext >= 0:
        n = rd(I, pp(p, P_TE_LEN))
        if n > 0:
            list_remove_le(I, p, P_TE_HEAD, rd(I, H_TW), N_TW, TW_NEXT, TW_E, v_ext,
                           np.bool_(False))
        change_logs(I, D, rd(I, pp(p, P_TE_LEN)) - n, np.int64(0))


@njit(**JIT_NORC)
def receive(I, p, role, mid):
    """``coordinated.receive``: reception without checkpointing or logging."""
    # reads MS[mid].level; writes MS[mid] delivery stamp, R.dseq, P[p] level, dirty, unsafe
    m = rd(I, H_MS) + mid * N_MS
    application_msg_reception(I, p, mid)
    wr(I, m + MS_DSEQ, rd(I, R0 + R_DSEQ))   # the delivery's rank (line channels)
    wr(I, R0 + R_DSEQ, rd(I, R0 + R_DSEQ) + 1)
    if rd(I, m + MS_LEVEL) > rd(I, pp(p, P_LEVEL)):
        wr(I, pp(p, P_LEVEL), rd(I, m + MS_LEVEL))
    wr(I, pp(p, P_DIRTY), 1 if rd(I, pp(p, P_LEVEL)) > rd(I, pp(p, P_V_KNOWN)) else 0)
    check_unsafe(I, p, role)


@njit(**JIT_NORC)
def restore_point(I, D, p):
    """``coordinated.restore_point`` (executed recovery): ``p``'s checkpoint of the newest
    line whose levels are validated (chosen at the first call, with the twins it
    holds: ``R_LINE``, ``HELD_RUN``), the line's channel messages to ``p`` to replay
    (``RL``, a cluster message only if validated); a shadow's log keeps the twins the
    line does not hold.  Returns ``(checkpoint, replayed, sends kept, twins kept)``."""
    # reads R.v_star, LN, MS, CK; writes R.line, HELD_RUN, R.held_n, RL, P[p] int_msg_log,
    # log counters
    v_star = rd(I, R0 + R_V_STAR)
    if rd(I, R0 + R_LINE) < 0:
        j = newest_valid_line(I, v_star)
        wr(I, R0 + R_LINE, j)
        held_by(I, j, v_star, rd(I, H_HELD_RUN))
        wr(I, R0 + R_HELD_N, rd(I, R0 + R_N_LOW_ACT))
    ln = rd(I, H_LN) + rd(I, R0 + R_LINE) * N_LN
    ms = rd(I, H_MS)
    n = 0
    for mid in range(rd(I, R0 + R_NMSG)):
        m = ms + mid * N_MS
        if rd(I, m + MS_DST) != p or not in_channel(I, ln, mid):
            continue
        src_role = role_of(I, rd(I, m + MS_SRC))
        if src_role == ACT or src_role == SDW or rd(I, m + MS_K) <= v_star:
            wr(I, rd(I, H_RL) + n, mid)
            n += 1
    if role_of(I, p) == SDW:
        before = rd(I, pp(p, P_TI_LEN))
        remove_held(I, p, rd(I, H_HELD_RUN), rd(I, R0 + R_HELD_N))
        change_logs(I, D, rd(I, pp(p, P_TI_LEN)) - before, np.int64(0))
    c = rd(I, ln + LN_CK) + p
    ck = rd(I, H_CK) + c * N_CK
    return c, n, rd(I, ck + CK_NSENT), rd(I, ck + CK_NTWINS)


@njit(**JIT_NORC)
def suppresses(I, k):
    """``coordinated.suppresses``: twin ``k`` is suppressed iff the restored line holds it."""
    # reads HELD_RUN, R.held_n
    return is_held(I, rd(I, H_HELD_RUN), rd(I, R0 + R_HELD_N), k)


@njit(**JIT_NORC)
def discards(I, mid):
    """``coordinated.discards``: a message sent before its sender recovered is dropped
    (the line's channel state replays what is needed)."""
    # reads MS[mid].src, P[src].rec_mid
    return mid < rd(I, pp(rd(I, rd(I, H_MS) + mid * N_MS + MS_SRC), P_REC_MID))
