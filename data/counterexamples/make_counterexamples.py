"""Find and shrink the smallest traces on which a reading of the paper breaks.

Run ``python data/counterexamples/make_counterexamples.py`` to regenerate the CSV files
beside this script.  For the literal reading (``mdcd-paper``) and for ``mdcd``
with each correction switched off in turn, it searches generated traces of small
scenarios for a run with an oracle violation or a failure, then greedily deletes
rows while the violation persists (delta debugging).  The tests in
``tests/test_counterexamples.py`` replay the saved traces.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd

import mdcd_lab as m
from mdcd_lab import protocols
from mdcd_lab.metrics import VIOLATIONS
from mdcd_lab.reference.engine import replay_reference

HERE = Path(__file__).parent
SWITCHES = ("reclaim_by_interval", "prgt_out_on_low_send", "log_all_when_dirty",
            "coordinated_recovery", "outputs_by_count", "suppress_redone_outputs")


def ablated(switch: str) -> protocols.Rules:
    """``mdcd`` with one correction switch off."""
    return dataclasses.replace(protocols.PROTOCOLS["mdcd"], name=f"mdcd-without-{switch}",
                               **{switch: False})


def badness(trace, sc, proto, cols=None) -> int:
    """Violations (or only those in ``cols``) plus failures of one replay."""
    r = replay_reference(trace, sc, proto)
    if cols is None:
        cols = list(VIOLATIONS) + ["dup_outputs"]
        return int(r[cols].to_numpy().sum() + (r["outcome"] == "failed").sum())
    return int(r[list(cols)].to_numpy().sum())


def shrink(trace, sc, proto, cols=None):
    tr = trace.reset_index(drop=True)
    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(tr):
            cand = tr.drop(index=i).reset_index(drop=True)
            try:
                ok = badness(cand, sc, proto, cols) > 0
            except ValueError:
                ok = False
            if ok:
                tr, changed = cand, True
            else:
                i += 1
    return tr


SCENARIOS = [
    dict(n_low=1, n_act=2, rate_low_low=0.0, rate_sdw_sdw=0.0, fault_rate=0.05,
         at_coverage=1.0, horizon=30.0, rate_ext_low=0.2, rate_ext_act=0.3),
    dict(n_low=2, n_act=2, fault_rate=0.05, at_coverage=1.0, horizon=30.0, latency=0.5,
         shadow_lag=0.5, compensation=0.5, rate_ext_low=0.2, rate_ext_act=0.3),
]


def find(proto: str, cols=None, max_seed: int = 400):
    best = None
    for kw in SCENARIOS:
        sc = m.Scenario(**kw)
        for seed in range(max_seed):
            tr = m.generate_traces(sc, 1, seed)
            if badness(tr, sc, proto, cols) > 0:
                small = shrink(tr, sc, proto, cols)
                if best is None or len(small) < len(best[1]):
                    best = (kw, small)
                break
    return best


def main() -> None:
    targets = {"mdcd-paper": ("mdcd-paper", None),
               "mdcd-paper-unsafe": ("mdcd-paper", ["unsafe_clean"]),
               "mdcd-paper-orphan": ("mdcd-paper", ["orphans"]),
               "mdcd-paper-lost": ("mdcd-paper", ["lost"])}
    targets |= {s: (ablated(s), None) for s in SWITCHES}
    index = {}
    for label, (proto, cols) in targets.items():
        found = find(proto, cols)
        if found is None:
            continue
        kw, tr = found
        path = HERE / f"cx_{label}.csv"
        tr.drop(columns=["run"]).assign(run=0).to_csv(path, index=False)
        r = replay_reference(tr, m.Scenario(**kw), proto).iloc[0]
        index[label] = {"protocol": getattr(proto, "name", proto), "scenario": kw, "rows": len(tr),
                        "outcome": str(r["outcome"]),
                        "violations": {c: int(r[c]) for c in [*VIOLATIONS, "dup_outputs"]
                                       if r[c]}}
    (HERE / "counterexamples.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
