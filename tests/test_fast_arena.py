"""``layout.arena``: a rule reads and writes an arena through its data pointer exactly as
through the array (``engine.play_run`` hands the rules the pointers, issue 20)."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from mdcd_lab.fast.kernels.layout import arena, rd, wr


@njit
def _read_through_pointers(I, D, out_i, out_f):
    pI = arena(I)
    pD = arena(D)
    for k in range(I.shape[0]):
        out_i[k] = rd(pI, k)
    for k in range(D.shape[0]):
        out_f[k] = rd(pD, k)


@njit
def _write_through_pointers(I, D, idx, vi, vf):
    pI = arena(I)
    pD = arena(D)
    for k in range(idx.shape[0]):
        wr(pI, idx[k], vi[k])
        wr(pD, idx[k], vf[k])


@njit
def _arena_of(A):
    return rd(arena(A), 0)


def test_reads_through_the_pointer_are_the_arrays_values():
    rng = np.random.default_rng(20)
    I = rng.integers(-2**62, 2**62, 1000)
    D = rng.standard_normal(1000)
    D[[3, 7]] = np.nan, -0.0
    out_i, out_f = np.zeros(1000, dtype=np.int64), np.zeros(1000)
    _read_through_pointers(I, D, out_i, out_f)
    np.testing.assert_array_equal(out_i, I)
    assert out_f.tobytes() == D.tobytes()   # every bit, NaN and -0.0 included


def test_writes_through_the_pointer_land_where_numpys_do():
    rng = np.random.default_rng(21)
    idx = rng.integers(0, 500, 300)
    vi = rng.integers(-2**62, 2**62, 300)
    vf = rng.standard_normal(300)
    I, D = np.zeros(500, dtype=np.int64), np.zeros(500)
    _write_through_pointers(I, D, idx, vi, vf)
    want_i, want_f = np.zeros(500, dtype=np.int64), np.zeros(500)
    for k in range(300):   # in order: a later write to the same slot wins
        want_i[idx[k]] = vi[k]
        want_f[idx[k]] = vf[k]
    np.testing.assert_array_equal(I, want_i)
    assert D.tobytes() == want_f.tobytes()


def test_only_a_contiguous_one_dimensional_array_has_an_arena_pointer():
    a = np.arange(10, dtype=np.int64)
    assert _arena_of(a[3:]) == 3
    with pytest.raises(TypingError):
        _arena_of(a[::2])
    with pytest.raises(TypingError):
        _arena_of(a.reshape(2, 5))


@njit
def _through_the_pointer_of_a_pointer(A, k, v):
    p = arena(arena(A))
    wr(p, k, v)
    return rd(p, k - 1)


def test_the_arena_of_a_pointer_is_that_pointer():
    """``engine.play_run`` is compiled with pointers for its arenas and rows (the loop's C
    function, ``cold.LOOP``): ``arena`` passes a pointer through unchanged."""
    A = np.arange(7, dtype=np.int64) * 3
    assert _through_the_pointer_of_a_pointer(A, 5, -1) == 12
    np.testing.assert_array_equal(A, [0, 3, 6, 9, 12, -1, 18])
