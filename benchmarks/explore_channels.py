"""Which protocols need FIFO channels?  Random scenarios under channel="non-fifo".

For ``--scenarios`` random scenarios (perfect ATs, cluster fault scope, the
ranges of tests/test_properties.py, or with ``--busy`` long delays and busy
channels so that messages overtake each other often) it generates
``--runs`` runs, replays them with every protocol on the numba engine, checks
every 10th scenario against the reference engine (identical frames), and prints
per protocol the failed runs and the runs with an oracle violation.  docs/protocols.md
("Channels") quotes its output.

Usage::

    python benchmarks/explore_channels.py --seed 1 --scenarios 150
    python benchmarks/explore_channels.py --seed 2 --scenarios 200 --busy
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenarios", type=int, default=150)
    ap.add_argument("--runs", type=int, default=8, help="runs per scenario")
    ap.add_argument("--busy", action="store_true", help="long delays, busy channels")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    protos = m.protocol_names()
    bad = {p: [0, 0, 0] for p in protos}
    t0 = time.perf_counter()

    def r(a: float, b: float) -> float:
        return float(rng.uniform(a, b))

    for it in range(args.scenarios):
        n_low, n_act = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        lo = 1.0 if args.busy else 0.2
        sc = m.Scenario(
            n_low=n_low, n_act=n_act, horizon=r(5, 25),
            rate_low_act=r(lo, 4.0 if args.busy else 2.0),
            rate_low_low=r(0, 2) if n_low > 1 else 0.0,
            rate_sdw_sdw=r(0, 2) if n_low > 1 else 0.0,
            rate_act_low=r(0.5, 3) if args.busy else r(0, 2),
            rate_act_act=(r(0.5, 3) if args.busy else r(0, 2)) if n_act > 1 else 0.0,
            rate_ext_low=r(0, .6), rate_ext_act=r(0, .8), fault_rate=r(0, .15),
            at_coverage=1.0, compensation=float(rng.choice([0, .5, .9])),
            latency=float(rng.choice([0.3, 1.5, 3.0] if args.busy else [0.05, 0.3, 1.5])),
            shadow_lag=float(rng.choice([0, .2, 1, 5])), channel="non-fifo")
        trace = m.generate_traces(sc, args.runs, int(rng.integers(0, 2**31)))
        for p in protos:
            df = m.replay(trace, sc, protocol=p, engine="numba")
            if it % 10 == 0:
                ref = m.replay(trace, sc, protocol=p, engine="reference")
                pd.testing.assert_frame_equal(df, ref, check_exact=True)
            v = df[list(VIOLATIONS)].to_numpy().sum(axis=1)
            bad[p][0] += int((df["outcome"] == "failed").sum())
            bad[p][1] += int((v > 0).sum())
            bad[p][2] += len(df)
    print(f"{args.scenarios} scenarios x {args.runs} runs, channel='non-fifo'"
          f"{' (busy)' if args.busy else ''}, {time.perf_counter() - t0:.0f} s")
    print("| protocol | runs | failed | with a violation |")
    print("| --- | ---: | ---: | ---: |")
    for p, (f, v, n) in bad.items():
        print(f"| `{p}` | {n} | {f} | {v} |")


if __name__ == "__main__":
    main()
