"""Cold-compile cost of the numba engine: this tree against a git revision, in one run.

Each measurement is a fresh interpreter with ``NUMBA_CACHE_DIR`` pointing at an
empty temporary directory (so every kernel it calls is compiled), on the sources
of one tree (the working tree, or a revision exported with ``git archive``).  The
child does one of:

* ``first``: ``import mdcd_lab`` and ``simulate(Scenario(), 100, 1)`` (the README's
  first snippet: import + compile + run);
* ``family``: ``first``, then ``simulate(Scenario(), 100, 1, protocol="coordinated")``
  (the other protocol family) -- the time of the second call alone is reported too;
* ``all``: ``family``, then ``generate_traces_numba`` and ``replay(..., engine="numba")``:
  every entry kernel of the engine.

Reported per tree and mode: CPU time of the child (user + sys, from
``resource.getrusage(RUSAGE_CHILDREN)``: the machine is shared, CPU time is less
disturbed by other processes than wall time), the wall time of the child, the
ratio this tree / the revision, and the CPU and wall time of the first call (from
the child's start: import + compile + 100 runs) and of the ``coordinated`` call
after it.  The trees alternate (before, after, before, ...)
``--repeat`` times; the table gives the median of each.

Usage::

    python benchmarks/compile_time.py --baseline ff78b2c --repeat 3
    python benchmarks/compile_time.py --baseline ff78b2c --modes first --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import ROOT, export_revision, machine  # noqa: E402

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import mdcd_lab
from mdcd_lab import Scenario, simulate
mode = sys.argv[1]
out = {}
simulate(Scenario(), 100, 1, progress=False)
out["first"] = time.perf_counter() - t0
out["first_cpu"] = time.process_time()   # CPU time of the process so far, all threads
if mode in ("family", "all"):
    t1 = time.perf_counter()
    simulate(Scenario(), 100, 1, protocol="coordinated", progress=False)
    out["second_family"] = time.perf_counter() - t1
    out["second_family_cpu"] = time.process_time() - out["first_cpu"]
if mode == "all":
    from mdcd_lab import replay
    from mdcd_lab.fast import generate_traces_numba
    tr = generate_traces_numba(Scenario(), 20, 1)
    replay(tr, Scenario(), engine="numba")
out["wall"] = time.perf_counter() - t0
print("RESULT " + json.dumps(out))
"""


def cold_child(root: Path, mode: str, threads: int) -> dict:
    """One cold child on the sources under ``root``; its CPU time, wall time and parts."""
    with tempfile.TemporaryDirectory(prefix="mdcd-cold-cache-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS=str(threads),
                   PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, cwd=root,
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[7:])
            break
    else:
        raise RuntimeError(f"compile child failed:\n{proc.stdout}\n{proc.stderr}")
    out["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out["child_wall"] = wall
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", metavar="REV", required=True,
                    help="git revision to compare the working tree (or --after) with")
    ap.add_argument("--after", metavar="REV[,REV...]",
                    help="compare with these revisions (comma-separated) instead of the "
                         "working tree")
    ap.add_argument("--modes", default="first,all",
                    help="comma-separated: first, family, all (default first,all)")
    ap.add_argument("--repeat", type=int, default=3, help="alternating children per tree")
    ap.add_argument("--threads", type=int, default=2, help="NUMBA_NUM_THREADS of the children")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in ("first", "family", "all"):
            raise SystemExit(f"compile_time.py: unknown mode {m!r} (first, family, all)")
    m0 = machine()
    with tempfile.TemporaryDirectory(prefix="mdcd-compile-") as tmp:
        sha = export_revision(args.baseline, Path(tmp) / "before")
        trees = {"before": Path(tmp) / "before"}
        if args.after:
            for rev in args.after.split(","):
                trees[export_revision(rev, Path(tmp) / rev)] = Path(tmp) / rev
        else:
            trees["after"] = ROOT
        sha += ".." + ",".join(t for t in trees if t != "before")
        res: dict = {(t, m): [] for t in trees for m in modes}
        for i in range(args.repeat):
            for m in modes:
                for t, root in trees.items():
                    r = cold_child(root, m, args.threads)
                    res[t, m].append(r)
                    print(f"{i + 1}/{args.repeat} {m:<6} {t:<6} cpu {r['cpu']:6.1f} s  wall "
                          f"{r['child_wall']:6.1f} s  "
                          + " ".join(f"{k} {v:.1f}" for k, v in r.items()
                                     if k not in ("cpu", "child_wall", "wall")), flush=True)
    lines = [f"`python benchmarks/compile_time.py --baseline {args.baseline}"
             f"{f' --after {args.after}' if args.after else ''} --modes {args.modes} "
             f"--repeat {args.repeat} --threads {args.threads}` ({m0['date']}; "
             f"trees = `{sha}`{'' if args.after else ' (the working tree)'}; "
             f"load average at the start {m0['load']:.2f}; medians of {args.repeat})", "",
             "| child (cold cache) | tree | CPU s | / before | wall s | first call: CPU s, "
             "wall s | `coordinated` call after it: CPU s, wall s |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    med = {k: statistics.median(r["cpu"] for r in v) for k, v in res.items()}
    for m in modes:
        for t in trees:
            wall = statistics.median(r["child_wall"] for r in res[t, m])
            def mid(key, t=t, m=m):
                return statistics.median(r[key] for r in res[t, m])
            second = (f"{mid('second_family_cpu'):.1f}, {mid('second_family'):.1f}"
                      if m in ("family", "all") else "")
            lines.append(f"| {m} | {t} | {med[t, m]:.1f} | {med[t, m] / med['before', m]:.2f}x "
                         f"| {wall:.1f} | {mid('first_cpu'):.1f}, {mid('first'):.1f} "
                         f"| {second} |")
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
