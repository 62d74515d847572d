"""Thread scaling of the numba engine: 1 vs 2 threads, this tree against a git revision.

Each measurement is a fresh interpreter with ``NUMBA_NUM_THREADS`` set (1 or 2) that
simulates the benchmark scenario of ``bench_engine.py`` (after a warm-up call; each
tree has its own ``NUMBA_CACHE_DIR``, compiled once before the measurements).  The
child reports, for the timed call alone, the wall time and the CPU time of the
process (user + sys of all its threads, ``resource.getrusage(RUSAGE_SELF)``).

Reported per tree: CPU ns per event with 1 and 2 threads (2 threads must not cost
more CPU per event than 1), and the wall-time speed-up 2 threads / 1 thread (a
machine with 2 idle cores gives up to 2x; other processes lower it).  The trees and
thread counts alternate ``--repeat`` times; the table gives the best of each.

Usage::

    python benchmarks/thread_scaling.py --baseline ff78b2c --repeat 3
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
from bench_engine import PROTOCOL, ROOT, SCENARIO, SEED, export_revision, machine  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from mdcd_lab import Scenario, simulate
cfg = json.loads(sys.argv[1])
s = Scenario(**cfg["scenario"])
simulate(s, 64, cfg["seed"], protocol=cfg["protocol"], engine="numba")   # warm up
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
d = simulate(s, cfg["runs"], cfg["seed"], protocol=cfg["protocol"], engine="numba")
wall = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print("RESULT " + json.dumps({"wall": wall, "cpu": cpu, "events": int(d["n_events"].sum())}))
"""


def child(root: Path, cache: Path, threads: int, runs: int) -> dict:
    """One child on the sources under ``root`` with ``threads`` numba threads."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NUMBA_NUM_THREADS=str(threads),
               PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cfg = {"scenario": SCENARIO, "protocol": PROTOCOL, "seed": SEED, "runs": runs}
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cfg)], env=env, cwd=root,
                          capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"scaling child failed:\n{proc.stdout}\n{proc.stderr}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", metavar="REV", required=True)
    ap.add_argument("--runs", type=int, default=65_536, help="runs of the timed call")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    m0 = machine()
    with tempfile.TemporaryDirectory(prefix="mdcd-scaling-") as tmp:
        sha = export_revision(args.baseline, Path(tmp) / "before")
        trees = {"before": Path(tmp) / "before", "after": ROOT}
        caches = {t: Path(tmp) / f"cache-{t}" for t in trees}
        for t, root in trees.items():
            print(f"{t}: compiling ...", flush=True)
            child(root, caches[t], 1, 64)
        res: dict = {(t, n): [] for t in trees for n in (1, 2)}
        for i in range(args.repeat):
            for t, root in trees.items():
                for n in (1, 2):
                    r = child(root, caches[t], n, args.runs)
                    res[t, n].append(r)
                    print(f"{i + 1}/{args.repeat} {t:<6} {n} thread(s): wall {r['wall']:.2f} s, "
                          f"cpu {r['cpu']:.2f} s, {r['events']:,} events", flush=True)
    lines = [f"`python benchmarks/thread_scaling.py --baseline {args.baseline} --runs {args.runs} "
             f"--repeat {args.repeat}` ({m0['date']}; before..after = `{sha}` + the working "
             f"tree; load average at the start {m0['load']:.2f}; best of {args.repeat})", "",
             "| tree | CPU ns/event, 1 thread | CPU ns/event, 2 threads | 2 / 1 (CPU per event) "
             "| wall speed-up 2 threads / 1 |", "| --- | ---: | ---: | ---: | ---: |"]
    for t in trees:
        c1 = min(r["cpu"] / r["events"] for r in res[t, 1]) * 1e9
        c2 = min(r["cpu"] / r["events"] for r in res[t, 2]) * 1e9
        w1 = min(r["wall"] for r in res[t, 1])
        w2 = min(r["wall"] for r in res[t, 2])
        lines.append(f"| {t} | {c1:.1f} | {c2:.1f} | {c2 / c1:.2f}x | {w1 / w2:.2f}x |")
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
