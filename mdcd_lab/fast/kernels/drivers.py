"""Threads and buffers: ``simulate_chunk`` and ``replay_runs``.

Runs are cut into one block per thread; each block is one call of a compiled
kernel (``simulate_block``, ``replay_block``: buffers and arenas allocated once per
block) that releases the GIL (``nogil``), on a pool of Python threads.  A
``prange`` loop did the same, but a ``parallel=True`` kernel compiles its whole
call tree a second time (its loop index is unsigned, so ``simulate_block`` was
compiled for a ``uint64`` block number too) and made up most of the cold compile
(issue 20).  The two drivers are plain Python functions; they load the cold rules
a run needs and the event loop and give the kernels their addresses
(``cold.with_addresses``): each block kernel plays a run by calling the loop,
``engine.play_run`` compiled once as a C function (``cold.LOOP``), through its address
(``play``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from .._config import JIT, JIT_NORC
from .cold import with_addresses
from .engine import collect
from .gen import alloc_rows, generate_run, means_of, realised_means
from .intrinsics import arena, call_c_int64
from .layout import (
    ERR_MORE_ROWS,
    ERR_NO_RULE,
    ERR_NONE,
    FP_WINDOW,
    IP_ADDR_PLAY_RUN,
    IP_NACT,
    IP_NLOW,
    alloc_state,
)

#: Largest number of trace rows per run buffer (buffers stop doubling here).
MAX_ROWS = 1 << 28
#: Error code of a run that needs more than MAX_ROWS rows.
ERR_TOO_MANY_ROWS = 2


@njit(**JIT_NORC)
def play(ip, I, D, token, p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn, n_p,
         w_t, w_kind, w_src, w_dst, n_w, more, delay, offset):
    """``engine.play_run(I, D, token, p_t, ..., offset)`` through its address
    ``ip[IP_ADDR_PLAY_RUN]`` (``cold.LOOP``, filled by ``cold.with_addresses``), the
    arrays passed as their data pointers (``intrinsics.arena``: each C-contiguous; the loop
    reads rows below ``n_p`` and ``n_w`` only); ``ERR_NO_RULE`` if the address is
    missing (the run is not played)."""
    # writes everything of the run (engine.play_run)
    addr = ip[IP_ADDR_PLAY_RUN]
    if addr == 0:
        return ERR_NO_RULE
    return call_c_int64(addr, (
        arena(I), arena(D), np.int64(token),
        arena(p_t), arena(p_kind), arena(p_src), arena(p_dst), arena(p_td), arena(p_uat),
        arena(p_ucomp), arena(p_dn), np.int64(n_p),
        arena(w_t), arena(w_kind), arena(w_src), arena(w_dst), np.int64(n_w),
        np.int64(more), np.float64(delay), np.float64(offset)))


@njit(**JIT)
def simulate_block(seed_words, first_run, lo, hi, fp, ip, cap0, OI, OF, out_base, err, b):
    """Generate and play runs ``first_run + lo .. first_run + hi - 1`` on one thread.

    Buffers and arenas are allocated once per block, for ``cap0`` rows per stream;
    a run is generated whole (its draws to the horizon) but only its first rows are
    kept (``gen.generate_run``).  A run that needs a row past them
    (``ERR_MORE_ROWS``) is generated and played again after doubling the buffers
    and the arenas, which stay at that size for the block's later runs: the memory
    follows the rows the runs play, not the horizon (issue 20).
    """
    # writes the block's arenas, row buffers, OI / OF columns, err[b]
    n_procs = 2 * ip[IP_NLOW] + ip[IP_NACT]
    cap = cap0
    rows = alloc_rows(cap)
    I, D = alloc_state(fp, ip, 2 * cap)
    mixer = np.zeros(4, dtype=np.uint64)
    words4 = np.zeros(4, dtype=np.uint64)
    last_deliver = np.zeros(n_procs * n_procs)
    means = np.zeros(4)
    token = np.int64(0)
    for i in range(lo, hi):
        run = first_run + i
        while True:
            (p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn,
             w_t, w_kind, w_src, w_dst) = rows
            n_p, n_w, more = generate_run(seed_words, run, fp, ip, mixer, words4,
                                          last_deliver, p_t, p_kind, p_src, p_dst, p_td,
                                          p_uat, p_ucomp, p_dn, w_t, w_kind, w_src, w_dst,
                                          means)
            delay, offset = means_of(means)   # the realised means, summed while generating
            token += 1
            code = play(ip, I, D, token,
                        p_t, p_kind, p_src, p_dst, p_td, p_uat, p_ucomp, p_dn, n_p,
                        w_t, w_kind, w_src, w_dst, n_w, more, delay, offset)
            if code != ERR_MORE_ROWS:
                break
            if 2 * cap > MAX_ROWS:
                err[b, 0] = ERR_TOO_MANY_ROWS
                err[b, 1] = run
                err[b, 2] = cap
                return
            cap *= 2
            rows = alloc_rows(cap)
            I, D = alloc_state(fp, ip, 2 * cap)
            token = np.int64(0)
        if code != ERR_NONE:
            err[b, 0] = code
            err[b, 1] = run
            err[b, 2] = n_p + n_w
            return
        collect(I, D, OI, OF, out_base + i)


def on_threads(block, n_blocks: int) -> None:
    """Call ``block(b)`` for ``b = 0 .. n_blocks - 1``, one thread each (the calling thread
    alone if ``n_blocks == 1``); returns when all are done, raising the first error."""
    if n_blocks == 1:
        block(0)
        return
    with ThreadPoolExecutor(max_workers=n_blocks, thread_name_prefix="mdcd-block") as pool:
        for f in [pool.submit(block, b) for b in range(n_blocks)]:
            f.result()


def simulate_chunk(seed_words, first_run, n_runs, fp, ip, cap0, n_blocks, OI, OF, out_base,
                   err):
    """Runs ``first_run .. first_run + n_runs - 1`` into columns ``out_base ..`` of OI, OF,
    one block of runs per thread (``n_blocks`` threads)."""
    # writes OI / OF columns, err
    ip = with_addresses(ip)   # the cold rules' addresses in this process (kernels/cold.py)

    def block(b):
        lo = b * n_runs // n_blocks
        hi = (b + 1) * n_runs // n_blocks
        simulate_block(seed_words, first_run, lo, hi, fp, ip, cap0, OI, OF, out_base, err, b)
    on_threads(block, n_blocks)


@njit(**JIT)
def replay_block(offsets, lo, hi, t, kind, src, dst, td, uat, ucomp, dn, fp, ip, OI, OF,
                 err, b):
    """Play runs ``lo .. hi - 1`` of a flattened trace (rows ``offsets[i]:offsets[i+1]``)."""
    # reads the trace columns; writes the block's arena, OI / OF columns, err[b]
    longest = np.int64(1)
    for i in range(lo, hi):
        longest = max(longest, offsets[i + 1] - offsets[i])
    I, D = alloc_state(fp, ip, longest)
    w_t = np.zeros(0)
    w_i = np.zeros(0, dtype=np.int64)
    for i in range(lo, hi):
        a0 = offsets[i]
        a1 = offsets[i + 1]
        delay, offset = realised_means(ip[IP_NLOW], ip[IP_NACT], t[a0:a1], kind[a0:a1],
                                       src[a0:a1], dst[a0:a1], td[a0:a1], a1 - a0,
                                       w_t, w_i, w_i, w_i, np.int64(0), fp[FP_WINDOW])
        code = play(ip, I, D, i - lo + 1,
                    t[a0:a1], kind[a0:a1], src[a0:a1], dst[a0:a1], td[a0:a1],
                    uat[a0:a1], ucomp[a0:a1], dn[a0:a1], a1 - a0,
                    w_t, w_i, w_i, w_i, np.int64(0), np.int64(0), delay, offset)
        if code != ERR_NONE:
            err[b, 0] = code
            err[b, 1] = i
            err[b, 2] = a1 - a0
            return
        collect(I, D, OI, OF, i)


def replay_runs(offsets, t, kind, src, dst, td, uat, ucomp, dn, fp, ip, n_blocks, OI, OF, err):
    """Play every run of a flattened trace, one block of runs per thread."""
    # reads the trace columns; writes OI / OF columns, err
    n_runs = offsets.shape[0] - 1
    ip = with_addresses(ip)   # the cold rules' addresses in this process (kernels/cold.py)

    def block(b):
        lo = b * n_runs // n_blocks
        hi = (b + 1) * n_runs // n_blocks
        replay_block(offsets, lo, hi, t, kind, src, dst, td, uat, ucomp, dn, fp, ip, OI, OF,
                     err, b)
    on_threads(block, n_blocks)
