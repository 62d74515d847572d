"""``reference/levels.py`` over the arenas: the level algebra of both protocol kinds.

A level is an ``int64``.  Under the paper's scalar levels it *is*
``int_mSN_G_low`` (``>= 0``); under ``"mdcd-vector"`` (``IP_PER_MEMBER``) it is a
handle ``~row < 0``: ``row`` is a row of a pool of ``IP_NLOW`` counters per row
(``H_LV``), one counter per cluster member.  The sign tells the two apart, so the
scalar path of every operation is one comparison of values already at hand and
costs the paper's protocols little (``benchmarks/results.md``).  ``lv_leq``,
``lv_join`` and ``lv_excess`` are the
reference's ``leq``, ``join`` and ``excess`` for both kinds, so the rules call
them and never ask which kind runs.

Rows are values, except the rows a process or the run *owns* (layout.py:
``LV_OWNED`` rows per process, its ``int_mSN_G_low``, ``v_known`` and
``ivr_low``, and ``LV_RUN_ROWS`` rows of the run): ``lv_join`` updates an
owned row in place and returns it, so ``x = lv_join(I, x, y)`` is
``x = max(x, y)`` for both kinds.  A level stored where it must not change
later (a message's piggyback, a checkpoint, a log entry, a notification) is
first copied by ``lv_snap``.  Under scalar levels both are the identity and
no pool exists.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._config import JIT_NORC
from .layout import (
    ERR_CAPACITY,
    H_CAP_LV,
    H_LV,
    IP_NACT,
    IP_NLOW,
    IP_PER_MEMBER,
    LV_OWNED,
    LV_RUN_ROWS,
    PB_COUNTER,
    PB_FLAG,
    R0,
    R_ERROR,
    R_LV_N,
    rd,
    wr,
)


@njit(**JIT_NORC)
def lv_vector(I):
    """Whether levels are per-member vectors (``"mdcd-vector"``)."""
    # reads IP_PER_MEMBER
    return rd(I, IP_PER_MEMBER) != 0


@njit(**JIT_NORC)
def lv_row(I, h):
    """Offset in ``I`` of the counters of vector level ``h`` (a handle ``~row``)."""
    # reads H_LV, IP_NLOW
    return rd(I, H_LV) + (~h) * rd(I, IP_NLOW)


@njit(**JIT_NORC)
def lv_owned(I, p, f):
    """Handle of the row process ``p`` owns for its field ``f`` (``LV_LEVEL`` ...)."""
    # no state: a handle
    return ~(p * LV_OWNED + f)


@njit(**JIT_NORC)
def lv_run_row(I, f):
    """Handle of a row the run owns (``LV_PASSED``, ``LV_MADE``, ``LV_IVR_ALL``)."""
    # reads IP_NLOW, IP_NACT
    n_procs = 2 * rd(I, IP_NLOW) + rd(I, IP_NACT)
    return ~(n_procs * LV_OWNED + f)


@njit(**JIT_NORC)
def lv_reset(I):
    """Zero every owned row (a fresh run); the snapshots start after them."""
    # writes LV owned rows, R.lv_n
    n_procs = 2 * rd(I, IP_NLOW) + rd(I, IP_NACT)
    n_owned = n_procs * LV_OWNED + LV_RUN_ROWS
    base = rd(I, H_LV)
    for k in range(n_owned * rd(I, IP_NLOW)):
        wr(I, base + k, np.int64(0))
    wr(I, R0 + R_LV_N, n_owned)


@njit(**JIT_NORC)
def lv_new(I):
    """A new row (its counters are the caller's to write), as a handle; the first row
    (and ``R_ERROR`` set) if the pool is full."""
    # writes R.lv_n (R.error when full)
    h = rd(I, R0 + R_LV_N)
    if h >= rd(I, H_CAP_LV):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return ~0
    wr(I, R0 + R_LV_N, h + 1)
    return ~h


@njit(**JIT_NORC)
def lv_snap(I, a):
    """A level that stays as ``a`` is now (a copy of a vector row; scalar: ``a``)."""
    # reads LV row a; writes LV (a new row)
    if a >= 0:
        return a
    return _vec_snap(I, a)


@njit(**JIT_NORC)
def _vec_snap(I, a):
    # reads LV row a; writes LV (a new row)
    h = lv_new(I)
    n = rd(I, IP_NLOW)
    src = lv_row(I, a)
    dst = lv_row(I, h)
    for i in range(n):
        wr(I, dst + i, rd(I, src + i))
    return h


@njit(**JIT_NORC)
def lv_unit(I, i, c):
    """``VectorLevels.unit``: the level of ``low_i``'s ``c``-th message to G_act."""
    # writes LV (a new row)
    h = lv_new(I)
    dst = lv_row(I, h)
    for j in range(rd(I, IP_NLOW)):
        wr(I, dst + j, c if j == i else 0)
    return h


@njit(**JIT_NORC)
def lv_leq(I, a, b):
    """``leq``: ``a <= b`` (componentwise for vectors)."""
    # reads LV rows a, b
    if (a | b) >= 0:
        return a <= b
    return _vec_leq(I, a, b)


@njit(**JIT_NORC)
def _vec_leq(I, a, b):
    # reads LV rows a, b
    ra = lv_row(I, a)
    rb = lv_row(I, b)
    for i in range(rd(I, IP_NLOW)):
        if rd(I, ra + i) > rd(I, rb + i):
            return False
    return True


@njit(**JIT_NORC)
def lv_join(I, a, b):
    """``join``: ``max(a, b)``; for vectors ``a`` must be an owned row, updated in place."""
    # reads LV row b; writes LV row a
    if (a | b) >= 0:
        return a if a >= b else b
    return _vec_join(I, a, b)


@njit(**JIT_NORC)
def _vec_join(I, a, b):
    # reads LV row b; writes LV row a
    ra = lv_row(I, a)
    rb = lv_row(I, b)
    for i in range(rd(I, IP_NLOW)):
        if rd(I, rb + i) > rd(I, ra + i):
            wr(I, ra + i, rd(I, rb + i))
    return a


@njit(**JIT_NORC)
def lv_set(I, a, i, c):
    """Counter ``i`` of the owned vector row ``a`` becomes ``c``."""
    # writes LV row a
    wr(I, lv_row(I, a) + i, c)


@njit(**JIT_NORC)
def lv_get(I, a, i):
    """Counter ``i`` of vector row ``a``."""
    # reads LV row a
    return rd(I, lv_row(I, a) + i)


@njit(**JIT_NORC)
def lv_excess(I, a, b):
    """``excess``: scalar ``max(0, a - b)``; vector ``a`` against the per-member counts
    in row ``b``: ``sum_i max(0, a[i] - b[i])``."""
    # reads LV rows a, b
    if (a | b) >= 0:
        return a - b if a > b else 0
    ra = lv_row(I, a)
    rb = lv_row(I, b)
    n = 0
    for i in range(rd(I, IP_NLOW)):
        d = rd(I, ra + i) - rd(I, rb + i)
        if d > 0:
            n += d
    return n


@njit(**JIT_NORC)
def lv_bytes(I, numbered):
    """``piggyback_bytes``: a message's ``dirty_bit`` and one counter; under per-member
    levels the member and its number (``numbered``: ``low_i -> G_act``) or ``IP_NLOW``
    counters (docs/metrics.md)."""
    # reads IP_PER_MEMBER, IP_NLOW
    if rd(I, IP_PER_MEMBER) == 0:
        return PB_FLAG + PB_COUNTER
    return PB_FLAG + (2 if numbered else rd(I, IP_NLOW)) * PB_COUNTER


@njit(**JIT_NORC)
def lv_assign(I, a, b):
    """``a = b`` for the level of a field: scalar ``b``; for vectors ``a`` must be an owned
    row, which gets ``b``'s counters (``x = lv_assign(I, x, y)``, like ``lv_join``)."""
    # reads LV row b; writes LV row a (owned)
    if (a | b) >= 0:
        return b
    ra = lv_row(I, a)
    rb = lv_row(I, b)
    for i in range(rd(I, IP_NLOW)):
        wr(I, ra + i, rd(I, rb + i))
    return a
