"""``reference/engine.py``: one run, event by event.

:func:`play_run` merges primary and twin rows and dispatches each row to its
rule (``low_send``, ``act_send``, ``sdw_twin_send``, ``sdw_send``, outputs,
faults); :func:`drain` delivers the heap items due (receptions,
notifications, line events); :func:`derive_metrics` completes the run's
metrics and :func:`collect` copies them out.
"""

from __future__ import annotations

import math

from numba import njit

from ...constants import (
    ABSENT,
    ACT,
    HEAP_NOTIFY,
    HEAP_TIMER,
    KIND_FAULT,
    KIND_OUTPUT,
    LOW,
    OUT_FAILED,
    OUT_RECOVERED,
    SDW,
    U_AT_MISSING,
    U_COMP_MISSING,
)
from .._config import JIT_NORC
from .act import act_notify, act_output, act_send
from .families import on_passed_at, on_timer, receive, recover, start
from .gen import primary_first
from .layout import (
    F_LOG_AREA,
    F_LOG_T,
    F_M0,
    F_NOW,
    FLOAT_DEFAULTS,
    FP_GUARD_END,
    FP_HORIZON,
    H_HT,
    H_IT,
    H_MS,
    H_NT,
    HEAP_BITS,
    HEAP_KIND_MASK,
    INT_DEFAULTS,
    IP_MSG_BYTES,
    IP_NACT,
    IP_NLOW,
    IP_UNGUARDED,
    LV_IVR,
    LV_LEVEL,
    LV_PASSED,
    LV_V_KNOWN,
    M_CKPT_ACT,
    M_CKPT_SDW,
    M_CKPT_TOTAL,
    M_LOG_BYTES_PEAK,
    M_LOG_ENTRIES_PEAK,
    M_N_EVENTS,
    M_OUTCOME,
    M_ROLLBACK_PROCS,
    M_UNSAFE_CLEAN,
    MF_DELIVERY_DELAY_MEAN,
    MF_LOG_ENTRIES_MEAN,
    MF_ROLLBACK_DIST_MAX,
    MF_T_END,
    MF_T_FAIL,
    MF_T_GUARDED,
    MF_TWIN_OFFSET_MEAN,
    MS_DST,
    N_MS,
    N_NT,
    N_OUT_F,
    N_OUT_I,
    N_P,
    P0,
    P_CK_HEAD,
    P_CK_TAIL,
    P_DIRTY,
    P_IVR,
    P_LEVEL,
    P_LG_HEAD,
    P_LG_TAIL,
    P_TE_HEAD,
    P_TE_TAIL,
    P_TI_HEAD,
    P_TI_TAIL,
    P_UNSAFE,
    P_V_KNOWN,
    R0,
    R_ENDED,
    R_ERROR,
    R_HN,
    R_M0,
    R_PASSED_MAX,
    R_PENDING_RECOVERY,
    R_PENDING_VALIDATE,
    R_TOKEN,
    pp,
    rd,
    wr,
)
from .levels import lv_owned, lv_reset, lv_run_row, lv_vector
from .low import fault, low_output, low_receive, low_send
from .sdw import sdw_notify, sdw_send, sdw_twin_output, sdw_twin_send
from .state import change_logs, heap_pop, role_of
from .unguarded import play_unguarded


@njit(**JIT_NORC)
def notification(I, D, nid):
    """A "passed AT" notification: ``act_notify`` / ``sdw_notify`` for each recipient."""
    # reads NT[nid], P roles; writes what act_notify / sdw_notify write
    row = rd(I, H_NT) + nid * N_NT
    v_int = rd(I, row)
    v_ext = rd(I, row + 1)
    origin = rd(I, row + 2)
    n_low = rd(I, IP_NLOW)
    sdw0 = n_low + rd(I, IP_NACT)
    for q in range(sdw0 + n_low):
        if q == origin:
            continue
        role = role_of(I, q)
        if role == ACT:
            act_notify(I, D, q, v_int, v_ext)
        elif role == SDW:
            sdw_notify(I, D, q, v_int, v_ext)


@njit(**JIT_NORC)
def drain(I, D, until):
    """``engine._drain``: process the heap items due by ``until`` (deliveries,
    "passed AT" notifications, coordinated line events), each at its own time.

    A delivery goes to the reception rule of its recipient: ``low.low_receive`` or the
    family's (``families.receive``: ``confidence.receive_application_msg`` with S1 / S2,
    Figures 3 and 4, or ``coordinated.receive``).
    """
    # reads the heap, IT, MS[mid].dst; writes F.now, the heap, what the handlers write
    ht = rd(I, H_HT)
    while rd(I, R0 + R_HN) > 0 and rd(D, ht) <= until and rd(I, R0 + R_ENDED) == 0:
        t, seq = heap_pop(I, D)
        wr(D, F_NOW, t)
        code = rd(I, rd(I, H_IT) + seq)
        kind = code & HEAP_KIND_MASK
        payload = code >> HEAP_BITS
        if kind == HEAP_TIMER:   # a family timer event ("coordinated": line ``payload``)
            on_timer(I, D, payload)
            continue
        if kind == HEAP_NOTIFY:
            notification(I, D, payload)
            continue
        dst = rd(I, rd(I, H_MS) + payload * N_MS + MS_DST)
        role = role_of(I, dst)
        if role == LOW:
            low_receive(I, dst, payload)
        else:   # act_receive and sdw_receive: the family's reception rule
            receive(I, D, dst, role, payload)


@njit(**JIT_NORC)
def reset_state(I, D, token):
    """A fresh ``Run``: processes, counters and floats (pools are overwritten)."""
    # writes R, P, LV owned rows, F, the metric slots (schema defaults)
    n_low = rd(I, IP_NLOW)
    n_procs = 2 * n_low + rd(I, IP_NACT)
    for k in range(R0, P0 + n_procs * N_P):
        wr(I, k, 0)
    for p in range(n_procs):
        for f in (P_CK_HEAD, P_CK_TAIL, P_LG_HEAD, P_LG_TAIL, P_TI_HEAD, P_TI_TAIL,
                  P_TE_HEAD, P_TE_TAIL):
            wr(I, pp(p, f), -1)
    for p in range(n_low):
        if role_of(I, p) == LOW:
            wr(I, pp(p, P_DIRTY), 1)
    if lv_vector(I):   # "mdcd-vector": the levels are the rows each process owns
        lv_reset(I)
        for p in range(n_procs):
            wr(I, pp(p, P_LEVEL), lv_owned(I, p, LV_LEVEL))
            wr(I, pp(p, P_V_KNOWN), lv_owned(I, p, LV_V_KNOWN))
            wr(I, pp(p, P_IVR), lv_owned(I, p, LV_IVR))
        wr(I, R0 + R_PASSED_MAX, lv_run_row(I, LV_PASSED))
    wr(I, R0 + R_TOKEN, token)
    wr(D, F_NOW, 0.0)
    wr(D, F_LOG_AREA, 0.0)
    wr(D, F_LOG_T, 0.0)
    for k in range(N_OUT_I):   # the metrics start at the schema's defaults
        wr(I, R0 + R_M0 + k, INT_DEFAULTS[k])
    for k in range(N_OUT_F):
        wr(D, F_M0 + k, FLOAT_DEFAULTS[k])
    wr(D, MF_T_END, rd(D, FP_GUARD_END))


@njit(**JIT_NORC)
def row_values(take_p, a, b, p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
               w_t, w_kind, w_src, w_dst):
    """Primary row ``a`` or twin row ``b``: ``(t, kind, src, dst, t_deliver, u_at, u_comp,
    d_notify)``; a twin is never delivered and draws nothing (the fill values)."""
    # reads the row arrays only
    if take_p:
        return p_t[a], p_kind[a], p_src[a], p_dst[a], p_td[a], p_uat[a], p_ucomp[a], p_dn[a]
    return w_t[b], w_kind[b], w_src[b], w_dst[b], math.nan, U_AT_MISSING, U_COMP_MISSING, 0.0


@njit(**JIT_NORC)
def after_output(I, D):
    """The last step of an output row (``low_output``, ``act_output``): a passed AT's
    effect (``families.on_passed_at``) or a failed AT's recovery (``families.recover``),
    right after the row; kept out of the output rules so that their compiled code stays
    small (compile time)."""
    # reads and clears R pending flags; writes what the family's hooks write
    if rd(I, R0 + R_PENDING_VALIDATE) != 0:
        wr(I, R0 + R_PENDING_VALIDATE, 0)
        on_passed_at(I, D)
    if rd(I, R0 + R_PENDING_RECOVERY) != 0:
        wr(I, R0 + R_PENDING_RECOVERY, 0)
        recover(I, D)


@njit(**JIT_NORC)
def play_run(I, D, token,
             p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn, n_p,
             w_t, w_kind, w_src, w_dst, n_w, delay, offset):
    """``engine.play_run`` over the stable merge of primary rows and twin rows.

    A replayed trace passes all its rows as primary rows and ``n_w = 0``.
    ``delay`` and ``offset`` are the run's realised means (``gen.realised_means``;
    a simulated run's are summed by ``gen.generate_run``).  ``token`` must differ
    between the runs played on one arena.  Returns the error code (``ERR_NONE``
    unless a capacity was exceeded).
    """
    # reads the run's rows; writes everything of the run through the rules
    horizon = rd(D, FP_GUARD_END)   # phi; rows after it are the unguarded phase's
    reset_state(I, D, token)
    wr(D, MF_DELIVERY_DELAY_MEAN, delay)
    wr(D, MF_TWIN_OFFSET_MEAN, offset)
    start(I, D)
    a = 0
    b = 0
    n_events = 0
    ht = rd(I, H_HT)
    guarded = rd(I, IP_UNGUARDED) == 0
    while guarded and (a < n_p or b < n_w):
        take_p = primary_first(a, b, n_p, n_w, p_t, w_t)
        if (p_t[a] if take_p else w_t[b]) > horizon:
            break   # a mission run: the unguarded phase begins
        t, kind, src, dst, td, u_at, u_comp, d_notify = row_values(
            take_p, a, b, p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
            w_t, w_kind, w_src, w_dst)
        if take_p:
            a += 1
        else:
            b += 1
        if rd(I, R0 + R_HN) > 0 and rd(D, ht) <= t:
            drain(I, D, t)
            if rd(I, R0 + R_ENDED) != 0:
                break
        wr(D, F_NOW, t)
        n_events += 1
        role = role_of(I, src)
        if role == ABSENT or (dst >= 0 and role_of(I, dst) == ABSENT):
            continue   # a shadow that does not exist under this protocol
        if kind == KIND_FAULT:
            fault(I, D, src)
        elif kind == KIND_OUTPUT:
            if role == LOW:
                low_output(I, D, src, u_at, u_comp, d_notify)
            elif role == ACT:
                act_output(I, D, src, u_at, u_comp, d_notify)
            else:
                sdw_twin_output(I, D, src)
            after_output(I, D)
        elif role == LOW:
            low_send(I, D, src, dst, td)
        elif role == ACT:
            act_send(I, D, src, dst, td)
        elif role_of(I, dst) == ACT:
            sdw_twin_send(I, D, src)
        else:
            sdw_send(I, D, src, dst, td)
        if rd(I, R0 + R_ENDED) != 0 or rd(I, R0 + R_ERROR) != 0:
            break
    if rd(I, R0 + R_ENDED) == 0:
        drain(I, D, horizon)
    t_guarded = rd(D, MF_T_END)
    wr(D, F_NOW, t_guarded)   # the horizon unless the run ended earlier
    change_logs(I, D, 0, 0)   # close the time integral of the log sizes
    if rd(I, R0 + R_ENDED) == 0 and rd(D, FP_HORIZON) > horizon:
        n_events += play_unguarded(I, D, a, b, p_t, p_kind, p_src, p_dst, p_td, n_p, w_t, n_w)
    derive_metrics(I, D, n_events, t_guarded)
    return rd(I, R0 + R_ERROR)


@njit(**JIT_NORC)
def derive_metrics(I, D, n_events, t_guarded):
    """``engine._collect``: the metrics derived from the end state."""
    # reads M, P[p].unsafe, F.log_area, IP_MSG_BYTES; writes the derived M slots
    wr(I, R0 + M_N_EVENTS, n_events)
    wr(D, MF_T_GUARDED, t_guarded)
    if rd(I, R0 + M_OUTCOME) == OUT_FAILED:
        wr(D, MF_T_FAIL, rd(D, MF_T_END))
    unsafe = 0
    for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        if role_of(I, p) == ACT or role_of(I, p) == SDW:
            unsafe += rd(I, pp(p, P_UNSAFE))
    wr(I, R0 + M_UNSAFE_CLEAN, unsafe)
    wr(I, R0 + M_CKPT_TOTAL, rd(I, R0 + M_CKPT_ACT) + rd(I, R0 + M_CKPT_SDW))
    wr(I, R0 + M_LOG_BYTES_PEAK, rd(I, R0 + M_LOG_ENTRIES_PEAK) * rd(I, IP_MSG_BYTES))
    wr(D, MF_LOG_ENTRIES_MEAN, rd(D, F_LOG_AREA) / t_guarded if t_guarded > 0 else 0.0)
    if rd(I, R0 + M_OUTCOME) == OUT_RECOVERED and rd(I, R0 + M_ROLLBACK_PROCS) == 0:
        wr(D, MF_ROLLBACK_DIST_MAX, 0.0)


@njit(**JIT_NORC)
def collect(I, D, OI, OF, col):
    """``engine._collect``: the run's metric slots into column ``col`` of OI and OF
    (rows in the order of ``metrics.INT_METRICS`` and ``metrics.FLOAT_METRICS``)."""
    # reads the metric slots; writes column col of OI / OF
    for k in range(N_OUT_I):
        OI[k, col] = rd(I, R0 + R_M0 + k)
    for k in range(N_OUT_F):
        OF[k, col] = rd(D, F_M0 + k)
