"""Coverage of mdcd_lab's 95% intervals in the skewed, mostly-zero scenario of issue 11.

Measures, on the numba engine:

(a) the true means, from one large run (mean +- standard error);
(b) the stopped intervals of sequential stopping (the "zero-width trap" of issue 11:
    ``sweep(sc, {}, runs=10, target_rel_halfwidth=0.3, max_runs=2000,
    metrics=["n_compensated"])``), over ``--reps`` independent studies (study seed =
    repetition index): coverage of the final ``summarize`` interval, stop reasons,
    runs used, zero-width intervals;
(c) ``summarize``'s default interval (quasi-Poisson) against Student t for
    ``n_compensated``, and Wilson for the proportion ``p_failed``, at n = 5, 10, 30,
    100, on disjoint blocks of one long run.

Usage (prints Markdown tables; about 10 minutes on the 2-vCPU AMD EPYC / 24 GiB
development machine while it is shared)::

    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/interval_coverage.py
    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/interval_coverage.py --reps 500 --blocks 2000
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

import mdcd_lab as m  # noqa: E402
from mdcd_lab.stats.summary import summarize  # noqa: E402

#: The scenario of issue 11, items 3 and 4.
SCENARIO = m.Scenario(n_low=1, n_act=1, horizon=60.0, rate_low_act=0.5, rate_low_low=0.0,
                      rate_sdw_sdw=0.0, rate_act_low=0.0, rate_act_act=0.0, rate_ext_low=0.0,
                      rate_ext_act=0.3, fault_rate=0.02, at_coverage=0.9, compensation=0.4)
#: The true mean of n_compensated quoted by the issue.
ISSUE_MEAN = 0.3655
SIZES = (5, 10, 30, 100)


def binomial_se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def truth(runs: int, seed: int) -> dict[str, tuple[float, float]]:
    df = m.simulate(SCENARIO, runs, seed, engine="numba", progress=False)
    x = df["n_compensated"].to_numpy(float)
    f = (df["outcome"] == "failed").to_numpy(float)
    return {"n_compensated": (x.mean(), x.std(ddof=1) / math.sqrt(runs)),
            "p_failed": (f.mean(), f.std(ddof=1) / math.sqrt(runs))}


def stopped(reps: int, mu: float) -> pd.DataFrame:
    rows = []
    for rep in range(reps):
        df = m.sweep(SCENARIO, {}, runs=10, seed=rep, engine="numba", target_rel_halfwidth=0.3,
                     max_runs=2000, metrics=["n_compensated"], progress=False)
        st = m.sweep_status(df).iloc[0]
        s = summarize(df, metrics="n_compensated").iloc[0]
        rows.append({"rep": rep, "runs": int(st["runs"]), "reason": st["reason"],
                     "lo": s["ci_low"], "hi": s["ci_high"], "mean": s["mean"]})
    out = pd.DataFrame(rows)
    out["covers"] = (out["lo"] <= mu) & (mu <= out["hi"])
    return out


def blocks(n_blocks: int, seed: int, mu: float, p: float) -> pd.DataFrame:
    rows = []
    for k, n in enumerate(SIZES):
        reps = n_blocks if n < 100 else max(n_blocks // 2, 1)
        df = m.simulate(SCENARIO, reps * n, seed + k, engine="numba", progress=False)
        df["block"] = np.arange(len(df)) // n
        for method, metric, truth_value in (("auto", "n_compensated", mu),
                                            ("t", "n_compensated", mu),
                                            ("auto", "p_failed", p)):
            s = summarize(df, by="block", metrics=metric, method=method)
            cov = ((s["ci_low"] <= truth_value) & (truth_value <= s["ci_high"])).mean()
            rows.append({"metric": metric, "method": s["method"].iloc[0], "n": n, "reps": reps,
                         "coverage": cov, "se": binomial_se(cov, reps),
                         "zero_width": int((s["ci_high"] - s["ci_low"] == 0).sum()),
                         "negative_low": int((s["ci_low"] < 0).sum()),
                         "mean_width": (s["ci_high"] - s["ci_low"]).mean()})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--truth-runs", type=int, default=400_000)
    ap.add_argument("--reps", type=int, default=500, help="stopped studies")
    ap.add_argument("--blocks", type=int, default=2000, help="samples per size (half at 100)")
    args = ap.parse_args()
    t0 = time.perf_counter()

    tr = truth(args.truth_runs, seed=12345)
    mu, mu_se = tr["n_compensated"]
    p, p_se = tr["p_failed"]
    print(f"## True values ({args.truth_runs} runs, seed 12345)\n")
    print("| quantity | estimate | standard error |\n| --- | --- | --- |")
    print(f"| mean n_compensated | {mu:.4f} | {mu_se:.4f} |")
    print(f"| P(failed) | {p:.4f} | {p_se:.4f} |")
    print(f"\nissue's value {ISSUE_MEAN}: {(ISSUE_MEAN - mu) / mu_se:+.2f} standard errors from "
          f"the estimate\n")

    st = stopped(args.reps, ISSUE_MEAN)
    cov_est = ((st["lo"] <= mu) & (mu <= st["hi"])).mean()
    cov = st["covers"].mean()
    print(f"## Stopped intervals ({args.reps} studies, seeds 0..{args.reps - 1})\n")
    print("| quantity | value |\n| --- | --- |")
    print(f"| coverage of {ISSUE_MEAN} | {cov:.3f} (binomial s.e. "
          f"{binomial_se(cov, args.reps):.3f}) |")
    print(f"| coverage of the large-run estimate {mu:.4f} | {cov_est:.3f} |")
    print(f"| stopped 'converged' / 'max_runs' | {(st['reason'] == 'converged').sum()} / "
          f"{(st['reason'] == 'max_runs').sum()} |")
    print(f"| runs per study: min / median / max | {st['runs'].min()} / "
          f"{int(st['runs'].median())} / {st['runs'].max()} |")
    print(f"| intervals of zero width | {int((st['hi'] - st['lo'] == 0).sum())} |")
    print(f"| missed low / missed high | {int((st['hi'] < ISSUE_MEAN).sum())} / "
          f"{int((st['lo'] > ISSUE_MEAN).sum())} |\n")

    bl = blocks(args.blocks, seed=777, mu=mu, p=p)
    print("## summarize at fixed n (true values: the large-run estimates)\n")
    print("| metric | method | n | samples | coverage | s.e. | mean width | zero-width | "
          "negative lower bounds |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in bl.itertuples():
        print(f"| {r.metric} | {r.method} | {r.n} | {r.reps} | {r.coverage:.3f} | {r.se:.3f} | "
              f"{r.mean_width:.3f} | {r.zero_width} | {r.negative_low} |")
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
