"""``reference/quiet.py``: the oracle of an executed recovery, at quiet.

``check_quiet`` judges what the recovered system holds when the run ends after a
detection (docs/protocol.md, section 9): ``quiet_messages`` and
``quiet_outputs`` over the processes' actual holdings, from the flags
``executed.quiet_inputs`` leaves; the verdicts go through ``oracle.record_verdicts``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ACT, LOW, SDW
from .._config import JIT_NORC
from .layout import (
    CO_LEVEL,
    CO_OK,
    CO_TOKEN,
    H_CAS,
    H_CO,
    H_DT,
    H_KF,
    H_MS,
    H_OD,
    H_REPL,
    H_TN,
    IP_NACT,
    IP_NLOW,
    IP_OUTPUTS_BY_COUNT,
    IP_UNCLUSTERED,
    MODE_RECOVERED,
    MS_DELIVERED,
    MS_DST,
    MS_HOLDX,
    MS_SRC,
    MS_TWIN_NO,
    N_CO,
    N_DT,
    N_MS,
    N_OD,
    P_ERR,
    P_EXT_IVR,
    P_MODE,
    P_NOUT,
    P_V,
    R0,
    R_CO_MAX,
    R_DT_MAX,
    R_EXT_SDW,
    R_INT_SDW,
    R_N_LOW_ACT,
    R_NMSG,
    R_NOD,
    R_POST_ERR,
    R_TOKEN,
    pp,
    rd,
    wr,
)
from .levels import lv_leq
from .oracle import record_verdicts
from .state import msg_undone, role_of


@njit(**JIT_NORC)
def check_quiet(I, D):
    """``quiet.check_quiet``: judge what the recovered system holds (docs/protocol.md,
    section 9): ``quiet_messages``, ``quiet_outputs``, and the G_act and G_sdw
    processes erroneous at the end plus the erroneous messages consumed after recovery.

    Holdings: ``MS_DELIVERED + MS_HOLDX`` (the consumption lists after every rollback
    and replay) plus ``REPL[mid]``, which ``executed.quiet_inputs`` sets to the
    entries of buffers and ``waiting`` queues and, for a message in flight, to what
    its receiver's rule will do; ``KF[k]`` bit 0 says an original's twin not made yet
    will be suppressed."""
    # reads what its checks read, R.post_err, P[p].err; writes M oracle metrics, CAS, REPL
    orphans, lost, dups = quiet_messages(I)
    lost_out, dup_out = quiet_outputs(I)
    contaminated = rd(I, R0 + R_POST_ERR)
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        role = role_of(I, p)
        if (role == ACT or role == SDW) and rd(I, pp(p, P_ERR)) != 0:
            contaminated += 1
    record_verdicts(I, orphans, lost, dups, lost_out, dup_out, contaminated)


@njit(**JIT_NORC)
def quiet_messages(I):
    """``quiet.quiet_messages``: ``(orphans, lost, duplicates)``; cluster message ``k``
    and every copy of its twin ``k`` are one logical message (``KF[k] >> 1``), held once;
    another message a rollback undid is held by nobody, one that survives once."""
    # reads MS, REPL, KF, TN, P[p] cut and rec_mid, R counters; writes CAS, KF, REPL (to 0)
    n_low = rd(I, IP_NLOW)
    n_act = rd(I, IP_NACT)
    ms = rd(I, H_MS)
    repl = rd(I, H_REPL)
    kf = rd(I, H_KF)
    cas = rd(I, H_CAS)
    unclustered = rd(I, IP_UNCLUSTERED) != 0
    orphans = lost = dups = 0
    for p in range(2 * n_low + n_act):
        wr(I, cas + p, np.int64(0))
    for mid in range(rd(I, R0 + R_NMSG)):
        m = ms + mid * N_MS
        dst = rd(I, m + MS_DST)
        src = rd(I, m + MS_SRC)
        extra = rd(I, repl + mid)
        wr(I, repl + mid, np.int64(0))
        if role_of(I, dst) == LOW:
            if unclustered and role_of(I, src) == ACT and src < n_low and not msg_undone(I, mid):
                lost += 1   # a partner's new-interface message: the old version never gets it
            continue
        held = rd(I, m + MS_DELIVERED) + rd(I, m + MS_HOLDX) + extra
        twin_no = rd(I, m + MS_TWIN_NO)
        if role_of(I, src) == LOW and twin_no == 0:
            if held != 0:   # mdcd-unclustered: low0's new-interface message to a partner
                orphans += 1
                wr(I, cas + dst, np.int64(1))
        elif twin_no != 0 and n_low <= dst < n_low + n_act:
            wr(I, kf + twin_no, rd(I, kf + twin_no) + 2 * held)
        elif msg_undone(I, mid):
            if held != 0:
                orphans += 1
                wr(I, cas + dst, np.int64(1))
        elif held == 0:
            lost += 1
        elif held > 1:
            dups += 1
    for k in range(1, rd(I, R0 + R_N_LOW_ACT) + 1):
        if rd(I, rd(I, H_TN) + k) < 0:
            continue   # no original (``run.originals`` has no ``k``; not reached since a
            # stopped G_low's rows take no number)
        n = rd(I, kf + k) >> 1
        if k > rd(I, R0 + R_INT_SDW) and rd(I, kf + k) & 1 == 0:
            n += 1   # its twin is not made yet and will be sent
        if n == 0:
            lost += 1
        elif n > 1:
            dups += 1
    return orphans, lost, dups


@njit(**JIT_NORC)
def quiet_outputs(I):
    """``quiet.quiet_outputs``: ``(lost_outputs, dup_outputs)``: cluster output ``e``
    (the original if it reached the device, and the copies of twin ``e``; a twin not
    made yet is emitted unless a recovered shadow knows the output validated) and every
    output ordinal of a G_act process reach the device once."""
    # reads CO, DT, P[sdw] mode, ext_ivr, V, OD, P[p].n_out
    n_procs = 2 * rd(I, IP_NLOW) + rd(I, IP_NACT)
    co = rd(I, H_CO)
    dt = rd(I, H_DT)
    token = rd(I, R0 + R_TOKEN)
    co_max = rd(I, R0 + R_CO_MAX)
    by_count = rd(I, IP_OUTPUTS_BY_COUNT) != 0
    lost_out = dup_out = 0
    for e in range(1, max(co_max, rd(I, R0 + R_DT_MAX)) + 1):
        n = rd(I, dt + e * N_DT + 1) if rd(I, dt + e * N_DT) == token else 0
        if e <= co_max and rd(I, co + e * N_CO + CO_TOKEN) == token:
            n += rd(I, co + e * N_CO + CO_OK)
            if e > rd(I, R0 + R_EXT_SDW):   # its twin is not made yet
                lvl = rd(I, co + e * N_CO + CO_LEVEL)
                done = False
                for q in range(n_procs):
                    if role_of(I, q) == SDW and rd(I, pp(q, P_MODE)) == MODE_RECOVERED:
                        done = done or (e <= rd(I, pp(q, P_EXT_IVR)) if by_count
                                        else lv_leq(I, lvl, rd(I, pp(q, P_V))))
                n += 0 if done else 1
        if n == 0:
            lost_out += 1
        elif n > 1:
            dup_out += 1
    for p in range(n_procs):
        if role_of(I, p) == ACT:
            lost_out += rd(I, pp(p, P_NOUT))   # each output ordinal lacks a copy ...
    od = rd(I, H_OD)
    for j in range(rd(I, R0 + R_NOD)):   # ... unless the device has one (OD: one row each)
        lost_out -= 1
        if rd(I, od + j * N_OD + 2) > 1:
            dup_out += 1
    return lost_out, dup_out
