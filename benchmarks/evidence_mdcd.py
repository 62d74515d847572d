"""Large random evidence for ``mdcd``: many runs, random scenarios, perfect ATs.

``python benchmarks/evidence_mdcd.py [--scenarios 24] [--runs 50000] [--seed 2026]
[--protocol mdcd] [--fault-scope cluster] [--low-low] [--out evidence.csv]`` draws
``--scenarios`` scenarios (Latin hypercube over the ranges below,
``fault_scope="cluster"``, ``at_coverage=1``), simulates ``--runs`` runs of ``mdcd`` in
each on the numba engine, and prints one row per scenario: runs, recoveries, failures
and the runs with any oracle violation (every column of ``VIOLATIONS`` and
``dup_outputs``) and the mean recovery latency. A sound protocol has 0 failures and 0
violations in every row.  ``--recovery atomic`` plays the one-step recovery. Fault
rates are high on purpose, so that most runs recover and the oracle judges many
recoveries.

``--low-low`` (the evidence for ``mdcd-vector``, docs/protocol.md, section 8) widens the
hypercube to 1-4 cluster members with traffic inside the cluster and between shadows
(``rate_low_low``, ``rate_sdw_sdw``: 0.1-1.0, the ranges ``LOW_LOW_RANGES``); ``--fault-
scope process`` lets a fault contaminate only its member.
"""

from __future__ import annotations

import argparse
import platform
import time

import numba
import numpy as np
import pandas as pd

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS

RANGES = {
    "n_low": (1, 3), "n_act": (1, 4), "horizon": (20.0, 60.0),
    "rate_low_act": (0.3, 2.0), "rate_act_low": (0.1, 1.0), "rate_act_act": (0.1, 1.0),
    "rate_ext_low": (0.05, 0.5), "rate_ext_act": (0.05, 0.5), "fault_rate": (0.01, 0.08),
    "latency": (0.0, 1.5), "shadow_lag": (0.0, 2.0), "compensation": (0.0, 0.8),
}


LOW_LOW_RANGES = {**RANGES, "n_low": (1, 4), "rate_low_low": (0.1, 1.0),
                  "rate_sdw_sdw": (0.1, 1.0)}


def scenarios(n: int, seed: int, fault_scope: str = "cluster",
              low_low: bool = False) -> list[m.Scenario]:
    """``n`` scenarios; latency, shadow lag and compensation are 0 in every sixth."""
    out = []
    for i, point in enumerate(m.sample(LOW_LOW_RANGES if low_low else RANGES, n, seed)):
        point = dict(point, at_coverage=1.0, fault_scope=fault_scope)
        if point["n_low"] == 1:
            point["rate_low_low"] = point["rate_sdw_sdw"] = 0.0
        if point["n_act"] == 1:
            point["rate_act_act"] = 0.0
        if i % 6 == 5:
            point.update(latency=0.0, shadow_lag=0.0, compensation=0.0)
        out.append(m.Scenario(**point))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", type=int, default=24)
    ap.add_argument("--runs", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--protocol", default="mdcd")
    ap.add_argument("--fault-scope", default="cluster", choices=("cluster", "process"))
    ap.add_argument("--low-low", action="store_true",
                    help="1-4 members with traffic inside the cluster (LOW_LOW_RANGES)")
    ap.add_argument("--recovery", default="executed", choices=("executed", "atomic"),
                    help="Scenario.recovery (docs/protocol.md, section 9)")
    ap.add_argument("--out")
    a = ap.parse_args()
    m.protocols.get_rules(a.protocol)   # an unknown protocol fails before any work
    t0 = time.perf_counter()
    rows = []
    for i, sc in enumerate(scenarios(a.scenarios, a.seed, a.fault_scope, a.low_low)):
        sc = sc.replace(recovery=a.recovery)
        df = m.simulate(sc, a.runs, a.seed + i, protocol=a.protocol, engine="numba")
        viol = (df[[*VIOLATIONS, "dup_outputs"]].to_numpy().sum(axis=1) > 0)
        rows.append({"scenario": i, "n_low": sc.n_low, "n_act": sc.n_act,
                     "latency": round(sc.latency, 3), "shadow_lag": round(sc.shadow_lag, 3),
                     "compensation": round(sc.compensation, 3),
                     "rate_low_low": round(sc.rate_low_low, 3),
                     "fault_rate": round(sc.fault_rate, 4), "runs": len(df),
                     "recovered": int((df["outcome"] == "recovered").sum()),
                     "failed": int((df["outcome"] == "failed").sum()),
                     "runs_with_violation": int(viol.sum()),
                     "recovery_latency_mean": round(float(df["recovery_latency"].mean()), 3)})
    res = pd.DataFrame(rows)
    wall = time.perf_counter() - t0
    print(f"Machine: {platform.processor() or platform.machine()}, "
          f"{numba.get_num_threads()} numba threads; {wall:.0f} s")
    print("| " + " | ".join(res.columns) + " |")
    print("|" + " ---: |" * len(res.columns))
    for r in res.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in r) + " |")
    tot = res[["runs", "recovered", "failed", "runs_with_violation"]].sum()
    print(f"\ntotal: {tot['runs']} runs, {tot['recovered']} recoveries, "
          f"{tot['failed']} failed, {tot['runs_with_violation']} runs with a violation "
          f"({a.protocol}, fault_scope={a.fault_scope}, recovery={a.recovery}, "
          f"{len(res)} scenarios, "
          f"{int(np.sum(res.rate_low_low > 0))} with traffic inside the cluster, "
          f"{int(np.sum((res.latency > 0) & (res.shadow_lag > 0) & (res.compensation > 0)))} "
          "with latency, shadow lag and compensation > 0)")
    if a.out:
        res.to_csv(a.out, index=False)


if __name__ == "__main__":
    main()
