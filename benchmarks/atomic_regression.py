"""Atomic recovery with the readings off gives the numba numbers of before issue 21.

Issue 21 made recovery an event-driven process (``Scenario.recovery="executed"``,
the default) and added four readings of the paper (``protocols.READINGS``, on in
every protocol).  With both switched back -- ``recovery="atomic"`` and every
reading off -- the numba engine must give, bit for bit, what it gave before issue
21.  This script checks it against a baseline revision (default ``4b33a56``: main
with the package layout of issue 19, the last commit before issue 21's reference
engine) on the scenario of ``benchmarks/hash_results.py``:

* ``simulate/<protocol>``: ``simulate(..., engine="numba")``, every protocol;
* ``replay/<protocol>``: ``replay(trace, ..., engine="numba")`` of one generated trace.

Each frame is hashed like ``hash_results.py`` (sha256 of
``pandas.util.hash_pandas_object``) over the baseline's columns: the two metrics issue
21 added (``n_discarded``, ``recovery_latency``) are checked apart (0, and 0.0 on a
recovered run / NaN otherwise, in atomic mode).  The baseline tree is exported with
``git archive`` and run in a child process (its own numba cache: the first run
compiles it, a few minutes).  Exits 1 if a frame differs.

Usage::

    NUMBA_NUM_THREADS=1 python benchmarks/atomic_regression.py [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from instructions import export  # noqa: E402  (git archive of a revision, one place)

CHILD = r"""
import dataclasses, hashlib, json, math, os, sys
import pandas as pd
import mdcd_lab as m
from mdcd_lab.fast import generate_traces_numba
sys.path.insert(0, os.path.join(os.getcwd(), "benchmarks"))
from hash_results import SCENARIO, SEED
cfg = json.loads(sys.argv[1])
NEW = ("n_discarded", "recovery_latency")
sc = m.Scenario(**SCENARIO)
issue21 = hasattr(sc, "recovery")
if issue21:
    from mdcd_lab.protocols import READINGS, get_rules
    sc = sc.replace(recovery="atomic")

def rules(name):
    if not issue21:
        return name
    return dataclasses.replace(get_rules(name), **dict.fromkeys(READINGS, False))

def digest(df):
    out = {}
    if issue21:
        rec = df["outcome"] == "recovered"
        out["new_metrics_ok"] = bool((df["n_discarded"] == 0).all()
            and (df.loc[rec, "recovery_latency"] == 0.0).all()
            and df.loc[~rec, "recovery_latency"].isna().all())
        df = df.drop(columns=list(NEW))
    out["hash"] = hashlib.sha256(pd.util.hash_pandas_object(df, index=True).values.tobytes()
                                 ).hexdigest()
    return out

res = {}
for proto in m.protocol_names():
    res[f"simulate/{proto}"] = digest(m.simulate(sc, cfg["runs"], SEED, protocol=rules(proto),
                                                 engine="numba", progress=False))
trace = generate_traces_numba(sc, cfg["trace_runs"], SEED)
for proto in m.protocol_names():
    res[f"replay/{proto}"] = digest(m.replay(trace, sc, rules(proto), engine="numba"))
print(json.dumps({"package": os.path.dirname(m.__file__), "frames": res}))
"""


def child(tree: Path, runs: int, trace_runs: int) -> dict:
    """The frames' digests computed by the package in ``tree``."""
    env = dict(os.environ, NUMBA_NUM_THREADS="1", PYTHONPATH=str(tree),
               PYTHONDONTWRITEBYTECODE="1")
    env.pop("NUMBA_CACHE_DIR", None)   # each tree keeps its own cache, beside its kernels
    proc = subprocess.run([sys.executable, "-c", CHILD,
                           json.dumps({"runs": runs, "trace_runs": trace_runs})],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=7200)
    if proc.returncode != 0:
        raise SystemExit(f"child failed in {tree}:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if Path(out["package"]).resolve() != (tree / "mdcd_lab").resolve():
        raise SystemExit(f"the child imported {out['package']}, not the tree {tree}")
    return out["frames"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="4b33a56", metavar="REV",
                    help="revision before issue 21 (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=3000, help="runs per simulate frame")
    ap.add_argument("--trace-runs", type=int, default=500, help="runs of the replayed trace")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mdcd-baseline-") as tmp:
        before = child(export(args.baseline, Path(tmp)), args.runs, args.trace_runs)
        after = child(ROOT, args.runs, args.trace_runs)
    bad = 0
    print(f"{'frame':<34} {'hash (this tree)':<18} {'':<9} new metrics")
    for name, b in before.items():
        a = after.get(name)
        if a is None:
            print(f"{name:<34} (not in this tree)")
            bad += 1
            continue
        same = a["hash"] == b["hash"]
        bad += (not same) + (not a["new_metrics_ok"])
        print(f"{name:<34} {a['hash'][:16]:<18} {'same' if same else 'DIFFERS':<9} "
              f"{'ok' if a['new_metrics_ok'] else 'WRONG'}", flush=True)
    print(f"{len(before)} frames, {bad} problems (baseline {args.baseline})")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
