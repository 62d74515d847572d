"""Coverage of every metric's default 95% interval, on scenarios drawn at random.

The scenarios are a Latin-hypercube sample (``scipy.stats.qmc.LatinHypercube``
seeded by ``SeedSequence(--seed)``) of the ranges in :data:`RANGES`: each range
is cut into ``--scenarios`` strata and every stratum holds one scenario, so the
fault rate (drawn on a log scale) always spans low and high rates and the AT
coverage values below 1.  Nothing here is tuned to a scenario: change ``--seed``
to draw others.

For every scenario (numba engine, protocol ``mdcd``):

* the truth: the mean of every metric of :func:`mdcd_lab.stats.summary.summarize`
  (default metrics) over ``--truth-runs`` runs (study seed ``1000 + i``);
* for every ``n`` of :data:`SIZES`, ``--samples`` disjoint samples of ``n`` runs
  (one run of ``samples * n`` runs, study seed ``2000 + 10 i + k``), each
  summarised with ``summarize(..., by="block")``: the default interval of every
  metric (``method="auto"``) and, with ``--compare``, the other methods.

A cell (scenario, metric, method, n) records the share of samples whose interval
holds the truth (``coverage``, an interval with a NaN bound counts as a miss),
the share ``summarize`` flags ``ci_reliable``, and the coverage among those
(``coverage_reliable``).  The goal of issue 22: at every ``n >= 10``, every
default interval that ``summarize`` calls reliable covers at least
``0.93 - 2 s.e.`` of the cell (binomial s.e. of its reliable samples).

With ``--issue11``: the fixed scenario of issue 11 instead (stopped intervals of
the sequential stopping rule, and ``n_compensated`` and ``p_failed`` at fixed n),
the numbers behind tests/test_interval_coverage.py.

Usage (prints the Markdown tables and writes them into
docs/results-and-summaries.md; about 6 and 28 minutes on the shared 2-vCPU machine)::

    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/interval_coverage.py --compare \\
        --docs docs/results-and-summaries.md
    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/interval_coverage.py --issue11 \\
        --truth-runs 1000000 --samples 2000 --docs docs/results-and-summaries.md
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

# This file is named like the `coverage` package, which numba imports: keep its own
# directory off the import path so that `import coverage` finds the package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import qmc  # noqa: E402

import mdcd_lab as m  # noqa: E402
from mdcd_lab.stats.intervals import metric_support, min_reliable_n  # noqa: E402
from mdcd_lab.stats.summary import summarize  # noqa: E402
from mdcd_lab.stats.tables import metric_values  # noqa: E402

#: Sample sizes measured.
SIZES = (5, 10, 30, 100)
#: Drawn ranges: field -> (lo, hi, scale); ``"log"`` draws log-uniformly, ``"int"``
#: uniformly over the integers lo..hi.
RANGES: dict[str, tuple[float, float, str]] = {
    "n_low": (1, 3, "int"),
    "n_act": (1, 4, "int"),
    "horizon": (20.0, 150.0, "lin"),
    "rate_low_act": (0.1, 1.5, "lin"),
    "rate_low_low": (0.0, 0.8, "lin"),
    "rate_sdw_sdw": (0.0, 0.8, "lin"),
    "rate_act_low": (0.0, 0.8, "lin"),
    "rate_act_act": (0.0, 0.8, "lin"),
    "rate_ext_low": (0.02, 0.4, "lin"),
    "rate_ext_act": (0.02, 0.4, "lin"),
    "fault_rate": (1e-4, 0.05, "log"),
    "at_coverage": (0.6, 1.0, "lin"),
    "compensation": (0.0, 0.6, "lin"),
    "latency": (0.0, 1.0, "lin"),
    "shadow_lag": (0.0, 1.0, "lin"),
}
#: Other methods measured with ``--compare`` (where the metric can take them).
COMPARE = {"t": ("count", "nonnegative", "real"), "hall": ("real",),
           "quasi-poisson": ("count", "nonnegative"), "hurdle": ("count", "nonnegative"),
           "wilson": ("probability",)}
#: The goal: coverage of reliable intervals >= GOAL - 2 s.e. at every n >= 10.
GOAL = 0.93


def draw_scenarios(k: int, seed: int) -> list[m.Scenario]:
    """``k`` scenarios: a Latin-hypercube sample of :data:`RANGES`."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    u = qmc.LatinHypercube(d=len(RANGES), rng=rng).random(k)
    out = []
    for row in u:
        fields = {}
        for x, (name, (lo, hi, scale)) in zip(row, RANGES.items(), strict=True):
            if scale == "int":
                fields[name] = int(lo + min(int(x * (hi - lo + 1)), hi - lo))
            elif scale == "log":
                fields[name] = float(math.exp(math.log(lo) + x * (math.log(hi) - math.log(lo))))
            else:
                fields[name] = float(lo + x * (hi - lo))
        out.append(m.Scenario(**fields))
    return out


def truth(df: pd.DataFrame, names: list[str]) -> dict[str, float]:
    out = {}
    for name in names:
        v = metric_values(df, name)
        v = v[~np.isnan(v)]
        out[name] = float(v.mean()) if len(v) else math.nan
    return out


def cells(sc_index: int, blocks: pd.DataFrame, n: int, mu: dict[str, float],
          methods: list[str]) -> list[dict]:
    """One row per (metric, method) at block size ``n``: see the module docstring."""
    rows = []
    for method in methods:
        if method == "auto":
            s = summarize(blocks, by="block")
        else:
            names = [x for x in mu if metric_support(x) in COMPARE[method]]
            s = summarize(blocks, by="block", metrics=names, method=method)
        for name, part in s.groupby("metric", sort=False):
            if not math.isfinite(mu[name]):
                continue
            lo, hi = part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float)
            covers = (lo <= mu[name]) & (mu[name] <= hi)
            # summarize's own flag at this n: the metric's n (its non-missing values) is
            # below the family's minimum; such samples are left out of the goal
            big = part["n"].to_numpy() >= min_reliable_n(name)
            k = int(big.sum())
            cov = float(covers[big].mean()) if k else math.nan
            se = math.sqrt(max(cov * (1 - cov), GOAL * (1 - GOAL)) / k) if k else math.nan
            rows.append({"scenario": sc_index, "metric": name, "family": metric_support(name),
                         "method": part["method"].iloc[0], "default": method == "auto",
                         "n": n, "samples": len(part), "truth": mu[name],
                         "coverage_all": float(covers.mean()), "counted": k,
                         "coverage": cov, "se": se,
                         "unbounded": float(np.mean(~np.isfinite(hi[big]))) if k else math.nan,
                         "reliable": float(part["ci_reliable"].mean()),
                         "ok": (k == 0) or (cov >= GOAL - 2 * se)})
    return rows


#: The skewed, mostly-zero scenario of issue 11 (tests/test_interval_coverage.py).
ISSUE11 = m.Scenario(n_low=1, n_act=1, horizon=60.0, rate_low_act=0.5, rate_low_low=0.0,
                     rate_sdw_sdw=0.0, rate_act_low=0.0, rate_act_act=0.0, rate_ext_low=0.0,
                     rate_ext_act=0.3, fault_rate=0.02, at_coverage=0.9, compensation=0.4)


def issue11(truth_runs: int, reps: int, samples: int) -> str:
    """The fixed scenario of issue 11: stopped intervals and fixed-n coverage of
    ``n_compensated`` and ``p_failed`` (the numbers tests/test_interval_coverage.py's
    thresholds come from), as Markdown."""
    lines: list[str] = []
    print = lines.append  # noqa: A001  (collect the lines)
    big = m.simulate(ISSUE11, truth_runs, 12345, engine="numba", progress=False)
    mu = float(big["n_compensated"].mean())
    p = float((big["outcome"] == "failed").mean())
    se_mu = float(big["n_compensated"].std(ddof=1)) / math.sqrt(truth_runs)
    print(f"#### Issue 11's scenario\n\ntruth ({truth_runs} runs, seed 12345): mean "
          f"n_compensated {mu:.4f} +- {se_mu:.4f}, P(failed) {p:.4f}\n")
    rows = []
    for rep in range(reps):
        df = m.sweep(ISSUE11, {}, runs=10, seed=rep, engine="numba", target_rel_halfwidth=0.3,
                     max_runs=2000, metrics=["n_compensated"], progress=False)
        st = m.sweep_status(df).iloc[0]
        r = summarize(df, metrics="n_compensated").iloc[0]
        rows.append((int(st["runs"]), st["reason"], r["ci_low"] <= mu <= r["ci_high"],
                     bool(r["ci_reliable"])))
    st = pd.DataFrame(rows, columns=["runs", "reason", "covers", "reliable"])
    cov = float(st["covers"].mean())
    print(f"stopped studies ({reps}, seeds 0..{reps - 1}, target 0.3, max 2000): coverage "
          f"{cov:.3f} (s.e. {math.sqrt(cov * (1 - cov) / reps):.3f}); runs min / median / "
          f"max {st['runs'].min()} / {int(st['runs'].median())} / {st['runs'].max()}; "
          f"converged {int((st['reason'] == 'converged').sum())}; reliable "
          f"{int(st['reliable'].sum())}\n")
    print("| metric | method | n | samples | coverage | s.e. | reliable | mean width |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- |")
    for k, n in enumerate(SIZES):
        df = m.simulate(ISSUE11, samples * n, 777 + k, engine="numba", progress=False)
        df["block"] = np.arange(len(df)) // n
        for method, metric, truth_value in (("auto", "n_compensated", mu),
                                            ("hurdle", "n_compensated", mu),
                                            ("quasi-poisson", "n_compensated", mu),
                                            ("t", "n_compensated", mu),
                                            ("auto", "p_failed", p),
                                            ("wilson", "p_failed", p)):
            r = summarize(df, by="block", metrics=metric, method=method)
            c = float(((r["ci_low"] <= truth_value) & (truth_value <= r["ci_high"])).mean())
            width = (r["ci_high"] - r["ci_low"]).replace(np.inf, np.nan).mean()
            print(f"| `{metric}` | {r['method'].iloc[0]} | {n} | {samples} | {c:.3f} | "
                  f"{math.sqrt(c * (1 - c) / samples):.3f} | {r['ci_reliable'].mean():.0%} | "
                  f"{width:.3f} |")
    return "\n".join(lines)


def write_docs(path: str, tag: str, text: str) -> None:
    """Replace the block between ``<!-- TAG:begin -->`` and ``<!-- TAG:end -->`` of
    ``path`` with ``text`` (the file must hold both markers)."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    begin, end = f"<!-- {tag}:begin -->", f"<!-- {tag}:end -->"
    if begin not in doc or end not in doc:
        raise SystemExit(f"{path} lacks the markers {begin} ... {end}")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{head}{begin}\n{text.strip()}\n{end}{tail}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=8)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--truth-runs", type=int, default=200_000)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--compare", action="store_true", help="also measure " + ", ".join(COMPARE))
    ap.add_argument("--out", default=None, help="CSV of every cell")
    ap.add_argument("--only", type=int, default=None, help="one scenario index")
    ap.add_argument("--report", default=None, metavar="CSV", help="print (and with --docs "
                    "write) the tables of a CSV written by --out, without simulating")
    ap.add_argument("--issue11", action="store_true", help="only the fixed scenario of issue "
                    "11 (stopped intervals, n_compensated and p_failed)")
    ap.add_argument("--reps", type=int, default=1000, help="stopped studies (--issue11)")
    ap.add_argument("--docs", default=None, help="write the tables into this Markdown file, "
                    "between its <!-- interval-coverage:begin/end --> markers (with "
                    "--issue11: issue11-coverage)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.issue11:
        text = issue11(args.truth_runs, args.reps, args.samples)
        print(text)
        if args.docs:
            write_docs(args.docs, "issue11-coverage", text)
        print(f"(total {time.perf_counter() - t0:.0f} s)")
        return
    scenarios = draw_scenarios(args.scenarios, args.seed)
    if args.report:
        text = report(pd.read_csv(args.report), scenarios)
        print(text)
        if args.docs:
            write_docs(args.docs, "interval-coverage", text)
        return
    methods = ["auto", *COMPARE] if args.compare else ["auto"]
    rows = []
    for i, sc in enumerate(scenarios):
        if args.only is not None and i != args.only:
            continue
        big = m.simulate(sc, args.truth_runs, 1000 + i, engine="numba", progress=False)
        names = list(summarize(big.iloc[:2])["metric"])
        mu = truth(big, names)
        del big
        for k, n in enumerate(SIZES):
            df = m.simulate(sc, args.samples * n, 2000 + 10 * i + k, engine="numba",
                            progress=False)
            df["block"] = np.arange(len(df)) // n
            rows.extend(cells(i, df, n, mu, methods))
        print(f"scenario {i} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr,
              flush=True)
    out = pd.DataFrame(rows)
    if args.out:
        out.to_csv(args.out, index=False)
    text = report(out, scenarios)
    print(text)
    if args.docs:
        write_docs(args.docs, "interval-coverage", text)
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


def report(out: pd.DataFrame, scenarios: list[m.Scenario]) -> str:
    """The Markdown tables of the drawn scenarios and of every cell."""
    lines: list[str] = []
    print = lines.append  # noqa: A001  (collect the lines)
    fields = list(RANGES)
    print("#### Drawn scenarios\n")
    print("| # | " + " | ".join(fields) + " |")
    print("| --- " * (len(fields) + 1) + "|")
    for i, sc in enumerate(scenarios):
        print(f"| {i} | " + " | ".join(f"{getattr(sc, f):.4g}" for f in fields) + " |")
    for default in (True, False):
        d = out[out["default"] == default]
        if d.empty:
            continue
        print("\n#### " + ("Default intervals" if default else "Other methods")
              + ": lowest coverage over the scenarios\n")
        print("Per metric and n: the lowest coverage over the scenarios among the samples "
              "whose metric has at least the family's minimum n (the scenario in brackets; "
              "'—': summarize flags every sample), and the number of scenarios that miss "
              "the goal (coverage < 0.93 - 2 s.e.).\n")
        print("| metric | method | " + " | ".join(f"n = {n}" for n in SIZES) + " |")
        print("| --- | --- |" + " --- |" * len(SIZES))
        for (name, method), part in d.groupby(["metric", "method"], sort=False):
            row = []
            for n in SIZES:
                c = part[part["n"] == n]
                if c.empty or c["coverage"].isna().all():
                    row.append("—")
                    continue
                r = c.sort_values("coverage").iloc[0]
                fails = int((~c["ok"]).sum())
                row.append(f"{r['coverage']:.3f} [{int(r['scenario'])}]"
                           + ("" if fails == 0 else f" **{fails} miss**"))
            print(f"| `{name}` | {method} | " + " | ".join(row) + " |")
        bad = d[(d["n"] >= 10) & ~d["ok"]]
        print(f"\ncells with n >= 10 that miss the goal: {len(bad)} of "
              f"{int((d['n'] >= 10).sum())}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
