"""The numba engine's RNG is numpy's SeedSequence + PCG64 + next_double, bit for bit."""

import numpy as np
import pytest

from mdcd_lab.fast._rng import (
    exponentials_numba,
    generate_state_numba,
    mulhi_numba,
    raw_outputs_numba,
    seed_words,
)

SEEDS = [0, 1, 2, 7, 12345, 2**31 - 1, 2**32 - 1, 2**32, 2**32 + 1, 2**40 + 5, 2**63 - 1,
         2**63 + 11, 2**64 - 1, 2**64, 2**96 + 3, 2**128 - 1, 2**128 + 7]
RUNS = [0, 1, 2, 3, 1000, 65535, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40 + 3, 2**63 - 1]


def _numpy_state(seed, run):
    return np.random.SeedSequence(seed, spawn_key=(run,)).generate_state(4, np.uint64)


def test_seed_words_pad_to_pool():
    assert seed_words(0).tolist() == [0, 0, 0, 0]
    assert seed_words(2**32 + 5).tolist() == [5, 1, 0, 0]
    assert len(seed_words(2**130)) == 5
    with pytest.raises(ValueError):
        seed_words(-1)


@pytest.mark.parametrize("seed", SEEDS)
def test_generate_state_matches_numpy(seed):
    got = generate_state_numba(seed, RUNS)
    for k, r in enumerate(RUNS):
        assert np.array_equal(got[k], _numpy_state(seed, r)), (seed, r)


def test_generate_state_many_random_seeds_and_runs():
    rng = np.random.default_rng(20260101)
    seeds = [int(x) for x in rng.integers(0, 2**63, 40)] + [int(x) << 40 for x in range(5)]
    runs = [int(x) for x in rng.integers(0, 2**62, 25)] + list(range(15))
    for seed in seeds:
        got = generate_state_numba(seed, runs)
        for k, r in enumerate(runs):
            assert np.array_equal(got[k], _numpy_state(seed, r)), (seed, r)


@pytest.mark.parametrize("seed,run", [(0, 0), (1, 0), (7, 3), (2**32, 5), (2**32 + 9, 2**32),
                                      (2**64 - 1, 2**40 + 3), (2**70 + 1, 17),
                                      (123456789, 2**63 - 1)])
def test_first_1000_outputs_and_doubles(seed, run):
    raw, dbl = raw_outputs_numba(seed, run, 1000)
    bit_gen = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(run,)))
    assert np.array_equal(raw, bit_gen.random_raw(1000))
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(run,))))
    expect = gen.random(1000)
    assert np.array_equal(dbl.view(np.uint64), expect.view(np.uint64))


def test_mulhi_intrinsic_and_portable_agree_with_python():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 2**64, 5000, dtype=np.uint64)
    b = rng.integers(0, 2**64, 5000, dtype=np.uint64)
    edge = np.array([0, 1, 2**32 - 1, 2**32, 2**63, 2**64 - 1], dtype=np.uint64)
    a = np.concatenate([a, np.repeat(edge, len(edge))])
    b = np.concatenate([b, np.tile(edge, len(edge))])
    got = mulhi_numba(a, b)
    expect = np.array([(int(x) * int(y)) >> 64 for x, y in zip(a, b, strict=True)],
                      dtype=np.uint64)
    assert np.array_equal(got[:, 0], expect)
    assert np.array_equal(got[:, 1], expect)


def test_exponentials_match_numpy_ziggurat_bit_for_bit():
    # ~1.1 % of the draws take the ziggurat's unlikely branches (base strip, wedges)
    rng = np.random.default_rng(20261128)
    pairs = [(s, r) for s in SEEDS[:9] for r in (0, 1, 2**40 + 3)]
    pairs += [(int(s), int(r)) for s, r in zip(rng.integers(0, 2**63, 40),
                                               rng.integers(0, 2**62, 40), strict=True)]
    n = 5000
    for seed, run in pairs:
        got = exponentials_numba(seed, run, n)
        gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed,
                                                                           spawn_key=(run,))))
        expect = gen.standard_exponential(n)
        assert np.array_equal(got.view(np.uint64), expect.view(np.uint64)), (seed, run)


def test_exponentials_cover_the_ziggurat_tail():
    # the base strip (idx 0) returns values >= ziggurat_exp_r = 7.697...
    got = exponentials_numba(5, 0, 200_000)
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5, spawn_key=(0,))))
    assert np.array_equal(got.view(np.uint64), gen.standard_exponential(200_000).view(np.uint64))
    assert (got > 7.6971174701310497).sum() > 50
