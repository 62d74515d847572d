"""LLVM IR size of the event loop's modules: this tree against a git revision.

numba optimises and emits every module in full, the code of the callees linked in, so
the lines of a module's LLVM IR measure what its compilation costs, and unlike seconds
they do not depend on how busy the machine is.  In a fresh interpreter per tree, with
an empty numba cache (a temporary ``NUMBA_CACHE_DIR``, the compile helper off), a
``simulate`` and then a ``replay`` (a reference-generated trace) are run; the final
modules of ``drivers.simulate_block`` and ``drivers.replay_block``
(``inspect_llvm``), and of the event loop's C function where the tree has one
(``cold.LOOP``, session 15), are counted in lines.

Usage::

    python benchmarks/module_sizes.py --baseline 03c0134
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import ROOT, export_revision  # noqa: E402

CHILD = r"""
import json
import mdcd_lab as m
from mdcd_lab.fast import kernels as K
sc = m.Scenario(horizon=20.0, fault_rate=0.05)
m.simulate(sc, 4, 1, engine="numba", progress=False)
m.replay(m.generate_traces(sc, 2, 3), sc, engine="numba")
out = {}
for d in (K.drivers.simulate_block, K.drivers.replay_block):
    for sig in d.signatures:
        out[d.__name__] = len(d.inspect_llvm(sig).splitlines())
loaded = getattr(K.cold, "_loaded", {})
if "play_run" in loaded:
    out["play_run (C function)"] = len(loaded["play_run"]._library.get_llvm_str().splitlines())
print("RESULT " + json.dumps(out))
"""


def sizes(root: Path) -> dict:
    """The IR lines of the loop's modules for the package under ``root``."""
    with tempfile.TemporaryDirectory(prefix="mdcd-ir-cache-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, MDCD_LAB_COMPILE_HELPER="0",
                   PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=root,
                              capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"module_sizes: the child on {root} failed:\n{proc.stderr}")
    return json.loads(lines[0][7:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="git revision to compare with")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mdcd-ir-tree-") as tmp:
        sha = export_revision(args.baseline, Path(tmp))
        before = sizes(Path(tmp))
    after = sizes(ROOT)
    print(f"`python benchmarks/module_sizes.py --baseline {args.baseline}` "
          f"(LLVM IR lines of the final modules)\n")
    print(f"| module | `{sha}` | this tree |\n| --- | ---: | ---: |")
    for name in dict.fromkeys([*before, *after]):
        b, a = before.get(name), after.get(name)
        print(f"| {name} | {'(inside both)' if b is None else f'{b:,}'} | "
              f"{'' if a is None else f'{a:,}'} |")
    print(f"| in all | {sum(before.values()):,} | {sum(after.values()):,} |")


if __name__ == "__main__":
    main()
