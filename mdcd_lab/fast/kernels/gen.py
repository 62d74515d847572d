"""Trace generation: ``generate_run`` is ``traces._generate_one`` bit for bit.

The cluster's rows ("primary") and the shadow twins go to two buffers;
``merge_rows`` is the reference's stable merge (``engine.play_run`` merges on
the fly).  ``count_rows`` / ``fill_rows`` are the two passes of
``generate_traces_numba``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...constants import (
    CAT_ACT_ACT,
    CAT_ACT_LOW,
    CAT_EXT_ACT,
    CAT_EXT_LOW,
    CAT_FAULT,
    CAT_LOW_ACT,
    CAT_LOW_LOW,
    CAT_SDW_SDW,
    KIND_FAULT,
    KIND_OUTPUT,
    KIND_SEND,
)
from .._config import JIT, JIT_NORC
from .layout import (
    FP_CUM0,
    FP_GROWTH,
    FP_HORIZON,
    FP_LAG,
    FP_LATENCY,
    FP_TOTAL,
    FP_W0,
    FP_WINDOW,
    IP_NACT,
    IP_NLOW,
    IP_NON_FIFO,
)
from .rng import next_exponential, pcg_next, pcg_seed, seed_state, to_double

#: Bits of ``generate_run``'s third result: rows of the stream were dropped because
#: its buffer was full (the rows kept are the stream's first ones).
MORE_PRIMARY = 1
MORE_TWINS = 2


@njit(**JIT_NORC)
def _pick(u, n):
    k = int(u * n)
    return n - 1 if k >= n else k



@njit(**JIT_NORC)
def shadow_twin(s_hi, s_lo, i_hi, i_lo, t, shadow_lag, last_twin, horizon, window, keep,
                w_t, w_kind, w_src, w_dst, n_w, more, means, kind, src, dst):
    """The shadow twin of a cluster event at ``t``: its offset (one draw), made
    non-decreasing so twins keep the cluster's order (D12), appended to the twin rows
    iff it falls before ``horizon`` (dropped, with ``MORE_TWINS`` in ``more``, if the
    buffer is full) and counted in the twin-offset mean (``means[2:4]``) if the event
    is kept (``keep``) and both lie at or before ``window``.
    Returns ``(s_hi, s_lo, last_twin, n_w, more)``."""
    s_hi, s_lo, x7 = pcg_next(s_hi, s_lo, i_hi, i_lo)
    lag = (2.0 * to_double(x7) - 1.0) * shadow_lag
    a = t + lag
    tt = last_twin if last_twin > a else a
    if tt <= horizon:
        if n_w < w_t.shape[0] - 1:   # the last row is scratch (alloc_rows)
            w_t[n_w] = tt
            w_kind[n_w] = kind
            w_src[n_w] = src
            w_dst[n_w] = dst
            n_w += 1
        else:
            more |= MORE_TWINS
        if keep == 1 and t <= window and tt <= window:
            means[2] += tt - t
            means[3] += 1.0
    return s_hi, s_lo, tt, n_w, more

@njit(**JIT_NORC)
def generate_run(seed_words, run, fp, ip, mixer, words4, last_deliver,
                 p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
                 w_t, w_kind, w_src, w_dst, means):
    """``traces._generate_one`` for run ``run``: returns ``(n_primary, n_twins)``.

    ``means`` (4 floats) receives the sums and counts of ``realised_means``
    as the rows are made (``t_deliver - t`` over the kept sends, ``t_twin - t``
    over the kept twins whose cluster event is kept, in row order), so a
    simulated run needs no second pass over its rows (``means_of``).

    The cluster's own rows ("primary") and the shadow twins are written to two
    buffers; the reference's stable merge is ``merge_rows`` (or done on the
    fly by ``engine.play_run``).  A row draws only what its kind uses, in the
    reference's order: the gap (exponential), the category and the source
    (uniforms); then a send: the destination (uniform), the channel delay
    (exponential), a ``low -> act`` send its twin offset (uniform); an output:
    the AT and compensation draws (uniforms), the notification delay
    (exponential), a ``low`` output its twin offset (uniform); a fault nothing, or
    under reliability growth (``FP_GROWTH > 0``) an exponential ``e``, the fault
    kept only if ``e > growth * t`` (Goel-Okumoto thinning).  The means count the
    sends and twins at or before ``FP_WINDOW`` (the horizon phi).
    Events are drawn up to ``horizon + shadow_lag``; those past the horizon
    keep only a twin that falls before it.
    Exponentials are numpy's ziggurat (``rng.next_exponential``), uniforms
    ``next_double``; every floating-point operation has the reference's
    operands and order (``t + e / total``, ``latency * e``, ``(2u - 1) *
    shadow_lag``, ``max(a, b)`` as Python's "``b`` if ``b > a`` else ``a``").
    Returns ``(n_primary, n_twins, more)``: a full buffer drops the stream's later
    rows (written to its scratch row, ``alloc_rows``) but the draws go on (the means
    cover every row); ``more`` has ``MORE_PRIMARY`` / ``MORE_TWINS`` set if rows of
    that stream were dropped (issue 20: memory follows the rows played, not the horizon).
    """
    horizon = fp[FP_HORIZON]
    total = fp[FP_TOTAL]
    latency = fp[FP_LATENCY]
    shadow_lag = fp[FP_LAG]
    window = fp[FP_WINDOW]
    growth = fp[FP_GROWTH]
    # events up to horizon + shadow_lag: a twin of an event just past the horizon can
    # fall before it (the prefix property: a longer horizon adds rows after, only)
    last_t = horizon + shadow_lag
    n_low = ip[IP_NLOW]
    n_act = ip[IP_NACT]
    sdw0 = n_low + n_act
    n_procs = 2 * n_low + n_act
    fifo = ip[IP_NON_FIFO] == 0
    for c in range(n_procs * n_procs):
        last_deliver[c] = 0.0
    for c in range(4):
        means[c] = 0.0
    if total <= 0.0:
        return 0, 0, 0
    cap_p = p_t.shape[0] - 1   # the last row is scratch (alloc_rows)
    more = np.int64(0)
    nan = math.nan
    seed_state(seed_words, run, mixer, words4)
    s_hi, s_lo, i_hi, i_lo = pcg_seed(words4)
    t = 0.0
    last_twin = 0.0
    n_p = 0
    n_w = np.int64(0)
    while True:
        s_hi, s_lo, e = next_exponential(s_hi, s_lo, i_hi, i_lo)
        t = t + e / total
        if t > last_t:
            break
        keep = 1 if t <= horizon else 0   # past the horizon: only a twin may be kept
        step = keep if n_p < cap_p else 0   # full: dropped (MORE_PRIMARY == 1)
        s_hi, s_lo, x1 = pcg_next(s_hi, s_lo, i_hi, i_lo)
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
        s_hi, s_lo, x2 = pcg_next(s_hi, s_lo, i_hi, i_lo)
        u2 = to_double(x2)
        if (cat == CAT_LOW_ACT or cat == CAT_LOW_LOW or cat == CAT_EXT_LOW
                or cat == CAT_FAULT or cat == CAT_SDW_SDW):
            i = _pick(u2, n_low)
            src = i if cat != CAT_SDW_SDW else sdw0 + i
        else:
            src = n_low + _pick(u2, n_act)
        if cat == CAT_FAULT:
            if growth > 0.0:   # Goel-Okumoto thinning: kept with probability exp(-growth t)
                s_hi, s_lo, e = next_exponential(s_hi, s_lo, i_hi, i_lo)
                if not e > growth * t:
                    continue
            p_t[n_p] = t
            p_kind[n_p] = KIND_FAULT
            p_src[n_p] = src
            p_dst[n_p] = -1
            p_td[n_p] = nan
            p_uat[n_p] = nan
            p_ucomp[n_p] = nan
            p_dn[n_p] = nan
            n_p += step
            more |= keep - step
            continue
        if cat == CAT_EXT_LOW or cat == CAT_EXT_ACT:
            s_hi, s_lo, x5 = pcg_next(s_hi, s_lo, i_hi, i_lo)
            s_hi, s_lo, x6 = pcg_next(s_hi, s_lo, i_hi, i_lo)
            s_hi, s_lo, e = next_exponential(s_hi, s_lo, i_hi, i_lo)
            d_notify = latency * e
            p_t[n_p] = t
            p_kind[n_p] = KIND_OUTPUT
            p_src[n_p] = src
            p_dst[n_p] = -1
            p_td[n_p] = nan
            p_uat[n_p] = to_double(x5)
            p_ucomp[n_p] = to_double(x6)
            p_dn[n_p] = d_notify
            n_p += step
            more |= keep - step
            if cat == CAT_EXT_LOW:
                s_hi, s_lo, last_twin, n_w, more = shadow_twin(
                    s_hi, s_lo, i_hi, i_lo, t, shadow_lag, last_twin, horizon, window, keep,
                    w_t, w_kind, w_src, w_dst, n_w, more, means, KIND_OUTPUT, sdw0 + src,
                    np.int64(-1))
            continue
        s_hi, s_lo, x3 = pcg_next(s_hi, s_lo, i_hi, i_lo)
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
        s_hi, s_lo, e = next_exponential(s_hi, s_lo, i_hi, i_lo)
        delay = latency * e
        a = t + delay
        if fifo:   # after every earlier message on the channel
            ch = src * n_procs + dst
            last = last_deliver[ch]
            td = last if last > a else a
            last_deliver[ch] = td
        else:
            td = a
        p_t[n_p] = t
        p_kind[n_p] = KIND_SEND
        p_src[n_p] = src
        p_dst[n_p] = dst
        p_td[n_p] = td
        p_uat[n_p] = nan
        p_ucomp[n_p] = nan
        p_dn[n_p] = nan
        n_p += step
        more |= keep - step
        if keep == 1 and t <= window:
            means[0] += td - t
            means[1] += 1.0
        if cat == CAT_LOW_ACT:
            s_hi, s_lo, last_twin, n_w, more = shadow_twin(
                s_hi, s_lo, i_hi, i_lo, t, shadow_lag, last_twin, horizon, window, keep,
                w_t, w_kind, w_src, w_dst, n_w, more, means, KIND_SEND, sdw0 + src, dst)
    return n_p, n_w, more


@njit(**JIT_NORC)
def means_of(means):
    """``(mean delivery delay, mean twin offset)`` from ``generate_run``'s sums,
    exactly ``realised_means`` of the rows it made (NaN when there is none)."""
    delay = means[0] / means[1] if means[1] > 0 else math.nan
    offset = means[2] / means[3] if means[3] > 0 else math.nan
    return delay, offset


@njit(**JIT_NORC)
def primary_first(a, b, n_p, n_w, p_t, w_t):
    """Whether the stable merge takes primary row ``a`` before twin row ``b``: a cluster
    row comes before a twin at equal times (``traces.generate_traces``)."""
    return b >= n_w or (a < n_p and p_t[a] <= w_t[b])


@njit(**JIT_NORC)
def need_dropped(a, b, n_p, n_w, more):
    """Whether the merge's next row is unknown (a used-up stream dropped rows)."""
    return ((a >= n_p and (more & MORE_PRIMARY) != 0)
            or (b >= n_w and (more & MORE_TWINS) != 0))


@njit(**JIT_NORC)
def merge_rows(n_p, n_w, p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
               w_t, w_kind, w_src, w_dst, o, t, kind, src, dst, td, uat, ucomp, dn):
    """The reference's stable merge (a cluster row before a twin at equal times)."""
    a = np.int64(0)
    b = np.int64(0)
    nan = math.nan
    while a < n_p or b < n_w:
        if primary_first(a, b, n_p, n_w, p_t, w_t):
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
    """Trace buffers: 8 primary and 4 twin columns of ``cap`` rows and a scratch row."""
    n = cap + 1
    return (np.empty(n), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
            np.empty(n, dtype=np.int64), np.empty(n), np.empty(n), np.empty(n),
            np.empty(n), np.empty(n), np.empty(n, dtype=np.int64),
            np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))


@njit(**JIT)
def count_rows(seed_words, first_run, n_runs, fp, ip, cap0, out_counts):
    """Rows of each run (first pass of ``generate_traces_numba``); returns the capacity."""
    n_procs = 2 * ip[IP_NLOW] + ip[IP_NACT]
    cap = cap0
    mixer = np.zeros(4, dtype=np.uint64)
    words4 = np.zeros(4, dtype=np.uint64)
    last_deliver = np.zeros(n_procs * n_procs)
    means = np.zeros(4)
    rows = alloc_rows(cap)
    for i in range(n_runs):
        while True:
            (p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
             w_t, w_kind, w_src, w_dst) = rows
            n_p, n_w, more = generate_run(seed_words, first_run + i, fp, ip, mixer, words4,
                                          last_deliver, p_t, p_kind, p_src, p_dst, p_td,
                                          p_uat, p_ucomp, p_dn, w_t, w_kind, w_src, w_dst,
                                          means)
            if more == 0:   # every row kept
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
    means = np.zeros(4)
    (p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
     w_t, w_kind, w_src, w_dst) = alloc_rows(cap)
    for i in range(n_runs):
        n_p, n_w, _ = generate_run(seed_words, first_run + i, fp, ip, mixer, words4,
                                   last_deliver, p_t, p_kind, p_src, p_dst, p_td, p_uat,
                                   p_ucomp, p_dn, w_t, w_kind, w_src, w_dst, means)
        o = offsets[i]   # cap is count_rows's: every row is kept
        end = merge_rows(n_p, n_w, p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
                         w_t, w_kind, w_src, w_dst, o, t, kind, src, dst, td, uat, ucomp, dn)
        for k in range(o, end):
            run_col[k] = first_run + i


@njit(**JIT_NORC)
def _is_twin(n_low, n_act, kind, src, dst):
    """A shadow twin: an ``sdw`` output, or an ``sdw -> act`` send."""
    return src >= n_low + n_act and (kind == KIND_OUTPUT or (
        kind == KIND_SEND and n_low <= dst < n_low + n_act))


@njit(**JIT_NORC)
def _next_original(n_low, n_act, p_kind, p_src, p_dst, n_p, i, kind):
    """Index of the first cluster event of ``kind`` at or after row ``i`` (``n_p`` if none)."""
    while i < n_p:
        if p_src[i] < n_low and p_kind[i] == kind and (
                kind == KIND_OUTPUT or n_low <= p_dst[i] < n_low + n_act):
            return i
        i += 1
    return n_p


@njit(**JIT_NORC)
def realised_means(n_low, n_act, p_t, p_kind, p_src, p_dst, p_td, n_p,
                   w_t, w_kind, w_src, w_dst, n_w, window):
    """``traces.realised_means``: (mean delivery delay, mean twin offset) of one run.

    Over the run's rows ``p`` (all rows of a replayed trace, the cluster's rows of
    a generated one) and twin rows ``w``: the mean of ``t_deliver - t`` over the
    sends with a delivery time, in row order, and the mean of ``t_twin - t`` over
    the twins, the ``k``-th ``sdw -> act`` send paired with the ``k``-th
    ``low -> act`` send and the ``k``-th ``sdw`` output with the ``k``-th ``low``
    output, in twin order; only sends and pairs at or before ``window``.  NaN when
    there is none.
    """
    total = 0.0
    n = 0
    for i in range(n_p):
        if p_kind[i] == KIND_SEND and p_td[i] == p_td[i] and p_t[i] <= window:
            total += p_td[i] - p_t[i]
            n += 1
    delay = total / n if n > 0 else math.nan
    total = 0.0
    n = 0
    i_send = _next_original(n_low, n_act, p_kind, p_src, p_dst, n_p, np.int64(0), KIND_SEND)
    i_out = _next_original(n_low, n_act, p_kind, p_src, p_dst, n_p, np.int64(0), KIND_OUTPUT)
    for j in range(n_p + n_w):
        if j < n_p:
            kind, src, dst, t = p_kind[j], p_src[j], p_dst[j], p_t[j]
        else:
            kind, src, dst, t = w_kind[j - n_p], w_src[j - n_p], w_dst[j - n_p], w_t[j - n_p]
        if not _is_twin(n_low, n_act, kind, src, dst):
            continue
        if kind == KIND_SEND:
            if i_send >= n_p:
                continue
            t0 = p_t[i_send]
            i_send = _next_original(n_low, n_act, p_kind, p_src, p_dst, n_p, i_send + 1,
                                    KIND_SEND)
        else:
            if i_out >= n_p:
                continue
            t0 = p_t[i_out]
            i_out = _next_original(n_low, n_act, p_kind, p_src, p_dst, n_p, i_out + 1,
                                   KIND_OUTPUT)
        if t0 <= window and t <= window:
            total += t - t0
            n += 1
    offset = total / n if n > 0 else math.nan
    return delay, offset
