"""The alternative generators of ``benchmarks/generators.py`` (issue 20, item 4).

``benchmarks/stages.py --generators`` times the engine drawing from numpy's ``SFC64``
or ``PCG64DXSM`` instead of ``PCG64``; the times mean something only if those kernels
are numpy's generators bit for bit and the copy's two engines still agree.  Each
kernel is compared with numpy's own ``BitGenerator`` (``random_raw``) and with
``numpy.random.Generator(...).standard_exponential`` on drawn seeds and runs.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import load_benchmark
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
generators = load_benchmark("generators")


def _numpy_stream(cls, seed, run, n):
    seq = np.random.SeedSequence(seed, spawn_key=(run,))
    raw = getattr(np.random, cls)(seq).random_raw(n)
    seq = np.random.SeedSequence(seed, spawn_key=(run,))
    exp = np.random.Generator(getattr(np.random, cls)(seq)).standard_exponential(n)
    return raw, exp


@pytest.mark.parametrize("name", sorted(generators.GENERATORS))
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**96), run=st.integers(0, 2**40))
def test_each_kernel_is_numpys_generator_bit_for_bit(name, seed, run):
    """``generators.stream`` (the numba kernels) against numpy's ``BitGenerator`` of the
    same name: raw outputs and ziggurat exponentials (whose rare branches draw twice)."""
    raw, exp = generators.stream(name, seed, run, 3000)
    want_raw, want_exp = _numpy_stream(generators.GENERATORS[name][0], seed, run, 3000)
    np.testing.assert_array_equal(raw, want_raw)
    np.testing.assert_array_equal(exp, want_exp)


def test_the_generators_differ_from_each_other():
    """The comparison has teeth: the three streams of one run share no first output."""
    firsts = {name: generators.stream(name, 1, 2, 4)[0].tolist() for name in generators.KERNELS}
    assert len({tuple(v) for v in firsts.values()}) == 3


def test_an_unknown_generator_is_named():
    with pytest.raises(ValueError, match="unknown generator 'mt19937'"):
        generators.stream("mt19937", 0, 0, 4)
    with pytest.raises(ValueError, match="'pcg64' is not one of"):
        generators.generator_copy(ROOT, Path("/nonexistent"), "pcg64")


def test_a_copy_of_a_tree_whose_sources_moved_on_is_refused(tmp_path):
    """Every edit of ``generator_copy`` must match: a ``gen.py`` without the draws'
    call sites stops the copy with the file named, and leaves no half-made copy."""
    src = tmp_path / "src"
    (src / "mdcd_lab" / "fast" / "kernels").mkdir(parents=True)
    (src / "mdcd_lab" / "traces").mkdir(parents=True)
    (src / "mdcd_lab" / "fast" / "kernels" / "rng.py").write_text("")
    (src / "mdcd_lab" / "fast" / "kernels" / "gen.py").write_text("x = 1\n")
    (src / "mdcd_lab" / "traces" / "table.py").write_text("np.random.PCG64(s)\n")
    with pytest.raises(SystemExit, match=r"gen\.py.*matched 0 times"):
        generators.generator_copy(src, tmp_path / "copy", "sfc64")
    assert not (tmp_path / "copy").exists()


CHILD = r"""
import json, sys
import mdcd_lab
from mdcd_lab import Scenario, simulate
from mdcd_lab.fast import generate_traces_numba
from mdcd_lab.fast.kernels import rng
from mdcd_lab.traces import generate_traces
s = Scenario(n_low=2, n_act=3, horizon=40.0, latency=0.5, shadow_lag=0.5, fault_rate=0.01)
ref, fast = generate_traces(s, 12, 3), generate_traces_numba(s, 12, 3)
sim_ref = simulate(s, 12, 3, engine="reference")
sim_fast = simulate(s, 12, 3, engine="numba")
print("RESULT " + json.dumps({
    "package": mdcd_lab.__file__, "generator": getattr(rng, "GENERATOR", "PCG64"),
    "traces_agree": bool(ref.equals(fast)), "frames_agree": bool(sim_ref.equals(sim_fast)),
    "t": ref["t"].tolist()[:20]}))
"""


def _child(tree, cache):
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(cache))
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, cwd=tree, timeout=900)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, proc.stderr[-3000:]
    return json.loads(line[7:])


@pytest.mark.subprocess
@pytest.mark.parametrize("name", ["sfc64", "pcg64dxsm"])
def test_a_generator_copy_draws_from_it_in_both_engines(name, tmp_path):
    """The copy's reference engine (``numpy.random.<BitGenerator>``) and its numba
    engine (the kernels above) give the same traces and the same result frame, and
    those traces are not this tree's (``PCG64``'s): the copy really draws from
    ``name``."""
    copy = generators.generator_copy(ROOT, tmp_path / name, name)
    got = _child(copy, tmp_path / "cache")
    assert Path(got["package"]).resolve().parent == (copy / "mdcd_lab").resolve()
    assert got["generator"] == generators.GENERATORS[name][0]
    assert got["traces_agree"] and got["frames_agree"]
    from mdcd_lab import Scenario
    from mdcd_lab.traces import generate_traces
    here = generate_traces(Scenario(n_low=2, n_act=3, horizon=40.0, latency=0.5,
                                    shadow_lag=0.5, fault_rate=0.01), 12, 3)
    assert here["t"].tolist()[:20] != got["t"]
