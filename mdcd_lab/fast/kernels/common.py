"""``reference/common.py``: what every role and every protocol family shares.

``application_msg_reception`` (the application consumes a message),
``notify`` (the "passed AT" broadcast of Figures 2 and 3), ``end_failed``
(an erroneous external message reached the device), ``begin_recovery`` (the
common start of a recovery, Section 3.2, with ``validated_now``) and
``record_takeover`` (the
rollback metrics and the shadows' pending work).  Kernel-only:
``clear_restore`` empties the rows a recovery fills (the reference builds new
dicts).  The roles (``low``, ``act``, ``sdw``) and both families (``confidence``
with ``recovery``, and ``coordinated``) use them without importing each other.

Each function names the state rows it reads and writes (``layout.py``: ``R`` the
run integers, ``M`` the metric slots, ``F`` the run floats, ``P[p]`` a process,
``MS`` ``CK`` ``NT`` ``CO`` ... the pools, ``RST`` ``REPL`` ... the recovery rows).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ACT, HEAP_NOTIFY, OUT_FAILED, OUT_RECOVERED, SDW
from .._config import JIT_NORC
from .heap import heap_push
from .layout import (
    CK_NRECV,
    CO_OK,
    CO_TOKEN,
    D_CKT,
    ERR_CAPACITY,
    F_DELAY_MAX,
    F_NOW,
    F_PENDING_DN,
    H_CAP_NT,
    H_CAS,
    H_CK,
    H_CO,
    H_DLD,
    H_DNT,
    H_MS,
    H_NPN,
    H_NT,
    H_REPL,
    H_RPE,
    H_RST,
    IP_FIFO_NOTES,
    IP_NACT,
    IP_NLOW,
    M_N_NOTIFICATIONS,
    M_N_REPLAYED,
    M_N_RESENT,
    M_N_SUPPRESSED,
    M_OUTCOME,
    M_ROLLBACK_EVENTS_MAX,
    M_ROLLBACK_PROCS,
    MF_RECOVERY_LATENCY,
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
    NT_DONE,
    NT_DST,
    NT_FIRST,
    NT_GROUP,
    NT_MID,
    NT_NEXT,
    NT_ORIGIN,
    NT_VEXT,
    NT_VINT,
    P_ERR,
    P_NRECV,
    P_NSENT,
    P_NT_HEAD,
    P_NT_TAIL,
    P_NTWINS,
    R0,
    R_CO_MAX,
    R_ENDED,
    R_ERROR,
    R_NMSG,
    R_NNT,
    R_NPASSED,
    R_PASSED_MAX,
    R_PENDING_RECOVERY,
    R_PENDING_TRIGGER,
    R_PENDING_VALIDATE,
    R_TOKEN,
    pp,
    rd,
    wr,
)
from .levels import lv_join, lv_snap, lv_vector
from .state import role_of


@njit(**JIT_NORC)
def application_msg_reception(I, p, mid):
    """``common.application_msg_reception``: ``p`` consumes message ``mid``; ground
    truth (``erroneous``) propagates."""
    # reads MS[mid].err, P[p] counts; writes MS[mid] reception fields, P[p].n_recv, err
    m = rd(I, H_MS) + mid * N_MS
    wr(I, m + MS_CONSUME_ORD, rd(I, pp(p, P_NRECV)))
    wr(I, m + MS_DELIVERED, np.int64(1))
    wr(I, m + MS_RECV_NSENT, rd(I, pp(p, P_NSENT)))
    wr(I, m + MS_RECV_NTWINS, rd(I, pp(p, P_NTWINS)))
    wr(I, pp(p, P_NRECV), rd(I, pp(p, P_NRECV)) + 1)
    if rd(I, m + MS_ERR) != 0 and rd(I, pp(p, P_ERR)) == 0:
        wr(I, pp(p, P_ERR), np.int64(1))


@njit(**JIT_NORC)
def notify(I, D, origin, v_int, v_ext, d_notify):
    """``common.notify``: the "passed AT" broadcast, one note (``NT`` row) for every other
    G_act and G_sdw process, due ``d_notify`` later (with ``Rules.notify_fifo`` on a FIFO
    channel, not before ``origin``'s earlier messages to it: ``state.fifo_arrival``);
    the family learns of the passed AT right after this row (``R_PENDING_VALIDATE``).

    The reference pushes one heap item per note, in recipient order: the notes due at
    ``now + d_notify`` therefore pop one after the other, nothing can come between
    them, so they share one item here (``executed.notification`` applies them in
    recipient order); a note a FIFO channel holds back gets its own.  Each note also
    joins its recipient's list of pending notes (``P[q].nt_head``), in creation order
    (``executed.fifo_before``, ``executed.drain_notifications``).
    """
    # reads R, F.now, LD; writes M.n_notifications, R passed levels and pending flag, NT,
    # P[q] pending notes, NPN[origin, q], the heap, F.delay_max
    wr(I, R0 + M_N_NOTIFICATIONS, rd(I, R0 + M_N_NOTIFICATIONS) + 1)
    if lv_vector(I):   # the notification keeps the level as it is now
        v_int = lv_snap(I, v_int)
        lv_join(I, rd(I, R0 + R_PASSED_MAX), v_int)
    elif rd(I, R0 + R_NPASSED) == 0 or v_int > rd(I, R0 + R_PASSED_MAX):
        wr(I, R0 + R_PASSED_MAX, v_int)
    wr(I, R0 + R_NPASSED, rd(I, R0 + R_NPASSED) + 1)
    # families.on_passed_at, by play_run after this row
    wr(I, R0 + R_PENDING_VALIDATE, np.int64(1))
    now = rd(D, F_NOW)
    t = now + d_notify
    # what the loop needs, read once (the notes' writes to I would make the compiled
    # code read them again for every note)
    first = rd(I, R0 + R_NNT)
    n_procs = 2 * rd(I, IP_NLOW) + rd(I, IP_NACT)
    cap = rd(I, H_CAP_NT)
    base = rd(I, H_NT)
    dnt = rd(I, H_DNT)
    n_msg = rd(I, R0 + R_NMSG)
    fifo = rd(I, IP_FIFO_NOTES) != 0
    ld = rd(I, H_DLD) + origin * n_procs   # LD[origin, 0]
    npn = rd(I, H_NPN) + origin * n_procs   # NPN[origin, 0]
    nt = first
    group = False
    for q in range(n_procs):
        role = role_of(I, q)
        if q == origin or (role != ACT and role != SDW):
            continue
        # ``Note(...)``: a new NT row for recipient q (sent now, placed before the next
        # message id), appended to q's pending notes
        if nt >= cap:
            wr(I, R0 + R_NNT, nt)
            wr(I, R0 + R_ERROR, ERR_CAPACITY)
            return
        arrival = t   # state.fifo_arrival: after origin's earlier messages to q
        if fifo and rd(D, ld + q) > t:
            arrival = rd(D, ld + q)
        row = base + nt * N_NT
        wr(I, row + NT_VINT, v_int)
        wr(I, row + NT_VEXT, v_ext)
        wr(I, row + NT_ORIGIN, origin)
        wr(I, row + NT_DST, q)
        wr(I, row + NT_MID, n_msg)
        wr(I, row + NT_DONE, np.int64(0))
        wr(I, row + NT_NEXT, np.int64(-1))
        wr(I, row + NT_FIRST, first)
        wr(I, row + NT_GROUP, 1 if arrival == t else 0)
        wr(D, dnt + nt, now)
        tail = rd(I, pp(q, P_NT_TAIL))
        if tail < 0:
            wr(I, pp(q, P_NT_HEAD), nt)
        else:
            wr(I, base + tail * N_NT + NT_NEXT, nt)
        wr(I, pp(q, P_NT_TAIL), nt)
        wr(I, npn + q, rd(I, npn + q) + 1)
        if arrival == t:
            group = True
        else:
            wr(I, R0 + R_NNT, nt + 1)
            heap_push(I, D, arrival, HEAP_NOTIFY, nt << 1)
        nt += 1
    wr(I, R0 + R_NNT, nt)
    if group:
        heap_push(I, D, t, HEAP_NOTIFY, (first << 1) | 1)
    if d_notify > rd(D, F_DELAY_MAX):
        wr(D, F_DELAY_MAX, d_notify)


@njit(**JIT_NORC)
def end_failed(I, D):
    """``common.end_failed``: an erroneous external message reached the device."""
    # reads F.now; writes M.outcome, R.ended, M.t_end
    wr(I, R0 + M_OUTCOME, OUT_FAILED)
    wr(I, R0 + R_ENDED, np.int64(1))
    wr(D, MF_T_END, rd(D, F_NOW))


@njit(**JIT_NORC)
def pending_recovery(I, D, trigger, d_notify):
    """``error_recovery`` invoked by ``trigger`` (the recovery notice travels
    ``d_notify``): run by ``engine.after_output`` right after the row."""
    # writes R pending flag and trigger, F.pending_dn
    wr(I, R0 + R_PENDING_RECOVERY, np.int64(1))
    wr(I, R0 + R_PENDING_TRIGGER, trigger)
    wr(D, F_PENDING_DN, d_notify)


@njit(**JIT_NORC)
def begin_recovery(I, D):
    """``common.begin_recovery``: the run ends recovered now; returns ``(v_star, ext_star)``,
    the highest level that passed an AT and the number of correct cluster outputs."""
    # reads F.now, R passed levels, CO; writes M.t_detect, outcome, t_end, R.ended
    now = rd(D, F_NOW)
    wr(D, MF_T_DETECT, now)
    wr(I, R0 + M_OUTCOME, OUT_RECOVERED)
    wr(I, R0 + R_ENDED, np.int64(1))
    wr(D, MF_T_END, now)
    return validated_now(I)


@njit(**JIT_NORC)
def validated_now(I):
    """``(v_star, ext_star)``: the join of the levels passed ATs validated so far (the
    run's row of it under ``"mdcd-vector"``: zero if none passed) and the number of
    cluster outputs the device has."""
    # reads R passed levels, CO
    if lv_vector(I):
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
        wr(I, repl + m, np.int64(0))
    rst = rd(I, H_RST)
    cas = rd(I, H_CAS)
    rpe = rd(I, H_RPE)
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        wr(I, rst + p, np.int64(-1))
        wr(I, cas + p, np.int64(0))
        wr(I, rpe + p, np.int64(0))


@njit(**JIT_NORC)
def record_takeover(I, D, n_resent, n_suppressed):
    """``common.record_takeover``: the rollback metrics of the restored processes
    (``RST``) and replayed messages (``REPL``), and the shadows' pending work."""
    # reads RST, CK, D_CKT, P[p].n_recv, REPL, F.now; writes M rollback and takeover metrics
    now = rd(D, F_NOW)
    ck = rd(I, H_CK)
    rst = rd(I, H_RST)
    n_restore = np.int64(0)
    rb_max = 0.0
    rb_sum = 0.0
    ev_max = np.int64(0)
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
    n_replayed = np.int64(0)
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
    wr(D, MF_RECOVERY_LATENCY, 0.0)   # atomic recovery: it ends at the detection
