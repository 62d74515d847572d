"""``reference/engine.py``: one run, event by event.

``play_run`` merges primary and twin rows and dispatches each row to its
rule (``play_row``: ``low_send``, ``act_send``, ``sdw.twin_row``, ``sdw_send``,
outputs, faults; a stopped process's rows wait, ``sdw.defer_row``); ``drain``
handles the heap items due (``arrive``: deliveries, "passed AT" notes, line
events, and under executed recovery the notice and ``release``), and
``window`` ends an executed recovery; ``derive_metrics`` completes the
run's metrics and ``collect`` copies them out.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...constants import (
    ABSENT,
    ACT,
    HEAP_DELIVER,
    HEAP_NOTICE,
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
from .._config import JIT_HOT, JIT_NORC
from .act import act_output, act_send
from .executed import (
    deliver,
    is_quiet,
    receive_recovered,
    set_v_star,
    window_cap,
)
from .families import (
    drain_notifications,
    drains_at_recovery,
    fifo_before,
    notification,
    on_passed_at,
    on_timer,
    start,
)
from .gen import need_dropped, primary_first
from .heap import heap_pop, heap_top
from .intrinsics import arena
from .layout import (
    ERR_MORE_ROWS,
    F_DELAY_MAX,
    F_LOG_AREA,
    F_LOG_T,
    F_M0,
    F_NOW,
    F_PENDING_DN,
    FLOAT_DEFAULTS,
    FP_GUARD_END,
    FP_HORIZON,
    H_DLD,
    H_IT,
    H_MS,
    H_NPN,
    H_NPROCS,
    H_QE,
    HEAP_BITS,
    HEAP_KIND_MASK,
    INT_DEFAULTS,
    IP_ADDR_END_WINDOW,
    IP_ADDR_INVOKE,
    IP_ADDR_NOTICE,
    IP_ADDR_RECOVER,
    IP_ADDR_RECOVER_PROCESS,
    IP_ADDR_RELEASE,
    IP_DRAIN_NOTIFICATIONS,
    IP_EXECUTED,
    IP_FIFO_NOTES,
    IP_MSG_BYTES,
    IP_NACT,
    IP_NLOW,
    IP_TRACK_LD,
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
    MODE_RECOVERED,
    MODE_RUN,
    MODE_STOPPED,
    MS_DST,
    MS_SRC,
    N_MS,
    N_OUT_F,
    N_OUT_I,
    N_P,
    N_QE,
    NEVER,
    P0,
    P_AH_HEAD,
    P_AH_TAIL,
    P_BUF_HEAD,
    P_BUF_TAIL,
    P_CK_HEAD,
    P_CK_TAIL,
    P_CUT_SENT,
    P_CUT_TWINS,
    P_DEF_HEAD,
    P_DEF_TAIL,
    P_DIRTY,
    P_IVR,
    P_LEVEL,
    P_LG_HEAD,
    P_LG_TAIL,
    P_MODE,
    P_NOTICE_MID,
    P_NOTICE_ORIGIN,
    P_NT_HEAD,
    P_NT_TAIL,
    P_REC_MID,
    P_TE_HEAD,
    P_TE_TAIL,
    P_TI_HEAD,
    P_TI_TAIL,
    P_UNSAFE,
    P_V_KNOWN,
    P_WT_HEAD,
    P_WT_TAIL,
    QE_A,
    QE_B,
    QE_C,
    QE_D,
    QE_E,
    QE_NEXT,
    R0,
    R_ENDED,
    R_ERROR,
    R_HN,
    R_LINE,
    R_M0,
    R_N_STOPPED,
    R_PASSED_MAX,
    R_PENDING_RECOVERY,
    R_PENDING_TRIGGER,
    R_PENDING_VALIDATE,
    R_RECOVERING,
    R_RELEASED,
    R_TOKEN,
    call_rule,
    pp,
    rd,
    wr,
)
from .levels import lv_owned, lv_reset, lv_run_row, lv_vector
from .low import fault, low_output, low_send
from .sdw import defer_row, make_twin, member_event, number_twin, sdw_send, twin_row
from .state import change_logs, q_floats, role_of
from .unguarded import play_unguarded


@njit(**JIT_HOT)
def arrive(I, D, mid):
    """``engine._arrive``: ``mid`` reaches its receiver; on a FIFO channel what its sender
    sent to the receiver before it comes first (``arrive_fifo``).  Most deliveries
    have nothing before them (``fifo_pending``): they skip that call."""
    # reads MS[mid], NPN, P[dst] notice; writes what arrive_fifo and deliver write
    m = rd(I, H_MS) + mid * N_MS
    dst = rd(I, m + MS_DST)
    if rd(I, IP_FIFO_NOTES) != 0:
        src = rd(I, m + MS_SRC)
        if fifo_pending(I, src, dst, mid):
            arrive_fifo(I, D, src, dst, mid)
            if rd(I, R0 + R_ENDED) != 0:
                return
    deliver(I, D, dst, mid)


@njit(**JIT_HOT)
def fifo_pending(I, src, dst, mid):
    """Whether ``arrive_fifo`` may do something for ``mid`` from ``src`` at ``dst``:
    ``src`` has notes to ``dst`` not applied yet (``NPN``; ``families.fifo_before``
    applies only those), or a recovery notice is due at ``dst`` before ``mid``."""
    # reads NPN[src, dst], P[dst] notice
    if rd(I, rd(I, H_NPN) + src * rd(I, H_NPROCS) + dst) > 0:
        return True
    n_mid = rd(I, pp(dst, P_NOTICE_MID))
    return n_mid >= 0 and n_mid <= mid


@njit(**JIT_NORC)
def arrive_fifo(I, D, src, dst, mid):
    """Before ``mid`` from ``src`` reaches ``dst`` (notes FIFO on a FIFO channel): the notes
    ``src`` sent to ``dst`` before it (``families.fifo_before``), and a pending recovery
    notice of the same sender."""
    # reads P[dst] notice; writes what fifo_before and notice write
    fifo_before(I, D, src, dst, mid)
    n_mid = rd(I, pp(dst, P_NOTICE_MID))
    if n_mid >= 0 and n_mid <= mid and rd(I, pp(dst, P_NOTICE_ORIGIN)) == src:
        call_rule(I, IP_ADDR_NOTICE, (I, D, dst))


@njit(**JIT_NORC)
def release(I, D, q):
    """``executed.release``: the release of the two-phase recovery reaches ``q``; it
    recovers with V* (every level validated so far), then consumes what it buffered
    and plays the rows it deferred."""
    # reads R.released, P[q] buffer and deferred rows; writes R.v_star, ext_star, P[q]
    # mode, R.n_stopped, what recover_process, receive_recovered and play_row write
    if rd(I, R0 + R_RELEASED) == 0:
        wr(I, R0 + R_RELEASED, np.int64(1))
        set_v_star(I)
    wr(I, pp(q, P_MODE), MODE_RUN)
    wr(I, R0 + R_N_STOPPED, rd(I, R0 + R_N_STOPPED) - 1)
    call_rule(I, IP_ADDR_RECOVER_PROCESS, (I, D, q))   # kernels/cold.py
    for f_head in (P_BUF_HEAD, P_DEF_HEAD):
        it = rd(I, pp(q, f_head))
        wr(I, pp(q, f_head), np.int64(-1))
        wr(I, pp(q, f_head + 1), np.int64(-1))
        while it >= 0:
            row = rd(I, H_QE) + it * N_QE
            if f_head == P_BUF_HEAD:
                receive_recovered(I, D, q, rd(I, row + QE_A))
            else:
                f = q_floats(I, row)
                play_row(I, D, q, role_of(I, q), rd(I, row + QE_A), rd(I, row + QE_B),
                         rd(D, F_NOW) + rd(D, f), rd(D, f + 1), rd(D, f + 2), rd(D, f + 3),
                         rd(I, row + QE_C), rd(I, row + QE_D), rd(I, row + QE_E))
            it = rd(I, row + QE_NEXT)


@njit(**JIT_NORC)
def drain(I, D, until):
    """``engine._drain``: process the heap items due by ``until``, each at its own time,
    then (executed recovery) ``window``.

    A delivery goes to the reception rule of its recipient: ``low.low_receive`` or the
    family's (``families.receive``: ``confidence.receive_application_msg`` with S1 / S2,
    Figures 3 and 4, or ``coordinated.receive``), a shadow's through ``sdw_receive``.
    The reception rules are inlined here (``_config.JIT_HOT``); ``drain`` itself is a
    call: ``play_run`` calls it at three places, and three inlined copies of it
    would cost compile time for little (one call per row, not per item).
    """
    # reads the heap, IT; writes F.now, the heap, what the handlers write
    while rd(I, R0 + R_HN) > 0 and heap_top(I, D) <= until and rd(I, R0 + R_ENDED) == 0:
        t, seq = heap_pop(I, D)
        wr(D, F_NOW, t)
        code = rd(I, rd(I, H_IT) + seq)
        kind = code & HEAP_KIND_MASK
        payload = code >> HEAP_BITS
        if kind == HEAP_DELIVER:
            arrive(I, D, payload)
        else:
            control_item(I, D, kind, payload)
        if rd(I, R0 + R_RECOVERING) != 0:
            window(I, D)


@njit(**JIT_NORC)
def control_item(I, D, kind, payload):
    """A heap item that is not a delivery: a "passed AT" notification, a family timer
    event (``"coordinated"``: line ``payload``), a recovery notice or a release; one call
    out of ``drain``, whose loop stays small."""
    # writes what the handlers write
    if kind == HEAP_NOTIFY:
        notification(I, D, payload)
    elif kind == HEAP_TIMER:
        on_timer(I, D, payload)
    elif kind == HEAP_NOTICE:
        call_rule(I, IP_ADDR_NOTICE, (I, D, payload))
    else:
        call_rule(I, IP_ADDR_RELEASE, (I, D, payload))


@njit(**JIT_NORC)
def window(I, D):
    """``engine._window``: under executed recovery the run ends once the system is quiet,
    or when the next item lies past the window's cap."""
    # reads R.ended, the heap top; writes what end_window writes
    if rd(I, R0 + R_ENDED) != 0:
        return
    if is_quiet(I, D):
        call_rule(I, IP_ADDR_END_WINDOW, (I, D, np.int64(1)))
    elif rd(I, R0 + R_HN) > 0 and heap_top(I, D) > window_cap(I, D):
        call_rule(I, IP_ADDR_END_WINDOW, (I, D, np.int64(0)))


@njit(**JIT_NORC)
def reset_state(I, D, token):
    """A fresh ``Run``: processes, counters and floats (pools are overwritten)."""
    # writes R, P, LD, NPN, LV owned rows, F, the metric slots (schema defaults)
    n_low = rd(I, IP_NLOW)
    n_procs = 2 * n_low + rd(I, IP_NACT)
    for k in range(R0, P0 + n_procs * N_P):
        wr(I, k, np.int64(0))
    for p in range(n_procs):
        for f in (P_CK_HEAD, P_CK_TAIL, P_LG_HEAD, P_LG_TAIL, P_TI_HEAD, P_TI_TAIL,
                  P_TE_HEAD, P_TE_TAIL, P_NT_HEAD, P_NT_TAIL, P_AH_HEAD, P_AH_TAIL,
                  P_WT_HEAD, P_WT_TAIL, P_BUF_HEAD, P_BUF_TAIL, P_DEF_HEAD, P_DEF_TAIL,
                  P_NOTICE_MID, P_NOTICE_ORIGIN, P_CUT_SENT, P_CUT_TWINS):
            wr(I, pp(p, f), np.int64(-1))
        wr(I, pp(p, P_REC_MID), NEVER)
    if rd(I, IP_TRACK_LD) != 0:   # no message yet on any channel
        for c in range(n_procs * n_procs):
            wr(D, rd(I, H_DLD) + c, -math.inf)
    for c in range(n_procs * n_procs):   # no note pending on any channel
        wr(I, rd(I, H_NPN) + c, np.int64(0))
    wr(I, R0 + R_LINE, np.int64(-1))
    for p in range(n_low):
        if role_of(I, p) == LOW:
            wr(I, pp(p, P_DIRTY), np.int64(1))
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
    wr(D, F_DELAY_MAX, 0.0)
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


@njit(**JIT_HOT)
def after_output(I, D):
    """The last step of an output row (``low_output``, ``act_output``): a passed AT's
    effect (``families.on_passed_at``) or a failed AT's ``error_recovery`` (executed:
    ``executed.invoke``; atomic: the family's, after R3's drain of the notes in flight
    for ``recovery.error_recovery``), right after the row; kept out of the output rules
    so that their compiled code stays small (compile time)."""
    # reads and clears R pending flags; writes what the family's hooks or the recovery write
    if rd(I, R0 + R_PENDING_VALIDATE) != 0:
        wr(I, R0 + R_PENDING_VALIDATE, np.int64(0))
        on_passed_at(I, D)
    if rd(I, R0 + R_PENDING_RECOVERY) != 0:
        wr(I, R0 + R_PENDING_RECOVERY, np.int64(0))
        if rd(I, IP_EXECUTED) != 0:
            call_rule(I, IP_ADDR_INVOKE,
                      (I, D, rd(I, R0 + R_PENDING_TRIGGER), rd(D, F_PENDING_DN)))
            return
        if rd(I, IP_DRAIN_NOTIFICATIONS) != 0 and drains_at_recovery(I):
            for p in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
                role = role_of(I, p)
                if role == ACT or role == SDW:
                    drain_notifications(I, D, p, rd(D, F_NOW))
        call_rule(I, IP_ADDR_RECOVER, (I, D))


@njit(**JIT_HOT)
def play_row(I, D, p, role, kind, dst, td, u_at, u_comp, d_notify, has_num, k, index):
    """``engine._play_row``: one trace row of ``p`` at ``now`` (a send delivered at
    ``td``; ``has_num``: a twin row numbered ``(k, index)`` while ``p`` had stopped)."""
    # reads P[p] mode; writes what the row's rule writes
    if role == LOW and rd(I, pp(p, P_MODE)) == MODE_RECOVERED:
        pass   # G_low is gone (D20): the row sends nothing and moves no counter
    elif kind == KIND_FAULT:
        fault(I, D, p)
    elif role == SDW:
        if has_num != 0:
            make_twin(I, D, p, kind, dst, k, index)
        elif kind == KIND_OUTPUT or role_of(I, dst) == ACT:
            twin_row(I, D, p, kind, dst)
        else:
            sdw_send(I, D, p, dst, td)
    elif kind == KIND_OUTPUT:
        if role == LOW:
            low_output(I, D, p, u_at, u_comp, d_notify)
            after_output(I, D)
            member_event(I, D, p)
        else:
            act_output(I, D, p, u_at, u_comp, d_notify)
            after_output(I, D)
    elif role == LOW:
        low_send(I, D, p, dst, td)
        if role_of(I, dst) == ACT:
            member_event(I, D, p)
    else:
        act_send(I, D, p, dst, td)


@njit(**JIT_NORC)
def play_run(I_array, D_array, token,
             p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn, n_p,
             w_t, w_kind, w_src, w_dst, n_w, more, delay, offset):
    """``engine.play_run`` over the stable merge of primary rows and twin rows.

    A replayed trace passes all its rows as primary rows, ``n_w = 0`` and
    ``more = 0``.  ``more`` (``gen.generate_run``'s) says which stream has rows
    past the ones given: the run is played until it ends or would need such a row,
    and then returns ``ERR_MORE_ROWS`` (the caller grows the buffers and plays the
    run again, from its start, on a new arena).  ``delay`` and ``offset`` are the
    run's realised means (``gen.realised_means``; a simulated run's are summed by
    ``gen.generate_run``).  ``token`` must differ between the runs played on one
    arena.  Returns the error code (``ERR_NONE`` unless a capacity was exceeded or
    a dropped row is needed).
    """
    # reads the run's rows; writes everything of the run through the rules
    I = arena(I_array)   # the rules get the arenas as pointers (intrinsics.arena)
    D = arena(D_array)
    horizon = rd(D, FP_GUARD_END)   # phi; rows after it are the unguarded phase's
    reset_state(I, D, token)
    wr(D, MF_DELIVERY_DELAY_MEAN, delay)
    wr(D, MF_TWIN_OFFSET_MEAN, offset)
    start(I, D)
    a = np.int64(0)
    b = np.int64(0)
    n_events = np.int64(0)
    guarded = rd(I, IP_UNGUARDED) == 0
    while guarded:
        if need_dropped(a, b, n_p, n_w, more):
            return ERR_MORE_ROWS
        if a >= n_p and b >= n_w:
            break
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
        if rd(I, R0 + R_HN) > 0 and heap_top(I, D) <= t:
            drain(I, D, t)
            if rd(I, R0 + R_ENDED) != 0:
                break
        recovering = rd(I, R0 + R_RECOVERING) != 0   # no process stops before
        if recovering and t > window_cap(I, D):
            call_rule(I, IP_ADDR_END_WINDOW, (I, D, np.int64(0)))
            break
        wr(D, F_NOW, t)
        n_events += 1
        role = role_of(I, src)
        if role == ABSENT or (dst >= 0 and role_of(I, dst) == ABSENT):
            continue   # a shadow that does not exist under this protocol
        if recovering and rd(I, pp(src, P_MODE)) == MODE_STOPPED:
            defer(I, D, src, role, kind, dst, td - t, u_at, u_comp, d_notify)
            continue
        play_row(I, D, src, role, kind, dst, td, u_at, u_comp, d_notify, np.int64(0),
                 np.int64(0), np.int64(0))
        if rd(I, R0 + R_RECOVERING) != 0:
            window(I, D)
        if rd(I, R0 + R_ENDED) != 0 or rd(I, R0 + R_ERROR) != 0:
            break
    if rd(I, R0 + R_ENDED) == 0:
        drain(I, D, horizon)
    if rd(I, R0 + R_RECOVERING) != 0 and rd(I, R0 + R_ENDED) == 0:
        drain(I, D, math.inf)   # the window goes on past the guarded rows
        if rd(I, R0 + R_ENDED) == 0:
            call_rule(I, IP_ADDR_END_WINDOW, (I, D, np.int64(is_quiet(I, D))))
    t_guarded = rd(D, MF_T_END)
    wr(D, F_NOW, t_guarded)   # the horizon unless the run ended earlier
    change_logs(I, D, np.int64(0), np.int64(0))   # close the time integral of the log sizes
    if rd(I, R0 + R_ENDED) == 0 and rd(D, FP_HORIZON) > horizon:
        n_rows = play_unguarded(I, D, a, b, p_t, p_kind, p_src, p_dst, p_td, n_p, w_t, n_w,
                                more)
        if n_rows < 0:
            return ERR_MORE_ROWS
        n_events += n_rows
    derive_metrics(I, D, n_events, t_guarded)
    return rd(I, R0 + R_ERROR)


@njit(**JIT_NORC)
def defer(I, D, p, role, kind, dst, rel_td, u_at, u_comp, d_notify):
    """Two-phase recovery: stopped ``p``'s row waits for the release
    (``sdw.defer_row``); a twin row is numbered now (the ``k``-th twin row is twin ``k``)."""
    # writes what number_twin and defer_row write
    if role == SDW and (kind == KIND_OUTPUT or role_of(I, dst) == ACT):
        k, index = number_twin(I, p, kind)
        defer_row(I, D, p, kind, dst, rel_td, u_at, u_comp, d_notify, np.int64(1), k, index)
    else:
        defer_row(I, D, p, kind, dst, rel_td, u_at, u_comp, d_notify, np.int64(0), np.int64(0),
                  np.int64(0))


@njit(**JIT_NORC)
def derive_metrics(I, D, n_events, t_guarded):
    """``engine._collect``: the metrics derived from the end state."""
    # reads M, P[p].unsafe, F.log_area, IP_MSG_BYTES; writes the derived M slots
    wr(I, R0 + M_N_EVENTS, n_events)
    wr(D, MF_T_GUARDED, t_guarded)
    if rd(I, R0 + M_OUTCOME) == OUT_FAILED:
        wr(D, MF_T_FAIL, rd(D, MF_T_END))
    unsafe = np.int64(0)
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
def collect(I_array, D_array, OI, OF, col):
    """``engine._collect``: the run's metric slots into column ``col`` of OI and OF
    (rows in the order of ``metrics.INT_METRICS`` and ``metrics.FLOAT_METRICS``)."""
    # reads the metric slots; writes column col of OI / OF
    I = arena(I_array)   # as in play_run: rd is compiled for the arenas' pointers only
    D = arena(D_array)
    for k in range(N_OUT_I):
        OI[k, col] = rd(I, R0 + R_M0 + k)
    for k in range(N_OUT_F):
        OF[k, col] = rd(D, F_M0 + k)
