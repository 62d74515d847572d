"""Peak memory of the numba engine: flat in the horizon, the table stored once (issue 20).

Two measurements, each in a fresh child process (one per point), as peak resident
set size (``VmHWM``, reset through ``/proc/self/clear_refs`` right before the call,
so imports, the kernels' loading and a warm-up call are not counted):

* **horizon**: ``simulate(Scenario(horizon=h), 4, 1, engine="numba")`` for each
  ``h`` of ``--horizons``: the peak of the process during the call, in MiB;
* **table**: ``simulate(Scenario(), runs, 1, engine="numba")`` for ``--runs``: the
  peak during the call above the resident size before it, divided by the memory of
  the returned table (``DataFrame.memory_usage(deep=True)``).

Each tree's kernels are loaded (compiled, if its cache is cold) by a first child
whose numbers are not kept: a compilation leaves the process's resident size high.

With ``--baseline REV`` the same is measured for git revision ``REV`` (exported
with ``git archive``), at the horizons of ``--baseline-horizons`` only (sized to
the horizon, the engine before issue 20 needed 6 GB at horizon 1e5, 18 GB at 3e5).

Usage::

    python benchmarks/memory.py
    python benchmarks/memory.py --baseline ff78b2c --runs 200000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from instructions import export  # noqa: E402  (git archive of a revision)

CHILD = r"""
import json, os, sys
cfg = json.loads(sys.argv[1])
import mdcd_lab
from mdcd_lab import Scenario, simulate

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0   # kB -> MiB
    raise SystemExit(f"no {key} in /proc/self/status")

simulate(Scenario(), 10, 1, engine="numba", progress=False)   # load (or compile) the kernels
s = Scenario(horizon=cfg["horizon"])
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")   # reset VmHWM, the peak resident size, to the current size
df = simulate(s, cfg["runs"], 1, engine="numba", progress=False)
print(json.dumps({"rss_before": before, "peak": status("VmHWM"),
                  "table": float(df.memory_usage(deep=True).sum()) / 2**20,
                  "events": int(df["n_events"].sum()),
                  "package": os.path.dirname(mdcd_lab.__file__)}))
"""


def measure(tree: Path, horizon: float, runs: int) -> dict:
    """One child process of ``tree``: the call's peak, its resident size before, the table."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    env.pop("NUMBA_CACHE_DIR", None)   # each tree keeps its own cache, beside its kernels
    proc = subprocess.run([sys.executable, "-c", CHILD,
                           json.dumps({"horizon": horizon, "runs": runs})],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=7200)
    if proc.returncode != 0:
        raise SystemExit(f"child failed in {tree}:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if Path(out["package"]).resolve() != (tree / "mdcd_lab").resolve():
        raise SystemExit(f"the child imported {out['package']}, not the tree {tree}")
    return out


def report(label: str, tree: Path, horizons: list[float], runs: int) -> None:
    measure(tree, 100.0, 4)   # compiles the tree's kernels if its cache is cold: not counted
    for h in horizons:
        out = measure(tree, h, 4)
        print(f"| {label} | horizon | `simulate(Scenario(horizon={h:g}), 4, 1)` | "
              f"{out['peak']:.0f} MiB peak | {out['events']} events |", flush=True)
    out = measure(tree, 100.0, runs)
    extra = out["peak"] - out["rss_before"]
    print(f"| {label} | table | `simulate(Scenario(), {runs}, 1)` | "
          f"{extra:.0f} MiB above the {out['rss_before']:.0f} MiB before, table "
          f"{out['table']:.0f} MiB: **{extra / out['table']:.2f}x** | {out['events']} events |",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--horizons", type=float, nargs="+", default=[100.0, 1e4, 1e5, 1e6])
    ap.add_argument("--runs", type=int, default=200_000, help="runs of the table measurement")
    ap.add_argument("--baseline", metavar="REV", help="also measure git revision REV")
    ap.add_argument("--baseline-horizons", type=float, nargs="+", default=[100.0, 1e4, 1e5])
    args = ap.parse_args(argv)
    print("| tree | what | call | peak | played |")
    print("| --- | --- | --- | --- | --- |")
    if args.baseline:
        with tempfile.TemporaryDirectory(prefix="mdcd-memory-") as tmp:
            tree = export(args.baseline, Path(tmp))
            report(args.baseline, tree, args.baseline_horizons, args.runs)
    report("this tree", ROOT, args.horizons, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
