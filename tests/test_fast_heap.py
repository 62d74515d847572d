"""The numba engine's event heap (``heap.heap_push`` / ``heap_pop`` / ``heap_top``) against
``heapq``, the reference engine's heap: the same items come out in the same order in
both of its shapes (a sorted array up to ``HEAP_SORTED_MAX`` items, a binary heap above)
and across the changes of shape."""

import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from mdcd_lab.fast.kernels.heap import heap_arenas, heap_pop, heap_push, heap_top
from mdcd_lab.fast.kernels.layout import (
    H_IT,
    HEAP_BITS,
    HEAP_KIND_MASK,
    HEAP_SORTED_BACK,
    HEAP_SORTED_MAX,
    R0,
    R_ERROR,
    R_HEAP_TREE,
    R_HN,
)


@njit
def _play(I, D, ops, times, kinds, out_t, out_seq, out_code, out_top, out_tree):
    """``ops[k]`` > 0: push ``(times[k], kinds[k])``, 0: pop; after each op the top's time
    (NaN if empty) and the shape."""
    n_out = 0
    for k in range(ops.shape[0]):
        if ops[k] > 0:
            heap_push(I, D, times[k], kinds[k], k)
        elif I[R0 + R_HN] > 0:
            t, seq = heap_pop(I, D)
            out_t[n_out] = t
            out_seq[n_out] = seq
            out_code[n_out] = I[I[H_IT] + seq]
            n_out += 1
        out_top[k] = heap_top(I, D) if I[R0 + R_HN] > 0 else np.nan
        out_tree[k] = I[R0 + R_HEAP_TREE]
    return n_out


def _check(ops, times, kinds):
    """Play ``ops`` on the kernels and on ``heapq``; the pops, tops and sizes agree."""
    n = len(ops)
    I, D = heap_arenas(n + 1)
    out_t, out_seq, out_code = np.zeros(n), np.zeros(n, np.int64), np.zeros(n, np.int64)
    out_top, out_tree = np.zeros(n), np.zeros(n, np.int64)
    n_out = _play(I, D, np.asarray(ops, np.int64), np.asarray(times, float),
                  np.asarray(kinds, np.int64), out_t, out_seq, out_code, out_top, out_tree)
    heap, popped, tops, seq = [], [], [], 0
    for k, op in enumerate(ops):
        if op > 0:
            heapq.heappush(heap, (times[k], seq, kinds[k], k))
            seq += 1
        elif heap:
            popped.append(heapq.heappop(heap))
        tops.append(heap[0][0] if heap else np.nan)
    assert I[R0 + R_ERROR] == 0
    assert I[R0 + R_HN] == len(heap)
    assert n_out == len(popped)
    for j, (t, s, kind, payload) in enumerate(popped):
        assert (out_t[j], out_seq[j]) == (t, s)
        assert out_code[j] & HEAP_KIND_MASK == kind and out_code[j] >> HEAP_BITS == payload
    np.testing.assert_array_equal(out_top, np.asarray(tops))
    return out_tree


def test_a_heap_that_grows_past_the_sorted_shape_and_shrinks_back_pops_in_heapqs_order():
    rng = np.random.default_rng(2026)
    # up to 200 items (ties on a grid of times), down to 0, up to 40, down again
    ops = [1] * 200 + [0] * 200 + [1] * 40 + [1, 0] * 50 + [0] * 45
    times = rng.integers(0, 50, len(ops)).astype(float) / 4.0
    kinds = rng.integers(0, 5, len(ops))
    tree = _check(ops, times, kinds)
    size = np.cumsum(np.where(np.asarray(ops) > 0, 1, -1))
    # the shapes change where the docstring says: to the heap on the push past
    # HEAP_SORTED_MAX, back when a pop leaves HEAP_SORTED_BACK
    assert tree[HEAP_SORTED_MAX - 1] == 0 and tree[HEAP_SORTED_MAX] == 1
    back = 200 + (200 - HEAP_SORTED_BACK) - 1
    assert size[back] == HEAP_SORTED_BACK and tree[back] == 0 and tree[back - 1] == 1
    assert tree.min() == 0 and tree.max() == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 30), st.integers(0, 4)),
                min_size=1, max_size=300))
def test_random_pushes_and_pops_come_out_as_from_heapq(steps):
    # three pushes for one pop on average: sizes pass HEAP_SORTED_MAX in long draws
    ops = [1 if a > 0 else 0 for a, _, _ in steps]
    times = [t / 3.0 for _, t, _ in steps]   # few distinct times: ties decided by seq
    kinds = [k for _, _, k in steps]
    _check(ops, times, kinds)


def test_a_full_heap_sets_the_capacity_error_and_keeps_its_items():
    I, D = heap_arenas(3)
    ops = np.array([1, 1, 1, 1], np.int64)
    n = 4
    out = [np.zeros(n), np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n),
           np.zeros(n, np.int64)]
    _play(I, D, ops, np.array([3.0, 1.0, 2.0, 0.5]), np.zeros(n, np.int64), *out)
    assert I[R0 + R_ERROR] != 0
    assert I[R0 + R_HN] == 3 and out[3][-1] == 1.0   # the fourth push was refused
