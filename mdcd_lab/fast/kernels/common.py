"""``reference/common.py``: what every role and every protocol family shares.

:func:`application_msg_reception` (the application consumes a message),
:func:`notify` (the "passed AT" broadcast of Figures 2 and 3), :func:`end_failed`
(an erroneous external message reached the device), :func:`begin_recovery` (the
common start of a recovery, Section 3.2) and :func:`record_takeover` (the
rollback metrics and the shadows' pending work).  Kernel-only:
:func:`clear_restore` empties the rows a recovery fills (the reference builds new
dicts).  The roles (``low``, ``act``, ``sdw``) and both families (``confidence``
with ``recovery``, and ``coordinated``) use them without importing each other.

Each function names the state rows it reads and writes (``layout.py``: ``R`` the
run integers, ``M`` the metric slots, ``F`` the run floats, ``P[p]`` a process,
``MS`` ``CK`` ``NT`` ``CO`` ... the pools, ``RST`` ``REPL`` ... the recovery rows).
"""

from __future__ import annotations

from numba import njit

from ...constants import HEAP_NOTIFY, OUT_FAILED, OUT_RECOVERED
from .._config import JIT_NORC
from .layout import (
    CK_NRECV,
    CO_OK,
    CO_TOKEN,
    D_CKT,
    ERR_CAPACITY,
    F_NOW,
    H_CAP_R,
    H_CAS,
    H_CK,
    H_CO,
    H_MS,
    H_NT,
    H_REPL,
    H_RPE,
    H_RST,
    IP_NACT,
    IP_NLOW,
    M_N_NOTIFICATIONS,
    M_N_REPLAYED,
    M_N_RESENT,
    M_N_SUPPRESSED,
    M_OUTCOME,
    M_ROLLBACK_EVENTS_MAX,
    M_ROLLBACK_PROCS,
    MF_ROLLBACK_DIST_MAX,
    MF_ROLLBACK_DIST_SUM,
    MF_T_DETECT,
    MF_T_END,
    MS_CONSUME_ORD,
    MS_DELIVERED,
    MS_ERR,
    MS_RECV_NSENT,
    MS_RECV_NTWINS,
    N_CK,
    N_CO,
    N_MS,
    N_NT,
    P_ERR,
    P_NRECV,
    P_NSENT,
    P_NTWINS,
    R0,
    R_CO_MAX,
    R_ENDED,
    R_ERROR,
    R_NMSG,
    R_NNT,
    R_NPASSED,
    R_PASSED_MAX,
    R_PENDING_VALIDATE,
    R_TOKEN,
    pp,
    rd,
    wr,
)
from .levels import lv_join, lv_snap, lv_vector
from .state import heap_push


@njit(**JIT_NORC)
def application_msg_reception(I, p, mid):
    """``common.application_msg_reception``: ``p`` consumes message ``mid``; ground
    truth (``erroneous``) propagates."""
    # reads MS[mid].err, P[p] counts; writes MS[mid] reception fields, P[p].n_recv, err
    m = rd(I, H_MS) + mid * N_MS
    wr(I, m + MS_CONSUME_ORD, rd(I, pp(p, P_NRECV)))
    wr(I, m + MS_DELIVERED, 1)
    wr(I, m + MS_RECV_NSENT, rd(I, pp(p, P_NSENT)))
    wr(I, m + MS_RECV_NTWINS, rd(I, pp(p, P_NTWINS)))
    wr(I, pp(p, P_NRECV), rd(I, pp(p, P_NRECV)) + 1)
    if rd(I, m + MS_ERR) != 0 and rd(I, pp(p, P_ERR)) == 0:
        wr(I, pp(p, P_ERR), 1)


@njit(**JIT_NORC)
def notify(I, D, origin, v_int, v_ext, d_notify):
    """``common.notify``: the "passed AT" broadcast, one heap item (``NT`` row) that
    reaches every other G_act and G_sdw process after ``d_notify``; the family learns
    of the passed AT right after this row (``R_PENDING_VALIDATE``)."""
    # reads R, F.now; writes M.n_notifications, R passed levels and pending flag, NT, heap
    wr(I, R0 + M_N_NOTIFICATIONS, rd(I, R0 + M_N_NOTIFICATIONS) + 1)
    if lv_vector(I):   # the notification keeps the level as it is now
        v_int = lv_snap(I, v_int)
        lv_join(I, rd(I, R0 + R_PASSED_MAX), v_int)
    elif rd(I, R0 + R_NPASSED) == 0 or v_int > rd(I, R0 + R_PASSED_MAX):
        wr(I, R0 + R_PASSED_MAX, v_int)
    wr(I, R0 + R_NPASSED, rd(I, R0 + R_NPASSED) + 1)
    wr(I, R0 + R_PENDING_VALIDATE, 1)   # families.on_passed_at, by play_run after this row
    nid = rd(I, R0 + R_NNT)
    if nid >= rd(I, H_CAP_R):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    wr(I, R0 + R_NNT, nid + 1)
    row = rd(I, H_NT) + nid * N_NT
    wr(I, row, v_int)
    wr(I, row + 1, v_ext)
    wr(I, row + 2, origin)
    heap_push(I, D, rd(D, F_NOW) + d_notify, HEAP_NOTIFY, nid)


@njit(**JIT_NORC)
def end_failed(I, D):
    """``common.end_failed``: an erroneous external message reached the device."""
    # reads F.now; writes M.outcome, R.ended, M.t_end
    wr(I, R0 + M_OUTCOME, OUT_FAILED)
    wr(I, R0 + R_ENDED, 1)
    wr(D, MF_T_END, rd(D, F_NOW))


@njit(**JIT_NORC)
def begin_recovery(I, D):
    """``common.begin_recovery``: the run ends recovered now; returns ``(v_star, ext_star)``,
    the highest level that passed an AT and the number of correct cluster outputs."""
    # reads F.now, R passed levels, CO; writes M.t_detect, outcome, t_end, R.ended
    now = rd(D, F_NOW)
    wr(D, MF_T_DETECT, now)
    wr(I, R0 + M_OUTCOME, OUT_RECOVERED)
    wr(I, R0 + R_ENDED, 1)
    wr(D, MF_T_END, now)
    if lv_vector(I):   # the run's row of the passed levels' join (zero if none passed)
        v_star = rd(I, R0 + R_PASSED_MAX)
    else:
        v_star = rd(I, R0 + R_PASSED_MAX) if rd(I, R0 + R_NPASSED) > 0 else 0
    token = rd(I, R0 + R_TOKEN)
    co = rd(I, H_CO)
    ext_star = 0
    for e in range(1, rd(I, R0 + R_CO_MAX) + 1):
        if rd(I, co + e * N_CO + CO_TOKEN) == token and rd(I, co + e * N_CO + CO_OK) != 0:
            ext_star += 1
    return v_star, ext_star


@njit(**JIT_NORC)
def clear_restore(I):
    """No process restored (``RST[p] = -1``), nothing replayed (``REPL``, ``RPE``), no
    orphan held (``CAS``): the empty ``restore`` and ``replayed`` of the reference."""
    # reads R.n_msg; writes RST, CAS, RPE, REPL
    repl = rd(I, H_REPL)
    for m in range(rd(I, R0 + R_NMSG)):
        wr(I, repl + m, 0)
    rst = rd(I, H_RST)
    cas = rd(I, H_CAS)
    rpe = rd(I, H_RPE)
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        wr(I, rst + p, -1)
        wr(I, cas + p, 0)
        wr(I, rpe + p, 0)


@njit(**JIT_NORC)
def record_takeover(I, D, n_resent, n_suppressed):
    """``common.record_takeover``: the rollback metrics of the restored processes
    (``RST``) and replayed messages (``REPL``), and the shadows' pending work."""
    # reads RST, CK, D_CKT, P[p].n_recv, REPL, F.now; writes M rollback and takeover metrics
    now = rd(D, F_NOW)
    ck = rd(I, H_CK)
    rst = rd(I, H_RST)
    n_restore = 0
    rb_max = 0.0
    rb_sum = 0.0
    ev_max = 0
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        c = rd(I, rst + p)
        if c < 0:
            continue
        dist = now - rd(D, D_CKT + c)
        ev = rd(I, pp(p, P_NRECV)) - rd(I, ck + c * N_CK + CK_NRECV)
        if n_restore == 0 or dist > rb_max:
            rb_max = dist
        if n_restore == 0 or ev > ev_max:
            ev_max = ev
        rb_sum += dist
        n_restore += 1
    n_replayed = 0
    repl = rd(I, H_REPL)
    for m in range(rd(I, R0 + R_NMSG)):
        n_replayed += rd(I, repl + m)
    wr(I, R0 + M_ROLLBACK_PROCS, n_restore)
    wr(D, MF_ROLLBACK_DIST_MAX, rb_max)
    wr(D, MF_ROLLBACK_DIST_SUM, rb_sum)
    wr(I, R0 + M_ROLLBACK_EVENTS_MAX, ev_max)
    wr(I, R0 + M_N_REPLAYED, n_replayed)
    wr(I, R0 + M_N_RESENT, n_resent)
    wr(I, R0 + M_N_SUPPRESSED, n_suppressed)
