"""``reference/unguarded.py``: the unguarded phase of a mission run.

Ground truth only (docs/performability.md): faults contaminate their scope,
erroneous messages contaminate their receivers, and the first external message
of an erroneous ``G_low`` or ``G_act`` process fails the mission.  The shadows
are retired; notifications and checkpoint-line events left on the heap at
``phi`` are dropped.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import ABSENT, HEAP_DELIVER, KIND_FAULT, KIND_OUTPUT, SDW
from .._config import JIT_NORC
from .common import end_failed
from .gen import need_dropped, primary_first
from .heap import heap_pop, heap_push, heap_top
from .layout import (
    F_NOW,
    FP_HORIZON,
    H_IT,
    H_MS,
    HEAP_BITS,
    HEAP_KIND_MASK,
    M_PHASE,
    MF_T_END,
    MS_DST,
    MS_ERR,
    N_MS,
    P_ERR,
    R0,
    R_HN,
    pp,
    rd,
    wr,
)
from .low import fault
from .state import new_msg, role_of


@njit(**JIT_NORC)
def serving(I, p):
    """Whether process ``p`` still serves after ``phi`` (all but the shadows)."""
    # reads P roles
    role = role_of(I, p)
    return role != SDW and role != ABSENT


@njit(**JIT_NORC)
def drain_unguarded(I, D, until):
    """``unguarded._drain``: deliveries due by ``until`` change the ground truth only."""
    # reads the heap, IT, MS[mid]; writes F.now, the heap, P[dst].err
    while rd(I, R0 + R_HN) > 0 and heap_top(I, D) <= until:
        t, seq = heap_pop(I, D)
        wr(D, F_NOW, t)
        code = rd(I, rd(I, H_IT) + seq)
        if code & HEAP_KIND_MASK != HEAP_DELIVER:   # a line event or a notification: dropped
            continue
        m = rd(I, H_MS) + (code >> HEAP_BITS) * N_MS
        dst = rd(I, m + MS_DST)
        if serving(I, dst) and rd(I, m + MS_ERR) != 0:
            wr(I, pp(dst, P_ERR), np.int64(1))


@njit(**JIT_NORC)
def play_unguarded(I, D, a, b, p_t, p_kind, p_src, p_dst, p_td, n_p, w_t, n_w, more):
    """``unguarded.play_unguarded`` from primary row ``a`` and twin row ``b`` on.

    Returns the number of rows processed, or -1 if a row dropped by
    ``gen.generate_run`` is needed (``more``: ``engine.play_run``).
    """
    # reads the run's rows from a, b; writes M.phase, F.now, P err, MS, heap, M.t_end
    wr(I, R0 + M_PHASE, np.int64(1))
    n_rows = 0
    while True:
        if need_dropped(a, b, n_p, n_w, more):
            return -1
        if a >= n_p and b >= n_w:
            break
        twin = not primary_first(a, b, n_p, n_w, p_t, w_t)
        if twin:
            t = w_t[b]
            b += 1
        else:
            t = p_t[a]
            kind = p_kind[a]
            src = p_src[a]
            dst = p_dst[a]
            td = p_td[a]
            a += 1
        if rd(I, R0 + R_HN) > 0 and heap_top(I, D) <= t:
            drain_unguarded(I, D, t)
        wr(D, F_NOW, t)
        n_rows += 1
        if twin or not serving(I, src) or (dst >= 0 and not serving(I, dst)):
            continue   # the shadows no longer run
        if kind == KIND_FAULT:
            fault(I, D, src)
        elif kind == KIND_OUTPUT:
            if rd(I, pp(src, P_ERR)) != 0:
                end_failed(I, D)
                return n_rows
        else:
            mid = new_msg(I, D, src, dst, td, np.int64(0), np.int64(0), rd(I, pp(src, P_ERR)),
                          np.int64(0), np.int64(0), np.int64(-1))
            if mid < 0:
                return n_rows   # capacity exceeded: R_ERROR is set
            heap_push(I, D, td, HEAP_DELIVER, mid)
    wr(D, MF_T_END, rd(D, FP_HORIZON))
    wr(D, F_NOW, rd(D, FP_HORIZON))
    return n_rows
