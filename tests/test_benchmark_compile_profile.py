"""``benchmarks/compile_profile.py``: the listener it installs records numba's compilations
nested as they happen, exclusive times subtract exactly the nested compilations, the
report puts the parent first, and bad options stop it before any child runs."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from helpers import load_benchmark

cp = load_benchmark("compile_profile")

#: ``[name, start, seconds, depth]``: A holds B (which holds C) and D; E stands alone.
ROWS = [["C", 2.0, 1.0, 2], ["B", 1.0, 3.0, 1], ["D", 5.0, 1.0, 1], ["A", 0.0, 10.0, 0],
        ["F", 10.5, 0.2, 1], ["E", 10.2, 1.8, 0]]


def test_exclusive_time_subtracts_only_the_compilations_nested_directly():
    ex = {n: (x, d) for n, x, d in cp.exclusive(ROWS)}
    assert ex["A"] == pytest.approx((10.0 - 3.0 - 1.0, 10.0))   # not C (depth 2), not F
    assert ex["B"] == pytest.approx((2.0, 3.0))
    assert ex["C"] == pytest.approx((1.0, 1.0))
    assert ex["E"] == pytest.approx((1.6, 1.8))
    # every second is counted once: the exclusive times add up to the top-level ones
    assert sum(x for _, x, _ in cp.exclusive(ROWS)) == pytest.approx(10.0 + 1.8)
    assert cp.timeline(ROWS, 1.5) == [(0.0, 10.0, "A"), (10.2, 1.8, "E")]


def test_the_report_puts_the_parent_first_and_counts_the_small_compilations():
    text = cp.report({"pid": 2, "seconds": 12.5}, {1: ROWS[:1], 2: ROWS}, small=1.5, top=3)
    assert text.index("### parent") < text.index("### compile helper")
    assert "### parent: 6 compilations, 11.8 s" in text
    # C, D, F are under 1.5 s: 1.0 + 1.0 + 0.2 of exclusive time
    assert "Small compilations (under 1.5 s each): 3, 2.2 s in all" in text
    assert "| `A` | 6.00 | 10.00 |" in text


def test_the_listener_records_a_callee_nested_in_its_caller(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(cp.SITECUSTOMIZE)
    code = textwrap.dedent("""
        from numba import njit
        @njit
        def inner(x):
            return x + 1
        @njit
        def outer(x):
            return inner(x) * 2
        assert outer(3) == 8
    """)
    env = dict(os.environ, PYTHONPATH=str(site), MDCD_PROFILE_DIR=str(tmp_path),
               MDCD_PROFILE_T0=repr(time.time()), NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    [rec] = tmp_path.glob("*.json")
    rows = {name: (start, dur, depth) for name, start, dur, depth in json.loads(rec.read_text())}
    assert rows["outer"][2] == 0 and rows["inner"][2] == 1
    o, i = rows["outer"], rows["inner"]
    assert o[0] <= i[0] and i[0] + i[1] <= o[0] + o[1] + 1e-6


def test_bad_options_stop_before_any_child():
    for bad, what in ((["--small", "0"], "--small"), (["--top", "0"], "--top")):
        out = subprocess.run([sys.executable, cp.__file__, *bad], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 2 and what in out.stderr and not out.stdout
