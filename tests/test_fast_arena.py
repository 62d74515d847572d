"""``intrinsics.arena``: a rule reads and writes an arena through its data pointer exactly as
through the array (``engine.play_run`` hands the rules the pointers, issue 20); the
accessors ``rd`` / ``wr`` and ``layout.pp``, intrinsics since session 20, do what numba's
indexing and arithmetic do."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from mdcd_lab.fast.kernels.intrinsics import arena, rd, wr
from mdcd_lab.fast.kernels.layout import N_P, P0, pp


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


# -- rd / wr are intrinsics (session 20): numba's own element pointer, load and store ----
@njit
def _numba_read(A, idx, out):
    """The accessors' old definition, a kernel: ``A[np.uintp(i)]``."""
    for k in range(idx.shape[0]):
        out[k] = A[np.uintp(idx[k])]


@njit
def _rd_read(A, idx, out):
    for k in range(idx.shape[0]):
        out[k] = rd(A, idx[k])


@njit
def _numba_write(A, idx, v):
    for k in range(idx.shape[0]):
        A[np.uintp(idx[k])] = v[k]


@njit
def _wr_write(A, idx, v):
    for k in range(idx.shape[0]):
        wr(A, idx[k], v[k])


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("step", [1, 3])   # a C-contiguous array and a strided one
def test_rd_and_wr_read_and_write_what_numbas_indexing_does(dtype, step):
    """On arrays (``fp``, ``ip``, the out tables) of each dtype and layout, ``rd`` reads and
    ``wr`` writes, converting the value to the array's dtype, exactly what numba's
    ``A[np.uintp(i)]`` does (the accessors' definition before they became intrinsics)."""
    rng = np.random.default_rng(22)
    base = rng.integers(0, 200, 600).astype(dtype)
    A = base[::step]
    idx = rng.integers(0, A.shape[0], 400)
    got, want = np.zeros(400, dtype=dtype), np.zeros(400, dtype=dtype)
    _rd_read(A, idx, got)
    _numba_read(A, idx, want)
    assert got.tobytes() == want.tobytes()
    for v in (rng.integers(0, 100, 400), rng.uniform(0.0, 100.0, 400)):   # int / float in
        mine, numbas = base.copy(), base.copy()
        _wr_write(mine[::step], idx, v)
        _numba_write(numbas[::step], idx, v)
        assert mine.tobytes() == numbas.tobytes(), v.dtype


@njit
def _rd_2d(A):
    return rd(A, 0)


@njit
def _rd_float_index(A):
    return rd(A, 1.5)


def test_rd_refuses_a_two_dimensional_array_and_a_float_index():
    with pytest.raises(TypingError):
        _rd_2d(np.zeros((2, 2)))
    with pytest.raises(TypingError):
        _rd_float_index(np.zeros(3))


def test_wr_refuses_a_read_only_array_as_numbas_indexing_does():
    A = np.arange(4, dtype=np.int64)
    A.setflags(write=False)
    out = np.zeros(2, dtype=np.int64)
    _rd_read(A, np.array([3, 1]), out)   # reading is fine
    assert out.tolist() == [3, 1]
    for write in (_wr_write, _numba_write):
        with pytest.raises(TypingError):
            write(A, np.array([0]), np.array([7]))
    assert A.tolist() == [0, 1, 2, 3]


@njit
def _pp_of(p, f):
    return pp(p, f)


@njit
def _pp_int32(p, f):
    return pp(np.int32(p), np.int8(f))


def test_pp_is_the_process_fields_index():
    """``pp`` (an intrinsic) is ``P0 + p * N_P + f`` with int64 arithmetic, for int64 and
    smaller signed integers; an unsigned process is refused (numba would have made the
    sum a float)."""
    for p, f in ((0, 0), (3, 5), (17, N_P - 1), (2**40, 7)):
        assert _pp_of(p, f) == P0 + p * N_P + f
        if p < 2**31:
            assert _pp_int32(p, f) == P0 + p * N_P + f
    with pytest.raises(TypingError):
        _pp_of(np.uint64(1), 0)
