"""Python side of the in-kernel RNG: seed words, and checks against numpy.

The kernels (numpy's ``SeedSequence`` mixing and ``generate_state``, ``PCG64``'s
seeding and XSL-RR output, ``next_double``) live in ``kernels.rng``.
"""

from __future__ import annotations

import numpy as np

from .kernels import rng as kern

POOL_SIZE = kern.POOL_SIZE


def seed_words(seed: int) -> np.ndarray:
    """uint32 words of ``seed`` (least significant first) padded with zeros to 4 words.

    This is ``SeedSequence``'s entropy before the spawn key is appended
    (``_coerce_to_uint32_array`` of an int, then the padding to the pool size
    that ``get_assembled_entropy`` applies when a spawn key is present).
    """
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    words = [0] if seed == 0 else []
    while seed > 0:
        words.append(seed & 0xFFFFFFFF)
        seed >>= 32
    words += [0] * max(0, POOL_SIZE - len(words))
    return np.array(words, dtype=np.uint32)


def generate_state_numba(seed: int, runs) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=(r,)).generate_state(4, np.uint64)`` for each run."""
    runs = np.asarray(runs, dtype=np.int64)
    out = np.zeros((runs.shape[0], 4), dtype=np.uint64)
    kern.rng_state_words(seed_words(seed), runs, out)
    return out


def raw_outputs_numba(seed: int, run: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First ``n`` raw 64-bit outputs and doubles of run ``run``'s PCG64 stream."""
    raw = np.zeros(n, dtype=np.uint64)
    dbl = np.zeros(n, dtype=np.float64)
    kern.rng_outputs(seed_words(seed), np.int64(run), raw, dbl)
    return raw, dbl


def mulhi_numba(a, b) -> np.ndarray:
    """(intrinsic, portable) high halves of ``a * b``."""
    a = np.ascontiguousarray(a, dtype=np.uint64)
    b = np.ascontiguousarray(b, dtype=np.uint64)
    out = np.zeros((a.shape[0], 2), dtype=np.uint64)
    kern.mulhi_both(a, b, out)
    return out


def exponentials_numba(seed: int, run: int, n: int) -> np.ndarray:
    """First ``n`` standard exponentials (numpy's ziggurat) of run ``run``'s stream."""
    out = np.zeros(n, dtype=np.float64)
    kern.rng_exponentials(seed_words(seed), np.int64(run), out)
    return out
