"""Reproducibility of the numba engine: prefixes, chunks, first_run, threads, growth."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from engines import engines_agree
from helpers import HANG_GUARD_S, assert_same

import mdcd_lab.fast.engine as fast_engine
from mdcd_lab import Scenario, simulate
from mdcd_lab.fast import simulate_numba

ROOT = Path(__file__).resolve().parents[1]
S = Scenario(n_low=2, n_act=3, horizon=25.0, latency=0.4, shadow_lag=0.3, fault_rate=0.02,
             at_coverage=0.9)


def same(a, b):
    assert_same(a, b, ignore_index=True)


def test_prefix_of_a_longer_study():
    short = simulate(S, 100, 5, engine="numba")
    long = simulate(S, 1000, 5, engine="numba")
    same(short, long.iloc[:100])


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_independent_of_chunk_size(chunk):
    ref = simulate_numba(S, 300, 11, progress=False)
    same(simulate_numba(S, 300, 11, progress=False, chunk_size=chunk), ref)


def test_first_run_slices():
    full = simulate(S, 200, 3, engine="numba")
    part = simulate(S, 50, 3, engine="numba", first_run=120)
    same(part, full.iloc[120:170])
    assert part["run"].tolist() == list(range(120, 170))


def test_large_run_indices_and_seeds():
    seed = 2**40 + 7
    first = 2**33
    fast = engines_agree(S, "mdcd", runs=5, seed=seed, first_run=first)
    assert fast["run"].tolist() == list(range(first, first + 5))


def test_growing_buffers_gives_the_same_numbers(monkeypatch):
    ref = simulate_numba(S, 40, 2, progress=False)
    monkeypatch.setattr(fast_engine, "_initial_capacity", lambda fp: 1)
    same(simulate_numba(S, 40, 2, progress=False), ref)


def test_progress_bar_and_argument_checks():
    df = simulate_numba(S, 3, 1, progress=True, chunk_size=2)
    assert len(df) == 3
    with pytest.raises(ValueError, match="chunk_size"):
        simulate_numba(S, 3, 1, chunk_size=0)
    with pytest.raises(ValueError, match="runs"):
        simulate_numba(S, 0, 1)
    with pytest.raises(ValueError, match="unknown protocol"):
        simulate_numba(S, 3, 1, protocol="nope")


CHILD = """
import sys
import mdcd_lab
from mdcd_lab import Scenario, simulate
s = Scenario(n_low=2, n_act=3, horizon=25.0, latency=0.4, shadow_lag=0.3, fault_rate=0.02,
             at_coverage=0.9)
simulate(s, 400, 9, engine="numba").to_pickle(sys.argv[1])
import numba
print(numba.get_num_threads())
"""


@pytest.mark.subprocess
def test_threads_do_not_change_results(tmp_path):
    frames = {}
    for threads in (1, 2):
        out = tmp_path / f"t{threads}.pkl"
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads),
                   PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.run([sys.executable, "-c", CHILD, str(out)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=HANG_GUARD_S)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split()[-1] == str(threads)
        frames[threads] = pd.read_pickle(out)
    same(frames[1], frames[2])
    same(frames[1], simulate(S, 400, 9, engine="numba"))
    assert np.isfinite(frames[1]["log_entries_mean"]).all()
