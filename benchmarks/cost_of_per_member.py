"""What per-member validation costs, and which protocols survive per-member faults.

Prints the tables of docs/protocol.md, section 8:

1. ``mdcd-vector`` against ``mdcd`` on common traces under ``fault_scope="cluster"``
   (where both are sound: what per-member validation costs when the paper's cluster
   assumption holds): per-run means of checkpoints, log memory, piggyback bytes per
   message and rollback distance, with paired differences and 95% CIs, at three
   scenarios;
2. P(failed) and P(run with a violation) of every protocol under
   ``fault_scope="process"`` on common traces, with 95% Wilson intervals.

Usage: ``python benchmarks/cost_of_per_member.py [--runs 2000]`` (numba engine).
"""

import argparse
import time

import pandas as pd

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS
from mdcd_lab.stats.summary import paired_differences, summarize

COST = ["ckpt_total", "ckpt_array_peak", "log_entries_peak", "log_entries_mean",
        "log_bytes_peak", "pb_per_msg", "rollback_dist_max"]
SCENARIOS = [
    ("default, at_coverage = 1", m.Scenario(at_coverage=1.0)),
    ("latency 0.5, shadow lag 0.5, compensation 0.5",
     m.Scenario(at_coverage=1.0, latency=0.5, shadow_lag=0.5, compensation=0.5)),
    ("3 members, low -> low rate 1.0", m.Scenario(n_low=3, rate_low_low=1.0,
                                                  at_coverage=1.0)),
]
PROCESS = m.Scenario(n_low=2, n_act=3, at_coverage=1.0, fault_rate=0.01, horizon=100.0,
                     fault_scope="process")


def on_common_traces(sc: m.Scenario, runs: int, protocols, seed: int = 2026) -> pd.DataFrame:
    """Every protocol replayed on the same ``runs`` traces; one frame."""
    trace = m.generate_traces(sc, runs, seed)
    frames = [m.replay(trace, sc, p, engine="numba") for p in protocols]
    df = pd.concat(frames, ignore_index=True)
    df["pb_per_msg"] = df["piggyback_bytes"] / df["n_app_msgs"]
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    for name, sc in SCENARIOS:
        df = on_common_traces(sc, args.runs, ("mdcd", "mdcd-vector"))
        print(f"== cluster scope, {name} ({args.runs} common traces)")
        print(df.groupby("protocol", observed=True)[COST].mean().round(2).to_string())
        vec = df[df["protocol"] == "mdcd-vector"]
        print("mdcd-vector failed:", int((vec["outcome"] == "failed").sum()),
              "runs with a violation:",
              int((vec[[*VIOLATIONS, "dup_outputs"]].sum(axis=1) > 0).sum()))
        d = paired_differences(df, COST, baseline="mdcd")
        d["rel"] = d["mean_diff"] / df[df["protocol"] == "mdcd"][COST].mean().reindex(
            d["metric"]).to_numpy()
        print(d[["metric", "mean_diff", "half_width", "rel"]].round(3).to_string(index=False))
    df = on_common_traces(PROCESS, args.runs, m.protocol_names())
    s = summarize(df, by="protocol", metrics=["p_failed", "p_violation"])
    print(f"== fault_scope = process ({args.runs} common traces, n_low 2, n_act 3, "
          "fault rate 0.01, horizon 100, at_coverage 1)")
    print(s[["protocol", "metric", "mean", "ci_low", "ci_high"]].round(4).to_string(index=False))
    print(f"wall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
