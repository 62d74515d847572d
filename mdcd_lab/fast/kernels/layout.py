"""Every slot and offset the kernels share, and the per-thread arenas.

* parameter vectors: ``fp`` (``FP_*``, float) and ``ip`` (``IP_*``, int, one
  slot per rule switch), filled by ``fast/engine.py: scenario_params``; they are
  also the first slots of the arenas ``D`` and ``I``;
* the layout of the arenas (header ``H_*``, run integers ``R_*``, process rows
  ``P_*``, pool rows ``CK_*``, ``LG_*``, ``TW_*``, ``MS_*``, ``LN_*`` ...), built
  by ``alloc_state``;
* the metric slots, generated from [`mdcd_lab.metrics`][mdcd_lab.metrics]: the integer-valued
  metrics (``INT_METRICS``, ``outcome`` as its code) are the run integers
  ``R0 + M_<NAME>`` (``M_ORPHANS``, ...) and the floating-point ones
  (``FLOAT_METRICS``) the floats ``D[MF_<NAME>]`` (``MF_T_END``, ...), in the
  schema's order, which is also the order of the output rows ``OI`` / ``OF``.
  ``engine.reset_state`` starts them at the schema's defaults, the protocol code
  counts and sets them by name, ``engine.play_run`` adds the derived ones and
  ``engine.collect`` copies the blocks.  Adding a metric is a row in
  ``metrics.py`` plus the code that computes it (in both engines);
* the accessors ``rd`` / ``wr`` (``A[i]`` with an unsigned index: no
  negative-index wraparound code) and ``pp`` (index of a process field).

Reference structure -> flat counterpart: ``Proc`` -> a row of ``P``;
``ckpt_array``, ``rcv_msg_log``, ``int_msg_log``, ``ext_msg_log`` -> singly
linked lists (head, tail, length in ``P``) through append-only pools ``CK``,
``LG``, ``TW``; ``Msg`` -> a row of ``MS`` (index = message id); the floats of
``Run`` -> ``F_*`` in ``D``; ``Note`` -> a row of ``NT``; the queues of ``Proc``
(``ahead``, ``waiting``, ``buffer``, ``deferred``) -> lists through the pool ``QE``.
See docs/scaling.md.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from ...constants import OUTCOMES, PIGGYBACK_COUNTER_BYTES, PIGGYBACK_FLAG_BYTES
from ...metrics import ENGINE_METRICS, FLOAT_METRICS, INT_METRICS
from .._config import JIT, JIT_NORC
from .intrinsics import call_c, rd, wr  # rd, wr: every rule imports them from here

# float parameters ``fp`` (also the first N_FP slots of the float arena D)
FP_HORIZON, FP_TOTAL, FP_W0 = 0, 1, 2          # FP_W0 .. FP_W0 + 7: category weights
FP_LATENCY, FP_LAG, FP_COVERAGE, FP_COMPENSATION = 10, 11, 12, 13
FP_CUM0 = 14       # FP_CUM0 .. FP_CUM0 + 7: running sums w0, w0 + w1, ... (reference order)
FP_COORD_PERIOD = 22
# FP_HORIZON is the end of the trace (the mission's end if ``Scenario.mission`` is set);
# FP_GUARD_END the end of guarded operation (the horizon phi; 0 under "unguarded")
FP_GUARD_END = 23
# FP_WINDOW: the horizon phi, the window of the realised means (delivery_delay_mean,
# twin_offset_mean); FP_GROWTH: Scenario.fault_growth (Goel-Okumoto thinning of faults)
FP_WINDOW, FP_GROWTH = 24, 25
# FP_AFTER_RECOVERY: Scenario.after_recovery, the cap of executed recovery's window as a
# multiple of the longest delay
FP_AFTER_RECOVERY = 26
N_FP = 27
# int parameters ``ip`` (also the first N_IP slots of the int arena I)
IP_NLOW, IP_NACT, IP_SCOPE_CLUSTER = 0, 1, 2
IP_RECLAIM_BY_INTERVAL, IP_PRGT_OUT_ON_LOW_SEND, IP_LOG_ALL_WHEN_DIRTY = 3, 4, 5
IP_COORDINATED_RECOVERY, IP_OUTPUTS_BY_COUNT, IP_SUPPRESS_REDONE_OUTPUTS = 6, 7, 8
IP_CHECKPOINT_EVERY_RECEIVE, IP_MSG_BYTES, IP_S2_CHECKPOINTS, IP_DEDUP_REGENERATED = 9, 10, 11, 12
IP_UNCLUSTERED, IP_COORDINATED_CKPT, IP_N_LINES = 13, 14, 15   # N_LINES: line events
IP_CKPT_INDEX_BY_TRIGGER, IP_RECLAIM_VALIDATED_TWINS, IP_S2_EVERY_LEVEL = 16, 17, 18
IP_NON_FIFO = 19   # Scenario.channel == "non-fifo"
IP_UNGUARDED = 20
IP_PER_MEMBER = 21   # "mdcd-vector": levels are per-member vectors (kernels/levels.py)
# the readings R1-R4 and the two-phase recovery (protocols.Rules), Scenario.recovery
IP_NOTIFY_FIFO, IP_AWARE_OF_VALIDATED, IP_DRAIN_NOTIFICATIONS = 22, 23, 24
IP_TWINS_IN_MEMBER_ORDER, IP_RECOVERY_BARRIER, IP_EXECUTED = 25, 26, 27
# derived once by scenario_params: notes keep their place on the channel (notify_fifo on a
# FIFO channel); the two-phase recovery (coordinated_recovery and recovery_barrier); the
# channels' last deliveries are kept (notes FIFO, or executed recovery on FIFO channels)
IP_FIFO_NOTES, IP_TWO_PHASE, IP_TRACK_LD = 28, 29, 30
# addresses of the rules compiled apart (``kernels/cold.py``), written by ``drivers`` in
# the process that runs the kernels (0: not loaded); ``scenario_params`` leaves them 0
IP_ADDR_NOTICE, IP_ADDR_INVOKE, IP_ADDR_RELEASE, IP_ADDR_END_WINDOW = 31, 32, 33, 34
IP_ADDR_RECOVER = 35
IP_ADDR_SCHEDULE_LINES, IP_ADDR_TAKE_LINE, IP_ADDR_VALIDATE_LINES = 36, 37, 38
IP_ADDR_COORDINATED_RECEIVE, IP_ADDR_COORDINATED_VALIDATE = 39, 40
IP_ADDR_MEMBER_STOPPED, IP_ADDR_RECOVER_PROCESS = 41, 42   # called by the rules above
# the event loop compiled apart (``cold.LOOP``: ``engine.play_run``), called by the drivers
IP_ADDR_PLAY_RUN = 43
N_IP = 44

# -- I header: ip (0 .. N_IP - 1), then base offsets of the pools ---------------------
(H_CK, H_MS, H_LG, H_TW, H_HS, H_IT, H_NT, H_OD, H_CO, H_TWO, H_RST, H_CAS, H_RPE,
 H_REPL, H_KF, H_EF, H_CUT, H_LN, H_TN, H_HELD, H_LV, H_QE, H_HELD_RUN, H_DT, H_RL, H_NPN,
 H_CAP_M, H_CAP_R, H_HT, H_CAP_H, H_CAP_LV, H_CAP_NT, H_CAP_QE, H_DNT, H_DQE, H_DTND,
 H_DLD, H_NPROCS) = range(N_IP, N_IP + 38)
HDR = N_IP + 38
# H_NPN: NPN[src * n_procs + dst], the notes src sent to dst not applied yet (a
# delivery on that channel has no FIFO note to apply first while it is 0)
# -- run integers R at R0 -------------------------------------------------------------
(R_INT_LOW, R_EXT_LOW, R_INT_SDW, R_EXT_SDW, R_SEQ, R_HN, R_NMSG, R_NCK, R_NLG, R_NTW,
 R_NNT, R_NOD, R_ENDED, R_NPASSED, R_PASSED_MAX, R_CK_NOW, R_LOG_S, R_LOG_R, R_STAMP,
 R_TOKEN, R_CO_MAX, R_ERROR, R_N_LOW_ACT, R_L0, R_NL, R_DSEQ,
 R_PENDING_VALIDATE, R_PENDING_RECOVERY, R_LV_N,
 # executed recovery (kernels/executed.py) and the queues of R4 and the two-phase recovery
 R_NQE, R_PENDING_TRIGGER, R_RECOVERING, R_RELEASED, R_RELEASE_SENT, R_N_NOTICES,
 R_N_STOPPED, R_V_STAR, R_EXT_STAR, R_LINE, R_HELD_N, R_POST_ERR, R_ORIG_MAX,
 R_DT_MAX, R_HEAP_TREE) = range(44)
#: The integer-valued metrics follow the run state: ``R0 + R_M0 + k`` is INT_METRICS[k].
R_M0 = 44
N_OUT_I = len(INT_METRICS)
N_R = R_M0 + N_OUT_I
R0 = HDR
# -- processes P at P0: one row of N_P per process ------------------------------------
(P_DIRTY, P_PRGT, P_LEVEL, P_IVR, P_EXT_IVR, P_V_KNOWN, P_NCKPT, P_ERR, P_UNSAFE, P_NRECV,
 P_NSENT, P_NTWINS, P_NOUT, P_CK_HEAD, P_CK_TAIL, P_CK_LEN, P_LG_HEAD, P_LG_TAIL,
 P_LG_LEN, P_TI_HEAD, P_TI_TAIL, P_TI_LEN, P_TE_HEAD, P_TE_TAIL, P_TE_LEN,
 P_MSN_OWN,
 # the notes sent to it and not applied yet (a list through NT, in creation order)
 P_NT_HEAD, P_NT_TAIL,
 # R4 (Proc.boundary, made, rows_seen, ahead, waiting) and executed recovery (Proc.recovered
 # and stopped as P_MODE, V, buffer, deferred, its pending notice (message id at the
 # detection, origin), P_REC_MID: messages from mid P_REC_MID on were sent after it
 # recovered, P_CUT_*: its rollback's cut, -1 if it did not roll back)
 P_MODE, P_V, P_BOUNDARY, P_MADE, P_ROWS_SEEN, P_AH_HEAD, P_AH_TAIL, P_AH_LEN, P_WT_HEAD,
 P_WT_TAIL, P_BUF_HEAD, P_BUF_TAIL, P_DEF_HEAD, P_DEF_TAIL, P_NOTICE_MID, P_NOTICE_ORIGIN,
 P_REC_MID, P_CUT_SENT, P_CUT_TWINS) = range(47)
N_P = 47
#: ``P_MODE``: running, stopped (two-phase recovery), recovered (a G_low process: gone)
MODE_RUN, MODE_STOPPED, MODE_RECOVERED = 0, 1, 2
#: ``P_REC_MID`` of a process that has not recovered: every message is sent before
NEVER = 1 << 62
P0 = R0 + N_R
# -- pools (rows of N_* ints from the base offset in the header) ------------------------
(CK_INDEX, CK_LEVEL_BEFORE, CK_NRECV, CK_NSENT, CK_NTWINS, CK_NOUT, CK_ERR, CK_ORD,
 CK_NEXT, CK_STAMP) = range(10)
N_CK = 10
LG_INDEX, LG_MID, LG_CKPT, LG_NEXT = range(4)       # LG_CKPT: a CK row, -1 for none
N_LG = 4
TW_SDW, TW_INDEX, TW_ORD, TW_ERR, TW_K, TW_E, TW_NEXT, TW_DST = range(8)
N_TW = 8
# MS_HOLDX corrects MS_DELIVERED into the times the message is held (executed recovery):
# -1 consumed, then cut off by its receiver's rollback; +1 replayed while still held
(MS_SRC, MS_DST, MS_DIRTY, MS_LEVEL, MS_ERR, MS_SEND_ORD, MS_K, MS_CONSUME_ORD,
 MS_DELIVERED, MS_RECV_NSENT, MS_RECV_NTWINS, MS_TWIN_NO, MS_DSEQ, MS_HOLDX) = range(14)
N_MS = 14
# "coordinated" lines: level, messages created before the line, delivery count at the
# line (a message is in its channel iff created before and not yet delivered then),
# channel size, member count, base CK row (row of process p: base + p; time in D_CKT)
LN_LEVEL, LN_NMSG, LN_DSTAMP, LN_NCHAN, LN_NMEM, LN_CK = range(6)
N_LN = 6
# "passed AT" notes, one per notification and recipient (common.notify): level, output
# count, origin, recipient, place among the messages (R_NMSG when sent), applied, next
# pending note of the recipient, first note of the notification, in its group item
NT_VINT, NT_VEXT, NT_ORIGIN, NT_DST, NT_MID, NT_DONE, NT_NEXT, NT_FIRST, NT_GROUP = range(9)
N_NT = 9
# queue items (R4's ahead and waiting, a stopped process's buffer and deferred rows):
# next item, up to five ints, and N_QF floats at H_DQE
QE_NEXT, QE_A, QE_B, QE_C, QE_D, QE_E = range(6)
N_QE = 6
N_QF = 4
N_OD = 3     # process, output ordinal delivered, copies the device has
CO_TOKEN, CO_LEVEL, CO_OK = range(3)                # cluster outputs by e
N_CO = 3
N_TWO = 2    # twin outputs by e: token, TW row
N_EF = 2     # by e: in a re-sent log, undone
N_DT = 2     # by e: token, copies of twin output e the device has (executed recovery)
#: piggyback size model (docs/metrics.md): bytes of a dirty_bit and of one counter
PB_FLAG, PB_COUNTER = PIGGYBACK_FLAG_BYTES, PIGGYBACK_COUNTER_BYTES
# "mdcd-vector" level rows (kernels/levels.py): each process owns LV_OWNED rows (its
# int_mSN_G_low, v_known, ivr_low: rows LV_OWNED * p + LV_LEVEL ...), then the run's
# own rows (the join of the passed levels; at recovery the shadows' own numbers and the
# join of their ivr_low), then the snapshots
LV_LEVEL, LV_V_KNOWN, LV_IVR = range(3)
LV_OWNED = 3
LV_PASSED, LV_MADE, LV_IVR_ALL = range(3)   # offsets after the processes' rows
LV_RUN_ROWS = 3
# -- D: fp (0 .. N_FP - 1), then the run floats F, then checkpoint times, heap times ----
F_NOW, F_LOG_AREA, F_LOG_T, F_DELAY_MAX, F_D_NOTICE, F_PENDING_DN = range(N_FP, N_FP + 6)
#: The floating-point metrics: ``D[F_M0 + k]`` is FLOAT_METRICS[k].
F_M0 = N_FP + 6
N_OUT_F = len(FLOAT_METRICS)
D_CKT = F_M0 + N_OUT_F

#: Error codes left in ``R_ERROR`` (a capacity was exceeded: never expected, the
#: capacities are upper bounds derived from the number of rows).
ERR_NONE, ERR_CAPACITY = 0, 1
#: ``engine.play_run``'s code for a run whose next row was dropped by ``gen.generate_run``
#: (its buffers were full): the caller grows them and plays the run again.
ERR_MORE_ROWS = 3
#: A rule compiled apart (or the event loop: ``drivers.play``) was called but not loaded
#: (its address slot is 0): a bug of ``drivers`` / ``cold.needed``.
ERR_NO_RULE = 4

#: An item of the event heap, ``IT[seq]`` (``heap.heap_push``), holds
#: ``payload << HEAP_BITS | kind``: its kind (``HEAP_DELIVER``, ``HEAP_NOTIFY``,
#: ``HEAP_TIMER``, ``HEAP_NOTICE``, ``HEAP_RELEASE`` of ``mdcd_lab.constants``, as in
#: the reference's heap) in the low bits.
HEAP_BITS, HEAP_KIND_MASK = 3, 7
#: The event heap is an array sorted from the latest item to the earliest while it holds
#: at most ``HEAP_SORTED_MAX`` items, a binary heap above (``R_HEAP_TREE`` = 1) until a
#: pop leaves ``HEAP_SORTED_BACK`` (``heap.heap_push``).
HEAP_SORTED_MAX, HEAP_SORTED_BACK = 64, 8

# -- metric slots, generated from metrics.py ---------------------------------------------
_DEFAULTS = {m.name: m.default for m in ENGINE_METRICS}
#: Schema defaults of the integer-valued metrics (``outcome``: its code), in slot order.
INT_DEFAULTS = tuple(OUTCOMES.index(_DEFAULTS[n]) if n == "outcome" else int(_DEFAULTS[n])
                     for n in INT_METRICS)
#: Schema defaults of the floating-point metrics, in slot order.
FLOAT_DEFAULTS = tuple(float(_DEFAULTS[n]) for n in FLOAT_METRICS)
#: ``M_<NAME>``: offset from ``R0`` of int metric ``name``; ``MF_<NAME>``: index in ``D``
#: of float metric ``name`` (module globals, so numba reads them as constants).
METRIC_SLOTS = {**{f"M_{n.upper()}": R_M0 + k for k, n in enumerate(INT_METRICS)},
                **{f"MF_{n.upper()}": F_M0 + k for k, n in enumerate(FLOAT_METRICS)}}
globals().update(METRIC_SLOTS)


@njit(**JIT_NORC)
def call_rule(I, slot, args):
    """Call the rule compiled apart whose address is in ``I[slot]`` (an ``IP_ADDR_*``
    slot) with ``args``: the cold rules of the event loop (``kernels/cold.py``) are
    called through their addresses, so the loop's compiled code neither contains nor
    re-optimises them.  A slot left 0 sets ``ERR_NO_RULE`` instead."""
    # reads I[slot]; writes what the rule writes, or R_ERROR
    addr = rd(I, slot)
    if addr == 0:
        wr(I, R0 + R_ERROR, ERR_NO_RULE)
        return
    call_c(addr, args)


@intrinsic
def pp(typingctx, p, f):
    """Index of field ``f`` of process ``p`` in ``I``: ``P0 + p * N_P + f``.

    An intrinsic like ``rd`` (~300 calls): the two signed integers are taken as int64, as
    numba's arithmetic with the int64 constants ``P0`` and ``N_P`` takes them, and the
    index is computed in place (int64 arithmetic wraps like numba's)."""
    # no state: an index
    if not all(isinstance(a, types.Integer) and a.signed for a in (p, f)):
        return None

    def codegen(context, builder, signature, args):
        p64, f64 = (context.cast(builder, v, t, types.int64)
                    for v, t in zip(args, signature.args, strict=True))
        const = context.get_constant
        return builder.add(builder.add(const(types.int64, int(P0)),
                                       builder.mul(p64, const(types.int64, int(N_P)))), f64)
    return types.int64(p, f), codegen


@njit(**JIT)
def alloc_state(fp, ip, rows):
    """The arenas ``(I, D)`` for runs of at most ``rows`` trace rows.

    Each row creates at most two messages (a G_act send to G_low is delivered to
    the twin shadow too; a twin row of a shadow, one message at most, made or re-sent
    after a takeover) and two heap items; checkpoints and receiver-log entries are
    at most one per delivery; twins, notifications, outputs and cluster outputs at
    most one per row (a G_act output at most twice in ``OD``: its copy and a
    re-emission), notes one per notification and recipient, queue items at most two
    per message and three per row.
    """
    # writes new arenas I and D (header, parameters)
    n_procs = 2 * ip[IP_NLOW] + ip[IP_NACT]
    cap_m = 2 * rows + 2
    cap_r = rows + 2
    cap_nt = cap_r * max(n_procs - 1, 1)
    cap_qe = 2 * cap_m + 3 * cap_r
    # "coordinated": line 0 plus one line per line event, a CK row per process each
    n_lines = ip[IP_N_LINES] + 1 if ip[IP_COORDINATED_CKPT] != 0 else 0
    cap_ck = cap_m + n_lines * n_procs
    # deliveries, line events, notes (one item per note at most, and a notification's
    # group item), recovery notices and releases
    cap_h = cap_m + ip[IP_N_LINES] + cap_nt + cap_r + 2 * n_procs
    # "mdcd-vector": level vectors of IP_NLOW counters (kernels/levels.py): the rows
    # each process owns, then one per message, checkpoint (two), log entry, twin,
    # notification and cluster output, and the levels of executed recovery
    cap_lv = 0
    if ip[IP_PER_MEMBER] != 0:
        cap_lv = (LV_OWNED * n_procs + LV_RUN_ROWS + 4 * cap_m + 3 * cap_r
                  + 2 * n_procs + 2)
    sizes = (cap_ck * N_CK, cap_m * N_MS, cap_m * N_LG, cap_r * N_TW, cap_h, cap_h,
             cap_nt * N_NT, 2 * cap_r * N_OD, cap_r * N_CO, cap_r * N_TWO, n_procs, n_procs,
             n_procs, cap_m, cap_r, cap_r * N_EF, 2 * n_procs, n_lines * N_LN, cap_r, cap_r,
             cap_lv * ip[IP_NLOW], cap_qe * N_QE, cap_r, cap_r * N_DT, cap_m,
             n_procs * n_procs)
    total = P0 + n_procs * N_P
    for s in sizes:
        total += s
    I = np.zeros(total, dtype=np.int64)
    for k in range(N_IP):
        I[k] = ip[k]
    off = P0 + n_procs * N_P
    for k in range(len(sizes)):
        I[H_CK + k] = off
        off += sizes[k]
    I[H_CAP_M] = cap_m
    I[H_CAP_R] = cap_r
    I[H_CAP_H] = cap_h
    I[H_CAP_LV] = cap_lv
    I[H_CAP_NT] = cap_nt
    I[H_CAP_QE] = cap_qe
    I[H_NPROCS] = n_procs
    # D: checkpoint times, heap times, notes' send times, queue floats, the cluster
    # messages' delays (by twin number), the channels' last deliveries
    fsizes = (cap_ck, cap_h, cap_nt, cap_qe * N_QF, cap_r, n_procs * n_procs)
    total = D_CKT
    for s in fsizes:
        total += s
    D = np.zeros(total)
    for k in range(N_FP):
        D[k] = fp[k]
    off = D_CKT + cap_ck
    for k, h in enumerate((H_HT, H_DNT, H_DQE, H_DTND, H_DLD)):
        I[h] = off
        off += fsizes[k + 1]
    return I, D


def as_int64(names: dict) -> None:
    """Turn every upper-case ``int`` constant of ``names`` into an ``np.int64``.

    numba types a module-level Python ``int`` as a literal (``Literal[int](k)``), and a
    literal passed to a kernel compiles that kernel once per value: ``rd(I, IP_NLOW)``
    and ``rd(I, IP_NACT)`` were two compilations of ``rd``, 59 in all (issue 20).  An
    ``np.int64`` is typed ``int64``, the type of the values computed at run time, so one
    compilation serves every call.  The values and the arithmetic are unchanged.
    ``kernels/__init__.py`` applies it to the globals of every kernel module once they
    are imported (the constants imported from ``mdcd_lab.constants`` included: the
    module ``mdcd_lab.constants`` itself keeps its ``int``).
    """
    for name, value in list(names.items()):
        if name.isupper() and type(value) is int:
            names[name] = np.int64(value)

