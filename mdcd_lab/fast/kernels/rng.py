"""numpy's ``SeedSequence`` and ``PCG64`` bit for bit, inside the kernels.

``seed_state`` is ``SeedSequence(seed, spawn_key=(run,)).generate_state(4,
uint64)``, ``pcg_seed`` is ``pcg64_set_seed``, ``pcg_next`` one
``pcg64_random_r`` (XSL-RR output), ``to_double`` numpy's ``next_double``
and ``next_exponential`` numpy's ziggurat ``random_standard_exponential``
(``Generator.standard_exponential()``).  128-bit arithmetic runs on (high,
low) ``uint64`` pairs; the high half of a 64x64 product is the LLVM intrinsic
``umulhi``.  The
``rng_*`` / ``mulhi_both`` kernels serve ``fast/_rng.py`` and the tests.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic
from numba.np.random import _constants as _zig

from .._config import JIT, JIT_NORC

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
    """High 64 bits of ``a * b`` with 32-bit limbs (cross-check of ``umulhi``)."""
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


# numpy's ziggurat tables for the standard exponential (numpy's
# ziggurat_constants.h, as numba ships them for its own np.random support)
KE = _zig.ke_double
WE = _zig.we_double
FE = _zig.fe_double
ZIGGURAT_EXP_R = float(_zig.ziggurat_exp_r)
SH3 = U64(3)
SH8 = U64(8)
MASK8 = U64(0xFF)


@njit(**JIT_NORC)
def next_exponential(s_hi, s_lo, i_hi, i_lo):
    """numpy's ``random_standard_exponential`` (ziggurat) on the stream.

    ``Generator.standard_exponential()`` bit for bit: one 64-bit draw, ``ri >>=
    3``, ``idx = ri & 0xFF``, ``ri >>= 8``, ``x = ri * we[idx]``, accepted if
    ``ri < ke[idx]`` (~98.9 % of calls); otherwise the base strip (``idx == 0``:
    ``r - log1p(-next_double)``) or a wedge test with ``exp(-x)``, else a new
    draw.  Returns ``(s_hi, s_lo, x)``.
    """
    while True:
        s_hi, s_lo, r = pcg_next(s_hi, s_lo, i_hi, i_lo)
        ri = r >> SH3
        idx = ri & MASK8
        ri = ri >> SH8
        x = np.float64(ri) * WE[idx]
        if ri < KE[idx]:
            return s_hi, s_lo, x
        s_hi, s_lo, r = pcg_next(s_hi, s_lo, i_hi, i_lo)
        if idx == ZERO:
            return s_hi, s_lo, ZIGGURAT_EXP_R - math.log1p(-to_double(r))
        if (FE[idx - ONE] - FE[idx]) * to_double(r) + FE[idx] < math.exp(-x):
            return s_hi, s_lo, x


@njit(**JIT)
def rng_exponentials(words, run, out):
    """The first standard exponentials of one run's stream (test support)."""
    mixer = np.zeros(4, dtype=np.uint64)
    buf = np.zeros(4, dtype=np.uint64)
    seed_state(words, run, mixer, buf)
    s_hi, s_lo, i_hi, i_lo = pcg_seed(buf)
    for k in range(out.shape[0]):
        s_hi, s_lo, out[k] = next_exponential(s_hi, s_lo, i_hi, i_lo)
