"""Fingerprints of the numba engine's result frames: a refactoring must keep them all.

Prints one sha256 per frame, on a fixed scenario and seed:

* ``simulate/<protocol>``: ``simulate(..., engine="numba")`` for every protocol of
  :func:`mdcd_lab.protocol_names`;
* ``replay/<protocol>``: ``replay(trace, ..., engine="numba")`` of one generated trace;
* ``generate``: the trace itself (``generate_traces_numba``).

The hash is sha256 over ``pandas.util.hash_pandas_object(frame, index=True)``
(every value of every column, bit for bit for floats).  Compare the output of two
commits with ``diff``::

    NUMBA_NUM_THREADS=1 python benchmarks/hash_results.py > before.txt
    ... change the kernels ...
    NUMBA_NUM_THREADS=1 python benchmarks/hash_results.py | diff before.txt -

A change that alters simulated numbers on purpose (issue 13 step 5, for
instance) changes these hashes; a pure refactoring must not.
"""

from __future__ import annotations

import argparse
import hashlib

import pandas as pd

import mdcd_lab as m
from mdcd_lab.fast import generate_traces_numba

SCENARIO = dict(n_low=2, n_act=3, horizon=60.0, latency=0.5, shadow_lag=0.5,
                fault_rate=0.01, at_coverage=0.9, compensation=0.2)
SEED = 20261128


def frame_hash(df: pd.DataFrame) -> str:
    """sha256 of every value of ``df`` (and its index)."""
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=True).values.tobytes()
                          ).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3000, help="runs per simulate frame")
    ap.add_argument("--trace-runs", type=int, default=500, help="runs of the replayed trace")
    args = ap.parse_args()
    sc = m.Scenario(**SCENARIO)
    for proto in m.protocol_names():
        df = m.simulate(sc, args.runs, SEED, protocol=proto, engine="numba")
        print(f"simulate/{proto:<18} {frame_hash(df)}", flush=True)
    trace = generate_traces_numba(sc, args.trace_runs, SEED)
    for proto in m.protocol_names():
        df = m.replay(trace, sc, protocol=proto, engine="numba")
        print(f"replay/{proto:<20} {frame_hash(df)}", flush=True)
    print(f"{'generate':<27} {frame_hash(trace)}", flush=True)


if __name__ == "__main__":
    main()
