"""``benchmarks/heap_shapes.py``: its two runs (the shipped heap, the heap held in the
binary heap's shape) pop the same items, and the script says so, or stops."""

import subprocess
import sys

import numpy as np
from helpers import load_benchmark

from mdcd_lab.fast.kernels.heap import heap_arenas
from mdcd_lab.fast.kernels.layout import H_HS, HEAP_SORTED_MAX, R0, R_HN

shapes = load_benchmark("heap_shapes")


def test_both_shapes_pop_the_same_items_at_every_size():
    delays = np.random.default_rng(7).exponential(size=5000)
    I, D = heap_arenas(len(delays) + 1)
    for size in (1, 9, HEAP_SORTED_MAX - 1, HEAP_SORTED_MAX, 100):
        sums = {tree: shapes.steady(I, D, size, delays, tree) for tree in (0, 1)}
        assert sums[0] == sums[1] > 0, size
        # every item pushed is popped once or still in the heap (`size` of them)
        left = I[I[H_HS]:I[H_HS] + I[R0 + R_HN]]
        assert len(left) == size
        assert sums[0] + left.sum() == sum(range(len(delays)))


def test_the_script_prints_a_row_per_size_and_refuses_bad_sizes():
    run = [sys.executable, shapes.__file__, "--ops", "20000", "--repeat", "1", "--sizes"]
    out = subprocess.run([*run, "9", "40"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("| 9 |")
            or line.startswith("| 40 |")]
    assert len(rows) == 2 and rows[0].endswith("x |")
    bad = subprocess.run([*run, "0"], capture_output=True, text=True, timeout=600)
    assert bad.returncode != 0 and "--sizes must be positive" in bad.stderr
