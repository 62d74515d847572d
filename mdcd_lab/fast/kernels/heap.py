"""The event heap of ``reference/state.py``'s ``Run`` (``Run.push`` and ``heapq``) over the
arenas: ``heap_push``, ``heap_pop``, ``heap_top`` (``heap[0][0]``).

An item is ``(t, seq)`` (``HT``, ``HS``) with ``IT[seq] = payload << HEAP_BITS | kind``;
the items are kept as an array sorted from the latest to the earliest while there are
at most ``HEAP_SORTED_MAX`` of them, as a binary heap above (``heap_push``).  The sorted
array's code is small enough for LLVM to inline it where items are pushed and popped;
the binary heap's is a call (``heap_push_tree``, ``heap_pop_tree``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._config import JIT_HOT, JIT_NORC
from .layout import (
    ERR_CAPACITY,
    H_CAP_H,
    H_HS,
    H_HT,
    H_IT,
    HDR,
    HEAP_BITS,
    HEAP_SORTED_BACK,
    HEAP_SORTED_MAX,
    N_R,
    R0,
    R_ERROR,
    R_HEAP_TREE,
    R_HN,
    R_SEQ,
    rd,
    wr,
)


@njit(**JIT_NORC)
def heap_push(I, D, t, kind, payload):
    """``Run.push``: ``heapq.heappush(heap, (t, seq, kind, payload))``, the item kept as
    ``IT[seq] = payload << HEAP_BITS | kind``.

    The items ``(t, seq)`` (``HT``, ``HS``) are kept in one of two shapes (``R.heap_tree``):
    an array sorted from the latest to the earliest (the next item last) while there
    are at most ``HEAP_SORTED_MAX`` of them, the usual case (about nine in flight on the
    benchmark scenario): a push moves the later items up by one, a pop takes the last;
    above that, a binary heap (the sorted array read backwards is one), until a pop
    leaves ``HEAP_SORTED_BACK`` items, which are sorted again.  Either way the items come
    out in ``heapq``'s order, the smallest ``(t, seq)`` first (``heap_top``); the
    sorted array takes 0.6x-0.8x the time of the heap at 9 to 63 items (no unpredictable
    branch per level), the heap less from about a hundred (``benchmarks/heap_shapes.py``,
    docs/scaling.md).  A new item's ``seq`` is the largest so far, so it goes after
    every item of its ``t``."""
    # reads R.seq, R.hn, R.heap_tree; writes IT[seq], the heap (HS, HT), R.heap_tree
    seq = rd(I, R0 + R_SEQ)
    n = rd(I, R0 + R_HN)
    if seq >= rd(I, H_CAP_H):
        wr(I, R0 + R_ERROR, ERR_CAPACITY)
        return
    wr(I, rd(I, H_IT) + seq, (payload << HEAP_BITS) | kind)
    wr(I, R0 + R_SEQ, seq + 1)
    if rd(I, R0 + R_HEAP_TREE) == 0 and n < HEAP_SORTED_MAX:
        # sorted: the items at or before t move up by one
        hs = rd(I, H_HS)
        ht = rd(I, H_HT)
        i = n
        while i > 0:
            pt = rd(D, ht + i - 1)
            if pt <= t:   # (pt, ps) < (t, seq): ps < seq
                wr(D, ht + i, pt)
                wr(I, hs + i, rd(I, hs + i - 1))
                i -= 1
            else:
                break
        wr(D, ht + i, t)
        wr(I, hs + i, seq)
        wr(I, R0 + R_HN, n + 1)
    else:
        heap_push_tree(I, D, t, seq, n)


@njit(**JIT_NORC)
def heap_push_tree(I, D, t, seq, n):
    """``heap_push`` of item ``(t, seq)`` onto ``n`` items in the binary heap's shape (the
    sorted array of ``HEAP_SORTED_MAX`` items turned into one first)."""
    # reads R.heap_tree; writes the heap (HS, HT), R.hn, R.heap_tree
    if rd(I, R0 + R_HEAP_TREE) == 0:
        heap_reverse(I, D, n)   # the array read backwards: a binary heap
        wr(I, R0 + R_HEAP_TREE, np.int64(1))
    hs = rd(I, H_HS)
    ht = rd(I, H_HT)
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        pt = rd(D, ht + parent)
        ps = rd(I, hs + parent)
        # (t, seq) < (pt, ps), without a second branch
        if (t < pt) | ((t == pt) & (seq < ps)):
            wr(D, ht + i, pt)
            wr(I, hs + i, ps)
            i = parent
        else:
            break
    wr(D, ht + i, t)
    wr(I, hs + i, seq)
    wr(I, R0 + R_HN, n + 1)


@njit(**JIT_NORC)
def heap_top(I, D):
    """``heap[0][0]``: the time of the next item (the heap must not be empty)."""
    # reads R.hn, R.heap_tree, HT
    last = 0 if rd(I, R0 + R_HEAP_TREE) != 0 else rd(I, R0 + R_HN) - 1
    return rd(D, rd(I, H_HT) + last)


@njit(**JIT_NORC)
def heap_reverse(I, D, n):
    """The first ``n`` items of the heap in the reverse order (sorted from the latest to
    the earliest -> from the earliest: a binary heap)."""
    # reads and writes the heap (HS, HT)
    hs = rd(I, H_HS)
    ht = rd(I, H_HT)
    for a in range(n // 2):
        b = n - 1 - a
        ta = rd(D, ht + a)
        sa = rd(I, hs + a)
        wr(D, ht + a, rd(D, ht + b))
        wr(I, hs + a, rd(I, hs + b))
        wr(D, ht + b, ta)
        wr(I, hs + b, sa)


@njit(**JIT_NORC)
def heap_sort_back(I, D, n):
    """The ``n`` items of the binary heap sorted from the latest to the earliest (insertion
    sort: ``n`` is ``HEAP_SORTED_BACK``); the shape is the sorted array again."""
    # reads and writes the heap (HS, HT), R.heap_tree
    hs = rd(I, H_HS)
    ht = rd(I, H_HT)
    for k in range(1, n):
        t = rd(D, ht + k)
        s = rd(I, hs + k)
        i = k
        while i > 0:
            pt = rd(D, ht + i - 1)
            ps = rd(I, hs + i - 1)
            if (pt < t) | ((pt == t) & (ps < s)):   # (pt, ps) < (t, s): it goes after
                wr(D, ht + i, pt)
                wr(I, hs + i, ps)
                i -= 1
            else:
                break
        wr(D, ht + i, t)
        wr(I, hs + i, s)
    wr(I, R0 + R_HEAP_TREE, np.int64(0))


@njit(**JIT_HOT)
def heap_pop(I, D):
    """Remove the smallest (t, seq) and return it (``heapq.heappop``; the two shapes of
    ``heap_push``)."""
    # reads and writes the heap (HS, HT), R.hn, R.heap_tree
    n = rd(I, R0 + R_HN) - 1
    wr(I, R0 + R_HN, n)
    if rd(I, R0 + R_HEAP_TREE) == 0:   # sorted: the last item
        return rd(D, rd(I, H_HT) + n), rd(I, rd(I, H_HS) + n)
    return heap_pop_tree(I, D, n)


@njit(**JIT_NORC)
def heap_pop_tree(I, D, n):
    """``heap_pop`` in the binary heap's shape (``n`` items are left); sorted again when
    they are ``HEAP_SORTED_BACK``."""
    # reads and writes the heap (HS, HT), R.heap_tree
    hs = rd(I, H_HS)
    ht = rd(I, H_HT)
    t0 = rd(D, ht)
    s0 = rd(I, hs)
    if n > 0:
        t = rd(D, ht + n)
        s = rd(I, hs + n)
        i = 0
        c = 1
        while c < n:
            tc = rd(D, ht + c)
            sc = rd(I, hs + c)
            if c + 1 < n:
                t2 = rd(D, ht + c + 1)
                s2 = rd(I, hs + c + 1)
                right = (t2 < tc) | ((t2 == tc) & (s2 < sc))
                c = c + 1 if right else c
                tc = t2 if right else tc
                sc = s2 if right else sc
            if (tc < t) | ((tc == t) & (sc < s)):
                wr(D, ht + i, tc)
                wr(I, hs + i, sc)
                i = c
                c = 2 * i + 1
            else:
                break
        wr(D, ht + i, t)
        wr(I, hs + i, s)
    if n <= HEAP_SORTED_BACK:
        heap_sort_back(I, D, n)
    return t0, s0


def heap_arenas(cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Arenas that hold only what the heap's kernels use, with room for ``cap`` pushes.

    The header slots of the three arrays (``HS`` and ``IT`` in the int arena after the
    run's fields, ``HT`` at the start of the float arena), ``H_CAP_H`` and the run's
    fields (``R_HN``, ``R_SEQ``, ``R_HEAP_TREE``, ``R_ERROR``: zero).  For the heap's
    tests (``tests/test_fast_heap.py``) and ``benchmarks/heap_shapes.py``; the engine's
    arenas are ``layout.alloc_state``'s.
    """
    I = np.zeros(HDR + N_R + 2 * cap, dtype=np.int64)
    I[H_HS] = HDR + N_R
    I[H_IT] = HDR + N_R + cap
    I[H_HT] = 0
    I[H_CAP_H] = cap
    return I, np.zeros(cap)
