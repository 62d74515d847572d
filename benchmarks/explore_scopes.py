"""Exhaustive exploration of the named scopes, and of the correction space.

``python benchmarks/explore_scopes.py [--scopes ci,lag,...] [--protocols mdcd,...]``
runs :func:`mdcd_lab.explore` on each named scope (default: all of
:data:`mdcd_lab.exploration.SCOPES`, among them the per-member scopes ``ci2``,
``low2ll``, ``low3ll``, ``act2ll`` with traffic inside G_low and G_sdw) for the
given protocols (default ``mdcd,mdcd-paper``; ``all``: every registered
protocol), numba engine, executed recovery (``--recovery atomic``: the one-step
recovery), and prints a markdown table per scope: distinct traces,
wall time, and the traces per class.  ``--corrections SCOPE`` instead explores every combination of
the four corrections of ``mdcd`` and the competing ``s2_every_level`` on top of
``mdcd-paper`` (2^5 = 32 protocols on the same traces) in one scope and prints
which combinations are sound there, with the class and size of the smallest
counterexample of the others.  ``--internal SCOPE`` asks, for a scope with
``low -> low`` / ``sdw -> sdw`` traffic, which breaks *need* it: per fault scope
and protocol, the bad traces (in a class: failed, a violation or duplicated
outputs, as ``explore`` counts them), those with internal rows,
and those of them that are no longer bad once their internal rows are dropped.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import platform
import time

import numba
import numpy as np
import pandas as pd

import mdcd_lab as m
from mdcd_lab.exploration import CLASSES, LARGE_SCOPES, SCOPES, scope_scenario, summary_columns
from mdcd_lab.exploration.verdicts import _Batch, _replay_batch, resolve_protocols
from mdcd_lab.exploration.walk import walk
from mdcd_lab.metrics import VIOLATIONS
from mdcd_lab.protocols import PROTOCOLS

CORRECTIONS = ("reclaim_by_interval", "log_all_when_dirty", "coordinated_recovery",
               "suppress_redone_outputs", "s2_every_level")
SHORT = {"reclaim_by_interval": "R", "log_all_when_dirty": "L", "coordinated_recovery": "C",
         "suppress_redone_outputs": "S", "s2_every_level": "E"}


def combinations() -> list:
    """``mdcd-paper`` plus every subset of the corrections, named by their letters."""
    out = []
    for bits in itertools.product((False, True), repeat=len(CORRECTIONS)):
        on = dict(zip(CORRECTIONS, bits, strict=True))
        name = "paper+" + ("".join(SHORT[c] for c in CORRECTIONS if on[c]) or "-")
        out.append(dataclasses.replace(PROTOCOLS["mdcd-paper"], name=name, **on))
    return out


def _md(df) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + " ---: |" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join(lines)


def _bad(trs: list, sc, rules) -> np.ndarray:
    """In a class of :data:`CLASSES` (failed, a violation, duplicated outputs), per trace."""
    out = []
    for lo in range(0, len(trs), 50_000):
        b = _Batch()
        for t in trs[lo:lo + 50_000]:
            b.add(t)
        df = _replay_batch(b, sc, rules, "numba")
        out.append((df["outcome"].astype(str) == "failed").to_numpy()
                   | (df[[*VIOLATIONS, "dup_outputs"]].to_numpy().sum(axis=1) > 0))
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def needs_internal(name: str, protocols, recovery: str = "executed") -> pd.DataFrame:
    """Per fault scope and protocol: bad traces, with internal rows, needing them."""
    scope = SCOPES[name]
    first_sdw = scope.n_low + scope.n_act

    def internal(r) -> bool:   # low -> low or sdw -> sdw send
        return r[1] == 0 and ((r[2] < scope.n_low and 0 <= r[3] < scope.n_low)
                              or (r[2] >= first_sdw and r[3] >= first_sdw))

    rows = []
    for fs in scope.fault_scopes:
        sc = scope_scenario(scope, fs, recovery=recovery)
        walks: dict = {}
        for rules in resolve_protocols(protocols):
            partners = scope.n_low > 1 and rules.unclustered
            if partners not in walks:
                trs: list = []
                walk(scope, fs, False, lambda t, e, trs=trs: trs.append(t), partners=partners,
                     executed=recovery == "executed")
                walks[partners] = trs
            trs = walks[partners]
            bad = _bad(trs, sc, rules)
            with_int = np.flatnonzero(bad & np.array([any(internal(r) for r in t) for t in trs]))
            still = _bad([[r for r in trs[i] if not internal(r)] for i in with_int], sc, rules)
            rows.append({"fault_scope": fs, "protocol": rules.name, "traces": len(trs),
                         "bad": int(bad.sum()), "bad with internal rows": len(with_int),
                         "needing them": int((~still).sum())})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scopes", default=",".join(n for n in SCOPES if n not in LARGE_SCOPES),
                    help="comma-separated scope names (default: all but LARGE_SCOPES)")
    ap.add_argument("--protocols", default="mdcd,mdcd-paper",
                    help="comma-separated protocol names, or 'all'")
    ap.add_argument("--corrections", help="a scope name: explore all 32 combinations in it")
    ap.add_argument("--internal", help="a scope name: which breaks need internal traffic")
    ap.add_argument("--recovery", default="executed", choices=("executed", "atomic"),
                    help="Scenario.recovery (docs/protocol.md, section 9)")
    a = ap.parse_args()
    print(f"Machine: AMD EPYC, 2 vCPU, 24 GiB ({platform.machine()}), "
          f"{numba.get_num_threads()} numba threads")
    protocols = a.protocols if a.protocols == "all" else tuple(a.protocols.split(","))
    if a.internal:
        t0 = time.perf_counter()
        df = needs_internal(a.internal, protocols, a.recovery)
        print(f"scope {a.internal}: {time.perf_counter() - t0:.0f} s")
        print(_md(df))
        return
    if a.corrections:
        t0 = time.perf_counter()
        df = m.explore(a.corrections, protocols=combinations(), recovery=a.recovery)
        rows = []
        for _, r in df.iterrows():
            bad = {c: int(r[c]) for c in CLASSES if r[c]}
            small = min(((len(r[f"cx_{c}"]), c) for c in bad), default=(0, ""))
            rows.append({"fault_scope": r["fault_scope"], "compensation": r["compensation"],
                         "combination": r["protocol"], "traces": r["traces"],
                         "sound": not bad, "bad traces": r["traces"] - r["clean"],
                         "smallest": f"{small[1]} ({small[0]} rows)" if bad else ""})
        print(f"scope {a.corrections}: {time.perf_counter() - t0:.0f} s")
        print(_md(pd.DataFrame(rows)))
        return
    for name in a.scopes.split(","):
        df = summary_columns(m.explore(name, protocols=protocols, recovery=a.recovery))
        keep = ["scope", "fault_scope", "compensation", "protocol", "traces", "failed",
                *[c for c in CLASSES[1:]], "clean"]
        print(f"\nscope {name}: {SCOPES[name]}, {df.attrs.get('seconds', 0):.0f} s")
        print(_md(df[keep]))


if __name__ == "__main__":
    main()
