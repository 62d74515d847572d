"""Benchmark of the numba engine against the reference engine (GitHub issue 3).

Measures, on one scenario (2 G_low, 4 G_act, channel latency, shadow lag, rare
faults, AT coverage < 1, so that most runs reach the horizon and are long):

* trace events per second per core: numba with 1 and 2 threads (each in a
  subprocess with ``NUMBA_NUM_THREADS`` set) and the reference engine; the
  speed-up; the 2-thread scaling;
* first-call time cold (a fresh ``NUMBA_CACHE_DIR``: compilation included) and
  warm (a second process with the same cache dir), from ``import mdcd_lab`` to
  the first result;
* peak RSS (``resource.getrusage(...).ru_maxrss``) of a process that simulates
  10^6 runs.

A "trace event" is a trace row processed by the protocol (the ``n_events``
column; rows after a run ends are generated but not counted).  Prints a table
and writes it into ``benchmarks/results.md`` (section "Engine").

With ``--baseline REV`` it instead compares the working tree with git revision
``REV`` (exported to a temporary directory) in one run: numba events/s per core
on 1 thread (the two trees alternate, best of ``--repeat`` each), and the first
call with a cold and a warm cache for each; the table goes to the section
"Engine: before/after" of ``benchmarks/results.md``.

Usage::

    python benchmarks/bench_engine.py            # full benchmark (~5 minutes)
    python benchmarks/bench_engine.py --quick    # smaller counts
    python benchmarks/bench_engine.py --baseline HEAD~1 --repeat 5   # before/after
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.md"
SECTION = "## Engine: numba vs reference"
SECTION_AB = "## Engine: before/after"

SCENARIO = dict(n_low=2, n_act=4, horizon=100.0, latency=0.5, shadow_lag=0.5,
                fault_rate=0.001, at_coverage=0.95)
PROTOCOL = "mdcd"
SEED = 20260101

CHILD = r"""
import json, resource, sys, time
t_start = time.perf_counter()
import mdcd_lab
from mdcd_lab import Scenario, simulate
cfg = json.loads(sys.argv[1])
s = Scenario(**cfg["scenario"])
out = {}
if cfg["mode"] == "first_call":
    d = simulate(s, cfg["runs"], cfg["seed"], protocol=cfg["protocol"], engine="numba")
    out["seconds"] = time.perf_counter() - t_start
elif cfg["mode"] == "throughput":
    import numba
    simulate(s, 64, cfg["seed"], protocol=cfg["protocol"], engine=cfg["engine"])  # warm up
    best = None
    for _ in range(cfg["repeat"]):
        t0 = time.perf_counter()
        d = simulate(s, cfg["runs"], cfg["seed"], protocol=cfg["protocol"], engine=cfg["engine"])
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    out.update(seconds=best, events=int(d["n_events"].sum()), runs=len(d),
               threads=numba.get_num_threads())
elif cfg["mode"] == "bounds":
    # where the time goes, one thread: generation alone, protocol + oracle alone
    # (replay of the same traces, kernel only), end to end (generate and play)
    import numpy as np
    from mdcd_lab.fast import generate_traces_numba
    from mdcd_lab.fast._rng import seed_words
    from mdcd_lab.fast.engine import _initial_capacity, scenario_params
    from mdcd_lab.fast.kernels import drivers, gen, layout
    from mdcd_lab.traces import validate_trace
    runs = cfg["runs"]
    fp, ip = scenario_params(s, cfg["protocol"])
    words = seed_words(cfg["seed"])
    counts = np.zeros(runs, dtype=np.int64)
    gen.count_rows(words, 0, 64, fp, ip, _initial_capacity(fp), counts[:64])   # compile
    t0 = time.perf_counter()
    gen.count_rows(words, 0, runs, fp, ip, _initial_capacity(fp), counts)
    t_gen = time.perf_counter() - t0
    trace = generate_traces_numba(s, runs, cfg["seed"])
    per_run = validate_trace(trace, s)
    lengths = np.array([len(a["t"]) for a in per_run.values()], dtype=np.int64)
    offsets = np.zeros(runs + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    cols = [np.ascontiguousarray(np.concatenate([a[k] for a in per_run.values()]), dtype=dt)
            for k, dt in (("t", np.float64), ("kind", np.int64), ("src", np.int64),
                          ("dst", np.int64), ("t_deliver", np.float64), ("u_at", np.float64),
                          ("u_comp", np.float64), ("d_notify", np.float64))]
    OI = np.zeros((layout.N_OUT_I, runs), dtype=np.int64)
    OF = np.zeros((layout.N_OUT_F, runs))
    err = np.zeros((1, 3), dtype=np.int64)
    drivers.replay_runs(offsets[:65], *cols, fp, ip, 1, np.zeros((layout.N_OUT_I, 64),
                        dtype=np.int64), np.zeros((layout.N_OUT_F, 64)), err)   # compile
    t0 = time.perf_counter()
    drivers.replay_runs(offsets, *cols, fp, ip, 1, OI, OF, err)
    t_play = time.perf_counter() - t0
    simulate(s, 64, cfg["seed"], protocol=cfg["protocol"], engine="numba")   # compile
    t0 = time.perf_counter()
    d = simulate(s, runs, cfg["seed"], protocol=cfg["protocol"], engine="numba")
    t_sim = time.perf_counter() - t0
    out.update(t_gen=t_gen, t_play=t_play, t_sim=t_sim, rows=int(counts.sum()),
               events=int(d["n_events"].sum()), recovered=int((d["outcome"] == "recovered").sum()),
               runs=runs)
elif cfg["mode"] == "rss":
    t0 = time.perf_counter()
    d = simulate(s, cfg["runs"], cfg["seed"], protocol=cfg["protocol"], engine="numba")
    out.update(seconds=time.perf_counter() - t0, events=int(d["n_events"].sum()), runs=len(d),
               frame_mib=d.memory_usage(deep=True).sum() / 2**20)
out["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(out))
"""


def child(cfg: dict, env: dict | None = None, root: Path = ROOT) -> dict:
    """Run the CHILD script in a fresh interpreter on the sources under ``root``."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(root) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cfg)], env=full_env,
                          capture_output=True, text=True, cwd=root)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"benchmark child failed:\n{proc.stdout}\n{proc.stderr}")


def machine() -> dict:
    """CPU model, cores, RAM, versions and date."""
    import numba
    import numpy as np
    import pandas as pd
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "ram": ram,
            "python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "pandas": pd.__version__,
            "platform": platform.platform(), "date": datetime.date.today().isoformat(),
            "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")}


def run(quick: bool) -> tuple[list[tuple], dict]:
    runs_fast = 20_000 if quick else 131_072
    runs_ref = 40 if quick else 300
    runs_rss = 100_000 if quick else 1_000_000
    base = {"scenario": SCENARIO, "protocol": PROTOCOL, "seed": SEED}
    res = {}
    print("reference engine ...", flush=True)
    res["ref"] = child(dict(base, mode="throughput", engine="reference", runs=runs_ref,
                            repeat=1))
    for threads in (1, 2):
        print(f"numba, {threads} thread(s) ...", flush=True)
        res[f"nb{threads}"] = child(dict(base, mode="throughput", engine="numba",
                                         runs=runs_fast, repeat=2),
                                    {"NUMBA_NUM_THREADS": str(threads)})
    with tempfile.TemporaryDirectory(prefix="mdcd-numba-cache-") as cache:
        print("first call, cold cache (compiles) ...", flush=True)
        res["cold"] = child(dict(base, mode="first_call", runs=100),
                            {"NUMBA_CACHE_DIR": cache})
        print("first call, warm cache ...", flush=True)
        res["warm"] = child(dict(base, mode="first_call", runs=100),
                            {"NUMBA_CACHE_DIR": cache})
    print(f"peak RSS of {runs_rss} runs ...", flush=True)
    res["rss"] = child(dict(base, mode="rss", runs=runs_rss), {"NUMBA_NUM_THREADS": "2"})

    def rate(r: dict) -> float:
        return r["events"] / r["seconds"]

    ref = rate(res["ref"])
    nb1 = rate(res["nb1"])
    nb2 = rate(res["nb2"])
    rows = [
        ("reference engine, events/s (1 core)", f"{ref:,.0f}", "",
         f"{res['ref']['runs']} runs, {res['ref']['events'] / res['ref']['runs']:.0f} events/run"),
        ("numba, 1 thread, events/s per core", f"{nb1 / 1e6:.2f} M", ">= 20 M",
         f"{res['nb1']['runs']} runs in {res['nb1']['seconds']:.2f} s"),
        ("numba, 2 threads, events/s per core", f"{nb2 / 2e6:.2f} M", "",
         f"{nb2 / 1e6:.2f} M events/s in all"),
        ("speed-up numba (1 thread) / reference", f"{nb1 / ref:.0f}x", ">= 100x", ""),
        ("2 threads / 1 thread", f"{nb2 / nb1:.2f}x", ">= 1.8x", ""),
        ("first call, cold cache (s)", f"{res['cold']['seconds']:.1f}", "",
         "import + compile + 100 runs"),
        ("first call, warm cache (s)", f"{res['warm']['seconds']:.2f}", "< 2 s",
         "import + load cache + 100 runs"),
        (f"peak RSS, {runs_rss:,} runs (MiB)", f"{res['rss']['maxrss_mib']:.0f}", "< 1024",
         f"{res['rss']['seconds']:.1f} s with 2 threads; result frame "
         f"{res['rss']['frame_mib']:.0f} MiB"),
    ]
    return rows, res


def export_revision(rev: str, dest: Path) -> str:
    """Write the package of git revision ``rev`` into ``dest``; returns its short hash."""
    dest.mkdir(parents=True, exist_ok=True)
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", sha, "mdcd_lab"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return sha


def bounds_table(res: dict) -> str:
    """The "what bounds the rate" table from the ``bounds`` children of both trees."""
    lines = ["| part (1 thread) | before, ns/event | after, ns/event | after / before |",
             "| --- | ---: | ---: | ---: |"]
    for key, label in (("t_gen", "generation alone (`gen.count_rows`: seed, draw, FIFO, twins)"),
                       ("t_play", "protocol + oracle alone (`drivers.replay_runs` on the same "
                                  "traces)"),
                       ("t_sim", "end to end (`simulate`: generate and play, frame)")):
        b = res["before"]["bounds"][key] / res["before"]["bounds"]["events"] * 1e9
        a = res["after"]["bounds"][key] / res["after"]["bounds"]["events"] * 1e9
        lines.append(f"| {label} | {b:.1f} | {a:.1f} | {a / b:.2f}x |")
    r = res["after"]["bounds"]
    lines.append(f"\nTrace rows per event (generated, incl. rows after a run ends): "
                 f"{r['rows'] / r['events']:.3f}; runs recovered (the oracle runs once per "
                 f"recovery): {r['recovered']} of {r['runs']}.\n")
    return "\n".join(lines) + "\n"


def compare(rev: str, quick: bool, repeat: int, bounds: bool = False,
            after: str | None = None) -> tuple[list[tuple], str, dict]:
    """Revision ``rev`` vs the working tree (or revision ``after``) in one run.

    Each tree gets its own numba cache directory for the whole comparison: the
    first call compiles into it (cold), the second loads it (warm), the
    throughput and timing children load it too.
    """
    runs = 20_000 if quick else 131_072
    base = {"scenario": SCENARIO, "protocol": PROTOCOL, "seed": SEED}
    one = {"NUMBA_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="mdcd-baseline-") as tmp:
        sha = export_revision(rev, Path(tmp) / "before")
        trees = {"before": Path(tmp) / "before", "after": ROOT}
        if after is not None:
            sha += ".." + export_revision(after, Path(tmp) / "after")
            trees["after"] = Path(tmp) / "after"
        res: dict[str, dict] = {k: {"rates": []} for k in trees}
        envs = {}
        for name, root in trees.items():
            cache = Path(tmp) / f"cache-{name}"
            envs[name] = dict(one, NUMBA_CACHE_DIR=str(cache))
            print(f"{name}: first call, cold then warm cache ...", flush=True)
            res[name]["cold"] = child(dict(base, mode="first_call", runs=100), envs[name], root)
            res[name]["warm"] = child(dict(base, mode="first_call", runs=100), envs[name], root)
        for i in range(repeat):
            for name, root in trees.items():
                print(f"{name}: throughput {i + 1}/{repeat} ...", flush=True)
                r = child(dict(base, mode="throughput", engine="numba", runs=runs, repeat=1),
                          envs[name], root)
                res[name]["rates"].append(r["events"] / r["seconds"])
                res[name]["events"] = r["events"]
                if bounds:
                    print(f"{name}: where the time goes {i + 1}/{repeat} ...", flush=True)
                    r = child(dict(base, mode="bounds", runs=runs // 2), envs[name], root)
                    old = res[name].get("bounds")
                    if old is not None:   # best of the repeats, part by part
                        r.update({k: min(r[k], old[k]) for k in ("t_gen", "t_play", "t_sim")})
                    res[name]["bounds"] = r
    b, a = res["before"], res["after"]
    rb, ra = max(b["rates"]), max(a["rates"])
    rows = [
        ("numba, 1 thread, events/s per core (best)", f"{rb / 1e6:.2f} M", f"{ra / 1e6:.2f} M",
         f"{ra / rb:.3f}x"),
        ("numba, 1 thread, events/s per core (median)",
         f"{sorted(b['rates'])[len(b['rates']) // 2] / 1e6:.2f} M",
         f"{sorted(a['rates'])[len(a['rates']) // 2] / 1e6:.2f} M", ""),
        ("events in the timed batch", f"{b['events']:,}", f"{a['events']:,}", ""),
        ("first call, cold cache (s)", f"{b['cold']['seconds']:.1f}",
         f"{a['cold']['seconds']:.1f}", f"{a['cold']['seconds'] / b['cold']['seconds']:.2f}x"),
        ("first call, warm cache (s)", f"{b['warm']['seconds']:.2f}",
         f"{a['warm']['seconds']:.2f}", ""),
    ]
    return rows, sha, res


def table(rows: list[tuple]) -> str:
    lines = ["| measure | value | target | notes |", "| --- | ---: | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def write_results(text: str, section: str = SECTION) -> None:
    """Replace (or append) one section of benchmarks/results.md."""
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(section) + r".*?(?=\n## |\Z)", re.S)
    if pattern.search(old):
        new = pattern.sub(lambda _m: text.rstrip("\n") + "\n", old)
    else:
        new = old.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(new)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller run counts")
    ap.add_argument("--no-write", action="store_true", help="do not update results.md")
    ap.add_argument("--baseline", metavar="REV",
                    help="compare the working tree with git revision REV instead")
    ap.add_argument("--after", metavar="REV",
                    help="with --baseline: compare with revision REV, not the working tree")
    ap.add_argument("--bounds", action="store_true",
                    help="with --baseline: also time generation and protocol apart")
    ap.add_argument("--repeat", type=int, default=3,
                    help="alternating throughput measurements per tree (--baseline)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.baseline:
        rows, sha, res = compare(args.baseline, args.quick, args.repeat, args.bounds,
                                 args.after)
        m = machine()
        lines = ["| measure | before | after | after / before |",
                 "| --- | ---: | ---: | ---: |"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
        body = "\n".join(lines) + "\n"
        if args.bounds:
            body += "\nWhat bounds the rate:\n\n" + bounds_table(res)
        cmd = (f"python benchmarks/bench_engine.py --baseline {args.baseline} "
               f"{f'--after {args.after} ' if args.after else ''}"
               f"--repeat {args.repeat}{' --quick' if args.quick else ''}"
               f"{' --bounds' if args.bounds else ''}")
        text = (
            f"{SECTION_AB}\n\n`{cmd}` ({m['date']}, {time.perf_counter() - t0:.0f} s; "
            f"before..after = `{sha}`{'' if args.after else ' + the working tree'})\n\n"
            f"Machine: {m['cpu']}, {m['cores']} logical CPUs, {m['ram']} RAM; Python "
            f"{m['python']}, numpy {m['numpy']}, numba {m['numba']}.  Load average when it "
            f"started: {m['load']:.2f}.  Scenario and protocol as in \"Engine: numba vs "
            "reference\"; the two trees alternate "
            "(before, after, before, ...) so that load from other processes hits both alike; "
            "each tree has its own `NUMBA_CACHE_DIR`: the first call compiles (cold), the "
            "second and every measurement load it (warm).\n\n"
            + body)
        print()
        print(body)
        if not args.no_write:
            write_results(text, SECTION_AB)
            print(f"written to {RESULTS}")
        return
    rows, _res = run(args.quick)
    m = machine()
    body = table(rows)
    text = (
        f"{SECTION}\n\n"
        f"`python benchmarks/bench_engine.py{' --quick' if args.quick else ''}` "
        f"({m['date']}, {time.perf_counter() - t0:.0f} s)\n\n"
        f"Machine: {m['cpu']}, {m['cores']} logical CPUs, {m['ram']} RAM; {m['platform']}; "
        f"Python {m['python']}, numpy {m['numpy']}, numba {m['numba']}, pandas {m['pandas']}. "
        f"Load average when it started: {m['load']:.2f} (other processes on the machine "
        "lower every rate).\n\n"
        f"Scenario: `Scenario({', '.join(f'{k}={v}' for k, v in SCENARIO.items())})`, "
        f"protocol `{PROTOCOL}`.  Events are trace rows processed (`n_events`); every "
        "numba figure includes per-run seeding and trace generation inside the kernel "
        "and the DataFrame at the end.  See docs/scaling.md for what bounds the rate.\n\n"
        + body)
    print()
    print(body)
    if not args.no_write:
        write_results(text)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
