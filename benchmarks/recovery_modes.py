"""Executed against atomic recovery on the benchmark scenarios (docs/protocol.md, section 9).

``python benchmarks/recovery_modes.py [--runs 2000] [--seed 2026]`` plays every protocol
of ``protocol_names()`` on the same traces under ``Scenario.recovery = "atomic"`` (one
step at the detection) and ``"executed"`` (notices, two-phase release, takeover and
re-sends on the channels, until quiet), on three scenarios: the default one with
perfect ATs, the same with latency, shadow lag and compensation 0.5 (the scenarios of
the correction-space table), and the benchmark scenario of ``benchmarks/hash_results.py``.
It prints one markdown row per (scenario, protocol, mode): P(failed), P(run with an
oracle violation) with 95% Clopper-Pearson intervals, and the means of the recovery
latency, the rollback distance, the messages re-sent and dropped, and the checkpoints.
"""

from __future__ import annotations

import argparse
import time

from scipy.stats import binomtest

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS

SCENARIOS = (
    ("default, perfect ATs", m.Scenario(at_coverage=1.0, fault_rate=0.01)),
    ("latency, lag, compensation 0.5", m.Scenario(at_coverage=1.0, fault_rate=0.01,
                                                  latency=0.5, shadow_lag=0.5,
                                                  compensation=0.5)),
    ("hash_results scenario", m.Scenario(n_low=2, n_act=3, horizon=60.0, latency=0.5,
                                         shadow_lag=0.5, fault_rate=0.01, at_coverage=0.9,
                                         compensation=0.2)),
)


def share(k: int, n: int) -> str:
    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return f"{k / n:.4f} ({ci.low:.4f}-{ci.high:.4f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args()
    t0 = time.perf_counter()
    print("| scenario | protocol | recovery | P(failed) | P(violation) | recovery latency | "
          "rollback_dist_max | n_resent | n_discarded | ckpt_total |")
    print("| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for title, sc in SCENARIOS:
        trace = m.generate_traces(sc, a.runs, a.seed)
        for proto in m.protocol_names():
            for mode in ("atomic", "executed"):
                df = m.replay(trace, sc.replace(recovery=mode), proto, engine="numba")
                bad = int((df[[*VIOLATIONS, "dup_outputs"]].to_numpy().sum(axis=1) > 0).sum())
                rec = df[df["outcome"] == "recovered"]
                cells = [share(int((df["outcome"] == "failed").sum()), len(df)),
                         share(bad, len(df))]
                cells += [f"{rec[c].mean():.3f}" if len(rec) else "-"
                          for c in ("recovery_latency", "rollback_dist_max", "n_resent",
                                    "n_discarded")]
                cells.append(f"{df['ckpt_total'].mean():.2f}")
                print(f"| {title} | {proto} | {mode} | " + " | ".join(cells) + " |",
                      flush=True)
    print(f"\n{a.runs} common traces per scenario, seed {a.seed}, numba engine; "
          f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
