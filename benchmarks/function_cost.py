"""What one small numba function costs a cold compile, and what numba's supported ways
of declaring it would save (issue 20, item 2).

``compile_profile.py`` counts 60-90 small compilations in a cold first call at 58-75 ms
each, about a sixth of its compile time, whatever the function's size.  This script
measures that fixed cost away from the engine: a generated module of ``--helpers`` small
functions (two loads, a multiply, an add and a branch, like the arena accessors and the
level helpers), each called ``--sites`` times by one kernel ``top``, compiled in a fresh
interpreter with an empty numba cache; the module is declared in one of four ways:

``njit``
    ``@njit(cache=True, _nrt=False)``: how the kernels are declared (``_config.JIT_NORC``);
``nowrap``
    the same with ``no_cpython_wrapper=True, no_cfunc_wrapper=True`` (a callee needs
    neither wrapper, but calling it from Python then crashes the interpreter);
``jitable``
    ``numba.extending.register_jitable``: compiled as part of its callers' typing, no
    dispatcher, no cache entry (a call from Python runs the Python function);
``inline``
    ``@njit(..., inline="always")``: numba inlines its IR at every call site.

Each child reports its CPU time for importing the module and the first call of ``top``
(every function of the module compiled); a module of one helper gives the base, and
``(cpu - base) / (helpers - 1)`` is the cost of one more function (each called
``--sites`` times).  Every variant's ``top`` must return the same value (checked).

Usage::

    python benchmarks/function_cost.py
    python benchmarks/function_cost.py --helpers 30 --sites 1 5 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

#: The decorator line of a helper, per mode (``None``: ``register_jitable``).
DECORATORS = {
    "njit": "@numba.njit(cache=True, _nrt=False)",
    "nowrap": "@numba.njit(cache=True, _nrt=False, no_cpython_wrapper=True, "
              "no_cfunc_wrapper=True)",
    "jitable": "@register_jitable",
    "inline": "@numba.njit(cache=True, _nrt=False, inline='always')",
}

#: Run in each child: the CPU time of importing the module and of ``top``'s first call.
CHILD = """
import sys, time
import numpy as np, numba
sys.path.insert(0, sys.argv[1])
t = time.process_time()
import {module} as m
value = m.top(np.arange(64, dtype=np.int64), np.int64(3))
print(time.process_time() - t, int(value))
"""


def module_source(mode: str, helpers: int, sites: int) -> str:
    """A module of ``helpers`` small functions declared as ``mode``, each called
    ``sites`` times (with other arguments) by the kernel ``top``."""
    lines = ["import numba", "from numba.extending import register_jitable", ""]
    for i in range(helpers):
        lines += [DECORATORS[mode], f"def h{i}(A, j):",
                  f"    return A[j] * {i + 1} + (A[j + 1] if j > 0 else 0)", ""]
    calls = " + ".join(f"h{i}(A, j + {c})" for i in range(helpers) for c in range(sites))
    lines += ["@numba.njit(cache=True, _nrt=False)", "def top(A, j):",
              f"    return {calls}", ""]
    return "\n".join(lines)


def expected(helpers: int, sites: int) -> int:
    """``top(np.arange(64), 3)`` computed in Python."""
    return sum((3 + c) * (i + 1) + (3 + c + 1) for i in range(helpers) for c in range(sites))


def measure(mode: str, helpers: int, sites: int, workdir: Path) -> float:
    """CPU seconds of a fresh child that compiles the module cold; checks ``top``'s value."""
    name = f"m_{mode}_{helpers}_{sites}"
    (workdir / f"{name}.py").write_text(module_source(mode, helpers, sites))
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", CHILD.format(module=name), str(workdir)],
                             env=env, capture_output=True, text=True, check=True)
    seconds, value = out.stdout.split()
    if int(value) != expected(helpers, sites):
        raise RuntimeError(f"{mode}: top returned {value}, expected {expected(helpers, sites)}")
    return float(seconds)


def table(rows: list[tuple[str, int, float, float]], helpers: int) -> str:
    """Markdown: per mode and number of call sites, the CPU seconds (medians), the cost
    of one more function and its ratio to ``njit``'s at the same number of sites."""
    njit = {sites: per for mode, sites, _, per in rows if mode == "njit"}
    out = [f"| mode | call sites per function | CPU s, {helpers} functions | ms per function "
           "| / `njit` |", "| --- | ---: | ---: | ---: | ---: |"]
    for mode, sites, cpu, per in rows:
        ratio = f"{per / njit[sites]:.2f}x" if sites in njit and njit[sites] > 0 else ""
        out.append(f"| `{mode}` | {sites} | {cpu:.2f} | {1000 * per:.0f} | {ratio} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--helpers", type=int, default=30, help="small functions per module (>= 2)")
    ap.add_argument("--sites", type=int, nargs="+", default=[1, 5],
                    help="calls of each function in top (>= 1 each)")
    ap.add_argument("--modes", nargs="+", default=list(DECORATORS), choices=list(DECORATORS))
    ap.add_argument("--repeat", type=int, default=2, help="children per variant; medians")
    args = ap.parse_args(argv)
    if args.helpers < 2:
        ap.error(f"--helpers must be at least 2, got {args.helpers}")
    if min(args.sites) < 1:
        ap.error(f"--sites must be at least 1, got {min(args.sites)}")
    if args.repeat < 1:
        ap.error(f"--repeat must be at least 1, got {args.repeat}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for sites in args.sites:
            for mode in args.modes:
                full, base = [], []
                for _ in range(args.repeat):   # alternate, so that a slow minute hits both
                    full.append(measure(mode, args.helpers, sites, Path(tmp)))
                    base.append(measure(mode, 1, sites, Path(tmp)))
                cpu = statistics.median(full)
                rows.append((mode, sites, cpu,
                             (cpu - statistics.median(base)) / (args.helpers - 1)))
    print(table(rows, args.helpers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
