"""``reference/executed.py``: executed recovery, Section 3.2 played as events.

The first detection (``start``) sends the recovery notice to every other
process; ``notice`` is its arrival (G_low stops as one, a process stops for the
two-phase recovery or recovers at once: ``recover_process``, with
``rollback`` to the family's restore point and a shadow's ``takeover``);
a recovered process receives by ``receive_recovered``; ``is_quiet`` and
``end_window`` end the window, ``quiet_inputs`` prepares the oracle
(``quiet.check_quiet``).  The release of the two-phase recovery plays deferred
rows, so it is ``engine.release``; the re-sending rules of a taken-over shadow are
in ``sdw`` (its twin rules call them), the notes are applied by ``families`` (the
``validate`` hook's module) and a G_act output emitted again is ``act.act_output_copy``.

What the reference keeps per message the kernel derives: ``pre`` (sent before its
sender recovered) is ``mid < P[src].rec_mid``, ``undone`` is ``oracle.undone``,
``resend`` is a shadow's message with a twin number, ``arrived`` is "not in the
heap".  A process rolls back at most once, so its ``consumed`` list is
``MS_DELIVERED + MS_HOLDX`` per message (``rollback``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ACT, HEAP_DELIVER, HEAP_NOTICE, HEAP_RELEASE, LOW, OUT_RECOVERED, SDW
from .._config import JIT_HOT, JIT_NORC
from .act import act_output_copy, od_row
from .common import application_msg_reception, validated_now
from .families import discards, drain_notifications, receive, restore_point, suppresses, validate
from .heap import heap_push
from .layout import (
    CK_ERR,
    CK_LEVEL_BEFORE,
    CK_NOUT,
    CK_NRECV,
    D_CKT,
    ERR_CAPACITY,
    F_D_NOTICE,
    F_DELAY_MAX,
    F_NOW,
    FP_AFTER_RECOVERY,
    FP_LAG,
    H_CAP_R,
    H_CK,
    H_HS,
    H_IT,
    H_KF,
    H_MS,
    H_QE,
    H_REPL,
    H_RL,
    H_TN,
    H_TW,
    HEAP_BITS,
    HEAP_KIND_MASK,
    IP_ADDR_MEMBER_STOPPED,
    IP_ADDR_NOTICE,
    IP_ADDR_RECOVER_PROCESS,
    IP_COORDINATED_RECOVERY,
    IP_DRAIN_NOTIFICATIONS,
    IP_NACT,
    IP_NLOW,
    IP_SUPPRESS_REDONE_OUTPUTS,
    IP_TWO_PHASE,
    M_N_DISCARDED,
    M_N_REPLAYED,
    M_N_RESENT,
    M_OUTCOME,
    M_ROLLBACK_EVENTS_MAX,
    M_ROLLBACK_PROCS,
    MF_RECOVERY_LATENCY,
    MF_ROLLBACK_DIST_MAX,
    MF_ROLLBACK_DIST_SUM,
    MF_T_DETECT,
    MF_T_END,
    MODE_RECOVERED,
    MODE_RUN,
    MODE_STOPPED,
    MS_CONSUME_ORD,
    MS_DELIVERED,
    MS_DSEQ,
    MS_DST,
    MS_ERR,
    MS_HOLDX,
    MS_K,
    MS_LEVEL,
    MS_SRC,
    N_CK,
    N_MS,
    N_QE,
    N_TW,
    P_AH_LEN,
    P_BUF_HEAD,
    P_CK_HEAD,
    P_CK_LEN,
    P_CK_TAIL,
    P_CUT_SENT,
    P_CUT_TWINS,
    P_DIRTY,
    P_ERR,
    P_EXT_IVR,
    P_IVR,
    P_LEVEL,
    P_LG_HEAD,
    P_LG_LEN,
    P_LG_TAIL,
    P_MODE,
    P_NOTICE_MID,
    P_NOTICE_ORIGIN,
    P_NOUT,
    P_NRECV,
    P_PRGT,
    P_REC_MID,
    P_TE_HEAD,
    P_TE_LEN,
    P_TE_TAIL,
    P_TI_HEAD,
    P_TI_LEN,
    P_TI_TAIL,
    P_V,
    P_V_KNOWN,
    P_WT_HEAD,
    QE_A,
    QE_B,
    QE_NEXT,
    R0,
    R_CO_MAX,
    R_DSEQ,
    R_ENDED,
    R_ERROR,
    R_EXT_SDW,
    R_EXT_STAR,
    R_HN,
    R_INT_SDW,
    R_N_LOW_ACT,
    R_N_NOTICES,
    R_N_STOPPED,
    R_NMSG,
    R_NTW,
    R_ORIG_MAX,
    R_POST_ERR,
    R_RECOVERING,
    R_RELEASE_SENT,
    R_V_STAR,
    TW_DST,
    TW_E,
    TW_ERR,
    TW_INDEX,
    TW_K,
    TW_NEXT,
    TW_ORD,
    TW_SDW,
    call_rule,
    pp,
    rd,
    wr,
)
from .levels import lv_assign, lv_join, lv_snap
from .low import low_receive
from .quiet import check_quiet
from .sdw import release_ahead, sdw_receive, send_twin, twin_output, twin_output_copy, twin_send
from .state import (
    change_ckpts,
    change_logs,
    fifo_arrival,
    list_keep,
    q_new,
    q_pop,
    role_of,
)


# -- the detection, the notice ------------------------------------------------------------
@njit(**JIT_NORC)
def set_v_star(I):
    """``run.v_star`` and ``run.ext_star``: what is validated now (a snapshot)."""
    # reads R passed levels, CO; writes R.v_star, R.ext_star, LV (a snapshot row)
    v_star, ext_star = validated_now(I)
    wr(I, R0 + R_V_STAR, lv_snap(I, v_star))
    wr(I, R0 + R_EXT_STAR, ext_star)


@njit(**JIT_NORC)
def start(I, D, trigger, d_notice):
    """``executed._start``: the first detection; the notice leaves for every other process
    (with ``d_notice``, the failing output's ``d_notify``; FIFO with the trigger's
    messages under ``Rules.notify_fifo``)."""
    # reads F.now, F.delay_max, LD; writes R.recovering, M.t_detect, M.outcome, F.d_notice,
    # F.delay_max, R.v_star, R.ext_star, P[q] notice, R.n_notices, the heap
    now = rd(D, F_NOW)
    wr(I, R0 + R_RECOVERING, np.int64(1))
    wr(D, MF_T_DETECT, now)
    wr(I, R0 + M_OUTCOME, OUT_RECOVERED)
    wr(D, F_D_NOTICE, d_notice)
    dm = rd(D, F_DELAY_MAX)   # max(delay_max, d_notice, shadow_lag)
    if d_notice > dm:
        dm = d_notice
    if rd(D, FP_LAG) > dm:
        dm = rd(D, FP_LAG)
    wr(D, F_DELAY_MAX, dm)
    if rd(I, IP_TWO_PHASE) == 0:   # a one-shot distribution: what is validated now
        set_v_star(I)
    mid = rd(I, R0 + R_NMSG)
    for q in range(2 * rd(I, IP_NLOW) + rd(I, IP_NACT)):
        role = role_of(I, q)
        if q == trigger or (role != LOW and role != ACT and role != SDW) \
                or rd(I, pp(q, P_MODE)) == MODE_RECOVERED:
            continue
        wr(I, pp(q, P_NOTICE_MID), mid)
        wr(I, pp(q, P_NOTICE_ORIGIN), trigger)
        wr(I, R0 + R_N_NOTICES, rd(I, R0 + R_N_NOTICES) + 1)
        heap_push(I, D, fifo_arrival(I, D, trigger, q, now + d_notice), HEAP_NOTICE, q)


@njit(**JIT_NORC)
def invoke(I, D, trigger, d_notice):
    """``executed.invoke``: ``error_recovery`` invoked by ``trigger``; a detection while a
    recovery is under way makes its process join at once."""
    # writes what start and notice write
    if rd(I, R0 + R_RECOVERING) == 0:
        start(I, D, trigger, d_notice)
    call_rule(I, IP_ADDR_NOTICE, (I, D, trigger))   # compiled apart (kernels/cold.py)


@njit(**JIT_NORC)
def pop_notice(I, q):
    """``run.notices.pop(q, None)``."""
    # reads and writes P[q] notice, R.n_notices
    if rd(I, pp(q, P_NOTICE_MID)) >= 0:
        wr(I, pp(q, P_NOTICE_MID), np.int64(-1))
        wr(I, pp(q, P_NOTICE_ORIGIN), np.int64(-1))
        wr(I, R0 + R_N_NOTICES, rd(I, R0 + R_N_NOTICES) - 1)


@njit(**JIT_NORC)
def notice(I, D, q):
    """``executed.notice``: the recovery notice reaches ``q`` (or ``q`` detected the
    error).  G_low stops as one (Figure 2's exit(error) of the virtual component, D6);
    under the two-phase recovery ``q`` stops, else it recovers.  Once nobody waits for
    a notice, the release leaves for every stopped process, two notice delays later."""
    # reads P[q] mode, R; writes P modes and notices, R.n_stopped, R.release_sent, the
    # heap, what member_stopped and recover_process write
    if rd(I, pp(q, P_MODE)) != MODE_RUN or rd(I, R0 + R_ENDED) != 0:
        return
    pop_notice(I, q)
    n_procs = 2 * rd(I, IP_NLOW) + rd(I, IP_NACT)
    two_phase = rd(I, IP_TWO_PHASE) != 0
    if role_of(I, q) == LOW:
        for p in range(n_procs):
            if role_of(I, p) == LOW and rd(I, pp(p, P_MODE)) != MODE_RECOVERED:
                wr(I, pp(p, P_MODE), MODE_RECOVERED)
                wr(I, pp(p, P_REC_MID), rd(I, R0 + R_NMSG))
                pop_notice(I, p)
                call_rule(I, IP_ADDR_MEMBER_STOPPED, (I, D, p))   # kernels/cold.py
    elif two_phase:
        wr(I, pp(q, P_MODE), MODE_STOPPED)
        wr(I, R0 + R_N_STOPPED, rd(I, R0 + R_N_STOPPED) + 1)
    else:
        call_rule(I, IP_ADDR_RECOVER_PROCESS, (I, D, q))   # kernels/cold.py
    if two_phase and rd(I, R0 + R_N_NOTICES) == 0 and rd(I, R0 + R_RELEASE_SENT) == 0:
        wr(I, R0 + R_RELEASE_SENT, np.int64(1))
        t = rd(D, F_NOW) + 2 * rd(D, F_D_NOTICE)
        for p in range(n_procs):
            if rd(I, pp(p, P_MODE)) == MODE_STOPPED:
                heap_push(I, D, t, HEAP_RELEASE, p)


@njit(**JIT_NORC)
def member_stopped(I, D, low_p):
    """``sdw.member_stopped``: member ``low_p`` is gone; its shadow waits for it no more
    (its twin rows ahead are made, its waiting inputs delivered)."""
    # reads P[sdw] queues; writes what release_ahead and deliver write
    q = rd(I, IP_NLOW) + rd(I, IP_NACT) + low_p
    while rd(I, pp(q, P_AH_LEN)) > 0 and rd(I, R0 + R_ENDED) == 0:
        release_ahead(I, D, q)
    while rd(I, pp(q, P_WT_HEAD)) >= 0 and rd(I, R0 + R_ENDED) == 0:
        deliver(I, D, q, rd(I, q_pop(I, q, P_WT_HEAD) + QE_B))


@njit(**JIT_HOT)
def deliver(I, D, p, mid):
    """``engine._deliver``: ``p`` gets ``mid`` by its role's reception rule, or as a
    process that has stopped (kept for the release), recovered, or gone (G_low)."""
    # reads P[p] mode; writes the reception's rows, or P[p] buffer
    mode = rd(I, pp(p, P_MODE))
    role = role_of(I, p)
    if mode == MODE_RUN:
        if role == LOW:
            low_receive(I, p, mid)
        elif role == ACT:
            receive(I, D, p, ACT, mid)
        else:
            sdw_receive(I, D, p, mid)
    elif mode == MODE_STOPPED:
        row = q_new(I, p, P_BUF_HEAD)
        if row >= 0:
            wr(I, row + QE_A, mid)
    elif role != LOW:
        receive_recovered(I, D, p, mid)


# -- a process recovers ---------------------------------------------------------------------
@njit(**JIT_NORC)
def recover_process(I, D, q):
    """``executed.recover_process``: ``q`` rolls back or forward (Section 3.2): the notes
    in flight at detection (R3), the distributed validation (``coordinated_recovery``),
    the rollback to the family's restore point, for a shadow the takeover.  It is then
    clean for good: no checkpoint, no log (G_low is gone)."""
    # reads R.v_star, ext_star, F detection; writes P[q] (mode, rec_mid, lists, dirty, V),
    # what drain_notifications, validate, rollback and takeover write
    role = role_of(I, q)
    c_rec = rd(I, IP_COORDINATED_RECOVERY) != 0
    if rd(I, IP_DRAIN_NOTIFICATIONS) != 0:
        drain_notifications(I, D, q, rd(D, MF_T_DETECT))
    wr(I, pp(q, P_MODE), MODE_RECOVERED)
    wr(I, pp(q, P_REC_MID), rd(I, R0 + R_NMSG))
    v_star = rd(I, R0 + R_V_STAR)
    if c_rec:
        validate(I, D, q, role, v_star, rd(I, R0 + R_EXT_STAR))
        if role == SDW:
            wr(I, pp(q, P_IVR), lv_join(I, rd(I, pp(q, P_IVR)), v_star))
            wr(I, pp(q, P_EXT_IVR), max(rd(I, pp(q, P_EXT_IVR)), rd(I, R0 + R_EXT_STAR)))
    c, n_repl, n_sent, n_twins = restore_point(I, D, q)
    if c >= 0:
        rollback(I, D, q, c, n_repl, n_sent, n_twins)
    change_ckpts(I, -rd(I, pp(q, P_CK_LEN)))
    change_logs(I, D, np.int64(0), -rd(I, pp(q, P_LG_LEN)))
    for f in (P_CK_HEAD, P_CK_TAIL, P_LG_HEAD, P_LG_TAIL):
        wr(I, pp(q, f), np.int64(-1))
    wr(I, pp(q, P_CK_LEN), np.int64(0))
    wr(I, pp(q, P_LG_LEN), np.int64(0))
    wr(I, pp(q, P_DIRTY), np.int64(0))
    wr(I, pp(q, P_PRGT), np.int64(0))
    if c_rec:   # V* (joined with ivr_low for a shadow)
        v = lv_snap(I, v_star)
        if role == SDW:
            v = lv_join(I, v, rd(I, pp(q, P_IVR)))
    else:       # what it knows: ivr_low for a shadow, v_known for a G_act process
        v = lv_snap(I, rd(I, pp(q, P_IVR if role == SDW else P_V_KNOWN)))
    wr(I, pp(q, P_V), v)
    if role == SDW:
        takeover(I, D, q)


@njit(**JIT_NORC)
def rollback(I, D, q, c, n_repl, n_sent, n_twins):
    """``executed.rollback``: restore checkpoint ``c``, replay ``RL[:n_repl]``, undo what
    came after (sends from ``n_sent`` on and shadow twins from ``n_twins`` on: the cut
    ``P[q].cut_*``; a G_act process's outputs after ``c`` are emitted again unless
    ``suppress_redone_outputs`` finds the device has them).

    Holdings: a message ``q`` consumed at or after ``c`` leaves ``q``'s ``consumed``
    list (``MS_HOLDX = -1``); its replay puts it back (0), a replay of a message ``q``
    still holds makes it held twice (+1), as the reference's list does."""
    # reads CK[c], D_CKT, RL, MS, OD; writes M rollback metrics, MS holdings, P[q] (n_recv,
    # err, level, cut), what consume and act_output_copy write, P[q] sender logs
    dist = rd(D, F_NOW) - rd(D, D_CKT + c)
    ck = rd(I, H_CK) + c * N_CK
    c_nrecv = rd(I, ck + CK_NRECV)
    wr(I, R0 + M_ROLLBACK_PROCS, rd(I, R0 + M_ROLLBACK_PROCS) + 1)
    dmax = rd(D, MF_ROLLBACK_DIST_MAX)
    if dmax != dmax or dist > dmax:   # NaN: the first rollback
        wr(D, MF_ROLLBACK_DIST_MAX, dist)
    wr(D, MF_ROLLBACK_DIST_SUM, rd(D, MF_ROLLBACK_DIST_SUM) + dist)
    wr(I, R0 + M_ROLLBACK_EVENTS_MAX,
       max(rd(I, R0 + M_ROLLBACK_EVENTS_MAX), rd(I, pp(q, P_NRECV)) - c_nrecv))
    wr(I, R0 + M_N_REPLAYED, rd(I, R0 + M_N_REPLAYED) + n_repl)
    ms = rd(I, H_MS)
    for mid in range(rd(I, R0 + R_NMSG)):   # consumed = consumed[:c.n_recv]
        m = ms + mid * N_MS
        if rd(I, m + MS_DST) == q and rd(I, m + MS_DELIVERED) != 0 \
                and rd(I, m + MS_CONSUME_ORD) >= c_nrecv:
            wr(I, m + MS_HOLDX, np.int64(-1))
    wr(I, pp(q, P_NRECV), c_nrecv)
    wr(I, pp(q, P_ERR), rd(I, ck + CK_ERR))
    wr(I, pp(q, P_LEVEL), lv_assign(I, rd(I, pp(q, P_LEVEL)), rd(I, ck + CK_LEVEL_BEFORE)))
    wr(I, pp(q, P_CUT_SENT), n_sent)
    wr(I, pp(q, P_CUT_TWINS), n_twins)
    for i in range(n_repl):
        mid = rd(I, rd(I, H_RL) + i)
        m = ms + mid * N_MS
        if rd(I, m + MS_DELIVERED) != 0:
            wr(I, m + MS_HOLDX, 0 if rd(I, m + MS_HOLDX) < 0 else rd(I, m + MS_HOLDX) + 1)
        consume(I, D, q, mid)
    role = role_of(I, q)
    if role == ACT:
        redone = rd(I, IP_SUPPRESS_REDONE_OUTPUTS) != 0
        for o in range(rd(I, ck + CK_NOUT), rd(I, pp(q, P_NOUT))):
            if not (redone and od_row(I, q, o) >= 0):
                act_output_copy(I, q, o)
    elif role == SDW:
        n = rd(I, pp(q, P_TI_LEN)) + rd(I, pp(q, P_TE_LEN))
        tw = rd(I, H_TW)
        list_keep(I, q, P_TI_HEAD, tw, N_TW, TW_NEXT, TW_ORD, n_twins, np.int64(2))
        list_keep(I, q, P_TE_HEAD, tw, N_TW, TW_NEXT, TW_ORD, n_twins, np.int64(2))
        change_logs(I, D, rd(I, pp(q, P_TI_LEN)) + rd(I, pp(q, P_TE_LEN)) - n, np.int64(0))


@njit(**JIT_NORC)
def takeover(I, D, q):
    """``executed.takeover``: shadow ``q`` re-sends its logs (messages to their G_act
    process with the delay their cluster message had, outputs to the device), then the
    twins its rollback undid are made again from the restored state."""
    # reads P[q] sender logs and cut, TW; writes what send_twin, twin_output_copy,
    # twin_send and twin_output write, P[q] sender logs, log counters
    tw = rd(I, H_TW)
    for f_head in (P_TI_HEAD, P_TE_HEAD):
        w = rd(I, pp(q, f_head))
        while w >= 0:
            row = tw + w * N_TW
            wr(I, R0 + M_N_RESENT, rd(I, R0 + M_N_RESENT) + 1)
            if f_head == P_TI_HEAD:
                send_twin(I, D, q, rd(I, row + TW_DST), rd(I, row + TW_K), rd(I, row + TW_ERR))
            else:
                twin_output_copy(I, D, rd(I, row + TW_E), rd(I, row + TW_ERR))
            w = rd(I, row + TW_NEXT)
    change_logs(I, D, -rd(I, pp(q, P_TI_LEN)) - rd(I, pp(q, P_TE_LEN)), np.int64(0))
    for f in (P_TI_HEAD, P_TI_TAIL, P_TE_HEAD, P_TE_TAIL):
        wr(I, pp(q, f), np.int64(-1))
    wr(I, pp(q, P_TI_LEN), np.int64(0))
    wr(I, pp(q, P_TE_LEN), np.int64(0))
    cut = rd(I, pp(q, P_CUT_TWINS))
    if cut < 0:
        return
    for w in range(rd(I, R0 + R_NTW)):   # the twins its rollback undid, in order
        row = tw + w * N_TW
        if rd(I, row + TW_SDW) != q or rd(I, row + TW_ORD) < cut:
            continue
        if rd(I, row + TW_K) != 0:
            twin_send(I, D, q, rd(I, row + TW_DST), rd(I, row + TW_K), rd(I, row + TW_INDEX))
        else:
            twin_output(I, D, q, rd(I, row + TW_E), rd(I, row + TW_INDEX))


@njit(**JIT_NORC)
def consume(I, D, q, mid):
    """``executed.consume``: ``q`` consumes ``mid`` outside Figures 3 and 4 (a replay, or
    after recovery); the delivery gets its rank, as in ``coordinated.receive`` (a line's
    channel is what was not delivered at the line)."""
    # reads MS[mid].level; writes MS[mid] reception and rank, R.dseq, P[q] reception, level
    application_msg_reception(I, q, mid)
    m = rd(I, H_MS) + mid * N_MS
    wr(I, m + MS_DSEQ, rd(I, R0 + R_DSEQ))
    wr(I, R0 + R_DSEQ, rd(I, R0 + R_DSEQ) + 1)
    wr(I, pp(q, P_LEVEL), lv_join(I, rd(I, pp(q, P_LEVEL)), rd(I, m + MS_LEVEL)))


@njit(**JIT_NORC)
def receive_recovered(I, D, q, mid):
    """``executed.receive_recovered``: D4 made local, the family says what to drop
    (``Family.discards``); else ``q`` consumes it."""
    # reads MS[mid]; writes M.n_discarded or what consume writes, R.post_err
    if discards(I, q, mid):
        wr(I, R0 + M_N_DISCARDED, rd(I, R0 + M_N_DISCARDED) + 1)
        return
    consume(I, D, q, mid)
    if rd(I, rd(I, H_MS) + mid * N_MS + MS_ERR) != 0:
        wr(I, R0 + R_POST_ERR, rd(I, R0 + R_POST_ERR) + 1)


# -- the end of the window -------------------------------------------------------------------
@njit(**JIT_NORC)
def is_quiet(I, D):
    """``executed.is_quiet``: nobody waits for a notice or a release, the shadows made
    a twin of every cluster message and output, and no message sent before its sender
    recovered, nor a re-sent twin, is in flight to G_act or G_sdw (a heap scan, last)."""
    # reads R counters, the heap, MS, P[src].rec_mid
    if rd(I, R0 + R_N_NOTICES) > 0 or rd(I, R0 + R_N_STOPPED) > 0:
        return False
    if rd(I, R0 + R_INT_SDW) < rd(I, R0 + R_ORIG_MAX) or \
            rd(I, R0 + R_EXT_SDW) < rd(I, R0 + R_CO_MAX):
        return False
    ms = rd(I, H_MS)
    for i in range(rd(I, R0 + R_HN)):
        code = rd(I, rd(I, H_IT) + rd(I, rd(I, H_HS) + i))
        if code & HEAP_KIND_MASK != HEAP_DELIVER:
            continue
        mid = code >> HEAP_BITS
        m = ms + mid * N_MS
        src = rd(I, m + MS_SRC)
        if role_of(I, rd(I, m + MS_DST)) != LOW and (
                mid < rd(I, pp(src, P_REC_MID))
                or (role_of(I, src) == SDW and rd(I, m + MS_K) != 0)):
            return False
    return True


@njit(**JIT_NORC)
def window_cap(I, D):
    """The end of the window: ``t_detect + after_recovery * delay_max``."""
    # reads M.t_detect, F.delay_max
    return rd(D, MF_T_DETECT) + rd(D, FP_AFTER_RECOVERY) * rd(D, F_DELAY_MAX)


@njit(**JIT_NORC)
def end_window(I, D, quiet):
    """``executed.end_window``: the run ends, quiet or at the window's cap (what is
    outstanding is counted as it will be); the oracle judges it."""
    # reads F.now; writes R.ended, M.t_end, M.rollback_dist_max, M.recovery_latency, what
    # quiet_inputs and quiet.check_quiet write
    now = rd(D, F_NOW)
    wr(I, R0 + R_ENDED, np.int64(1))
    wr(D, MF_T_END, now)
    if rd(D, MF_ROLLBACK_DIST_MAX) != rd(D, MF_ROLLBACK_DIST_MAX):   # NaN: nobody rolled back
        wr(D, MF_ROLLBACK_DIST_MAX, 0.0)
    if quiet:
        wr(D, MF_RECOVERY_LATENCY, now - rd(D, MF_T_DETECT))
    if quiet_inputs(I):
        check_quiet(I, D)


@njit(**JIT_NORC)
def quiet_inputs(I):
    """The family's say for ``quiet.check_quiet``: ``REPL[mid]`` (0 outside) counts the
    times a buffer or ``waiting`` queue holds ``mid`` and, for a message in flight, 1
    unless its recovered receiver will drop it (``Family.discards``); ``KF[k]`` is 1
    when the twin of original ``k``, not made yet, will be suppressed
    (``Family.suppresses``).  False if ``KF`` is too small."""
    # reads P queues, the heap, MS, TN, P modes; writes REPL, KF
    n_low = rd(I, IP_NLOW)
    n_procs = 2 * n_low + rd(I, IP_NACT)
    repl = rd(I, H_REPL)
    ms = rd(I, H_MS)
    for p in range(n_procs):
        role = role_of(I, p)
        if role != ACT and role != SDW:
            continue
        for f_head in (P_BUF_HEAD, P_WT_HEAD):
            it = rd(I, pp(p, f_head))
            while it >= 0:
                row = rd(I, H_QE) + it * N_QE
                mid = rd(I, row + (QE_A if f_head == P_BUF_HEAD else QE_B))
                wr(I, repl + mid, rd(I, repl + mid) + 1)
                it = rd(I, row + QE_NEXT)
    for i in range(rd(I, R0 + R_HN)):
        code = rd(I, rd(I, H_IT) + rd(I, rd(I, H_HS) + i))
        if code & HEAP_KIND_MASK == HEAP_DELIVER:
            mid = code >> HEAP_BITS
            dst = rd(I, ms + mid * N_MS + MS_DST)
            if not (rd(I, pp(dst, P_MODE)) == MODE_RECOVERED and discards(I, dst, mid)):
                wr(I, repl + mid, rd(I, repl + mid) + 1)
    n_k = max(rd(I, R0 + R_INT_SDW), rd(I, R0 + R_N_LOW_ACT)) + 1
    if n_k > rd(I, H_CAP_R):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return False
    kf = rd(I, H_KF)
    for k in range(n_k):
        wr(I, kf + k, np.int64(0))
    for k in range(rd(I, R0 + R_INT_SDW) + 1, rd(I, R0 + R_N_LOW_ACT) + 1):
        orig = rd(I, rd(I, H_TN) + k)
        if orig < 0:
            continue
        sdw = rd(I, ms + orig * N_MS + MS_SRC) + n_low + rd(I, IP_NACT)
        if rd(I, pp(sdw, P_MODE)) == MODE_RECOVERED and \
                suppresses(I, sdw, k, rd(I, ms + orig * N_MS + MS_LEVEL)):
            wr(I, kf + k, np.int64(1))
    return True
