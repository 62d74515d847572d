"""Compile time and size of each cold rule (``mdcd_lab/fast/kernels/cold.py``), one process.

In a fresh interpreter with an empty numba cache (a temporary ``NUMBA_CACHE_DIR``,
the compile helper off), a cold ``simulate`` with atomic recovery compiles the event
loop (``simulate_block``) and the rule ``recover``; then each rule named is compiled
in turn (``cold.load``), timed, and its LLVM IR counted in lines (the code numba
optimises and emits for it, callees linked in).  A rule's time includes its callees
that no earlier rule or the loop compiled, so the order matters: give the rules in
the order a run needs them (the default: executed recovery's, ``cold.needed``).

Usage::

    python benchmarks/rule_compile_times.py
    python benchmarks/rule_compile_times.py notice invoke
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from mdcd_lab import Scenario, simulate
from mdcd_lab.fast.engine import scenario_params
from mdcd_lab.fast.kernels import cold
simulate(Scenario(recovery="atomic"), 10, 1, progress=False)
out = {"loop (atomic first call)": [round(time.perf_counter() - t0, 2), None]}
names = sys.argv[1:] or cold.needed(scenario_params(Scenario(), "mdcd")[1])
for name in names:
    t = time.perf_counter()
    c = cold.load(name)
    out[name] = [round(time.perf_counter() - t, 2),
                 len(c._library.get_llvm_str().splitlines())]
print("RESULT " + json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rules", nargs="*", help="rule names (default: executed recovery's)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, MDCD_LAB_COMPILE_HELPER="0")
        proc = subprocess.run([sys.executable, "-c", CHILD, *args.rules], env=env,
                              capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"rule_compile_times: the child failed:\n{proc.stderr}")
    out = json.loads(lines[0][7:])
    print("| compiled | s | LLVM IR lines |\n| --- | ---: | ---: |")
    for name, (seconds, ir) in out.items():
        print(f"| {name} | {seconds:.2f} | {'' if ir is None else f'{ir:,}'} |")
    rules = [v[0] for k, v in out.items() if v[1] is not None]
    print(f"| the rules in all | {sum(rules):.2f} | |")


if __name__ == "__main__":
    main()
