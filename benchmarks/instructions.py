"""Instructions per trace event of the numba engine, counted by valgrind's callgrind.

Wall-clock ratios on a shared machine wander by several percent from one run to
the next; the number of instructions a run executes does not.  This script
counts, under ``valgrind --tool=callgrind``, the instructions of one
``simulate(..., engine="numba")`` call (trace generation, protocol, oracle and
the result frame) on the benchmark scenario of ``benchmarks/bench_engine.py``,
and divides them by the trace events it played (the ``n_events`` column).

Only the ``simulate`` call is counted: the child process calls ``os.getppid()``
right before and right after it, and callgrind (``--dump-before=os_getppid``)
closes a profile part at each of those calls; the middle part is the call.
Imports, the kernels' loading from numba's cache and a warm-up call stay out.
Each tree's numba cache is warmed (a run outside valgrind) before measuring, so
no compilation is counted either; one numba thread (``NUMBA_NUM_THREADS=1``)
and a fixed ``PYTHONHASHSEED`` make the count repeatable.  numba compiles for a
generic x86-64 CPU here (``NUMBA_CPU_NAME=generic``), in and out of valgrind:
numba's cache is keyed on the CPU, and valgrind's virtual CPU has fewer vector
extensions than the host, so a host-CPU cache would be recompiled under valgrind.

With ``--baseline REV`` the same is measured for git revision ``REV``
(exported with ``git archive`` to a temporary directory) and the ratio
printed: a refactoring that must not slow the engine keeps it near 1.

Usage::

    python benchmarks/instructions.py                        # mdcd, this tree
    python benchmarks/instructions.py --protocol mdcd-vector --runs 1000
    python benchmarks/instructions.py --baseline main --protocol mdcd mdcd-vector
    python benchmarks/instructions.py --generators pcg64dxsm sfc64   # issue 20, item 4
    python benchmarks/instructions.py --baseline main --branches     # + mispredictions
    python benchmarks/instructions.py --baseline main --latency 2.0  # a larger event heap
    python benchmarks/instructions.py --recovery atomic --without notify_fifo \
        aware_of_validated drain_notifications twins_in_member_order   # issue 21's parts

Needs ``valgrind`` on the PATH.  Each measurement takes one to three minutes
(valgrind runs the interpreter about 50 times slower).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_engine import SCENARIO, SEED  # noqa: E402  (the benchmark scenario, one place)

#: The marker callgrind dumps at: ``os.getppid`` (CPython's C function ``os_getppid``).
MARKER = "os_getppid"

CHILD = r"""
import json, os, sys
cfg = json.loads(sys.argv[1])
import mdcd_lab
from mdcd_lab import Scenario, simulate
s = Scenario(**cfg["scenario"])
if cfg.get("recovery") or cfg.get("without"):   # this tree only (issue 21's switches)
    import dataclasses
    from mdcd_lab.protocols import get_rules
    if cfg.get("recovery"):
        s = s.replace(recovery=cfg["recovery"])
    cfg["protocol"] = dataclasses.replace(get_rules(cfg["protocol"]), name="variant",
                                          **{r: False for r in cfg.get("without", [])})
simulate(s, 16, cfg["seed"], protocol=cfg["protocol"], engine="numba")   # warm up
os.getppid()   # callgrind: the measured part begins
d = simulate(s, cfg["runs"], cfg["seed"], protocol=cfg["protocol"], engine="numba")
os.getppid()   # ... and ends
print(json.dumps({"events": int(d["n_events"].sum()), "runs": len(d),
                  "package": os.path.dirname(mdcd_lab.__file__)}))
"""


def _env(tree: Path) -> dict[str, str]:
    env = dict(os.environ, NUMBA_NUM_THREADS="1", PYTHONHASHSEED="0", NUMBA_CPU_NAME="generic",
               NUMBA_CPU_FEATURES="", PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    env.pop("NUMBA_CACHE_DIR", None)   # each tree keeps its own cache, beside its kernels
    return env


def _child(tree: Path, cfg: dict, prefix: list[str]) -> dict:
    proc = subprocess.run([*prefix, sys.executable, "-c", CHILD, json.dumps(cfg)],
                          cwd=tree, env=_env(tree), capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"child failed in {tree}:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if Path(out["package"]).resolve() != (tree / "mdcd_lab").resolve():
        raise SystemExit(f"the child imported {out['package']}, not the tree {tree}")
    return out


def _totals(path: Path) -> dict[str, int]:
    """The totals of one callgrind profile part, by event name: ``Ir`` (instructions)
    and, with ``--branch-sim=yes``, ``Bc`` / ``Bcm`` (conditional branches / mispredicted)
    and ``Bi`` / ``Bim`` (indirect branches / mispredicted)."""
    text = path.read_text()
    names = re.search(r"^events:\s+(.+)$", text, re.M)
    m = re.search(r"^(?:totals|summary):\s+([\d ]+)$", text, re.M)
    if m is None or names is None:
        raise SystemExit(f"no instruction total in {path}")
    keys = names.group(1).split()
    values = [int(v) for v in m.group(1).split()]
    values += [0] * (len(keys) - len(values))   # (trailing zero costs may be left out)
    return dict(zip(keys, values, strict=True))


def measure(tree: Path, protocol: str, runs: int, variant: dict | None = None,
            branches: bool = False, latency: float | None = None) -> dict:
    """Instructions per event of ``simulate(runs)`` in ``tree`` (its numba cache warmed);
    ``variant``: ``recovery`` (a ``Scenario.recovery``) and ``without`` (rule switches
    turned off), for this tree only; ``branches``: also the branches callgrind's branch
    predictor model mispredicts (``--branch-sim=yes``), per event; ``latency``: the
    scenario's channel latency instead of the benchmark's."""
    scenario = SCENARIO if latency is None else dict(SCENARIO, latency=latency)
    cfg = {"scenario": scenario, "seed": SEED, "protocol": protocol, "runs": runs,
           **(variant or {})}
    _child(tree, dict(cfg, runs=16), [])   # warm the tree's numba cache, outside valgrind
    with tempfile.TemporaryDirectory(prefix="mdcd-callgrind-") as tmp:
        base = Path(tmp) / "cg.out"
        sim = ["--branch-sim=yes"] if branches else []
        out = _child(tree, cfg, ["valgrind", "--tool=callgrind", "--dump-instr=no", *sim,
                                 f"--dump-before={MARKER}", f"--callgrind-out-file={base}"])
        parts = sorted(Path(tmp).glob("cg.out*"), key=lambda p: int(p.name.rsplit(".", 1)[-1])
                       if p.name.rsplit(".", 1)[-1].isdigit() else 1 << 30)
        if len(parts) != 3:
            raise SystemExit(f"expected 3 profile parts (before, the call, after), got "
                             f"{[p.name for p in parts]}: does something else call {MARKER}?")
        totals = _totals(parts[1])
    ir = totals["Ir"]
    res = {"protocol": protocol, "runs": out["runs"], "events": out["events"],
           "instructions": ir, "per_event": ir / out["events"]}
    if branches:
        res["mispredicted"] = (totals["Bcm"] + totals["Bim"]) / out["events"]
    return res


def export(rev: str, dest: Path) -> Path:
    """``git archive`` of ``rev`` extracted into ``dest``."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", nargs="+", default=["mdcd"], help="protocol name(s)")
    ap.add_argument("--runs", type=int, default=2000, help="runs of the measured call")
    ap.add_argument("--baseline", metavar="REV", help="also measure git revision REV")
    ap.add_argument("--generators", nargs="+", choices=("pcg64dxsm", "sfc64"), default=[],
                    help="also measure copies of this tree whose two engines draw from "
                         "numpy's PCG64DXSM or SFC64 (benchmarks/generators.py)")
    ap.add_argument("--branches", action="store_true",
                    help="also count the mispredicted branches per event (callgrind's "
                         "branch predictor model, --branch-sim=yes; a model, not the CPU)")
    ap.add_argument("--recovery", choices=("executed", "atomic"),
                    help="Scenario.recovery of the measured runs (this tree only)")
    ap.add_argument("--without", nargs="+", default=[], metavar="SWITCH",
                    help="rule switches turned off, e.g. the readings notify_fifo "
                         "aware_of_validated drain_notifications twins_in_member_order "
                         "(this tree only)")
    ap.add_argument("--latency", type=float,
                    help="the scenario's channel latency instead of the benchmark's (every "
                         "tree; a longer delay keeps more messages in the event heap)")
    args = ap.parse_args()
    if args.latency is not None and not args.latency > 0:
        ap.error("--latency must be > 0")
    variant = {"recovery": args.recovery, "without": args.without}
    if (args.baseline or args.generators) and (args.recovery or args.without):
        raise SystemExit("--recovery and --without measure this tree only: drop --baseline "
                         "and --generators")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on the PATH")
    with tempfile.TemporaryDirectory(prefix="mdcd-baseline-") as tmp:
        trees = [("this tree", ROOT)]
        if args.baseline:
            trees.insert(0, (args.baseline, export(args.baseline, Path(tmp))))
        for name in args.generators:   # (a tree's name: at most 12 characters)
            from generators import GENERATORS, generator_copy  # (imports numba: only here)
            trees.append((GENERATORS[name][0], generator_copy(ROOT, Path(tmp) / name, name)))
        scenario = SCENARIO if args.latency is None else dict(SCENARIO, latency=args.latency)
        print(f"scenario {scenario}, seed {SEED}, {args.runs} runs, NUMBA_NUM_THREADS=1")
        miss = f" {'mispredicted':>12} {'ratio':>7}" if args.branches else ""
        print(f"{'protocol':<14} {'tree':<12} {'events':>9} {'instructions':>14} "
              f"{'per event':>10} {'ratio':>7}{miss}")
        for proto in args.protocol:
            first = None
            for name, tree in trees:
                r = measure(tree, proto, args.runs, variant, args.branches, args.latency)
                ratio = "" if first is None else f"{r['per_event'] / first['per_event']:7.4f}"
                miss = ""
                if args.branches:
                    m_ratio = ("" if first is None else
                               f"{r['mispredicted'] / first['mispredicted']:7.4f}")
                    miss = f" {r['mispredicted']:>12.2f} {m_ratio:>7}"
                first = r if first is None else first
                print(f"{proto:<14} {name:<12} {r['events']:>9} {r['instructions']:>14} "
                      f"{r['per_event']:>10.1f} {ratio:>7}{miss}", flush=True)


if __name__ == "__main__":
    main()
