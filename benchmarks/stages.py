"""Where an event's time goes in the numba engine, stage by stage (issue 20, item 4).

On the benchmark scenario of ``benchmarks/bench_engine.py`` (one numba thread, one
fresh child per tree, its numba cache warmed first), each stage is timed alone on
the same runs and divided by the trace events the runs play (``n_events``):

1. **seeding**: ``SeedSequence`` + ``PCG64`` seeding of every run (``rng.seed_state``,
   ``rng.pcg_seed``), nothing else;
2. **draws only (the bound)**: ``draws_only`` below: seeding, then exactly the draws
   of ``gen.generate_run`` (gap, category, source, then what the row's kind draws),
   the category pick and the endpoints, and one counter of each process a row names
   (the least state a protocol must touch); no row is stored.  It counts the rows it
   would keep, and the script stops unless that count equals ``gen.count_rows``'s for
   every run (a draw out of step would change the times and categories);
3. **generation**: ``gen.count_rows`` (rows stored, FIFO delivery times, shadow
   twins, realised means);
4. **protocol + oracle**: ``drivers.replay_runs`` on the same traces (the runs
   played from stored rows: ``play_run``, the oracle, ``collect``);
5. **engine kernels**: ``drivers.simulate_chunk`` on one block (generation and
   play, as ``simulate`` calls it);
6. **simulate**: the public ``simulate(..., engine="numba")`` call (checks,
   parameter vectors, the DataFrame).

Differences give the parts: draws = 2 - 1, generation logic = 3 - 2, protocol and
oracle as played inside ``simulate`` = 5 - 3, frame and Python = 6 - 5.

With ``--rules``, the protocol of this tree is also split by function: ``replay_runs``
runs under ``perf record`` (user-space ``cpu-clock`` samples) in a child that compiles
into an empty cache (numba keeps a library's object code only when it compiled it);
the child writes a perf map (``/tmp/perf-<pid>.map``) of every function of every
compiled kernel library, read from the ELF symbol tables of their object code
(``elf_functions``), and each sample taken during the timed call is given to the
function whose code holds it (self time).  This is done for the shipped build, whose
per-event rules are inlined into ``play_run`` and ``drain``, and for a copy of the tree
whose ``_config.JIT_HOT`` has no ``forceinline``, which tells the rules apart.

With ``--baseline REV`` the stages of git revision ``REV`` are measured too, best of
``--repeat`` per stage.  With ``--generators sfc64 pcg64dxsm`` copies of this tree
whose two engines draw from numpy's ``SFC64`` / ``PCG64DXSM`` instead of ``PCG64``
(``benchmarks/generators.py``) are measured too, after checking that each copy's
reference and numba engines give the same traces; ``draws_only`` then draws from the
copy's generator (it threads four state words; a tree's own ``PCG64`` is wrapped to
that shape).

Usage::

    python benchmarks/stages.py                          # this tree, mdcd
    python benchmarks/stages.py --protocol mdcd mdcd-vector --rules
    python benchmarks/stages.py --baseline main --repeat 3
    python benchmarks/stages.py --generators sfc64 pcg64dxsm --protocol mdcd mdcd-vector

Needs ``perf`` for ``--rules``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_engine import SCENARIO, SEED, export_revision  # noqa: E402

STAGES = (("seed", "seeding (`rng.seed_state`, `rng.pcg_seed`)"),
          ("draws", "draws only, the bound (`draws_only`: seeding, every draw, category, "
                    "endpoints, one counter per process named)"),
          ("gen", "generation (`gen.count_rows`: + rows, FIFO, twins, means)"),
          ("play", "protocol + oracle (`drivers.replay_runs` on the same traces)"),
          ("kernels", "engine kernels (`drivers.simulate_chunk`, one block)"),
          ("sim", "`simulate(..., engine=\"numba\")`"))
PARTS = (("draws", "seed", "the draws (2 - 1)"),
         ("gen", "draws", "generation logic: rows, FIFO, twins, means (3 - 2)"),
         ("kernels", "gen", "protocol + oracle inside `simulate` (5 - 3)"),
         ("sim", "kernels", "checks, parameters, frame (6 - 5)"))


def draws_only_factory():
    """``draws_only`` compiled against the kernels of the ``mdcd_lab`` on ``sys.path``."""
    from mdcd_lab.constants import (
        CAT_ACT_ACT,
        CAT_ACT_LOW,
        CAT_EXT_ACT,
        CAT_EXT_LOW,
        CAT_FAULT,
        CAT_LOW_ACT,
        CAT_LOW_LOW,
        CAT_SDW_SDW,
    )
    from mdcd_lab.fast._config import JIT
    from mdcd_lab.fast.kernels import gen, layout, rng

    opts = dict(JIT, cache=False)   # the kernels' options (closures are not cached)

    seed4, p_next, p_exp = rng.pcg_seed, rng.pcg_next, rng.next_exponential
    if hasattr(rng, "GENERATOR"):   # a generators.generator_copy: four-word kernels
        nxt, nexp = p_next, p_exp
    else:                           # the tree's own PCG64 (two words), in that shape
        @njit(**opts)
        def nxt(s0, s1, s2, s3):
            s0, s1, x = p_next(s0, s1, s2, s3)
            return s0, s1, s2, s3, x

        @njit(**opts)
        def nexp(s0, s1, s2, s3):
            s0, s1, x = p_exp(s0, s1, s2, s3)
            return s0, s1, s2, s3, x
    pick, dbl, seed_state = gen._pick, rng.to_double, rng.seed_state
    fh, ft, fl, fg, fc, fw = (int(layout.FP_HORIZON), int(layout.FP_TOTAL),
                              int(layout.FP_LAG), int(layout.FP_GROWTH), int(layout.FP_CUM0),
                              int(layout.FP_W0))
    inl, ina = int(layout.IP_NLOW), int(layout.IP_NACT)

    @njit(**opts)
    def twin(s0, s1, s2, s3, t, lag, last_twin, horizon):
        s0, s1, s2, s3, x7 = nxt(s0, s1, s2, s3)
        at = t + (2.0 * dbl(x7) - 1.0) * lag
        tt = last_twin if last_twin > at else at
        return s0, s1, s2, s3, tt, 1 if tt <= horizon else 0

    @njit(**opts)
    def draws_only(seed_words, first_run, n_runs, fp, ip, touch, out_counts):
        """Seeding and the draws of ``gen.generate_run``, nothing stored; ``out_counts``
        gets the rows ``count_rows`` counts (kept cluster rows and twins)."""
        horizon, total, lag, growth = fp[fh], fp[ft], fp[fl], fp[fg]
        last_t = horizon + lag
        n_low, n_act = ip[inl], ip[ina]
        sdw0 = n_low + n_act
        mixer = np.zeros(4, dtype=np.uint64)
        words4 = np.zeros(4, dtype=np.uint64)
        for i in range(n_runs):
            seed_state(seed_words, first_run + i, mixer, words4)
            s0, s1, s2, s3 = seed4(words4)
            t = 0.0
            last_twin = 0.0
            rows = 0
            while True:
                s0, s1, s2, s3, e = nexp(s0, s1, s2, s3)
                t = t + e / total
                if t > last_t:
                    break
                keep = 1 if t <= horizon else 0
                s0, s1, s2, s3, x1 = nxt(s0, s1, s2, s3)
                x = dbl(x1) * total
                cat = 0
                for c in range(8):
                    cat += x >= fp[fc + c]
                if cat > 7:
                    cat = 7
                while fp[fw + (cat % 8)] <= 0.0:
                    cat -= 1
                cat = cat % 8
                s0, s1, s2, s3, x2 = nxt(s0, s1, s2, s3)
                u2 = dbl(x2)
                if (cat == CAT_LOW_ACT or cat == CAT_LOW_LOW or cat == CAT_EXT_LOW
                        or cat == CAT_FAULT or cat == CAT_SDW_SDW):
                    k = pick(u2, n_low)
                    src = k if cat != CAT_SDW_SDW else sdw0 + k
                else:
                    src = n_low + pick(u2, n_act)
                touch[src] += 1
                if cat == CAT_FAULT:
                    if growth > 0.0:
                        s0, s1, s2, s3, e = nexp(s0, s1, s2, s3)
                        if not e > growth * t:
                            continue
                    rows += keep
                    continue
                if cat == CAT_EXT_LOW or cat == CAT_EXT_ACT:
                    s0, s1, s2, s3, x5 = nxt(s0, s1, s2, s3)
                    s0, s1, s2, s3, x6 = nxt(s0, s1, s2, s3)
                    s0, s1, s2, s3, e = nexp(s0, s1, s2, s3)
                    rows += keep
                    if cat == CAT_EXT_LOW:
                        s0, s1, s2, s3, last_twin, kept = twin(s0, s1, s2, s3, t, lag, last_twin,
                                                             horizon)
                        rows += kept
                    continue
                s0, s1, s2, s3, x3 = nxt(s0, s1, s2, s3)
                u3 = dbl(x3)
                if cat == CAT_LOW_ACT:
                    dst = n_low + pick(u3, n_act)
                elif cat == CAT_LOW_LOW:
                    dst = pick(u3, n_low - 1)
                    dst = dst + 1 if dst >= src else dst
                elif cat == CAT_ACT_LOW:
                    dst = pick(u3, n_low)
                elif cat == CAT_ACT_ACT:
                    dst = pick(u3, n_act - 1)
                    dst = n_low + (dst + 1 if dst >= src - n_low else dst)
                else:
                    dst = pick(u3, n_low - 1)
                    dst = sdw0 + (dst + 1 if dst >= src - sdw0 else dst)
                touch[dst] += 1
                s0, s1, s2, s3, e = nexp(s0, s1, s2, s3)
                rows += keep
                if cat == CAT_LOW_ACT:
                    s0, s1, s2, s3, last_twin, kept = twin(s0, s1, s2, s3, t, lag, last_twin,
                                                           horizon)
                    rows += kept
            out_counts[i] = rows

    @njit(**opts)
    def seed_only(seed_words, first_run, n_runs):
        """Seeding alone; returns a word of every state so that nothing is optimised away."""
        mixer = np.zeros(4, dtype=np.uint64)
        words4 = np.zeros(4, dtype=np.uint64)
        acc = np.uint64(0)
        for i in range(n_runs):
            seed_state(seed_words, first_run + i, mixer, words4)
            s0, s1, s2, s3 = seed4(words4)
            acc ^= s1 ^ s3
        return acc

    return draws_only, seed_only


#: The child script, run on the sources of one tree (this one or an exported revision):
#: it uses only what older revisions have too, so it flattens the trace itself (as
#: ``bench_engine.py``'s ``bounds`` child and ``fast/engine.py: replay_numba`` do).
CHILD = r"""
import json, sys, time
cfg = json.loads(sys.argv[1])
sys.path.insert(0, cfg["bench"])
import numpy as np
import stages
import mdcd_lab
from mdcd_lab import Scenario, simulate
from mdcd_lab.fast._rng import seed_words
from mdcd_lab.fast.engine import _initial_capacity, scenario_params
from mdcd_lab.fast.kernels import drivers, gen, layout
from mdcd_lab.metrics import INT_METRICS
from mdcd_lab.fast import generate_traces_numba
from mdcd_lab.traces import validate_trace
s = Scenario(**cfg["scenario"])
runs, proto, seed = cfg["runs"], cfg["protocol"], cfg["seed"]
fp, ip = scenario_params(s, proto)
words = seed_words(seed)
cap0 = _initial_capacity(fp)
n_procs = 2 * int(ip[layout.IP_NLOW]) + int(ip[layout.IP_NACT])
draws_only, seed_only = stages.draws_only_factory()
trace = generate_traces_numba(s, runs, seed)
per_run = validate_trace(trace, s)
lengths = np.array([len(a["t"]) for a in per_run.values()], dtype=np.int64)
offsets = np.zeros(runs + 1, dtype=np.int64)
np.cumsum(lengths, out=offsets[1:])
cols = [np.ascontiguousarray(np.concatenate([a[k] for a in per_run.values()]), dtype=dt)
        for k, dt in (("t", np.float64), ("kind", np.int64), ("src", np.int64),
                      ("dst", np.int64), ("t_deliver", np.float64), ("u_at", np.float64),
                      ("u_comp", np.float64), ("d_notify", np.float64))]
outs = lambda n: (np.zeros((layout.N_OUT_I, n), dtype=np.int64), np.zeros((layout.N_OUT_F, n)),
                  np.zeros((1, 3), dtype=np.int64))
counts_d = np.zeros(runs, dtype=np.int64)
counts_g = np.zeros(runs, dtype=np.int64)
def play(n):
    OI, OF, err = outs(n)
    drivers.replay_runs(offsets[:n + 1], *cols, fp, ip, 1, OI, OF, err)
    return int(OI[INT_METRICS.index("n_events")].sum())
def simulate_chunk(n):
    OI, OF, err = outs(n)
    drivers.simulate_chunk(words, 0, n, fp, ip, cap0, 1, OI, OF, 0, err)
stage = {
    "seed": lambda n: seed_only(words, 0, n),
    "draws": lambda n: draws_only(words, 0, n, fp, ip, np.zeros(n_procs, dtype=np.int64),
                                  counts_d[:n]),
    "gen": lambda n: gen.count_rows(words, 0, n, fp, ip, cap0, counts_g[:n]),
    "play": play,
    "kernels": simulate_chunk,
    "sim": lambda n: simulate(s, n, seed, protocol=proto, engine="numba"),
}
from mdcd_lab.fast.kernels import rng
out = {"package": mdcd_lab.__file__, "generator": getattr(rng, "GENERATOR", "PCG64")}
if cfg.get("engines"):   # the two engines' traces of the first runs, row for row
    from mdcd_lab.traces import generate_traces
    out["engines_agree"] = bool(generate_traces(s, cfg["engines"], seed).equals(
        generate_traces_numba(s, cfg["engines"], seed)))
if cfg["mode"] == "stages":
    for name, f in stage.items():
        f(64)   # compile or load
        best = None
        for _ in range(cfg["repeat"]):
            t0 = time.perf_counter()
            f(runs)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        out[name] = best
    out["draws_match"] = bool(np.array_equal(counts_d, counts_g))
else:   # "profile": replay under perf record, with a perf map of every compiled kernel
    import os
    play(64)
    from numba.core.registry import CPUDispatcher
    from mdcd_lab.fast import kernels
    syms, seen = [], set()
    for m in kernels.MODULES:   # every library: a call runs the callee's own library's code
        for disp in vars(getattr(kernels, m)).values():
            if not isinstance(disp, CPUDispatcher) or id(disp) in seen:
                continue
            seen.add(id(disp))
            for cres in disp.overloads.values():
                lib = cres.library
                syms += stages.elf_functions(lib._get_compiled_object(),
                                             cres.fndesc.llvm_func_name,
                                             lib.get_pointer_to_function)
    from mdcd_lab.fast.kernels import cold
    for c in cold._loaded.values():   # the event loop and the cold rules: C functions
        syms += stages.elf_functions(c._library._get_compiled_object(), c.native_name,
                                     c._library.get_pointer_to_function)
    syms.sort()
    with open(f"/tmp/perf-{os.getpid()}.map", "w") as fh:
        for a, size, name in syms:
            fh.write(f"{a:x} {size:x} {name}\n")
    out["map"] = f"/tmp/perf-{os.getpid()}.map"
    t0 = time.clock_gettime(time.CLOCK_MONOTONIC)
    p0 = time.perf_counter()
    out["events"] = play(runs)
    out["play"] = time.perf_counter() - p0
    out["window"] = [t0, time.clock_gettime(time.CLOCK_MONOTONIC)]
if cfg["mode"] == "stages":   # (a profile child counts the events of its replay)
    d = simulate(s, runs, seed, protocol=proto, engine="numba")
    out.update(events=int(d["n_events"].sum()), rows=int(lengths.sum()), runs=runs)
print("RESULT " + json.dumps(out))
"""


def child(tree: Path, cfg: dict, prefix: tuple = (), env: dict | None = None) -> dict:
    """Run ``CHILD`` in a fresh interpreter on the package under ``tree``, one thread."""
    env = dict(os.environ, NUMBA_NUM_THREADS="1", PYTHONPATH=str(tree), **(env or {}))
    cfg = dict(cfg, bench=str(ROOT / "benchmarks"))
    proc = subprocess.run([*prefix, sys.executable, "-c", CHILD, json.dumps(cfg)], env=env,
                          capture_output=True, text=True, cwd=tree)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[7:])
            if Path(out["package"]).resolve().parent != (tree / "mdcd_lab").resolve():
                raise SystemExit(f"the child imported {out['package']}, not {tree}")
            return out
    raise SystemExit(f"stages child failed in {tree}:\n{proc.stdout[-2000:]}\n"
                     f"{proc.stderr[-3000:]}")


def stage_table(results: list[tuple[str, dict]]) -> str:
    """Markdown: ns per event of every stage and part, one column per tree, and each
    later tree's ratio to the first."""
    head = "| stage (1 thread) | " + " | ".join(f"{n}, ns/event" for n, _ in results)
    rule = "| --- |" + " ---: |" * len(results)
    head += "".join(f" | {n} / {results[0][0]}" for n, _ in results[1:])
    rule += " ---: |" * (len(results) - 1)
    lines = [head + " |", rule]

    def row(label, values):
        cells = " | ".join(f"{v:.2f}" if abs(v) < 1 else f"{v:.1f}" for v in values)
        # no ratio of two numbers within the noise of a difference
        ratios = "".join(f" | {v / values[0]:.2f}x" if min(values[0], v) > 1 else " |"
                         for v in values[1:])
        lines.append(f"| {label} | {cells}{ratios} |")

    ns = [{k: r[k] / r["events"] * 1e9 for k, _ in STAGES} for _, r in results]
    for i, (key, label) in enumerate(STAGES, 1):
        row(f"{i}. {label}", [n[key] for n in ns])
    for a, b, label in PARTS:
        row(label, [n[a] - n[b] for n in ns])
    row("rate of the bound (2), M events/s", [1e3 / n["draws"] for n in ns])
    row("rate of `simulate` (6), M events/s", [1e3 / n["sim"] for n in ns])
    played = {r["events"] for _, r in results}   # (other generators: other runs)
    per_tree = "; ".join(f"{n}: {r['events']:,} events played, {r['rows'] / r['events']:.3f} "
                         f"trace rows generated per event" for n, r in results)
    r = results[-1][1]
    lines.append(f"\n{r['runs']} runs, " + (f"{r['events']:,} events played, "
                 f"{r['rows'] / r['events']:.3f} trace rows generated per event."
                 if len(played) == 1 else per_tree + "."))
    return "\n".join(lines) + "\n"


def _label(mangled: str) -> str:
    """``module.function`` of a numba-mangled name (``_ZN8mdcd_lab4fast...5drainB...``)."""
    parts, i = [], 3 if mangled.startswith("_ZN") else None
    while i is not None and i < len(mangled) and mangled[i].isdigit():
        j = i
        while mangled[j].isdigit():
            j += 1
        n = int(mangled[i:j])
        parts.append(mangled[j:j + n])
        i = j + n
    return ".".join(parts[-2:]) if len(parts) >= 2 else mangled


def elf_functions(obj: bytes, entry: str, locate) -> list[tuple[int, int, str]]:
    """``(address, size, module.function)`` of every function of a compiled numba library
    (its ELF object code, the callees linked into it included).  The functions of the
    entry's section are placed by the address of ``entry``; a callee that LLVM kept in a
    section of its own (a ``linkonce_odr`` copy) by ``locate(name)``, the JIT's address of
    that symbol (checked by the profile: samples outside every range are counted apart)."""
    shoff, = struct.unpack_from("<Q", obj, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", obj, 0x3A)
    secs = [struct.unpack_from("<IIQQQQIIQQ", obj, shoff + k * shentsize) for k in range(shnum)]
    symtab = next(sh for sh in secs if sh[1] == 2)   # SHT_SYMTAB
    strtab = secs[symtab[6]]
    funcs = []
    for k in range(symtab[5] // 24):
        name_off, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", obj,
                                                                   symtab[4] + 24 * k)
        if info & 0xF != 2 or size == 0:   # STT_FUNC
            continue
        end = obj.index(b"\0", strtab[4] + name_off)
        funcs.append((shndx, value, size, obj[strtab[4] + name_off:end].decode()))
    shndx, value = next((f[0], f[1]) for f in funcs if f[3] == entry)
    base = locate(entry) - value
    out = []
    for sec, v, n, name in funcs:
        addr = base + v if sec == shndx else locate(name)
        if addr:
            out.append((addr, n, _label(name)))
    return sorted(out)


def no_inline_copy(src: Path, dest: Path) -> Path:
    """A copy of the package under ``src`` whose per-event rules are calls (``JIT_HOT``
    without ``forceinline``), so that a profile can tell them apart."""
    dest.mkdir(parents=True)
    subprocess.run(["cp", "-r", str(src / "mdcd_lab"), str(dest / "mdcd_lab")], check=True)
    subprocess.run(["find", str(dest), "-name", "__pycache__", "-prune", "-exec", "rm", "-rf",
                    "{}", "+"], check=True)
    cfg = dest / "mdcd_lab" / "fast" / "_config.py"
    text = cfg.read_text()
    new = re.sub(r"^JIT_HOT = dict\(JIT_NORC, forceinline=True\)$", "JIT_HOT = dict(JIT_NORC)",
                 text, flags=re.M)
    if new == text:
        raise SystemExit(f"{cfg}: no 'JIT_HOT = dict(JIT_NORC, forceinline=True)' line")
    cfg.write_text(new)
    return dest


def rule_profile(tree: Path, cfg: dict, tmp: Path, inline: bool) -> tuple[dict, dict]:
    """Self samples per function of ``replay_runs`` (the shipped build of ``tree``, or its
    no-inline copy).  The child compiles into an empty cache: numba keeps a library's
    object code (where the functions linked into ``replay_block`` are named) only when it
    compiled it."""
    tmp.mkdir(parents=True)
    copy = tree if inline else no_inline_copy(tree, tmp / "noinline")
    data = tmp / "perf.data"
    out = child(copy, dict(cfg, mode="profile"),
                ("perf", "record", "-q", "-k", "mono", "-e", "cpu-clock:u", "-F", "2999",
                 "-o", str(data), "--"), env={"NUMBA_CACHE_DIR": str(tmp / "cache"),
                                    "MDCD_LAB_COMPILE_HELPER": "0"})
    starts, ends, names = [], [], []
    for line in Path(out["map"]).read_text().splitlines():
        a, size, name = line.split(" ", 2)
        starts.append(int(a, 16))
        ends.append(int(a, 16) + int(size, 16))
        names.append(name)
    Path(out["map"]).unlink()
    script = subprocess.run(["perf", "script", "-i", str(data), "-F", "time,ip"],
                            capture_output=True, text=True, check=True).stdout
    t0, t1 = out["window"]
    counts: dict[str, int] = {}
    for m in re.finditer(r"([\d.]+):\s+([0-9a-f]+)", script):
        if not t0 <= float(m.group(1)) <= t1:
            continue
        ip = int(m.group(2), 16)
        j = bisect.bisect_right(starts, ip) - 1
        name = names[j] if j >= 0 and ip < ends[j] else "(outside the kernels)"
        counts[name] = counts.get(name, 0) + 1
    return counts, out


def rule_table(counts: dict, prof: dict, shipped: dict | None, inline: bool, top: int = 18) -> str:
    """Markdown: share and ns/event of each function in the profiled build."""
    total = sum(counts.values())
    ns = prof["play"] / prof["events"] * 1e9
    build = "the shipped build" if inline else "the no-inline build"
    timed = ("" if shipped is None else f"; the shipped build timed above: "
             f"{shipped['play'] / shipped['events'] * 1e9:.1f} ns/event")
    lines = [f"Protocol + oracle (`replay_runs`) of {build}: {ns:.1f} ns/event under perf "
             f"({total} samples{timed}).\n",
             "| kernel (self time) | share | ns/event |", "| --- | ---: | ---: |"]
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    for name, c in ranked[:top]:
        lines.append(f"| `{name}` | {100 * c / total:.1f}% | {ns * c / total:.1f} |")
    rest = sum(c for _, c in ranked[top:])
    lines.append(f"| {len(ranked) - top} others | {100 * rest / total:.1f}% | "
                 f"{ns * rest / total:.1f} |")
    oracle = sum(c for n, c in counts.items() if n.startswith(("oracle.", "quiet.")))
    lines.append(f"\nThe oracle (`oracle.*`, `quiet.*`): {100 * oracle / total:.2f}% "
                 f"({ns * oracle / total:.2f} ns/event).")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", nargs="+", default=["mdcd"], help="protocol name(s)")
    ap.add_argument("--runs", type=int, default=20000, help="runs of every timed stage")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many calls per stage")
    ap.add_argument("--baseline", metavar="REV", help="also measure git revision REV")
    ap.add_argument("--generators", nargs="+", choices=("pcg64dxsm", "sfc64"), default=[],
                    help="also measure copies of this tree whose two engines draw from "
                         "numpy's PCG64DXSM or SFC64 (benchmarks/generators.py)")
    ap.add_argument("--rules", action="store_true",
                    help="split the protocol of this tree by rule (perf)")
    ap.add_argument("--no-stages", action="store_true", help="with --rules: only the split")
    args = ap.parse_args()
    if args.runs < 64 or args.repeat < 1:
        raise SystemExit("--runs must be at least 64 and --repeat at least 1")
    if args.no_stages and not args.rules:
        raise SystemExit("--no-stages leaves nothing to measure without --rules")
    if args.rules and shutil.which("perf") is None:
        raise SystemExit("--rules needs perf (linux-perf) on the PATH")
    with tempfile.TemporaryDirectory(prefix="mdcd-stages-") as tmp:
        trees = [("this tree", ROOT)]
        if args.baseline:
            sha = export_revision(args.baseline, Path(tmp) / "base")
            trees.insert(0, (sha, Path(tmp) / "base"))
        for name in args.generators:   # (imported here: a child needs no generators.py)
            from generators import GENERATORS, generator_copy
            trees.append((f"this tree, {GENERATORS[name][0]}",
                          generator_copy(ROOT, Path(tmp) / name, name)))
        print(f"scenario {SCENARIO}, seed {SEED}, {args.runs} runs, NUMBA_NUM_THREADS=1\n")
        for proto in args.protocol:
            cfg = {"scenario": SCENARIO, "seed": SEED, "protocol": proto, "runs": args.runs,
                   "repeat": args.repeat, "mode": "stages"}
            print(f"### `{proto}`\n")
            results = [(None, None)]
            if not args.no_stages:
                for _, tree in trees:   # warm each tree's cache; check a copy's engines
                    warm = child(tree, dict(cfg, runs=64, repeat=1,
                                            engines=20 if args.generators else 0))
                    if warm.get("engines_agree") is False:
                        raise SystemExit(f"{tree}: the reference and numba engines' traces "
                                         f"differ: its generators disagree")
                results = [(name, child(tree, cfg)) for name, tree in trees]
                for name, r in results:
                    if not r["draws_match"]:
                        raise SystemExit(f"{name}: draws_only's rows differ from count_rows's:"
                                         f" its draws are out of step with the generator")
                print(stage_table(results))
            if args.rules:
                for inline in (True, False):
                    counts, prof = rule_profile(ROOT, cfg, Path(tmp) / f"{proto}-{inline}",
                                                inline)
                    print(rule_table(counts, prof, results[-1][1], inline))


if __name__ == "__main__":
    main()
