"""What the correction costs, and how the fault scope changes the verdict.

Prints the tables of docs/protocol.md, sections 6 and 7: per-run means of
checkpoint and log metrics of ``mdcd`` and ``mdcd-paper`` on 1000 common traces
per scenario with paired differences, then failure and violation rates under
both fault scopes.  Usage: ``python benchmarks/cost_of_correction.py [--runs N]``.
"""

import argparse

import pandas as pd

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS
from mdcd_lab.summary import paired_differences

COST = ["ckpt_total", "ckpt_array_peak", "log_entries_peak", "log_entries_mean"]


def both(sc, runs, seed):
    trace = m.generate_traces(sc, runs, seed)
    frames = []
    for proto in ("mdcd", "mdcd-paper"):
        df = m.replay(trace, sc, proto)
        df.insert(0, "protocol", proto)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1000)
    args = ap.parse_args()
    for name, sc in [("default, at_coverage = 1", m.Scenario(at_coverage=1.0)),
                     ("latency 0.5, shadow lag 0.5",
                      m.Scenario(at_coverage=1.0, latency=0.5, shadow_lag=0.5)),
                     ("no faults", m.Scenario(fault_rate=0.0))]:
        df = both(sc, args.runs, 2026)
        print(f"== {name}")
        print(df.groupby("protocol")[COST].mean().round(2).to_string())
        d = paired_differences(df, COST, baseline="mdcd-paper")
        print(d[["metric", "mean_diff", "half_width"]].round(2).to_string(index=False))
    rows = []
    for scope in ("cluster", "process"):
        sc = m.Scenario(n_low=2, n_act=3, at_coverage=1.0, fault_rate=0.01, horizon=100.0,
                        fault_scope=scope)
        df = both(sc, args.runs, 2026)
        for proto, g in df.groupby("protocol"):
            rows.append({"fault_scope": scope, "protocol": proto,
                         "P(failed)": (g["outcome"] == "failed").mean(),
                         "P(violation)": (g[list(VIOLATIONS)].sum(axis=1) > 0).mean(),
                         "P(unsafe clean)": (g["unsafe_clean"] > 0).mean()})
    print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
