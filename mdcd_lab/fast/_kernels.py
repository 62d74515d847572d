"""Every numba kernel of the fast engine, in one module.

One module on purpose: numba's on-disk cache of a function is invalidated only
when *its own* source file changes, not when a callee in another file does, so
keeping all compiled code here guarantees that an edit anywhere recompiles
everything that depends on it.

Sections
--------
1. RNG: numpy's ``SeedSequence`` and ``PCG64`` bit for bit (:func:`seed_state`,
   :func:`pcg_seed`, :func:`pcg_next`, :func:`to_double`).
2. Trace generation: :func:`generate_run` is ``traces._generate_one`` bit for bit;
   :func:`merge_rows` is its stable merge.
3. Per-thread state: two arenas, ``I`` (int64) and ``D`` (float64), laid out by
   :func:`alloc_state`; protocol helpers take only ``(I, D, ...)``.
4. The protocol (``reference/low.py``, ``act.py``, ``sdw.py``, ``confidence.py``,
   ``recovery.py``, ``oracle.py``, ``engine.py``) over the arenas:
   :func:`play_run` plays one run, :func:`collect` writes its metrics.
5. Drivers: :func:`simulate_chunk` and :func:`replay_runs` spread runs over
   threads with ``prange`` (one block of runs per iteration, buffers per block).

Reference structures and their flat counterparts (section 3): ``Proc`` -> a row
of ``P``; ``ckpt_array``, ``rcv_msg_log``, ``int_msg_log``, ``ext_msg_log`` ->
singly linked lists (head, tail, length in ``P``) through append-only pools
``CK``, ``LG``, ``TW`` (removals keep the order, like the reference's list
comprehensions and ``pop(0)``); ``Msg`` -> a row of ``MS`` (index = message id);
the ``heapq`` of ``(t, seq, kind, payload)`` -> an array binary heap of
``(t, seq)`` with ``IT[seq] = payload * 2 + kind``; a notification is one heap
item for all recipients (``NT`` row: ``v_int``, ``v_ext``, origin), dispatched in
recipient index order; ``run.c`` and the other counters -> ``R``; the floats of
``Run`` -> ``F`` in ``D``.

Hot kernels are compiled without numba's reference counting (``JIT_NORC``):
they never allocate, and their callers own the arrays.  The protocol reads and
writes the arenas through ``_g(A, i)`` / ``_s(A, i, v)``, i.e. ``A[i]`` with an
unsigned index, for which numba emits no negative-index wraparound code (LLVM
inlines these one-liners).  See docs/scaling.md for what each choice bought.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ._config import JIT, JIT_NORC, PJIT

# =====================================================================================
# 1. RNG
# =====================================================================================

U64 = np.uint64
MASK32 = U64(0xFFFFFFFF)
INIT_A = U64(0x43B0D7E5)
MULT_A = U64(0x931E8875)
INIT_B = U64(0x8B51F9DD)
MULT_B = U64(0x58F38DED)
MIX_MULT_L = U64(0xCA01F9DD)
MIX_MULT_R = U64(0x4973F715)
XSHIFT = U64(16)
POOL_SIZE = 4
#: PCG_DEFAULT_MULTIPLIER_128 as (high, low).
PCG_MULT_HI = U64(2549297995355413924)
PCG_MULT_LO = U64(4865540595714422341)
TWO_M53 = 1.0 / 9007199254740992.0
SH11 = U64(11)
SH32 = U64(32)
SH58 = U64(58)
SH63 = U64(63)
SH64 = U64(64)
ONE = U64(1)
ZERO = U64(0)


@intrinsic
def umulhi(typingctx, a, b):
    """High 64 bits of the 128-bit product of two ``uint64`` (one ``mul`` on x86-64)."""
    sig = types.uint64(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)
        x = builder.zext(args[0], i128)
        y = builder.zext(args[1], i128)
        p = builder.mul(x, y)
        return builder.trunc(builder.lshr(p, ir.Constant(i128, 64)), ir.IntType(64))

    return sig, codegen


@njit(**JIT_NORC)
def umulhi_portable(a, b):
    """High 64 bits of ``a * b`` with 32-bit limbs (cross-check of :func:`umulhi`)."""
    a_lo = a & MASK32
    a_hi = a >> SH32
    b_lo = b & MASK32
    b_hi = b >> SH32
    ll = a_lo * b_lo
    lh = a_lo * b_hi
    hl = a_hi * b_lo
    hh = a_hi * b_hi
    mid = (ll >> SH32) + (lh & MASK32) + (hl & MASK32)
    return hh + (lh >> SH32) + (hl >> SH32) + (mid >> SH32)


@njit(**JIT_NORC)
def _hashmix(value, hash_const):
    """numpy's ``hashmix`` on uint32 values held in uint64; returns (value, hash_const)."""
    value = (value ^ hash_const) & MASK32
    hash_const = (hash_const * MULT_A) & MASK32
    value = (value * hash_const) & MASK32
    value ^= value >> XSHIFT
    return value, hash_const


@njit(**JIT_NORC)
def _mix(x, y):
    result = (MIX_MULT_L * x - MIX_MULT_R * y) & MASK32
    result ^= result >> XSHIFT
    return result


@njit(**JIT_NORC)
def _entropy_word(seed_words, n_seed, r0, r1, i):
    if i < n_seed:
        return U64(seed_words[i])
    if i == n_seed:
        return r0
    return r1


@njit(**JIT_NORC)
def seed_state(seed_words, run, mixer, out4):
    """``SeedSequence(seed, spawn_key=(run,)).generate_state(4, np.uint64)`` into ``out4``.

    numpy's ``mix_entropy`` and ``generate_state`` (bit_generator.pyx): the
    entropy is the uint32 words of ``seed`` (least significant first, ``[0]`` for
    0) padded with zeros to the pool size 4 -- ``seed_words`` arrives padded --
    followed by the words of the spawn key ``run`` (``>= 0``).  ``mixer`` is a
    ``uint64`` scratch array of length 4.
    """
    n_seed = seed_words.shape[0]
    r = U64(run)
    r0 = r & MASK32
    r1 = r >> SH32
    n_ent = n_seed + (2 if r1 != ZERO else 1)
    h = INIT_A
    for i in range(POOL_SIZE):
        if i < n_ent:
            v = _entropy_word(seed_words, n_seed, r0, r1, i)
        else:
            v = ZERO
        mixer[i], h = _hashmix(v, h)
    for i_src in range(POOL_SIZE):
        for i_dst in range(POOL_SIZE):
            if i_src != i_dst:
                hv, h = _hashmix(mixer[i_src], h)
                mixer[i_dst] = _mix(mixer[i_dst], hv)
    for i_src in range(POOL_SIZE, n_ent):
        v = _entropy_word(seed_words, n_seed, r0, r1, i_src)
        for i_dst in range(POOL_SIZE):
            hv, h = _hashmix(v, h)
            mixer[i_dst] = _mix(mixer[i_dst], hv)
    # generate_state(4, uint64): 8 uint32 words, read little-endian as 4 uint64
    hc = INIT_B
    for j in range(4):
        lo = ZERO
        hi = ZERO
        for half in range(2):
            d = mixer[(2 * j + half) % POOL_SIZE]
            d = (d ^ hc) & MASK32
            hc = (hc * MULT_B) & MASK32
            d = (d * hc) & MASK32
            d ^= d >> XSHIFT
            if half == 0:
                lo = d
            else:
                hi = d
        out4[j] = lo | (hi << SH32)


@njit(**JIT_NORC)
def _step(s_hi, s_lo, i_hi, i_lo):
    """``state = state * MULT + inc`` on 128-bit (high, low) pairs."""
    lo = s_lo * PCG_MULT_LO
    hi = umulhi(s_lo, PCG_MULT_LO) + s_lo * PCG_MULT_HI + s_hi * PCG_MULT_LO
    n_lo = lo + i_lo
    carry = ONE if n_lo < lo else ZERO
    return hi + i_hi + carry, n_lo


@njit(**JIT_NORC)
def pcg_seed(words4):
    """numpy's ``pcg64_set_seed(words[0:2], words[2:4])``: (s_hi, s_lo, i_hi, i_lo).

    ``pcg64_srandom_r``: ``state = 0``, ``inc = (initseq << 1) | 1``, step,
    ``state += initstate``, step; 128-bit values are (words[0], words[1]) =
    (high, low).
    """
    i_hi = (words4[2] << ONE) | (words4[3] >> SH63)
    i_lo = (words4[3] << ONE) | ONE
    s_hi, s_lo = _step(ZERO, ZERO, i_hi, i_lo)
    n_lo = s_lo + words4[1]
    carry = ONE if n_lo < s_lo else ZERO
    s_hi = s_hi + words4[0] + carry
    s_hi, s_lo = _step(s_hi, n_lo, i_hi, i_lo)
    return s_hi, s_lo, i_hi, i_lo


@njit(**JIT_NORC)
def pcg_next(s_hi, s_lo, i_hi, i_lo):
    """One ``pcg64_random_r``: step, then XSL-RR; returns (s_hi, s_lo, output)."""
    s_hi, s_lo = _step(s_hi, s_lo, i_hi, i_lo)
    x = s_hi ^ s_lo
    rot = s_hi >> SH58
    return s_hi, s_lo, (x >> rot) | (x << ((SH64 - rot) & SH63))


@njit(**JIT_NORC)
def to_double(x):
    """numpy's ``next_double``: ``(x >> 11) * 2**-53``."""
    return np.float64(x >> SH11) * TWO_M53


@njit(**JIT)
def rng_state_words(words, runs, out):
    """``generate_state(4, uint64)`` of each run (test support)."""
    mixer = np.zeros(4, dtype=np.uint64)
    buf = np.zeros(4, dtype=np.uint64)
    for n in range(runs.shape[0]):
        seed_state(words, runs[n], mixer, buf)
        for j in range(4):
            out[n, j] = buf[j]


@njit(**JIT)
def rng_outputs(words, run, out_raw, out_dbl):
    """The first raw outputs and doubles of one run's stream (test support)."""
    mixer = np.zeros(4, dtype=np.uint64)
    buf = np.zeros(4, dtype=np.uint64)
    seed_state(words, run, mixer, buf)
    s_hi, s_lo, i_hi, i_lo = pcg_seed(buf)
    for k in range(out_raw.shape[0]):
        s_hi, s_lo, x = pcg_next(s_hi, s_lo, i_hi, i_lo)
        out_raw[k] = x
        out_dbl[k] = to_double(x)


@njit(**JIT)
def mulhi_both(a, b, out):
    """(intrinsic, portable) high halves of ``a * b`` (test support)."""
    for n in range(a.shape[0]):
        out[n, 0] = umulhi(a[n], b[n])
        out[n, 1] = umulhi_portable(a[n], b[n])


# =====================================================================================
# 2. Trace generation
# =====================================================================================

KIND_SEND, KIND_OUTPUT, KIND_FAULT = 0, 1, 2
CAT_LOW_ACT, CAT_LOW_LOW, CAT_EXT_LOW, CAT_FAULT = 0, 1, 2, 3
CAT_ACT_LOW, CAT_ACT_ACT, CAT_EXT_ACT, CAT_SDW_SDW = 4, 5, 6, 7

# float parameters ``fp`` (also the first N_FP slots of the float arena D)
FP_HORIZON, FP_TOTAL, FP_W0 = 0, 1, 2          # FP_W0 .. FP_W0 + 7: category weights
FP_LATENCY, FP_LAG, FP_COVERAGE, FP_COMPENSATION = 10, 11, 12, 13
FP_CUM0 = 14       # FP_CUM0 .. FP_CUM0 + 7: running sums w0, w0 + w1, ... (reference order)
FP_COORD_PERIOD = 22
N_FP = 23
# int parameters ``ip`` (also the first N_IP slots of the int arena I)
IP_NLOW, IP_NACT, IP_SCOPE_CLUSTER = 0, 1, 2
IP_RECLAIM_BY_INTERVAL, IP_PRGT_OUT_ON_LOW_SEND, IP_LOG_ALL_WHEN_DIRTY = 3, 4, 5
IP_COORDINATED_RECOVERY, IP_OUTPUTS_BY_COUNT, IP_SUPPRESS_REDONE_OUTPUTS = 6, 7, 8
IP_CHECKPOINT_EVERY_RECEIVE, IP_MSG_BYTES, IP_S2_CHECKPOINTS, IP_DEDUP_REGENERATED = 9, 10, 11, 12
IP_UNCLUSTERED, IP_COORDINATED_CKPT, IP_N_LINES = 13, 14, 15   # N_LINES: line events
N_IP = 16

#: ``generate_run`` returns this when a buffer is too small (the caller grows it).
OVERFLOW = -1


@njit(**JIT_NORC)
def _pick(u, n):
    k = int(u * n)
    return n - 1 if k >= n else k


@njit(**JIT_NORC)
def generate_run(seed_words, run, fp, ip, mixer, words4, last_deliver,
                 p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
                 w_t, w_kind, w_src, w_dst):
    """``traces._generate_one`` for run ``run``: returns ``(n_primary, n_twins)``.

    The cluster's own rows ("primary") and the shadow twins are written to two
    buffers; the reference's stable merge is :func:`merge_rows` (or done on the
    fly by :func:`play_run`).  Every floating-point operation has the
    reference's operands and order (``t - log1p(-u) / total``,
    ``-latency * log1p(-u)``, ``(2u - 1) * shadow_lag``, ``max(a, b)`` as Python's
    "``b`` if ``b > a`` else ``a``"), and ``math.log1p`` is the C library's, like
    CPython's.  Returns ``(OVERFLOW, OVERFLOW)`` as soon as a buffer would
    overflow: the caller grows the buffers and generates the run again.
    """
    horizon = fp[FP_HORIZON]
    total = fp[FP_TOTAL]
    latency = fp[FP_LATENCY]
    shadow_lag = fp[FP_LAG]
    n_low = ip[IP_NLOW]
    n_act = ip[IP_NACT]
    sdw0 = n_low + n_act
    n_procs = 2 * n_low + n_act
    for c in range(n_procs * n_procs):
        last_deliver[c] = 0.0
    if total <= 0.0:
        return 0, 0
    cap_p = p_t.shape[0]
    cap_w = w_t.shape[0]
    nan = math.nan
    seed_state(seed_words, run, mixer, words4)
    s_hi, s_lo, i_hi, i_lo = pcg_seed(words4)
    t = 0.0
    last_twin = 0.0
    n_p = 0
    n_w = 0
    while True:
        s_hi, s_lo, x0 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        s_hi, s_lo, x1 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        s_hi, s_lo, x2 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        s_hi, s_lo, x3 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        s_hi, s_lo, x4 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        s_hi, s_lo, x5 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        s_hi, s_lo, x6 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        s_hi, s_lo, x7 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        s_hi, s_lo, x8 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        t = t - math.log1p(-to_double(x0)) / total
        if t > horizon:
            break
        if n_p >= cap_p:
            return OVERFLOW, OVERFLOW
        x = to_double(x1) * total
        # the first c with x < w0 + ... + wc (sums formed in the reference's order),
        # else 7: counted without branches
        cat = 0
        for c in range(8):
            cat += x >= fp[FP_CUM0 + c]
        if cat > 7:
            cat = 7
        while fp[FP_W0 + (cat % 8)] <= 0.0:  # guard against x == total by rounding
            cat -= 1
        cat = cat % 8
        u2 = to_double(x2)
        if (cat == CAT_LOW_ACT or cat == CAT_LOW_LOW or cat == CAT_EXT_LOW
                or cat == CAT_FAULT or cat == CAT_SDW_SDW):
            i = _pick(u2, n_low)
            src = i if cat != CAT_SDW_SDW else sdw0 + i
        else:
            src = n_low + _pick(u2, n_act)
        if cat == CAT_FAULT:
            p_t[n_p] = t
            p_kind[n_p] = KIND_FAULT
            p_src[n_p] = src
            p_dst[n_p] = -1
            p_td[n_p] = nan
            p_uat[n_p] = nan
            p_ucomp[n_p] = nan
            p_dn[n_p] = nan
            n_p += 1
            continue
        if cat == CAT_EXT_LOW or cat == CAT_EXT_ACT:
            d_notify = -latency * math.log1p(-to_double(x8)) if latency > 0 else 0.0
            p_t[n_p] = t
            p_kind[n_p] = KIND_OUTPUT
            p_src[n_p] = src
            p_dst[n_p] = -1
            p_td[n_p] = nan
            p_uat[n_p] = to_double(x5)
            p_ucomp[n_p] = to_double(x6)
            p_dn[n_p] = d_notify
            n_p += 1
            if cat == CAT_EXT_LOW:
                lag = (2.0 * to_double(x7) - 1.0) * shadow_lag if shadow_lag > 0 else 0.0
                a = t + lag
                tt = last_twin if last_twin > a else a
                last_twin = tt
                if tt <= horizon:
                    if n_w >= cap_w:
                        return OVERFLOW, OVERFLOW
                    w_t[n_w] = tt
                    w_kind[n_w] = KIND_OUTPUT
                    w_src[n_w] = sdw0 + src
                    w_dst[n_w] = -1
                    n_w += 1
            continue
        u3 = to_double(x3)
        if cat == CAT_LOW_ACT:
            dst = n_low + _pick(u3, n_act)
        elif cat == CAT_LOW_LOW:
            dst = _pick(u3, n_low - 1)
            dst = dst + 1 if dst >= src else dst
        elif cat == CAT_ACT_LOW:
            dst = _pick(u3, n_low)
        elif cat == CAT_ACT_ACT:
            dst = _pick(u3, n_act - 1)
            dst = n_low + (dst + 1 if dst >= src - n_low else dst)
        else:  # CAT_SDW_SDW
            dst = _pick(u3, n_low - 1)
            dst = sdw0 + (dst + 1 if dst >= src - sdw0 else dst)
        delay = -latency * math.log1p(-to_double(x4)) if latency > 0 else 0.0
        ch = src * n_procs + dst
        a = t + delay
        last = last_deliver[ch]
        td = last if last > a else a
        last_deliver[ch] = td
        p_t[n_p] = t
        p_kind[n_p] = KIND_SEND
        p_src[n_p] = src
        p_dst[n_p] = dst
        p_td[n_p] = td
        p_uat[n_p] = nan
        p_ucomp[n_p] = nan
        p_dn[n_p] = nan
        n_p += 1
        if cat == CAT_LOW_ACT:
            lag = (2.0 * to_double(x7) - 1.0) * shadow_lag if shadow_lag > 0 else 0.0
            a = t + lag
            tt = last_twin if last_twin > a else a
            last_twin = tt
            if tt <= horizon:
                if n_w >= cap_w:
                    return OVERFLOW, OVERFLOW
                w_t[n_w] = tt
                w_kind[n_w] = KIND_SEND
                w_src[n_w] = sdw0 + src
                w_dst[n_w] = dst
                n_w += 1
    return n_p, n_w


@njit(**JIT_NORC)
def merge_rows(n_p, n_w, p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
               w_t, w_kind, w_src, w_dst, o, t, kind, src, dst, td, uat, ucomp, dn):
    """The reference's stable merge (a cluster row before a twin at equal times)."""
    a = 0
    b = 0
    nan = math.nan
    while a < n_p or b < n_w:
        if b >= n_w or (a < n_p and p_t[a] <= w_t[b]):
            t[o] = p_t[a]
            kind[o] = p_kind[a]
            src[o] = p_src[a]
            dst[o] = p_dst[a]
            td[o] = p_td[a]
            uat[o] = p_uat[a]
            ucomp[o] = p_ucomp[a]
            dn[o] = p_dn[a]
            a += 1
        else:
            t[o] = w_t[b]
            kind[o] = w_kind[b]
            src[o] = w_src[b]
            dst[o] = w_dst[b]
            td[o] = nan
            uat[o] = nan
            ucomp[o] = nan
            dn[o] = nan
            b += 1
        o += 1
    return o


@njit(**JIT)
def alloc_rows(cap):
    """Trace buffers: 8 primary columns and 4 twin columns of ``cap`` rows each."""
    return (np.empty(cap), np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64),
            np.empty(cap, dtype=np.int64), np.empty(cap), np.empty(cap), np.empty(cap),
            np.empty(cap), np.empty(cap), np.empty(cap, dtype=np.int64),
            np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64))


@njit(**JIT)
def count_rows(seed_words, first_run, n_runs, fp, ip, cap0, out_counts):
    """Rows of each run (first pass of ``generate_traces_numba``); returns the capacity."""
    n_procs = 2 * ip[IP_NLOW] + ip[IP_NACT]
    cap = cap0
    mixer = np.zeros(4, dtype=np.uint64)
    words4 = np.zeros(4, dtype=np.uint64)
    last_deliver = np.zeros(n_procs * n_procs)
    rows = alloc_rows(cap)
    for i in range(n_runs):
        while True:
            (p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
             w_t, w_kind, w_src, w_dst) = rows
            n_p, n_w = generate_run(seed_words, first_run + i, fp, ip, mixer, words4,
                                    last_deliver, p_t, p_kind, p_src, p_dst, p_td, p_uat,
                                    p_ucomp, p_dn, w_t, w_kind, w_src, w_dst)
            if n_p != OVERFLOW:
                break
            cap *= 2
            rows = alloc_rows(cap)
        out_counts[i] = n_p + n_w
    return cap


@njit(**JIT)
def fill_rows(seed_words, first_run, n_runs, fp, ip, cap, offsets,
              t, kind, src, dst, td, uat, ucomp, dn, run_col):
    """Second pass: generate again and write the merged rows from ``offsets[i]``."""
    n_procs = 2 * ip[IP_NLOW] + ip[IP_NACT]
    mixer = np.zeros(4, dtype=np.uint64)
    words4 = np.zeros(4, dtype=np.uint64)
    last_deliver = np.zeros(n_procs * n_procs)
    (p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
     w_t, w_kind, w_src, w_dst) = alloc_rows(cap)
    for i in range(n_runs):
        n_p, n_w = generate_run(seed_words, first_run + i, fp, ip, mixer, words4,
                                last_deliver, p_t, p_kind, p_src, p_dst, p_td, p_uat,
                                p_ucomp, p_dn, w_t, w_kind, w_src, w_dst)
        o = offsets[i]
        end = merge_rows(n_p, n_w, p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
                         w_t, w_kind, w_src, w_dst, o, t, kind, src, dst, td, uat, ucomp, dn)
        for k in range(o, end):
            run_col[k] = first_run + i


# =====================================================================================
# 3. Per-thread state: the arenas I (int64) and D (float64)
# =====================================================================================

LOW, ACT, SDW, ABSENT = 0, 1, 2, 3
OUT_COMPLETED, OUT_FAILED, OUT_RECOVERED = 0, 1, 2
#: ``validate_trace``'s fill value of a missing ``u_at`` (twin rows never read it).
U_AT_MISSING = float(np.nextafter(1.0, 0.0))

# -- I header: ip (0 .. N_IP - 1), then base offsets of the pools ---------------------
(H_CK, H_MS, H_LG, H_TW, H_HS, H_IT, H_NT, H_OD, H_CO, H_TWO, H_RST, H_CAS, H_RPE,
 H_REPL, H_KF, H_EF, H_CUT, H_LN, H_TN, H_HELD, H_CAP_M, H_CAP_R, H_HT, H_CAP_H) = range(
    N_IP, N_IP + 24)
HDR = N_IP + 24
# -- run integers R at R0 -------------------------------------------------------------
(R_INT_LOW, R_EXT_LOW, R_INT_SDW, R_EXT_SDW, R_SEQ, R_HN, R_NMSG, R_NCK, R_NLG, R_NTW,
 R_NNT, R_NOD, R_ENDED, R_OUTCOME, R_NPASSED, R_PASSED_MAX,
 R_CKPT_ACT, R_CKPT_SDW, R_CKPT_S1, R_CKPT_S2, R_N_AT, R_N_AT_PASSED, R_N_NOTIF, R_N_COMP,
 R_CK_NOW, R_CK_PEAK, R_LOG_S, R_LOG_R, R_LOG_PEAK, R_LOG_SPEAK, R_LOG_RPEAK, R_STAMP,
 R_TOKEN, R_CO_MAX, R_ERROR, R_N_EVENTS,
 R_RB_PROCS, R_RB_EVMAX, R_N_REPLAYED, R_N_RESENT, R_N_SUPPRESSED, R_ORPHANS, R_LOST,
 R_DUPS, R_LOST_OUT, R_DUP_OUT, R_CONTAMINATED, R_CASCADE, R_UNSAFE, R_N_LOW_ACT,
 R_L0, R_NL, R_DSEQ, R_TRANSIT, R_PENDING_VALIDATE, R_PENDING_RECOVERY) = range(56)
N_R = 56
R0 = HDR
# -- processes P at P0: one row of N_P per process ------------------------------------
(P_DIRTY, P_PRGT, P_LEVEL, P_IVR, P_EXT_IVR, P_V_KNOWN, P_NCKPT, P_ERR, P_UNSAFE, P_NRECV,
 P_NSENT, P_NTWINS, P_NOUT, P_CK_HEAD, P_CK_TAIL, P_CK_LEN, P_LG_HEAD, P_LG_TAIL,
 P_LG_LEN, P_TI_HEAD, P_TI_TAIL, P_TI_LEN, P_TE_HEAD, P_TE_TAIL, P_TE_LEN) = range(25)
N_P = 25
P0 = R0 + N_R
# -- pools (rows of N_* ints from the base offset in the header) ------------------------
(CK_INDEX, CK_LEVEL_BEFORE, CK_NRECV, CK_NSENT, CK_NTWINS, CK_NOUT, CK_ERR, CK_ORD,
 CK_NEXT, CK_STAMP) = range(10)
N_CK = 10
LG_INDEX, LG_MID, LG_CKPT, LG_NEXT = range(4)       # LG_CKPT: a CK row, -1 for none
N_LG = 4
TW_SDW, TW_INDEX, TW_ORD, TW_ERR, TW_K, TW_E, TW_NEXT = range(7)
N_TW = 7
(MS_SRC, MS_DST, MS_DIRTY, MS_LEVEL, MS_ERR, MS_SEND_ORD, MS_K, MS_CONSUME_ORD,
 MS_DELIVERED, MS_RECV_NSENT, MS_RECV_NTWINS, MS_TWIN_NO, MS_DSEQ) = range(13)
N_MS = 13
# "coordinated" lines: level, messages created before the line, delivery count at the
# line (a message is in its channel iff created before and not yet delivered then),
# channel size, member count, base CK row (row of process p: base + p; time in D_CKT)
LN_LEVEL, LN_NMSG, LN_DSTAMP, LN_NCHAN, LN_NMEM, LN_CK = range(6)
N_LN = 6
N_NT = 3     # v_int, v_ext, origin
N_OD = 2     # process, output ordinal delivered
CO_TOKEN, CO_LEVEL, CO_OK = range(3)                # cluster outputs by e
N_CO = 3
N_TWO = 2    # twin outputs by e: token, TW row
N_EF = 2     # by e: in a re-sent log, undone
# -- D: fp (0 .. N_FP - 1), then the run floats F, then checkpoint times, heap times ----
F_NOW, F_T_END, F_T_FAULT, F_T_DETECT, F_LOG_AREA, F_LOG_T, F_RB_MAX, F_RB_SUM = range(
    N_FP, N_FP + 8)
D_CKT = N_FP + 8

#: Error codes left in ``R_ERROR`` (a capacity was exceeded: never expected, the
#: capacities are upper bounds derived from the number of rows).
ERR_NONE, ERR_CAPACITY = 0, 1

INT_COLUMNS = ("outcome", "n_events", "ckpt_total", "ckpt_act", "ckpt_sdw", "ckpt_s1",
               "ckpt_s2", "ckpt_array_peak", "log_entries_peak", "log_bytes_peak",
               "log_sender_peak", "log_receiver_peak", "n_at", "n_at_passed",
               "n_notifications", "n_compensated", "rollback_procs", "rollback_events_max",
               "n_replayed", "n_resent", "n_suppressed", "orphans", "lost", "duplicates",
               "lost_outputs", "dup_outputs", "contaminated_restore", "unsafe_clean",
               "cascade")
FLOAT_COLUMNS = ("t_end", "t_fault", "t_detect", "log_entries_mean", "rollback_dist_max",
                 "rollback_dist_sum")
N_OUT_I = len(INT_COLUMNS)
N_OUT_F = len(FLOAT_COLUMNS)


@njit(**JIT)
def alloc_state(fp, ip, rows):
    """The arenas ``(I, D)`` for runs of at most ``rows`` trace rows.

    Each row creates at most two messages (a G_act send to G_low is delivered to
    the twin shadow too) and two heap items; checkpoints and receiver-log
    entries are at most one per delivery; twins, notifications, outputs and
    cluster outputs at most one per row.
    """
    n_procs = 2 * ip[IP_NLOW] + ip[IP_NACT]
    cap_m = 2 * rows + 2
    cap_r = rows + 2
    # "coordinated": line 0 plus one line per line event, a CK row per process each
    n_lines = ip[IP_N_LINES] + 1 if ip[IP_COORDINATED_CKPT] != 0 else 0
    cap_ck = cap_m + n_lines * n_procs
    cap_h = cap_m + ip[IP_N_LINES]
    sizes = (cap_ck * N_CK, cap_m * N_MS, cap_m * N_LG, cap_r * N_TW, cap_h, cap_h,
             cap_r * N_NT, cap_r * N_OD, cap_r * N_CO, cap_r * N_TWO, n_procs, n_procs,
             n_procs, cap_m, cap_r, cap_r * N_EF, 2 * n_procs, n_lines * N_LN, cap_r, cap_r)
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
    D = np.zeros(D_CKT + cap_ck + cap_h)
    for k in range(N_FP):
        D[k] = fp[k]
    I[H_HT] = D_CKT + cap_ck
    return I, D


# =====================================================================================
# 4. The protocol
# =====================================================================================


@njit(**JIT_NORC)
def _g(A, i):
    """``A[i]`` for an index known to be >= 0 (no negative-index wraparound code)."""
    return A[np.uintp(i)]


@njit(**JIT_NORC)
def _s(A, i, v):
    """``A[i] = v`` for an index known to be >= 0."""
    A[np.uintp(i)] = v


@njit(**JIT_NORC)
def _role(I, p):
    """``Run.role``; under ``unclustered`` low0's partners are ACT, sdw_i (i >= 1) ABSENT."""
    n_low = _g(I, IP_NLOW)
    if _g(I, IP_UNCLUSTERED) != 0:
        if p == 0:
            return LOW
        sdw0 = n_low + _g(I, IP_NACT)
        if p < sdw0:
            return ACT
        return SDW if p == sdw0 else ABSENT
    if p < n_low:
        return LOW
    return ACT if p < n_low + _g(I, IP_NACT) else SDW


@njit(**JIT_NORC)
def _pp(p, f):
    """Index of field ``f`` of process ``p`` in ``I``."""
    return P0 + p * N_P + f


@njit(**JIT_NORC)
def _change_logs(I, D, d_sender, d_receiver):
    """``Run.change_logs``: advance the log-size integral, then the sizes and peaks."""
    # log_area += (log_sender + log_receiver) * (now - log_t), the reference's operations
    size = _g(I, R0 + R_LOG_S) + _g(I, R0 + R_LOG_R)
    _s(D, F_LOG_AREA, _g(D, F_LOG_AREA) + size * (_g(D, F_NOW) - _g(D, F_LOG_T)))
    _s(D, F_LOG_T, _g(D, F_NOW))
    s = _g(I, R0 + R_LOG_S) + d_sender
    r = _g(I, R0 + R_LOG_R) + d_receiver
    _s(I, R0 + R_LOG_S, s)
    _s(I, R0 + R_LOG_R, r)
    if s + r > _g(I, R0 + R_LOG_PEAK):
        _s(I, R0 + R_LOG_PEAK, s + r)
    if s > _g(I, R0 + R_LOG_SPEAK):
        _s(I, R0 + R_LOG_SPEAK, s)
    if r > _g(I, R0 + R_LOG_RPEAK):
        _s(I, R0 + R_LOG_RPEAK, r)


@njit(**JIT_NORC)
def _change_ckpts(I, d):
    n = _g(I, R0 + R_CK_NOW) + d
    _s(I, R0 + R_CK_NOW, n)
    if n > _g(I, R0 + R_CK_PEAK):
        _s(I, R0 + R_CK_PEAK, n)


@njit(**JIT_NORC)
def _check_unsafe(I, p, role):
    if _g(I, _pp(p, P_ERR)) != 0 and _g(I, _pp(p, P_DIRTY)) == 0 and role != LOW:
        _s(I, _pp(p, P_UNSAFE), 1)


@njit(**JIT_NORC)
def _heap_push(I, D, t, code):
    """``heapq.heappush(heap, (t, seq, ...))`` with ``IT[seq] = code``."""
    seq = _g(I, R0 + R_SEQ)
    n = _g(I, R0 + R_HN)
    if seq >= _g(I, H_CAP_H):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    _s(I, _g(I, H_IT) + seq, code)
    _s(I, R0 + R_SEQ, seq + 1)
    hs = _g(I, H_HS)
    ht = _g(I, H_HT)
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        pt = _g(D, ht + parent)
        ps = _g(I, hs + parent)
        # (t, seq) < (pt, ps), without a second branch
        if (t < pt) | ((t == pt) & (seq < ps)):
            _s(D, ht + i, pt)
            _s(I, hs + i, ps)
            i = parent
        else:
            break
    _s(D, ht + i, t)
    _s(I, hs + i, seq)
    _s(I, R0 + R_HN, n + 1)


@njit(**JIT_NORC)
def _heap_pop(I, D):
    """Remove the smallest (t, seq) and return it."""
    hs = _g(I, H_HS)
    ht = _g(I, H_HT)
    t0 = _g(D, ht)
    s0 = _g(I, hs)
    n = _g(I, R0 + R_HN) - 1
    _s(I, R0 + R_HN, n)
    if n > 0:
        t = _g(D, ht + n)
        s = _g(I, hs + n)
        i = 0
        c = 1
        while c < n:
            tc = _g(D, ht + c)
            sc = _g(I, hs + c)
            if c + 1 < n:
                t2 = _g(D, ht + c + 1)
                s2 = _g(I, hs + c + 1)
                right = (t2 < tc) | ((t2 == tc) & (s2 < sc))
                c = c + 1 if right else c
                tc = t2 if right else tc
                sc = s2 if right else sc
            if (tc < t) | ((tc == t) & (sc < s)):
                _s(D, ht + i, tc)
                _s(I, hs + i, sc)
                i = c
                c = 2 * i + 1
            else:
                break
        _s(D, ht + i, t)
        _s(I, hs + i, s)
    return t0, s0


@njit(**JIT_NORC)
def _new_msg(I, src, dst, dirty, level, err, send_ord, k):
    mid = _g(I, R0 + R_NMSG)
    if mid >= _g(I, H_CAP_M):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return -1
    _s(I, R0 + R_NMSG, mid + 1)
    m = _g(I, H_MS) + mid * N_MS
    _s(I, m + MS_SRC, src)
    _s(I, m + MS_DST, dst)
    _s(I, m + MS_DIRTY, dirty)
    _s(I, m + MS_LEVEL, level)
    _s(I, m + MS_ERR, err)
    _s(I, m + MS_SEND_ORD, send_ord)
    _s(I, m + MS_K, k)
    _s(I, m + MS_CONSUME_ORD, -1)
    _s(I, m + MS_DELIVERED, 0)
    _s(I, m + MS_TWIN_NO, 0)
    _s(I, m + MS_DSEQ, -1)
    if _g(I, IP_COORDINATED_CKPT) != 0 and _role(I, dst) != LOW:
        _s(I, R0 + R_TRANSIT, _g(I, R0 + R_TRANSIT) + 1)   # in a line's channel if taken now
    return mid


@njit(**JIT_NORC)
def _list_append(I, p, f_head, base, width, f_next, item):
    """Append pool row ``item`` to the list (head, tail, length at ``f_head``...) of ``p``."""
    _s(I, base + item * width + f_next, -1)
    tail = _g(I, _pp(p, f_head + 1))
    if tail < 0:
        _s(I, _pp(p, f_head), item)
    else:
        _s(I, base + tail * width + f_next, item)
    _s(I, _pp(p, f_head + 1), item)
    _s(I, _pp(p, f_head + 2), _g(I, _pp(p, f_head + 2)) + 1)


@njit(**JIT_NORC)
def _list_remove_le(I, p, f_head, base, width, f_next, f_key, thr):
    """Keep, in order, the items of ``p``'s list whose key is ``> thr``."""
    prev = -1
    cur = _g(I, _pp(p, f_head))
    n = 0
    while cur >= 0:
        row = base + cur * width
        nxt = _g(I, row + f_next)
        if _g(I, row + f_key) > thr:
            if prev < 0:
                _s(I, _pp(p, f_head), cur)
            else:
                _s(I, base + prev * width + f_next, cur)
            prev = cur
            n += 1
        cur = nxt
    if prev < 0:
        _s(I, _pp(p, f_head), -1)
    else:
        _s(I, base + prev * width + f_next, -1)
    _s(I, _pp(p, f_head + 1), prev)
    _s(I, _pp(p, f_head + 2), n)


@njit(**JIT_NORC)
def _log_remove_stamped(I, p, stamp):
    """Drop the receiver-log entries whose checkpoint was popped now (carries ``stamp``)."""
    lg = _g(I, H_LG)
    ck = _g(I, H_CK)
    prev = -1
    cur = _g(I, _pp(p, P_LG_HEAD))
    n = 0
    while cur >= 0:
        row = lg + cur * N_LG
        nxt = _g(I, row + LG_NEXT)
        c = _g(I, row + LG_CKPT)
        if c < 0 or _g(I, ck + c * N_CK + CK_STAMP) != stamp:
            if prev < 0:
                _s(I, _pp(p, P_LG_HEAD), cur)
            else:
                _s(I, lg + prev * N_LG + LG_NEXT, cur)
            prev = cur
            n += 1
        cur = nxt
    if prev < 0:
        _s(I, _pp(p, P_LG_HEAD), -1)
    else:
        _s(I, lg + prev * N_LG + LG_NEXT, -1)
    _s(I, _pp(p, P_LG_TAIL), prev)
    _s(I, _pp(p, P_LG_LEN), n)


@njit(**JIT_NORC)
def memory_reclamation(I, D, p, role, v_int, v_ext):
    """``confidence.memory_reclamation(run, p, v_int, v_ext)``."""
    if _g(I, IP_COORDINATED_CKPT) != 0:
        # coordinated.on_validation, then the shadow's output log
        if v_int > _g(I, _pp(p, P_V_KNOWN)):
            _s(I, _pp(p, P_V_KNOWN), v_int)
        _s(I, _pp(p, P_DIRTY), 1 if _g(I, _pp(p, P_LEVEL)) > _g(I, _pp(p, P_V_KNOWN)) else 0)
        _check_unsafe(I, p, role)
        if role == SDW and v_ext >= 0:
            n = _g(I, _pp(p, P_TE_LEN))
            if n > 0:
                _list_remove_le(I, p, P_TE_HEAD, _g(I, H_TW), N_TW, TW_NEXT, TW_E, v_ext)
            _change_logs(I, D, _g(I, _pp(p, P_TE_LEN)) - n, 0)
        return
    ck = _g(I, H_CK)
    before_c = _g(I, _pp(p, P_CK_LEN))
    before_l = _g(I, _pp(p, P_LG_LEN))
    if v_int > _g(I, _pp(p, P_V_KNOWN)):
        _s(I, _pp(p, P_V_KNOWN), v_int)
    if _g(I, IP_RECLAIM_BY_INTERVAL) != 0:
        _s(I, R0 + R_STAMP, _g(I, R0 + R_STAMP) + 1)
        stamp = _g(I, R0 + R_STAMP)
        popped = False
        while _g(I, _pp(p, P_CK_LEN)) > 0:
            h = _g(I, _pp(p, P_CK_HEAD))
            if _g(I, _pp(p, P_CK_LEN)) > 1:
                hi = _g(I, ck + _g(I, ck + h * N_CK + CK_NEXT) * N_CK + CK_LEVEL_BEFORE)
            else:
                hi = _g(I, _pp(p, P_LEVEL))
            if hi > v_int:
                break
            _s(I, ck + h * N_CK + CK_STAMP, stamp)
            _s(I, _pp(p, P_CK_HEAD), _g(I, ck + h * N_CK + CK_NEXT))
            _s(I, _pp(p, P_CK_LEN), _g(I, _pp(p, P_CK_LEN)) - 1)
            popped = True
        if _g(I, _pp(p, P_CK_LEN)) == 0:
            _s(I, _pp(p, P_CK_HEAD), -1)
            _s(I, _pp(p, P_CK_TAIL), -1)
            _s(I, _pp(p, P_LG_HEAD), -1)
            _s(I, _pp(p, P_LG_TAIL), -1)
            _s(I, _pp(p, P_LG_LEN), 0)
        elif popped and before_l > 0:
            _log_remove_stamped(I, p, stamp)
    else:
        if before_c > 0:
            _list_remove_le(I, p, P_CK_HEAD, ck, N_CK, CK_NEXT, CK_INDEX, v_int)
        if before_l > 0:
            _list_remove_le(I, p, P_LG_HEAD, _g(I, H_LG), N_LG, LG_NEXT, LG_INDEX, v_int)
    d_send = 0
    if role == SDW:
        tw = _g(I, H_TW)
        n_int = _g(I, _pp(p, P_TI_LEN))
        n_ext = _g(I, _pp(p, P_TE_LEN))
        if n_int > 0:
            _list_remove_le(I, p, P_TI_HEAD, tw, N_TW, TW_NEXT, TW_INDEX, v_int)
        if _g(I, IP_OUTPUTS_BY_COUNT) != 0:   # outputs are counted apart (D9)
            if v_ext >= 0 and n_ext > 0:
                _list_remove_le(I, p, P_TE_HEAD, tw, N_TW, TW_NEXT, TW_E, v_ext)
        elif n_ext > 0:
            _list_remove_le(I, p, P_TE_HEAD, tw, N_TW, TW_NEXT, TW_INDEX, v_int)
        d_send = _g(I, _pp(p, P_TI_LEN)) + _g(I, _pp(p, P_TE_LEN)) - n_int - n_ext
    _change_ckpts(I, _g(I, _pp(p, P_CK_LEN)) - before_c)
    _change_logs(I, D, d_send, _g(I, _pp(p, P_LG_LEN)) - before_l)
    _s(I, _pp(p, P_DIRTY), 1 if _g(I, _pp(p, P_CK_LEN)) > 0 else 0)
    _check_unsafe(I, p, role)


@njit(**JIT_NORC)
def _checkpointing(I, D, p, role):
    """``confidence.checkpointing``: index = the local ``int_mSN_G_low``."""
    c = _g(I, R0 + R_NCK)
    if c >= _g(I, H_CAP_M):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    _s(I, R0 + R_NCK, c + 1)
    row = _g(I, H_CK) + c * N_CK
    _s(I, row + CK_INDEX, _g(I, _pp(p, P_LEVEL)))
    _s(I, row + CK_LEVEL_BEFORE, _g(I, _pp(p, P_LEVEL)))
    _s(I, row + CK_NRECV, _g(I, _pp(p, P_NRECV)))
    _s(I, row + CK_NSENT, _g(I, _pp(p, P_NSENT)))
    _s(I, row + CK_NTWINS, _g(I, _pp(p, P_NTWINS)))
    _s(I, row + CK_NOUT, _g(I, _pp(p, P_NOUT)))
    _s(I, row + CK_ERR, _g(I, _pp(p, P_ERR)))
    _s(I, row + CK_ORD, _g(I, _pp(p, P_NCKPT)))
    _s(I, row + CK_STAMP, 0)
    _s(D, D_CKT + c, _g(D, F_NOW))
    _s(I, _pp(p, P_NCKPT), _g(I, _pp(p, P_NCKPT)) + 1)
    _list_append(I, p, P_CK_HEAD, _g(I, H_CK), N_CK, CK_NEXT, c)
    if _g(I, _pp(p, P_DIRTY)) == 0:
        _s(I, R0 + R_CKPT_S1, _g(I, R0 + R_CKPT_S1) + 1)
    else:
        _s(I, R0 + R_CKPT_S2, _g(I, R0 + R_CKPT_S2) + 1)
    if role == ACT:
        _s(I, R0 + R_CKPT_ACT, _g(I, R0 + R_CKPT_ACT) + 1)
    else:
        _s(I, R0 + R_CKPT_SDW, _g(I, R0 + R_CKPT_SDW) + 1)
    _change_ckpts(I, 1)


@njit(**JIT_NORC)
def _msg_logging(I, D, p, mid):
    e = _g(I, R0 + R_NLG)
    if e >= _g(I, H_CAP_M):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    _s(I, R0 + R_NLG, e + 1)
    row = _g(I, H_LG) + e * N_LG
    _s(I, row + LG_INDEX, _g(I, _pp(p, P_LEVEL)))
    _s(I, row + LG_MID, mid)
    _s(I, row + LG_CKPT, _g(I, _pp(p, P_CK_TAIL)))
    _list_append(I, p, P_LG_HEAD, _g(I, H_LG), N_LG, LG_NEXT, e)
    _change_logs(I, D, 0, 1)


@njit(**JIT_NORC)
def _consume(I, p, mid):
    """``application_msg_reception``."""
    m = _g(I, H_MS) + mid * N_MS
    _s(I, m + MS_CONSUME_ORD, _g(I, _pp(p, P_NRECV)))
    _s(I, m + MS_DELIVERED, 1)
    _s(I, m + MS_RECV_NSENT, _g(I, _pp(p, P_NSENT)))
    _s(I, m + MS_RECV_NTWINS, _g(I, _pp(p, P_NTWINS)))
    _s(I, _pp(p, P_NRECV), _g(I, _pp(p, P_NRECV)) + 1)
    if _g(I, m + MS_ERR) != 0 and _g(I, _pp(p, P_ERR)) == 0:
        _s(I, _pp(p, P_ERR), 1)


@njit(**JIT_NORC)
def _end_failed(I, D):
    _s(I, R0 + R_OUTCOME, OUT_FAILED)
    _s(I, R0 + R_ENDED, 1)
    _s(D, F_T_END, _g(D, F_NOW))


@njit(**JIT_NORC)
def _notify(I, D, origin, v_int, v_ext, d_notify):
    """``low.notify``: one heap item for every recipient."""
    _s(I, R0 + R_N_NOTIF, _g(I, R0 + R_N_NOTIF) + 1)
    if _g(I, R0 + R_NPASSED) == 0 or v_int > _g(I, R0 + R_PASSED_MAX):
        _s(I, R0 + R_PASSED_MAX, v_int)
    _s(I, R0 + R_NPASSED, _g(I, R0 + R_NPASSED) + 1)
    if _g(I, IP_COORDINATED_CKPT) != 0:   # the checkpoint coordinator learns at once
        _s(I, R0 + R_PENDING_VALIDATE, 1)   # done by play_run right after this row
    nid = _g(I, R0 + R_NNT)
    if nid >= _g(I, H_CAP_R):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    _s(I, R0 + R_NNT, nid + 1)
    row = _g(I, H_NT) + nid * N_NT
    _s(I, row, v_int)
    _s(I, row + 1, v_ext)
    _s(I, row + 2, origin)
    _heap_push(I, D, _g(D, F_NOW) + d_notify, nid * 2 + 1)


@njit(**JIT_NORC)
def _cluster_output(I, e, level, ok):
    if e >= _g(I, H_CAP_R):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    row = _g(I, H_CO) + e * N_CO
    _s(I, row + CO_TOKEN, _g(I, R0 + R_TOKEN))
    _s(I, row + CO_LEVEL, level)
    _s(I, row + CO_OK, ok)
    if e > _g(I, R0 + R_CO_MAX):
        _s(I, R0 + R_CO_MAX, e)


@njit(**JIT_NORC)
def _output_delivered(I, p):
    k = _g(I, R0 + R_NOD)
    if k >= _g(I, H_CAP_R):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    _s(I, R0 + R_NOD, k + 1)
    _s(I, _g(I, H_OD) + k * N_OD, p)
    _s(I, _g(I, H_OD) + k * N_OD + 1, _g(I, _pp(p, P_NOUT)))


@njit(**JIT_NORC)
def _low_output(I, D, p, u_at, u_comp, d_notify):
    """``low.low_output``."""
    _s(I, R0 + R_EXT_LOW, _g(I, R0 + R_EXT_LOW) + 1)
    e = _g(I, R0 + R_EXT_LOW)
    _s(I, R0 + R_N_AT, _g(I, R0 + R_N_AT) + 1)
    err = _g(I, _pp(p, P_ERR)) != 0
    level = _g(I, R0 + R_INT_LOW)
    detected = err and u_at < _g(D, FP_COVERAGE)
    if not detected:
        if err:   # an AT missed the error: it reaches the device
            _cluster_output(I, e, level, 1)
            _end_failed(I, D)
            return
        _s(I, R0 + R_N_AT_PASSED, _g(I, R0 + R_N_AT_PASSED) + 1)
        _cluster_output(I, e, level, 1)
        _notify(I, D, p, level, e, d_notify)
        return
    if u_comp < _g(D, FP_COMPENSATION):
        _s(I, R0 + R_N_COMP, _g(I, R0 + R_N_COMP) + 1)
        _cluster_output(I, e, level, 1)
        return
    _cluster_output(I, e, level, 0)
    _s(I, R0 + R_PENDING_RECOVERY, 1)   # error_recovery, called by play_run at once


@njit(**JIT_NORC)
def _act_output(I, D, p, u_at, u_comp, d_notify):
    """``act.act_output``."""
    err = _g(I, _pp(p, P_ERR)) != 0
    if _g(I, _pp(p, P_DIRTY)) == 0:
        if err:
            _end_failed(I, D)
            return
        _output_delivered(I, p)
        _s(I, _pp(p, P_NOUT), _g(I, _pp(p, P_NOUT)) + 1)
        return
    _s(I, R0 + R_N_AT, _g(I, R0 + R_N_AT) + 1)
    detected = err and u_at < _g(D, FP_COVERAGE)
    if not detected:
        if err:
            _end_failed(I, D)
            return
        _s(I, R0 + R_N_AT_PASSED, _g(I, R0 + R_N_AT_PASSED) + 1)
        memory_reclamation(I, D, p, ACT, _g(I, _pp(p, P_LEVEL)), -1)
        _output_delivered(I, p)
        _s(I, _pp(p, P_NOUT), _g(I, _pp(p, P_NOUT)) + 1)
        _notify(I, D, p, _g(I, _pp(p, P_LEVEL)), -1, d_notify)
        return
    if u_comp < _g(D, FP_COMPENSATION):
        _s(I, R0 + R_N_COMP, _g(I, R0 + R_N_COMP) + 1)
        _output_delivered(I, p)
        _s(I, _pp(p, P_NOUT), _g(I, _pp(p, P_NOUT)) + 1)
        return
    _s(I, _pp(p, P_NOUT), _g(I, _pp(p, P_NOUT)) + 1)
    _s(I, R0 + R_PENDING_RECOVERY, 1)   # error_recovery, called by play_run at once


@njit(**JIT_NORC)
def _new_twin(I, p, index, k, e):
    w = _g(I, R0 + R_NTW)
    if w >= _g(I, H_CAP_R):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return -1
    _s(I, R0 + R_NTW, w + 1)
    row = _g(I, H_TW) + w * N_TW
    _s(I, row + TW_SDW, p)
    _s(I, row + TW_INDEX, index)
    _s(I, row + TW_ORD, _g(I, _pp(p, P_NTWINS)))
    _s(I, row + TW_ERR, _g(I, _pp(p, P_ERR)))
    _s(I, row + TW_K, k)
    _s(I, row + TW_E, e)
    _s(I, _pp(p, P_NTWINS), _g(I, _pp(p, P_NTWINS)) + 1)
    return w


@njit(**JIT_NORC)
def _sdw_twin_send(I, D, p):
    """``sdw.sdw_twin_send``."""
    _s(I, R0 + R_INT_SDW, _g(I, R0 + R_INT_SDW) + 1)
    k = _g(I, R0 + R_INT_SDW)
    w = _new_twin(I, p, k, k, 0)
    if w < 0:
        return
    _list_append(I, p, P_TI_HEAD, _g(I, H_TW), N_TW, TW_NEXT, w)
    _change_logs(I, D, 1, 0)


@njit(**JIT_NORC)
def _sdw_twin_output(I, D, p):
    """``sdw.sdw_twin_output``."""
    _s(I, R0 + R_EXT_SDW, _g(I, R0 + R_EXT_SDW) + 1)
    e = _g(I, R0 + R_EXT_SDW)
    w = _new_twin(I, p, _g(I, R0 + R_INT_SDW), 0, e)
    if w < 0:
        return
    if e >= _g(I, H_CAP_R):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    _s(I, _g(I, H_TWO) + e * N_TWO, _g(I, R0 + R_TOKEN))
    _s(I, _g(I, H_TWO) + e * N_TWO + 1, w)
    _list_append(I, p, P_TE_HEAD, _g(I, H_TW), N_TW, TW_NEXT, w)
    _change_logs(I, D, 1, 0)


@njit(**JIT_NORC)
def _fault(I, D, p):
    """``low.fault``."""
    if _g(D, F_T_FAULT) != _g(D, F_T_FAULT):   # NaN: first activation
        _s(D, F_T_FAULT, _g(D, F_NOW))
    if _g(I, IP_SCOPE_CLUSTER) != 0:
        for q in range(_g(I, IP_NLOW)):
            _s(I, _pp(q, P_ERR), 1)
    else:
        _s(I, _pp(p, P_ERR), 1)


@njit(**JIT_NORC)
def _notification(I, D, nid):
    """A "passed AT" notification: ``act_notify`` / ``sdw_notify`` for each recipient."""
    row = _g(I, H_NT) + nid * N_NT
    v_int = _g(I, row)
    v_ext = _g(I, row + 1)
    origin = _g(I, row + 2)
    n_low = _g(I, IP_NLOW)
    sdw0 = n_low + _g(I, IP_NACT)
    for q in range(sdw0 + n_low):
        if q == origin:
            continue
        role = _role(I, q)
        if role == ACT:
            memory_reclamation(I, D, q, ACT, v_int, v_ext)
        elif role == SDW:
            memory_reclamation(I, D, q, SDW, v_int, v_ext)
            if v_int > _g(I, _pp(q, P_IVR)):
                _s(I, _pp(q, P_IVR), v_int)
            if v_ext >= 0 and v_ext > _g(I, _pp(q, P_EXT_IVR)):
                _s(I, _pp(q, P_EXT_IVR), v_ext)


@njit(**JIT_NORC)
def _drain(I, D, until):
    """``engine._drain``: process the heap items due by ``until`` (deliveries and
    "passed AT" notifications), each at its own time; ``receive_application_msg``
    (Figures 3 and 4) is written out here rather than called, to save a call per
    delivery."""
    ht = _g(I, H_HT)
    while _g(I, R0 + R_HN) > 0 and _g(D, ht) <= until and _g(I, R0 + R_ENDED) == 0:
        t, seq = _heap_pop(I, D)
        _s(D, F_NOW, t)
        code = _g(I, _g(I, H_IT) + seq)
        if code < 0:   # "coordinated": line event -code
            _take_line(I, D, -code)
            continue
        payload = code >> 1
        if code & 1 != 0:
            _notification(I, D, payload)
            continue
        dst = _g(I, _g(I, H_MS) + payload * N_MS + MS_DST)
        role = _role(I, dst)
        if role == LOW:   # low_receive: a G_low process only consumes
            _consume(I, dst, payload)
            continue
        # receive_application_msg(run, dst, m)
        m = _g(I, H_MS) + payload * N_MS
        if _g(I, IP_COORDINATED_CKPT) != 0:   # coordinated.receive
            _consume(I, dst, payload)
            _s(I, m + MS_DSEQ, _g(I, R0 + R_DSEQ))
            _s(I, R0 + R_DSEQ, _g(I, R0 + R_DSEQ) + 1)
            _s(I, R0 + R_TRANSIT, _g(I, R0 + R_TRANSIT) - 1)
            if _g(I, m + MS_LEVEL) > _g(I, _pp(dst, P_LEVEL)):
                _s(I, _pp(dst, P_LEVEL), _g(I, m + MS_LEVEL))
            _s(I, _pp(dst, P_DIRTY),
               1 if _g(I, _pp(dst, P_LEVEL)) > _g(I, _pp(dst, P_V_KNOWN)) else 0)
            _check_unsafe(I, dst, role)
            continue
        m_dirty = _g(I, m + MS_DIRTY)
        m_level = _g(I, m + MS_LEVEL)
        gate = role == SDW or _g(I, _pp(dst, P_DIRTY)) == 0 or _g(I, _pp(dst, P_PRGT)) == 1
        every = _g(I, IP_CHECKPOINT_EVERY_RECEIVE) != 0
        if every:
            trigger = True
        elif _g(I, IP_S2_CHECKPOINTS) == 0:   # "static": one checkpoint per dirty period
            trigger = m_dirty == 1 and _g(I, _pp(dst, P_DIRTY)) == 0
        else:
            trigger = m_dirty == 1 and m_level > _g(I, _pp(dst, P_LEVEL)) and gate
        log_all = _g(I, IP_LOG_ALL_WHEN_DIRTY) != 0
        if trigger:
            _checkpointing(I, D, dst, role)
            _s(I, _pp(dst, P_DIRTY), 1)
            if role == ACT:   # "propagating in"
                _s(I, _pp(dst, P_PRGT), 1 if _role(I, _g(I, m + MS_SRC)) != LOW else 0)
            if log_all:
                _msg_logging(I, D, dst, payload)
        elif log_all:
            if _g(I, _pp(dst, P_DIRTY)) == 1:
                _msg_logging(I, D, dst, payload)
        elif m_dirty == 0 and _g(I, _pp(dst, P_DIRTY)) == 1:
            _msg_logging(I, D, dst, payload)
        _consume(I, dst, payload)
        if m_level > _g(I, _pp(dst, P_LEVEL)):
            _s(I, _pp(dst, P_LEVEL), m_level)
        if every:   # drop checkpoints already validated
            memory_reclamation(I, D, dst, role, _g(I, _pp(dst, P_V_KNOWN)), -1)
        _check_unsafe(I, dst, role)


@njit(**JIT_NORC)
def error_recovery(I, D):
    """``recovery.error_recovery`` followed by ``oracle.check_recovery``."""
    n_low = _g(I, IP_NLOW)
    sdw0 = n_low + _g(I, IP_NACT)
    n_procs = sdw0 + n_low
    coordinated = _g(I, IP_COORDINATED_RECOVERY) != 0
    log_all = _g(I, IP_LOG_ALL_WHEN_DIRTY) != 0
    ck = _g(I, H_CK)
    ms = _g(I, H_MS)
    lg = _g(I, H_LG)
    tw = _g(I, H_TW)
    co = _g(I, H_CO)
    rst = _g(I, H_RST)
    cas = _g(I, H_CAS)
    rpe = _g(I, H_RPE)
    repl = _g(I, H_REPL)
    kf = _g(I, H_KF)
    ef = _g(I, H_EF)
    now = _g(D, F_NOW)
    _s(D, F_T_DETECT, now)
    _s(I, R0 + R_OUTCOME, OUT_RECOVERED)
    _s(I, R0 + R_ENDED, 1)
    _s(D, F_T_END, now)
    v_star = _g(I, R0 + R_PASSED_MAX) if _g(I, R0 + R_NPASSED) > 0 else 0
    token = _g(I, R0 + R_TOKEN)
    co_max = _g(I, R0 + R_CO_MAX)
    ext_star = 0
    for e in range(1, co_max + 1):
        if _g(I, co + e * N_CO + CO_TOKEN) == token and _g(I, co + e * N_CO + CO_OK) != 0:
            ext_star += 1
    if _g(I, IP_COORDINATED_CKPT) != 0:
        _coord_recover(I, D, v_star, ext_star)
        return
    if coordinated:
        # D10: distribute the highest validated level and the device's output count
        for p in range(n_procs):
            role = _role(I, p)
            if role != ACT and role != SDW:
                continue
            memory_reclamation(I, D, p, role, v_star, ext_star)
            if role == SDW:
                if v_star > _g(I, _pp(p, P_IVR)):
                    _s(I, _pp(p, P_IVR), v_star)
                _s(I, _pp(p, P_EXT_IVR), ext_star)
    # rollback of dirty processes to the checkpoint with the smallest (index, ord)
    n_msg = _g(I, R0 + R_NMSG)
    for m in range(n_msg):
        _s(I, repl + m, 0)
    for p in range(n_procs):
        _s(I, rst + p, -1)
        _s(I, cas + p, 0)
        _s(I, rpe + p, 0)
    n_restore = 0
    rb_max = 0.0
    rb_sum = 0.0
    ev_max = 0
    n_replayed = 0
    for p in range(n_procs):
        role = _role(I, p)
        if role != ACT and role != SDW:
            continue
        if _g(I, _pp(p, P_DIRTY)) != 1 or _g(I, _pp(p, P_CK_LEN)) == 0:
            continue
        best = _g(I, _pp(p, P_CK_HEAD))
        c = _g(I, ck + best * N_CK + CK_NEXT)
        while c >= 0:
            ci = _g(I, ck + c * N_CK + CK_INDEX)
            bi = _g(I, ck + best * N_CK + CK_INDEX)
            if ci < bi or (ci == bi and _g(I, ck + c * N_CK + CK_ORD)
                           < _g(I, ck + best * N_CK + CK_ORD)):
                best = c
            c = _g(I, ck + c * N_CK + CK_NEXT)
        _s(I, rst + p, best)
        dist = now - _g(D, D_CKT + best)
        ev = _g(I, _pp(p, P_NRECV)) - _g(I, ck + best * N_CK + CK_NRECV)
        if n_restore == 0 or dist > rb_max:
            rb_max = dist
        if n_restore == 0 or ev > ev_max:
            ev_max = ev
        rb_sum += dist
        n_restore += 1
        best_nrecv = _g(I, ck + best * N_CK + CK_NRECV)
        v_known = _g(I, _pp(p, P_V_KNOWN))
        e = _g(I, _pp(p, P_LG_HEAD))
        while e >= 0:
            mid = _g(I, lg + e * N_LG + LG_MID)
            m = ms + mid * N_MS
            # replay only what no sender will send again
            if not log_all or (_g(I, m + MS_CONSUME_ORD) >= best_nrecv
                               and _g(I, m + MS_LEVEL) <= v_known):
                _s(I, repl + mid, 1)
                n_replayed += 1
                if _g(I, m + MS_ERR) != 0:
                    _s(I, rpe + p, 1)
            e = _g(I, lg + e * N_LG + LG_NEXT)
    # what a rollback undoes: the sends and twins made after the restored checkpoint or,
    # with dedup_regenerated, after the first consumed message that is not replayed
    cut = _g(I, H_CUT)
    dedup = _g(I, IP_DEDUP_REGENERATED) != 0
    for p in range(n_procs):
        c = _g(I, rst + p)
        if c < 0:
            continue
        n_sent = _g(I, ck + c * N_CK + CK_NSENT)
        n_twins = _g(I, ck + c * N_CK + CK_NTWINS)
        if dedup:
            first = -1
            first_ord = 0
            c_nrecv = _g(I, ck + c * N_CK + CK_NRECV)
            for mid in range(n_msg):
                m = ms + mid * N_MS
                co_ord = _g(I, m + MS_CONSUME_ORD)
                if (_g(I, m + MS_DST) == p and _g(I, m + MS_DELIVERED) != 0
                        and co_ord >= c_nrecv and _g(I, repl + mid) == 0
                        and (first < 0 or co_ord < first_ord)):
                    first = mid
                    first_ord = co_ord
            if first >= 0:
                n_sent = _g(I, ms + first * N_MS + MS_RECV_NSENT)
                n_twins = _g(I, ms + first * N_MS + MS_RECV_NTWINS)
            else:
                n_sent = _g(I, _pp(p, P_NSENT))
                n_twins = _g(I, _pp(p, P_NTWINS))
        _s(I, cut + 2 * p, n_sent)
        _s(I, cut + 2 * p + 1, n_twins)
    # shadow takeover
    ivr = _g(I, _pp(sdw0, P_IVR))
    for q in range(sdw0 + 1, n_procs):
        if _g(I, _pp(q, P_IVR)) > ivr:
            ivr = _g(I, _pp(q, P_IVR))
    if coordinated:
        ext_ivr = ext_star
    else:
        ext_ivr = _g(I, _pp(sdw0, P_EXT_IVR))
        for q in range(sdw0 + 1, n_procs):
            if _g(I, _pp(q, P_EXT_IVR)) > ext_ivr:
                ext_ivr = _g(I, _pp(q, P_EXT_IVR))
    int_sdw = _g(I, R0 + R_INT_SDW)
    ext_sdw = _g(I, R0 + R_EXT_SDW)
    n_k = max(int_sdw, _g(I, R0 + R_INT_LOW)) + 1
    n_e = max(ext_sdw, co_max) + 1
    if n_k > _g(I, H_CAP_R) or n_e > _g(I, H_CAP_R):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    for k in range(n_k):
        _s(I, kf + k, 0)
    for e in range(n_e):
        _s(I, ef + e * N_EF, 0)
        _s(I, ef + e * N_EF + 1, 0)
    n_undone_k = 0
    for w in range(_g(I, R0 + R_NTW)):
        row = tw + w * N_TW
        c = _g(I, rst + _g(I, row + TW_SDW))
        if c >= 0 and _g(I, row + TW_ORD) >= _g(I, cut + 2 * _g(I, row + TW_SDW) + 1):
            if _g(I, row + TW_K) != 0 and _g(I, row + TW_K) <= ivr:
                n_undone_k += 1
            if _g(I, row + TW_E) != 0:
                _s(I, ef + _g(I, row + TW_E) * N_EF + 1, 1)
    n_resent = 0
    resent_err = 0
    for q in range(sdw0, n_procs):
        c = _g(I, rst + q)
        lim = _g(I, cut + 2 * q + 1) if c >= 0 else 0
        for f_head in (P_TI_HEAD, P_TE_HEAD):
            w = _g(I, _pp(q, f_head))
            while w >= 0:
                row = tw + w * N_TW
                if c < 0 or _g(I, row + TW_ORD) < lim:
                    n_resent += 1
                    if _g(I, row + TW_K) != 0:
                        _s(I, kf + _g(I, row + TW_K), 1)
                    if _g(I, row + TW_E) != 0:
                        _s(I, ef + _g(I, row + TW_E) * N_EF, 1)
                    if _g(I, row + TW_ERR) != 0:
                        resent_err += 1
                w = _g(I, row + TW_NEXT)
    _s(I, R0 + R_RB_PROCS, n_restore)
    _s(D, F_RB_MAX, rb_max)
    _s(D, F_RB_SUM, rb_sum)
    _s(I, R0 + R_RB_EVMAX, ev_max)
    _s(I, R0 + R_N_REPLAYED, n_replayed)
    _s(I, R0 + R_N_RESENT, n_resent)
    _s(I, R0 + R_N_SUPPRESSED, max(0, ivr - int_sdw) + n_undone_k)
    _oracle(I, D, ivr, ext_ivr, n_k, resent_err, False)


@njit(**JIT_NORC)
def _oracle(I, D, ivr, ext_ivr, n_k, resent_err, coord):
    """``oracle.check_recovery`` over the restore (``RST``), cut, replay flags, the
    re-sent twin numbers (``KF``), output flags (``EF``) and, if ``coord``, the held
    twin numbers (``HELD``)."""
    n_low = _g(I, IP_NLOW)
    n_procs = 2 * n_low + _g(I, IP_NACT)
    by_count = _g(I, IP_OUTPUTS_BY_COUNT) != 0
    ck = _g(I, H_CK)
    ms = _g(I, H_MS)
    tw = _g(I, H_TW)
    co = _g(I, H_CO)
    two = _g(I, H_TWO)
    rst = _g(I, H_RST)
    cas = _g(I, H_CAS)
    rpe = _g(I, H_RPE)
    repl = _g(I, H_REPL)
    kf = _g(I, H_KF)
    ef = _g(I, H_EF)
    cut = _g(I, H_CUT)
    held = _g(I, H_HELD)
    nla = _g(I, R0 + R_N_LOW_ACT)
    token = _g(I, R0 + R_TOKEN)
    co_max = _g(I, R0 + R_CO_MAX)
    ext_sdw = _g(I, R0 + R_EXT_SDW)
    n_msg = _g(I, R0 + R_NMSG)
    # -- application messages
    orphans = 0
    lost = 0
    dups = 0
    contaminated = 0
    unclustered = _g(I, IP_UNCLUSTERED) != 0
    for mid in range(n_msg):
        m = ms + mid * N_MS
        dst = _g(I, m + MS_DST)
        src = _g(I, m + MS_SRC)
        src_role = _role(I, src)
        if _role(I, dst) == LOW:
            if unclustered and src_role == ACT and src < n_low:
                # a partner's new-interface message to low0: the old version that takes
                # over never receives it
                if _g(I, rst + src) < 0 or _g(I, m + MS_SEND_ORD) < _g(I, cut + 2 * src):
                    lost += 1
            continue
        cr = _g(I, rst + dst)
        delivered = _g(I, m + MS_DELIVERED) != 0
        rc = delivered and (cr < 0 or _g(I, m + MS_CONSUME_ORD) < _g(I, ck + cr * N_CK + CK_NRECV))
        rp = _g(I, repl + mid) != 0
        transit = not delivered
        k = _g(I, m + MS_K)
        twin_no = _g(I, m + MS_TWIN_NO)
        if src_role == LOW and twin_no == 0:
            # mdcd-unclustered: a new-interface message of low0 to a partner; the old
            # version never sends it, so a partner state that holds it is an orphan
            if rc or rp or (transit and k <= ivr):
                orphans += 1
                _s(I, cas + dst, 1)
            continue
        if src_role == LOW:
            ri = transit and k <= ivr and not coord
            if coord:
                d = not (twin_no <= nla and _g(I, held + twin_no) != 0)
            else:
                d = twin_no > ivr
            if ri and _g(I, m + MS_ERR) != 0:
                contaminated += 1
        else:
            cs = _g(I, rst + src)
            # the send is undone
            if cs >= 0 and _g(I, m + MS_SEND_ORD) >= _g(I, cut + 2 * src):
                if rc:
                    orphans += 1
                    _s(I, cas + dst, 1)
                if rp:
                    dups += 1
                continue
            ri = transit and not coord
            d = False
        total = int(rc) + int(rp) + int(ri) + int(d)
        if total == 0:
            lost += 1
        elif total > 1:
            if rc and d and not (0 <= twin_no < n_k and _g(I, kf + twin_no) != 0):
                orphans += 1
                _s(I, cas + dst, 1)
            else:
                dups += 1
    # -- external messages of the cluster
    lost_out = 0
    dup_out = 0
    n_e_max = 0
    for e in range(1, co_max + 1):
        if _g(I, co + e * N_CO + CO_TOKEN) == token:
            n_e_max = e
    for e in range(1, ext_sdw + 1):
        if _g(I, two + e * N_TWO) == token and e > n_e_max:
            n_e_max = e
    for e in range(1, n_e_max + 1):
        present = e <= co_max and _g(I, co + e * N_CO + CO_TOKEN) == token
        ok = present and _g(I, co + e * N_CO + CO_OK) != 0
        has_twin = e <= ext_sdw and _g(I, two + e * N_TWO) == token
        if by_count:
            will = e > ext_ivr
        elif has_twin and _g(I, ef + e * N_EF + 1) == 0:
            will = _g(I, ef + e * N_EF) != 0
        elif has_twin:   # generated after takeover: suppressed while int_mSN_G_sdw < ivr
            will = _g(I, tw + _g(I, two + e * N_TWO + 1) * N_TW + TW_INDEX) >= ivr
        elif present:
            will = _g(I, co + e * N_CO + CO_LEVEL) >= ivr
        else:
            will = False
        if ok and will:
            dup_out += 1
        elif not ok and not will:
            lost_out += 1
    if _g(I, IP_SUPPRESS_REDONE_OUTPUTS) == 0:
        od = _g(I, H_OD)
        for j in range(_g(I, R0 + R_NOD)):
            c = _g(I, rst + _g(I, od + j * N_OD))
            if c >= 0 and _g(I, od + j * N_OD + 1) >= _g(I, ck + c * N_CK + CK_NOUT):
                dup_out += 1
    for p in range(n_procs):
        role = _role(I, p)
        if role != ACT and role != SDW:
            continue
        c = _g(I, rst + p)
        state_err = _g(I, ck + c * N_CK + CK_ERR) != 0 if c >= 0 else _g(I, _pp(p, P_ERR)) != 0
        if state_err or _g(I, rpe + p) != 0:
            contaminated += 1
    contaminated += resent_err
    cascade = 0
    for p in range(n_procs):
        cascade += _g(I, cas + p)
    _s(I, R0 + R_ORPHANS, orphans)
    _s(I, R0 + R_LOST, lost)
    _s(I, R0 + R_DUPS, dups)
    _s(I, R0 + R_LOST_OUT, lost_out)
    _s(I, R0 + R_DUP_OUT, dup_out)
    _s(I, R0 + R_CONTAMINATED, contaminated)
    _s(I, R0 + R_CASCADE, cascade)


# -- "coordinated" (reference/coordinated.py) ------------------------------------------


@njit(**JIT_NORC)
def _line_ckpt(I, D, c, p, ordinal):
    """``coordinated._ckpt``: CK row ``c`` saves ``p``'s state now."""
    row = _g(I, H_CK) + c * N_CK
    _s(I, row + CK_INDEX, _g(I, _pp(p, P_LEVEL)))
    _s(I, row + CK_LEVEL_BEFORE, _g(I, _pp(p, P_LEVEL)))
    _s(I, row + CK_NRECV, _g(I, _pp(p, P_NRECV)))
    _s(I, row + CK_NSENT, _g(I, _pp(p, P_NSENT)))
    _s(I, row + CK_NTWINS, _g(I, _pp(p, P_NTWINS)))
    _s(I, row + CK_NOUT, _g(I, _pp(p, P_NOUT)))
    _s(I, row + CK_ERR, _g(I, _pp(p, P_ERR)))
    _s(I, row + CK_ORD, ordinal)
    _s(I, row + CK_STAMP, 0)
    _s(D, D_CKT + c, _g(D, F_NOW))


@njit(**JIT_NORC)
def _new_line(I, D, ordinal):
    """Append a line (checkpoints of every G_act and G_sdw member, channel size)."""
    j = _g(I, R0 + R_NL)
    n_procs = 2 * _g(I, IP_NLOW) + _g(I, IP_NACT)
    if j > _g(I, IP_N_LINES):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return -1
    base = _g(I, H_CAP_M) + j * n_procs
    level = 0
    n_mem = 0
    n_act = 0
    for p in range(n_procs):
        role = _role(I, p)
        if role != ACT and role != SDW:
            continue
        _line_ckpt(I, D, base + p, p, ordinal)
        n_mem += 1
        if role == ACT:
            n_act += 1
        if _g(I, _pp(p, P_LEVEL)) > level:
            level = _g(I, _pp(p, P_LEVEL))
    ln = _g(I, H_LN) + j * N_LN
    _s(I, ln + LN_LEVEL, level)
    _s(I, ln + LN_NMSG, _g(I, R0 + R_NMSG))
    _s(I, ln + LN_DSTAMP, _g(I, R0 + R_DSEQ))
    _s(I, ln + LN_NCHAN, _g(I, R0 + R_TRANSIT))
    _s(I, ln + LN_NMEM, n_mem)
    _s(I, ln + LN_CK, base)
    _s(I, R0 + R_NL, j + 1)
    return n_act


@njit(**JIT_NORC)
def _schedule_lines(I, D):
    """``coordinated.schedule_lines``: line 0 now (t = 0), line events k * coord_period."""
    _s(I, R0 + R_NL, 0)
    _s(I, R0 + R_L0, 0)
    _new_line(I, D, 0)
    period = _g(D, FP_COORD_PERIOD)
    for k in range(1, _g(I, IP_N_LINES) + 1):
        _heap_push(I, D, k * period, -k)


@njit(**JIT_NORC)
def _take_line(I, D, k):
    """``coordinated.take_line``."""
    n_act = _new_line(I, D, k)
    if n_act < 0:
        return
    ln = _g(I, H_LN) + (_g(I, R0 + R_NL) - 1) * N_LN
    n_mem = _g(I, ln + LN_NMEM)
    _s(I, R0 + R_CKPT_ACT, _g(I, R0 + R_CKPT_ACT) + n_act)
    _s(I, R0 + R_CKPT_SDW, _g(I, R0 + R_CKPT_SDW) + n_mem - n_act)
    _change_ckpts(I, n_mem)
    _change_logs(I, D, 0, _g(I, ln + LN_NCHAN))
    _validate_lines(I, D)


@njit(**JIT_NORC)
def _in_channel(I, ln, mid):
    """Whether message ``mid`` (to a G_act / G_sdw process) is in line ``ln``'s channel."""
    m = _g(I, H_MS) + mid * N_MS
    if mid >= _g(I, ln + LN_NMSG):
        return False
    return _g(I, m + MS_DELIVERED) == 0 or _g(I, m + MS_DSEQ) >= _g(I, ln + LN_DSTAMP)


@njit(**JIT_NORC)
def _held_by(I, j, v_star):
    """``coordinated.held_by``: ``HELD[t]`` for twin numbers ``t = 1 .. n_low_act``."""
    ln = _g(I, H_LN) + j * N_LN
    base = _g(I, ln + LN_CK)
    ck = _g(I, H_CK)
    ms = _g(I, H_MS)
    held = _g(I, H_HELD)
    tn = _g(I, H_TN)
    for t in range(1, _g(I, R0 + R_N_LOW_ACT) + 1):
        mid = _g(I, tn + t)
        m = ms + mid * N_MS
        c = ck + (base + _g(I, m + MS_DST)) * N_CK
        h = 0
        if _g(I, m + MS_DELIVERED) != 0 and _g(I, m + MS_CONSUME_ORD) < _g(I, c + CK_NRECV):
            h = 1
        elif _in_channel(I, ln, mid) and _g(I, m + MS_K) <= v_star:
            h = 1
        _s(I, held + t, h)


@njit(**JIT_NORC)
def _remove_held(I, p):
    """Keep, in order, the twins of ``p``'s ``int_msg_log`` whose number is not held."""
    tw = _g(I, H_TW)
    held = _g(I, H_HELD)
    nla = _g(I, R0 + R_N_LOW_ACT)
    prev = -1
    cur = _g(I, _pp(p, P_TI_HEAD))
    n = 0
    while cur >= 0:
        row = tw + cur * N_TW
        nxt = _g(I, row + TW_NEXT)
        k = _g(I, row + TW_K)
        if not (1 <= k <= nla and _g(I, held + k) != 0):
            if prev < 0:
                _s(I, _pp(p, P_TI_HEAD), cur)
            else:
                _s(I, tw + prev * N_TW + TW_NEXT, cur)
            prev = cur
            n += 1
        cur = nxt
    if prev < 0:
        _s(I, _pp(p, P_TI_HEAD), -1)
    else:
        _s(I, tw + prev * N_TW + TW_NEXT, -1)
    _s(I, _pp(p, P_TI_TAIL), prev)
    _s(I, _pp(p, P_TI_LEN), n)


@njit(**JIT_NORC)
def _validate_lines(I, D):
    """``coordinated.validate_lines``: discard the lines older than the newest valid one."""
    v = _g(I, R0 + R_PASSED_MAX) if _g(I, R0 + R_NPASSED) > 0 else 0
    lnb = _g(I, H_LN)
    l0 = _g(I, R0 + R_L0)
    nv = l0
    for j in range(_g(I, R0 + R_NL) - 1, l0 - 1, -1):
        if _g(I, lnb + j * N_LN + LN_LEVEL) <= v:
            nv = j
            break
    if nv == l0:
        return
    d_ck = 0
    d_ch = 0
    for j in range(l0, nv):
        ln = lnb + j * N_LN
        # the line's time: the row of act0 (always a member)
        if _g(D, D_CKT + _g(I, ln + LN_CK) + _g(I, IP_NLOW)) > 0:
            d_ck += _g(I, ln + LN_NMEM)
        d_ch += _g(I, ln + LN_NCHAN)
    _s(I, R0 + R_L0, nv)
    _change_ckpts(I, -d_ck)
    _change_logs(I, D, 0, -d_ch)
    _held_by(I, nv, v)
    n_procs = 2 * _g(I, IP_NLOW) + _g(I, IP_NACT)
    for q in range(n_procs):   # shadows' twins the valid line holds are never needed again
        if _role(I, q) != SDW:
            continue
        n = _g(I, _pp(q, P_TI_LEN))
        if n > 0:
            _remove_held(I, q)
        _change_logs(I, D, _g(I, _pp(q, P_TI_LEN)) - n, 0)


@njit(**JIT_NORC)
def _coord_recover(I, D, v_star, ext_star):
    """``coordinated.recover``: every member rolls back to the newest validated line."""
    n_procs = 2 * _g(I, IP_NLOW) + _g(I, IP_NACT)
    ck = _g(I, H_CK)
    ms = _g(I, H_MS)
    tw = _g(I, H_TW)
    rst = _g(I, H_RST)
    cas = _g(I, H_CAS)
    rpe = _g(I, H_RPE)
    repl = _g(I, H_REPL)
    kf = _g(I, H_KF)
    ef = _g(I, H_EF)
    cut = _g(I, H_CUT)
    held = _g(I, H_HELD)
    lnb = _g(I, H_LN)
    now = _g(D, F_NOW)
    j = _g(I, R0 + R_L0)
    for jj in range(_g(I, R0 + R_NL) - 1, _g(I, R0 + R_L0) - 1, -1):
        if _g(I, lnb + jj * N_LN + LN_LEVEL) <= v_star:
            j = jj
            break
    ln = lnb + j * N_LN
    base = _g(I, ln + LN_CK)
    n_msg = _g(I, R0 + R_NMSG)
    for m in range(n_msg):
        _s(I, repl + m, 0)
    n_restore = 0
    rb_max = 0.0
    rb_sum = 0.0
    ev_max = 0
    for p in range(n_procs):
        _s(I, rst + p, -1)
        _s(I, cas + p, 0)
        _s(I, rpe + p, 0)
        role = _role(I, p)
        if role != ACT and role != SDW:
            continue
        c = base + p
        _s(I, rst + p, c)
        dist = now - _g(D, D_CKT + c)
        ev = _g(I, _pp(p, P_NRECV)) - _g(I, ck + c * N_CK + CK_NRECV)
        if n_restore == 0 or dist > rb_max:
            rb_max = dist
        if n_restore == 0 or ev > ev_max:
            ev_max = ev
        rb_sum += dist
        n_restore += 1
        _s(I, cut + 2 * p, _g(I, ck + c * N_CK + CK_NSENT))
        _s(I, cut + 2 * p + 1, _g(I, ck + c * N_CK + CK_NTWINS))
    # the line's channel is replayed (cluster messages only if validated)
    n_replayed = 0
    for mid in range(n_msg):
        m = ms + mid * N_MS
        dst = _g(I, m + MS_DST)
        if _role(I, dst) == LOW or not _in_channel(I, ln, mid):
            continue
        src_role = _role(I, _g(I, m + MS_SRC))
        if src_role == ACT or src_role == SDW or _g(I, m + MS_K) <= v_star:
            _s(I, repl + mid, 1)
            n_replayed += 1
            if _g(I, m + MS_ERR) != 0:
                _s(I, rpe + dst, 1)
    _held_by(I, j, v_star)
    nla = _g(I, R0 + R_N_LOW_ACT)
    int_sdw = _g(I, R0 + R_INT_SDW)
    n_k = max(int_sdw, _g(I, R0 + R_INT_LOW)) + 1
    n_e = max(_g(I, R0 + R_EXT_SDW), _g(I, R0 + R_CO_MAX)) + 1
    if n_k > _g(I, H_CAP_R) or n_e > _g(I, H_CAP_R):
        _s(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    for k in range(n_k):
        _s(I, kf + k, 0)
    for e in range(n_e):
        _s(I, ef + e * N_EF, 0)
        _s(I, ef + e * N_EF + 1, 0)
    n_undone_held = 0
    n_resent = 0
    resent_err = 0
    for w in range(_g(I, R0 + R_NTW)):
        row = tw + w * N_TW
        q = _g(I, row + TW_SDW)
        k = _g(I, row + TW_K)
        e = _g(I, row + TW_E)
        k_held = 1 <= k <= nla and _g(I, held + k) != 0
        if _g(I, row + TW_ORD) >= _g(I, cut + 2 * q + 1):   # undone
            if k != 0 and k_held:
                n_undone_held += 1
            if e != 0:
                _s(I, ef + e * N_EF + 1, 1)
        elif (k != 0 and not k_held) or (e != 0 and e > ext_star):   # re-sent
            n_resent += 1
            if k != 0:
                _s(I, kf + k, 1)
            if e != 0:
                _s(I, ef + e * N_EF, 1)
            if _g(I, row + TW_ERR) != 0:
                resent_err += 1
    n_suppressed = n_undone_held
    for t in range(int_sdw + 1, nla + 1):
        n_suppressed += _g(I, held + t)
    _s(I, R0 + R_RB_PROCS, n_restore)
    _s(D, F_RB_MAX, rb_max)
    _s(D, F_RB_SUM, rb_sum)
    _s(I, R0 + R_RB_EVMAX, ev_max)
    _s(I, R0 + R_N_REPLAYED, n_replayed)
    _s(I, R0 + R_N_RESENT, n_resent)
    _s(I, R0 + R_N_SUPPRESSED, n_suppressed)
    _oracle(I, D, v_star, ext_star, n_k, resent_err, True)


@njit(**JIT_NORC)
def reset_state(I, D, token):
    """A fresh ``Run``: processes, counters and floats (pools are overwritten)."""
    n_low = _g(I, IP_NLOW)
    n_procs = 2 * n_low + _g(I, IP_NACT)
    for k in range(R0, P0 + n_procs * N_P):
        _s(I, k, 0)
    for p in range(n_procs):
        for f in (P_CK_HEAD, P_CK_TAIL, P_LG_HEAD, P_LG_TAIL, P_TI_HEAD, P_TI_TAIL,
                  P_TE_HEAD, P_TE_TAIL):
            _s(I, _pp(p, f), -1)
    for p in range(n_low):
        if _role(I, p) == LOW:
            _s(I, _pp(p, P_DIRTY), 1)
    _s(I, R0 + R_TOKEN, token)
    _s(D, F_NOW, 0.0)
    _s(D, F_T_END, _g(D, FP_HORIZON))
    _s(D, F_T_FAULT, math.nan)
    _s(D, F_T_DETECT, math.nan)
    _s(D, F_LOG_AREA, 0.0)
    _s(D, F_LOG_T, 0.0)
    _s(D, F_RB_MAX, math.nan)
    _s(D, F_RB_SUM, 0.0)


@njit(**JIT_NORC)
def play_run(I, D, token,
             p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn, n_p,
             w_t, w_kind, w_src, w_dst, n_w):
    """``engine.play_run`` over the stable merge of primary rows and twin rows.

    A replayed trace passes all its rows as primary rows and ``n_w = 0``.
    ``token`` must differ between the runs played on one arena.  Returns the
    error code (``ERR_NONE`` unless a capacity was exceeded).
    """
    horizon = _g(D, FP_HORIZON)
    reset_state(I, D, token)
    if _g(I, IP_COORDINATED_CKPT) != 0:
        _schedule_lines(I, D)
    a = 0
    b = 0
    n_events = 0
    ht = _g(I, H_HT)
    while a < n_p or b < n_w:
        if b >= n_w or (a < n_p and p_t[a] <= w_t[b]):
            t = p_t[a]
            kind = p_kind[a]
            src = p_src[a]
            dst = p_dst[a]
            td = p_td[a]
            u_at = p_uat[a]
            u_comp = p_ucomp[a]
            d_notify = p_dn[a]
            a += 1
        else:
            t = w_t[b]
            kind = w_kind[b]
            src = w_src[b]
            dst = w_dst[b]
            td = math.nan
            u_at = U_AT_MISSING
            u_comp = 0.0
            d_notify = 0.0
            b += 1
        if _g(I, R0 + R_HN) > 0 and _g(D, ht) <= t:
            _drain(I, D, t)
            if _g(I, R0 + R_ENDED) != 0:
                break
        _s(D, F_NOW, t)
        n_events += 1
        role = _role(I, src)
        if role == ABSENT or (dst >= 0 and _role(I, dst) == ABSENT):
            continue   # a shadow that does not exist under this protocol
        if kind == KIND_FAULT:
            _fault(I, D, src)
        elif kind == KIND_OUTPUT:
            if role == LOW:
                _low_output(I, D, src, u_at, u_comp, d_notify)
            elif role == ACT:
                _act_output(I, D, src, u_at, u_comp, d_notify)
            else:
                _sdw_twin_output(I, D, src)
            # the last step of an output, kept out of _low_output / _act_output so that
            # their compiled code stays small (compile time); nothing runs in between
            if _g(I, R0 + R_PENDING_VALIDATE) != 0:
                _s(I, R0 + R_PENDING_VALIDATE, 0)
                _validate_lines(I, D)
            if _g(I, R0 + R_PENDING_RECOVERY) != 0:
                _s(I, R0 + R_PENDING_RECOVERY, 0)
                error_recovery(I, D)
        else:   # a send row: low_send, act_send, sdw_twin_send or sdw_send
            drole = _role(I, dst)
            if role == LOW:
                k = 0
                if drole == ACT:
                    _s(I, R0 + R_INT_LOW, _g(I, R0 + R_INT_LOW) + 1)
                    k = _g(I, R0 + R_INT_LOW)
                mid = _new_msg(I, src, dst, 1, _g(I, R0 + R_INT_LOW), _g(I, _pp(src, P_ERR)),
                               _g(I, _pp(src, P_NSENT)), k)
                _s(I, _pp(src, P_NSENT), _g(I, _pp(src, P_NSENT)) + 1)
                if k != 0 and dst >= _g(I, IP_NLOW):   # is_act(dst): the twin number
                    _s(I, R0 + R_N_LOW_ACT, _g(I, R0 + R_N_LOW_ACT) + 1)
                    if mid >= 0:
                        _s(I, _g(I, H_MS) + mid * N_MS + MS_TWIN_NO, _g(I, R0 + R_N_LOW_ACT))
                        _s(I, _g(I, H_TN) + _g(I, R0 + R_N_LOW_ACT), mid)
                if mid >= 0:
                    _heap_push(I, D, td, mid * 2)
            elif role == ACT:
                if drole == ACT or (_g(I, IP_PRGT_OUT_ON_LOW_SEND) != 0 and drole == LOW):
                    _s(I, _pp(src, P_PRGT), _g(I, _pp(src, P_DIRTY)))
                ords = _g(I, _pp(src, P_NSENT))
                _s(I, _pp(src, P_NSENT), _g(I, _pp(src, P_NSENT)) + 1)
                dirty = _g(I, _pp(src, P_DIRTY))
                level = _g(I, _pp(src, P_LEVEL))
                err = _g(I, _pp(src, P_ERR))
                mid = _new_msg(I, src, dst, dirty, level, err, ords, 0)
                if mid >= 0:
                    _heap_push(I, D, td, mid * 2)
                # a partner's new-interface message to low0 (unclustered) has no twin copy
                if drole == LOW and not (_g(I, IP_UNCLUSTERED) != 0 and src < _g(I, IP_NLOW)):
                    twin = _g(I, IP_NLOW) + _g(I, IP_NACT) + dst
                    mid = _new_msg(I, src, twin, dirty, level, err, ords, 0)
                    if mid >= 0:
                        _heap_push(I, D, td, mid * 2)
            elif drole == ACT:
                _sdw_twin_send(I, D, src)
            else:
                mid = _new_msg(I, src, dst, _g(I, _pp(src, P_DIRTY)), _g(I, _pp(src, P_LEVEL)),
                               _g(I, _pp(src, P_ERR)),
                               _g(I, _pp(src, P_NSENT)), 0)
                _s(I, _pp(src, P_NSENT), _g(I, _pp(src, P_NSENT)) + 1)
                if mid >= 0:
                    _heap_push(I, D, td, mid * 2)
        if _g(I, R0 + R_ENDED) != 0 or _g(I, R0 + R_ERROR) != 0:
            break
    if _g(I, R0 + R_ENDED) == 0:
        _drain(I, D, horizon)
    if _g(I, R0 + R_ENDED) == 0:
        _s(D, F_NOW, horizon)
    _s(D, F_NOW, _g(D, F_T_END))
    _change_logs(I, D, 0, 0)   # close the time integral of the log sizes
    _s(I, R0 + R_N_EVENTS, n_events)
    unsafe = 0
    for p in range(2 * _g(I, IP_NLOW) + _g(I, IP_NACT)):
        if _role(I, p) == ACT or _role(I, p) == SDW:
            unsafe += _g(I, _pp(p, P_UNSAFE))
    _s(I, R0 + R_UNSAFE, unsafe)
    return _g(I, R0 + R_ERROR)


@njit(**JIT_NORC)
def collect(I, D, OI, OF, col):
    """``engine._collect``: the run's metrics into column ``col`` of OI and OF."""
    OI[0, col] = _g(I, R0 + R_OUTCOME)
    OI[1, col] = _g(I, R0 + R_N_EVENTS)
    OI[2, col] = _g(I, R0 + R_CKPT_ACT) + _g(I, R0 + R_CKPT_SDW)
    OI[3, col] = _g(I, R0 + R_CKPT_ACT)
    OI[4, col] = _g(I, R0 + R_CKPT_SDW)
    OI[5, col] = _g(I, R0 + R_CKPT_S1)
    OI[6, col] = _g(I, R0 + R_CKPT_S2)
    OI[7, col] = _g(I, R0 + R_CK_PEAK)
    OI[8, col] = _g(I, R0 + R_LOG_PEAK)
    OI[9, col] = _g(I, R0 + R_LOG_PEAK) * _g(I, IP_MSG_BYTES)
    OI[10, col] = _g(I, R0 + R_LOG_SPEAK)
    OI[11, col] = _g(I, R0 + R_LOG_RPEAK)
    OI[12, col] = _g(I, R0 + R_N_AT)
    OI[13, col] = _g(I, R0 + R_N_AT_PASSED)
    OI[14, col] = _g(I, R0 + R_N_NOTIF)
    OI[15, col] = _g(I, R0 + R_N_COMP)
    OI[16, col] = _g(I, R0 + R_RB_PROCS)
    OI[17, col] = _g(I, R0 + R_RB_EVMAX)
    OI[18, col] = _g(I, R0 + R_N_REPLAYED)
    OI[19, col] = _g(I, R0 + R_N_RESENT)
    OI[20, col] = _g(I, R0 + R_N_SUPPRESSED)
    OI[21, col] = _g(I, R0 + R_ORPHANS)
    OI[22, col] = _g(I, R0 + R_LOST)
    OI[23, col] = _g(I, R0 + R_DUPS)
    OI[24, col] = _g(I, R0 + R_LOST_OUT)
    OI[25, col] = _g(I, R0 + R_DUP_OUT)
    OI[26, col] = _g(I, R0 + R_CONTAMINATED)
    OI[27, col] = _g(I, R0 + R_UNSAFE)
    OI[28, col] = _g(I, R0 + R_CASCADE)
    t_end = _g(D, F_T_END)
    OF[0, col] = t_end
    OF[1, col] = _g(D, F_T_FAULT)
    OF[2, col] = _g(D, F_T_DETECT)
    OF[3, col] = _g(D, F_LOG_AREA) / t_end if t_end > 0 else 0.0
    rb_max = _g(D, F_RB_MAX)
    if _g(I, R0 + R_OUTCOME) == OUT_RECOVERED and _g(I, R0 + R_RB_PROCS) == 0:
        rb_max = 0.0
    OF[4, col] = rb_max
    OF[5, col] = _g(D, F_RB_SUM)


# =====================================================================================
# 5. Drivers
# =====================================================================================

#: Largest number of trace rows per run buffer (buffers stop doubling here).
MAX_ROWS = 1 << 28
#: Error code of a run that needs more than MAX_ROWS rows.
ERR_TOO_MANY_ROWS = 2


@njit(**JIT)
def simulate_block(seed_words, first_run, lo, hi, fp, ip, cap0, OI, OF, out_base, err, b):
    """Generate and play runs ``first_run + lo .. first_run + hi - 1`` on one thread.

    Buffers are allocated once per block; a run that needs more rows than they
    hold is generated again after doubling them (never truncated).
    """
    n_procs = 2 * ip[IP_NLOW] + ip[IP_NACT]
    cap = cap0
    rows = alloc_rows(cap)
    I, D = alloc_state(fp, ip, 2 * cap)
    mixer = np.zeros(4, dtype=np.uint64)
    words4 = np.zeros(4, dtype=np.uint64)
    last_deliver = np.zeros(n_procs * n_procs)
    for i in range(lo, hi):
        run = first_run + i
        while True:
            (p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
             w_t, w_kind, w_src, w_dst) = rows
            n_p, n_w = generate_run(seed_words, run, fp, ip, mixer, words4, last_deliver,
                                    p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
                                    w_t, w_kind, w_src, w_dst)
            if n_p != OVERFLOW:
                break
            if 2 * cap > MAX_ROWS:
                err[b, 0] = ERR_TOO_MANY_ROWS
                err[b, 1] = run
                err[b, 2] = cap
                return
            cap *= 2
            rows = alloc_rows(cap)
            I, D = alloc_state(fp, ip, 2 * cap)
        code = play_run(I, D, i - lo + 1,
                        p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn, n_p,
                        w_t, w_kind, w_src, w_dst, n_w)
        if code != ERR_NONE:
            err[b, 0] = code
            err[b, 1] = run
            err[b, 2] = n_p + n_w
            return
        collect(I, D, OI, OF, out_base + i)


@njit(**PJIT)
def simulate_chunk(seed_words, first_run, n_runs, fp, ip, cap0, n_blocks, OI, OF, out_base,
                   err):
    """Runs ``first_run .. first_run + n_runs - 1`` into columns ``out_base ..`` of OI, OF."""
    for b in prange(n_blocks):
        lo = b * n_runs // n_blocks
        hi = (b + 1) * n_runs // n_blocks
        simulate_block(seed_words, first_run, lo, hi, fp, ip, cap0, OI, OF, out_base, err, b)


@njit(**JIT)
def replay_block(offsets, lo, hi, t, kind, src, dst, td, uat, ucomp, dn, fp, ip, OI, OF,
                 err, b):
    """Play runs ``lo .. hi - 1`` of a flattened trace (rows ``offsets[i]:offsets[i+1]``)."""
    longest = 1
    for i in range(lo, hi):
        longest = max(longest, offsets[i + 1] - offsets[i])
    I, D = alloc_state(fp, ip, longest)
    w_t = np.zeros(0)
    w_i = np.zeros(0, dtype=np.int64)
    for i in range(lo, hi):
        a0 = offsets[i]
        a1 = offsets[i + 1]
        code = play_run(I, D, i - lo + 1,
                        t[a0:a1], kind[a0:a1], src[a0:a1], dst[a0:a1], td[a0:a1],
                        uat[a0:a1], ucomp[a0:a1], dn[a0:a1], a1 - a0,
                        w_t, w_i, w_i, w_i, 0)
        if code != ERR_NONE:
            err[b, 0] = code
            err[b, 1] = i
            err[b, 2] = a1 - a0
            return
        collect(I, D, OI, OF, i)


@njit(**PJIT)
def replay_runs(offsets, t, kind, src, dst, td, uat, ucomp, dn, fp, ip, n_blocks, OI, OF, err):
    """Play every run of a flattened trace."""
    n_runs = offsets.shape[0] - 1
    for b in prange(n_blocks):
        lo = b * n_runs // n_blocks
        hi = (b + 1) * n_runs // n_blocks
        replay_block(offsets, lo, hi, t, kind, src, dst, td, uat, ucomp, dn, fp, ip, OI, OF,
                     err, b)
