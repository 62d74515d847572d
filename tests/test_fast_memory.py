"""Memory flat in the horizon (issue 20, item 3): a run keeps only its first rows.

``kernels/gen.generate_run`` draws a run to its horizon but keeps at most the
buffers' rows; ``engine.play_run`` plays them until the run ends or needs a dropped
row (``ERR_MORE_ROWS``), and ``drivers.simulate_block`` then doubles the buffers and
plays the run again.  The numbers must not depend on the first buffer size: each
test compares a small first size with the default one, or with the reference engine.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from engines import engines_agree
from helpers import HANG_GUARD_S, assert_same

import mdcd_lab.fast.engine as fast_engine
from mdcd_lab import Scenario
from mdcd_lab.fast import generate_traces_numba, simulate_numba
from mdcd_lab.fast._rng import seed_words
from mdcd_lab.fast.engine import scenario_params
from mdcd_lab.fast.kernels import gen
from mdcd_lab.protocols import PROTOCOLS

ROOT = Path(__file__).resolve().parents[1]
#: Runs that play well past a few rows: faults rare, AT coverage below one.
S = Scenario(n_low=2, n_act=3, horizon=60.0, latency=0.4, shadow_lag=0.3, fault_rate=0.02,
             at_coverage=0.9)
#: A mission run: the unguarded phase (``unguarded.play_unguarded``) plays rows too.
MISSION = S.replace(mission=120.0)


def _small_first_buffers(monkeypatch, rows):
    monkeypatch.setattr(fast_engine, "START_ROWS", rows)


def _generate(s, run, cap):
    fp, ip = scenario_params(s, "mdcd")
    n_procs = 2 * s.n_low + s.n_act
    rows = gen.alloc_rows(cap)
    means = np.zeros(4)
    n_p, n_w, more = gen.generate_run(seed_words(5), run, fp, ip, np.zeros(4, np.uint64),
                                      np.zeros(4, np.uint64), np.zeros(n_procs * n_procs),
                                      *rows, means)
    return n_p, n_w, more, rows, gen.means_of(means)


@pytest.mark.parametrize("cap", [1, 7, 40])
def test_a_full_buffer_keeps_the_first_rows_and_the_means_of_all(cap):
    """generate_run with small buffers against the same run with buffers that hold it all."""
    s = S.replace(horizon=200.0)
    n_p, n_w, more, full, means = _generate(s, 3, 4096)
    assert more == 0 and n_p > 40 and n_w > 40
    k_p, k_w, k_more, part, k_means = _generate(s, 3, cap)
    assert (k_p, k_w) == (min(cap, n_p), min(cap, n_w))
    assert k_more == gen.MORE_PRIMARY | gen.MORE_TWINS
    for col_full, col_part, n in zip(full, part, [k_p] * 8 + [k_w] * 4, strict=True):
        np.testing.assert_array_equal(col_part[:n], col_full[:n])
    # the realised means cover every row, dropped or kept, bit for bit
    assert [x.hex() for x in k_means] == [x.hex() for x in means]


def test_need_dropped_only_when_a_truncated_stream_is_exhausted():
    f = gen.need_dropped
    assert not f(3, 2, 3, 2, 0)                       # the whole trace: it ends
    assert f(3, 0, 3, 2, gen.MORE_PRIMARY)            # next primary row was dropped
    assert not f(2, 2, 3, 2, gen.MORE_PRIMARY)        # a primary row is still held
    assert f(0, 2, 3, 2, gen.MORE_TWINS)
    assert not f(0, 1, 3, 2, gen.MORE_TWINS | gen.MORE_PRIMARY)


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
@pytest.mark.parametrize("first", [1, 16])
def test_small_first_buffers_give_the_same_numbers(monkeypatch, protocol, first):
    """simulate_numba with first buffers of ``first`` rows (every run is generated and
    played again, doubling) against simulate_numba with the default first size."""
    for s in (S, MISSION):
        default = simulate_numba(s, 30, 8, protocol, progress=False)
        with monkeypatch.context() as mp:
            _small_first_buffers(mp, first)
            small = simulate_numba(s, 30, 8, protocol, progress=False, chunk_size=7)
        assert_same(small, default)


@pytest.mark.parametrize("protocol", ["mdcd", "mdcd-vector", "coordinated"])
def test_small_first_buffers_agree_with_the_reference_engine(monkeypatch, protocol):
    _small_first_buffers(monkeypatch, 2)
    for s in (S, MISSION):
        engines_agree(s, protocol, runs=6, seed=21)


def test_generated_traces_do_not_depend_on_the_first_buffers(monkeypatch):
    default = generate_traces_numba(S, 12, 4)
    _small_first_buffers(monkeypatch, 1)
    assert_same(generate_traces_numba(S, 12, 4), default)


def test_first_buffers_do_not_grow_with_the_horizon():
    short = scenario_params(Scenario(horizon=10.0), "mdcd")[0]
    long = scenario_params(Scenario(horizon=1e6), "mdcd")[0]
    assert fast_engine._initial_capacity(short) < fast_engine.START_ROWS
    assert fast_engine._initial_capacity(long) == fast_engine.START_ROWS


CHILD = """
import sys
from mdcd_lab import Scenario, simulate
simulate(Scenario(), 4, 1, engine="numba", progress=False)   # loads (or compiles) the kernels
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")   # the peak resident size (VmHWM) starts again from the current size
df = simulate(Scenario(horizon=float(sys.argv[1])), 4, 1, engine="numba", progress=False)
assert len(df) == 4
print([int(line.split()[1]) for line in open("/proc/self/status")
       if line.startswith("VmHWM:")][0])
"""


def _peak_kib(horizon):
    """Peak resident size (KiB) of a child process during simulate(horizon, 4 runs)."""
    env = dict(os.environ, NUMBA_NUM_THREADS="2",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", CHILD, repr(horizon)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.split()[-1])


@pytest.mark.subprocess
def test_horizon_of_a_million_runs_in_under_a_gigabyte():
    """Peak RSS during simulate(Scenario(horizon=h), 4, 1) in a child process (the
    kernels loaded first): h = 1e6 under 1 GiB (it was 6.2 GB at h = 1e5 when the
    buffers were sized to the horizon), and within 10% of h = 1e4, where the first
    buffers already have their largest size (``START_ROWS``)."""
    mid, long = _peak_kib(1e4), _peak_kib(1e6)
    assert long < 2**20, f"peak RSS {long / 2**10:.0f} MiB at horizon 1e6"
    assert long < 1.1 * mid, f"{long / 2**10:.0f} MiB at 1e6 against {mid / 2**10:.0f} MiB at 1e4"
