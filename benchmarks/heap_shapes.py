"""The event heap's two shapes timed against each other: why ``HEAP_SORTED_MAX`` is 64.

The numba engine keeps the items ``(t, seq)`` of its event heap (``heap.heap_push`` /
``heap_pop``) as an array sorted from the latest to the earliest while there are at
most ``layout.HEAP_SORTED_MAX`` of them, and as a binary heap above.  This script
times the engine's own kernels in a steady state of ``size`` items (push an item
``Exp(1)`` after the last one popped, then pop the earliest; as deliveries are pushed
and popped), once with the shapes as shipped and once held in the binary heap
(``R_HEAP_TREE`` set and the sort back never reached: the state's thresholds are
constants, so a size up to ``HEAP_SORTED_BACK`` is timed in the shipped shape only).
Both runs pop the same items (checked).  One process, best of ``--repeat``, ns per
push and pop; the ratio is the measure (the machine's speed varies).

Usage::

    python benchmarks/heap_shapes.py                 # sizes 9 16 32 48 63 64 128
    python benchmarks/heap_shapes.py --sizes 9 32 --ops 2000000 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mdcd_lab.fast.kernels.heap import heap_arenas, heap_pop, heap_push  # noqa: E402
from mdcd_lab.fast.kernels.layout import (  # noqa: E402
    HEAP_SORTED_BACK,
    HEAP_SORTED_MAX,
    R0,
    R_HEAP_TREE,
    R_HN,
    R_SEQ,
)


@njit
def steady(I, D, size, delays, tree):
    """Fill to ``size`` items, then push one and pop one per delay (``tree``: start in the
    binary heap's shape); the sum of the popped ``seq``, to compare the two shapes."""
    I[R0 + R_HN] = 0
    I[R0 + R_SEQ] = 0
    I[R0 + R_HEAP_TREE] = tree
    now = 0.0
    for k in range(size):
        heap_push(I, D, now + delays[k], 0, 0)
    acc = 0
    for k in range(size, delays.shape[0]):
        heap_push(I, D, now + delays[k], 0, 0)
        now, seq = heap_pop(I, D)
        acc += seq
    return acc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[9, 16, 32, 48, 63, 64, 128])
    ap.add_argument("--ops", type=int, default=3_000_000, help="pushes and pops per call")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many calls")
    args = ap.parse_args()
    if min(args.sizes) < 1 or args.ops <= max(args.sizes) or args.repeat < 1:
        raise SystemExit("--sizes must be positive, --ops larger than every size, "
                         "--repeat at least 1")
    delays = np.random.default_rng(2026).exponential(size=args.ops)
    I, D = heap_arenas(args.ops + 1)
    steady(I, D, 4, delays[:100], 0)   # compile
    print(f"HEAP_SORTED_MAX {HEAP_SORTED_MAX}, HEAP_SORTED_BACK {HEAP_SORTED_BACK}, "
          f"{args.ops:,} pushes and pops, best of {args.repeat}")
    print("| items | shipped, ns | binary heap, ns | shipped / heap |\n"
          "| ---: | ---: | ---: | ---: |")
    for size in args.sizes:
        best, sums = {}, {}
        for tree in (0, 1) if size > HEAP_SORTED_BACK else (0,):
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                sums[tree] = steady(I, D, size, delays, tree)
                dt = (time.perf_counter() - t0) / (args.ops - size) * 1e9
                best[tree] = min(best.get(tree, dt), dt)
        if len(set(sums.values())) != 1:
            raise SystemExit(f"size {size}: the two shapes popped different items")
        heap = f"{best[1]:.1f}" if 1 in best else ""
        ratio = f"{best[0] / best[1]:.2f}x" if 1 in best else ""
        print(f"| {size} | {best[0]:.1f} | {heap} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
