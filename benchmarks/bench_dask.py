"""Overhead of running a sweep on a dask LocalCluster instead of local threads.

Runs the same large sweep three ways and checks that they give the same table:

* ``local``: ``sweep(..., client=None)``, in this process; the numba engine
  spreads each unit of work over all of numba's threads;
* ``dask``: a ``LocalCluster(n_workers=W, threads_per_worker=1,
  processes=True)`` with ``NUMBA_NUM_THREADS=1`` in the workers; cluster
  start-up and the first (JIT-warming) task are timed separately;
* ``pool``: a ``concurrent.futures.ProcessPoolExecutor(W)`` (spawn context).

Prints a table and appends (or replaces) the section "Sweeps: dask LocalCluster
vs local threads" of ``benchmarks/results.md`` with the machine description.
Usage::

    python benchmarks/bench_dask.py [--runs 12500] [--engine numba] [--workers N]
                                    [--repeat R] [--no-write]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import math
import multiprocessing
import os
import platform
import re
import sys
import time
from pathlib import Path

import pandas as pd

from mdcd_lab.scenario import Scenario
from mdcd_lab.studies import sweep

HEADING = "## Sweeps: dask LocalCluster vs local threads"
RESULTS = Path(__file__).resolve().parent / "results.md"
BASE = Scenario(n_low=2, n_act=4, horizon=100.0, latency=0.1, shadow_lag=0.2)
GRID = {"at_coverage": [0.9, 0.99], "fault_rate": [0.002, 0.005, 0.01, 0.02]}
PROTOCOLS = ("mdcd", "mdcd-paper")


def machine() -> str:
    """One line describing the machine and the versions that matter."""
    import dask
    import numba
    import numpy
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
        mem_text = f", {mem:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        mem_text = ""
    return (f"{cpu}, {os.cpu_count()} logical CPUs{mem_text}; {platform.platform()}; "
            f"Python {platform.python_version()}, numpy {numpy.__version__}, numba "
            f"{numba.__version__}, dask {dask.__version__}, numba threads "
            f"{numba.get_num_threads()}")


def timed(label: str, fn, repeat: int = 1) -> tuple[pd.DataFrame, float]:
    """Best wall time of ``repeat`` calls of ``fn`` (and its result)."""
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        df = fn()
        best = min(best, time.perf_counter() - t0)
    print(f"  {label:<34s} {best:8.2f} s", flush=True)
    return df, best


def write_section(text: str) -> None:
    """Append our section to results.md, or replace it if it is already there."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text, old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + text
    tmp = RESULTS.with_name(f".{RESULTS.name}.tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, RESULTS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=12500, help="runs per point and protocol")
    ap.add_argument("--engine", default="numba", choices=("numba", "reference"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--chunk-runs", type=int, default=None,
                    help="runs per task (default: sweep's choice)")
    ap.add_argument("--repeat", type=int, default=1, help="keep the best of N timings")
    ap.add_argument("--no-write", action="store_true", help="do not touch results.md")
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    n_points = len(GRID["at_coverage"]) * len(GRID["fault_rate"])
    total = n_points * len(PROTOCOLS) * args.runs
    kw = dict(protocols=PROTOCOLS, engine=args.engine, progress=False,
              chunk_runs=args.chunk_runs)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {machine()}; load average {load:.2f}")
    print(f"sweep: {n_points} points x {len(PROTOCOLS)} protocols x {args.runs} runs = "
          f"{total} runs, engine {args.engine}, {args.workers} workers")

    sweep(BASE, {"at_coverage": [0.9]}, 20, 1, **kw)  # JIT / cache warm-up
    local, t_local = timed("local (client=None)",
                           lambda: sweep(BASE, GRID, args.runs, 7, **kw), args.repeat)

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"})
    client = Client(cluster)
    t_start = time.perf_counter() - t0
    print(f"  {'LocalCluster start-up':<34s} {t_start:8.2f} s")
    try:
        _, t_warm = timed("dask warm-up (one small sweep)", lambda: sweep(
            BASE, {"at_coverage": [0.9, 0.99]}, 20, 1, client=client, **kw))
        dask_df, t_dask = timed("dask LocalCluster", lambda: sweep(
            BASE, GRID, args.runs, 7, client=client, **kw), args.repeat)
    finally:
        client.close()
        cluster.close()
    spawn = multiprocessing.get_context("spawn")  # numba's OpenMP threads are not fork-safe
    with cf.ProcessPoolExecutor(args.workers, mp_context=spawn) as ex:
        t0 = time.perf_counter()
        ex.submit(int, 0).result()
        sweep(BASE, {"at_coverage": [0.9, 0.99]}, 20, 1, client=ex, **kw)
        t_pool_warm = time.perf_counter() - t0
        pool_df, t_pool = timed("ProcessPoolExecutor", lambda: sweep(
            BASE, GRID, args.runs, 7, client=ex, **kw), args.repeat)

    pd.testing.assert_frame_equal(dask_df, local, check_exact=True)
    pd.testing.assert_frame_equal(pool_df, local, check_exact=True)
    print("  all three tables are identical")

    rows = [("local threads (client=None)", t_local, None),
            (f"dask LocalCluster ({args.workers} x 1 thread)", t_dask, t_start + t_warm),
            (f"ProcessPoolExecutor({args.workers}, spawn)", t_pool, t_pool_warm)]
    lines = [HEADING, "",
             f"`python benchmarks/bench_dask.py --runs {args.runs} --engine {args.engine} "
             f"--workers {args.workers} --repeat {args.repeat}` "
             f"({time.strftime('%Y-%m-%d')}; best of {args.repeat})", "",
             f"Machine: {machine()}.  Load average when it started: {load:.2f} (other "
             f"processes on the machine slow every row alike, but add noise).", "",
             f"Sweep: {n_points} points x {len(PROTOCOLS)} protocols x {args.runs} runs = "
             f"{total} runs ({args.engine} engine, horizon {BASE.horizon:g}).  The three "
             f"tables are identical (`assert_frame_equal`, exact).", "",
             "| how | sweep wall time (s) | runs/s | vs local | start-up + warm-up (s) |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, t, setup in rows:
        lines.append(f"| {name} | {t:.2f} | {total / t:,.0f} | {t / t_local - 1:+.0%} | "
                     f"{'-' if setup is None else f'{setup:.2f}'} |")
    lines += ["", "`vs local` is the wall-time overhead of the sweep itself.  Start-up + "
              "warm-up (cluster or pool creation, then a first small sweep that loads the "
              "compiled kernels in every worker) is paid once per session; it includes "
              "compiling the numba kernels in each worker when numba's on-disk cache is "
              "stale (after the engine's sources change), and is about a second otherwise.",
              ""]
    text = "\n".join(lines)
    print()
    print(text)
    if not args.no_write:
        write_section(text)
        print(f"appended to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
