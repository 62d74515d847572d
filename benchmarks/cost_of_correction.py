"""What the correction costs, and how the fault scope changes the verdict.

Prints the tables of docs/protocol.md, sections 6 and 7: per-run means of
checkpoint and log metrics of ``mdcd`` and ``mdcd-paper`` on 1000 common traces
per scenario with paired differences, then failure and violation rates under
both fault scopes.  Usage: ``python benchmarks/cost_of_correction.py [--runs N]``.

``--combinations`` instead compares the combinations of corrections that the
exhaustive exploration finds sound (docs/protocol.md, section 6;
``benchmarks/explore_scopes.py --corrections``) on common traces: per-run means
of the cost metrics and paired differences against ``mdcd`` with 95% CIs, at
three scenarios, numba engine.  The combinations come from
:func:`mdcd_lab.protocols.correction_combinations` (letters R L C S E), the
same ones the figure ``correction_space`` draws.
"""

import argparse

import pandas as pd

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS
from mdcd_lab.protocols import SOUND_IN_SCOPES, correction_combinations
from mdcd_lab.stats.summary import paired_differences
from mdcd_lab.studies.correction_space import bad_runs

COST = ["ckpt_total", "ckpt_array_peak", "log_entries_peak", "log_entries_mean"]
COST_ALL = ["ckpt_total", "ckpt_array_peak", "log_entries_peak", "log_entries_mean",
            "log_bytes_peak", "rollback_dist_max"]
#: the combinations sound in the exhaustive scopes, mdcd (RLCS) first
SOUND = ("RLCS", *(c for c in SOUND_IN_SCOPES if c != "RLCS"))


def combinations(runs: int) -> None:
    """Cost of every sound combination on common traces, paired against ``mdcd``."""
    for name, sc in [("default, at_coverage = 1", m.Scenario(at_coverage=1.0)),
                     ("latency 0.5, shadow lag 0.5, compensation 0.5",
                      m.Scenario(at_coverage=1.0, latency=0.5, shadow_lag=0.5,
                                 compensation=0.5)),
                     ("no faults", m.Scenario(fault_rate=0.0))]:
        trace = m.generate_traces(sc, runs, 2026)
        combos = correction_combinations()
        frames = []
        for letters in SOUND:
            df = m.replay(trace, sc, combos[letters], engine="numba")
            df["protocol"] = f"{letters} ({combos[letters].name})"
            frames.append(df)
        df = pd.concat(frames, ignore_index=True)
        df["bad"] = bad_runs(df)
        print(f"== {name} ({runs} common traces)")
        print(df.groupby("protocol", sort=False)[[*COST_ALL, "bad"]].agg(
            {**dict.fromkeys(COST_ALL, "mean"), "bad": "sum"}).round(2).to_string())
        d = paired_differences(df, COST_ALL, baseline="RLCS (mdcd)")
        print(d[["protocol", "metric", "mean_diff", "half_width"]].round(2)
              .to_string(index=False))


def both(sc, runs, seed):
    trace = m.generate_traces(sc, runs, seed)
    frames = []
    for proto in ("mdcd", "mdcd-paper"):
        frames.append(m.replay(trace, sc, proto, engine="numba"))   # with its protocol column
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--combinations", action="store_true")
    args = ap.parse_args()
    if args.combinations:
        combinations(args.runs)
        return
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
