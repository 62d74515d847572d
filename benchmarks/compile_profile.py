"""Where the compile time of a cold first call goes (issue 20, item 2), function by function.

A fresh interpreter with an empty numba cache (a temporary ``NUMBA_CACHE_DIR``) runs
``import mdcd_lab; simulate(Scenario(), 100, 1)`` (the README's first call).  Every
numba compilation in it and in the compile helper (``mdcd_lab/fast/_compile_helper.py``)
is recorded through numba's event API (``numba:compile``: the function, when it began,
how long it took, how deep it is nested); a ``sitecustomize`` on the children's path
installs the listener in both processes.  Printed:

1. each process's timeline: its top-level compilations (the loop's parts, the cold
   rules), seconds from the start of the child;
2. the functions by *exclusive* time (their compilation less the nested compilations
   of their callees), with the small ones (whose whole compilation took less than
   ``--small`` seconds) counted apart: each costs about the same whatever its size
   (typing, lowering, a module optimised, machine code emitted, a cache entry written);
3. with ``--phases``, a second child with the helper off under ``cProfile``: the
   seconds in LLVM (module passes at ``finalize``, function passes, machine code
   emission) and the rest (numba in Python; slowed by the profiler, so only the LLVM
   seconds are those of an unprofiled run).

Times on a shared machine wander by 10-20 % from run to run: compare shares, not
seconds, between runs.

Usage::

    python benchmarks/compile_profile.py
    python benchmarks/compile_profile.py --no-helper --phases
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Installed in every child interpreter (the parent and the compile helper): records each
#: numba compilation and writes them to ``$MDCD_PROFILE_DIR/<pid>.json`` at exit.
SITECUSTOMIZE = r"""
import atexit, json, os, time
if os.environ.get("MDCD_PROFILE_DIR"):
    from numba.core import event as _event
    _T0 = float(os.environ["MDCD_PROFILE_T0"])
    _rows, _stack = [], []

    class _Listener(_event.Listener):
        def on_start(self, ev):
            _stack.append((ev.data["dispatcher"].py_func.__qualname__, time.time()))

        def on_end(self, ev):
            name, start = _stack.pop()
            _rows.append([name, start - _T0, time.time() - start, len(_stack)])

    _event.register("numba:compile", _Listener())

    @atexit.register
    def _dump():
        path = os.path.join(os.environ["MDCD_PROFILE_DIR"], f"{os.getpid()}.json")
        with open(path, "w") as fh:
            json.dump(_rows, fh)
"""

CHILD = r"""
import json, os, time
t0 = time.time()
from mdcd_lab import Scenario, simulate
simulate(Scenario(), 100, 1, progress=False)
print("RESULT " + json.dumps({"pid": os.getpid(), "seconds": time.time() - t0}))
"""

CHILD_PHASES = r"""
import cProfile, json, pstats, time
from mdcd_lab import Scenario, simulate
prof = cProfile.Profile()
t0 = time.time()
prof.runcall(simulate, Scenario(), 100, 1, progress=False)
seconds = time.time() - t0
st = pstats.Stats(prof).stats
cum = {k: v[3] for k, v in st.items()}
def cumt(path, func):
    return sum(c for k, c in cum.items() if k[0].endswith(path) and k[2] == func)
phases = {
    "LLVM module passes (`finalize`: a library's module, its callees linked in)":
        cumt("numba/core/codegen.py", "_optimize_final_module"),
    "LLVM function passes (each function as its IR is added)":
        cumt("numba/core/codegen.py", "_optimize_functions"),
    "LLVM machine code (`finalize_object`)":
        cumt("llvmlite/binding/executionengine.py", "finalize_object"),
}
print("RESULT " + json.dumps({"seconds": seconds, "phases": phases}))
"""


def exclusive(rows: list[list]) -> list[tuple[str, float, float]]:
    """``(name, exclusive s, inclusive s)`` of every compilation of one process: its time
    less the time of the compilations nested directly in it (``rows``: ``[name, start,
    seconds, depth]``, as the listener records them)."""
    out = []
    for name, start, dur, depth in rows:
        inner = sum(d for _, s, d, k in rows
                    if k == depth + 1 and s >= start and s + d <= start + dur + 1e-6)
        out.append((name, max(dur - inner, 0.0), dur))
    return out


def timeline(rows: list[list], min_s: float) -> list[tuple[float, float, str]]:
    """``(start, seconds, name)`` of the top-level compilations taking ``min_s`` or more."""
    return sorted((s, d, n) for n, s, d, k in rows if k == 0 and d >= min_s)


def run(tree: Path, helper: bool, code: str) -> tuple[dict, dict[int, list]]:
    """Run ``code`` in a fresh child on ``tree`` with an empty numba cache; its result and
    the compilations recorded per process id."""
    with tempfile.TemporaryDirectory(prefix="mdcd-compile-profile-") as tmp:
        site = Path(tmp, "site")
        site.mkdir()
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
        rec = Path(tmp, "rec")
        rec.mkdir()
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp, "cache")),
                   MDCD_LAB_COMPILE_HELPER="1" if helper else "0",
                   PYTHONPATH=os.pathsep.join([str(site), str(tree)]),
                   MDCD_PROFILE_DIR=str(rec), MDCD_PROFILE_T0=repr(time.time()))
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, cwd=tree)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            raise SystemExit(f"compile_profile: the child failed:\n{proc.stderr[-3000:]}")
        recs = {int(p.stem): json.loads(p.read_text()) for p in rec.glob("*.json")}
    return json.loads(lines[0][7:]), recs


def report(result: dict, recs: dict[int, list], small: float, top: int) -> str:
    """Markdown tables of one child: the timelines, the functions by exclusive time."""
    out = [f"First call (import, compile, 100 runs): {result['seconds']:.1f} s.\n"]
    procs = sorted(recs, key=lambda pid: pid != result["pid"])   # the parent first
    for pid in procs:
        who = "parent" if pid == result["pid"] else "compile helper"
        rows = recs[pid]
        ex = exclusive(rows)
        out.append(f"### {who}: {len(rows)} compilations, "
                   f"{sum(d for _, d, _ in ex):.1f} s\n")
        out.append("| start, s | s | top-level compilation |\n| ---: | ---: | --- |")
        out += [f"| {s:.2f} | {d:.2f} | `{n}` |" for s, d, n in timeline(rows, 0.25)]
        tiny = [e for e in ex if e[2] < small]
        out.append(f"\nSmall compilations (under {small} s each): {len(tiny)}, "
                   f"{sum(e[1] for e in tiny):.1f} s in all "
                   f"({sum(e[1] for e in tiny) / max(len(tiny), 1) * 1e3:.0f} ms each).\n")
        out.append("| function | exclusive s | inclusive s |\n| --- | ---: | ---: |")
        out += [f"| `{n}` | {x:.2f} | {d:.2f} |"
                for n, x, d in sorted(ex, key=lambda e: -e[1])[:top]]
        out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-helper", action="store_true",
                    help="one process (MDCD_LAB_COMPILE_HELPER=0)")
    ap.add_argument("--phases", action="store_true",
                    help="also split a helper-off cold first call into LLVM's phases "
                         "(cProfile)")
    ap.add_argument("--small", type=float, default=0.12,
                    help="a compilation under this many seconds counts as small")
    ap.add_argument("--top", type=int, default=25, help="functions listed by exclusive time")
    args = ap.parse_args()
    if args.small <= 0 or args.top < 1:
        ap.error("--small must be > 0 and --top >= 1")
    result, recs = run(ROOT, not args.no_helper, CHILD)
    print(report(result, recs, args.small, args.top))
    if args.phases:
        res, _ = run(ROOT, False, CHILD_PHASES)
        print(f"Helper off, under cProfile: {res['seconds']:.1f} s in all.\n")
        print("| phase | s |\n| --- | ---: |")
        for k, v in res["phases"].items():
            print(f"| {k} | {v:.1f} |")
        llvm = sum(res["phases"].values())
        print(f"| the rest (numba in Python, slowed by the profiler) | "
              f"{res['seconds'] - llvm:.1f} |")


if __name__ == "__main__":
    main()
