"""The smallest traces on which a reading of the paper breaks, found by exhaustive exploration.

Run ``python data/counterexamples/make_counterexamples.py`` to regenerate the CSV
files and ``counterexamples.json`` beside this script.  For the most charitable
literal reading (``mdcd-paper``) it keeps the smallest trace of every class
(``failed`` or a violation column) over the named scopes of
:data:`mdcd_lab.exploration.SCOPES`; for ``mdcd`` with one correction switched off
it keeps the smallest trace of any class.  "Smallest" is fewest rows, then the
first found by :func:`mdcd_lab.explore` (not shrunk from random runs).
``tests/test_counterexamples.py`` replays the saved traces.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import mdcd_lab as m
from mdcd_lab import protocols
from mdcd_lab.exploration import CLASSES, SCOPES, scope_scenario
from mdcd_lab.metrics import VIOLATIONS

HERE = Path(__file__).parent
#: the corrections of ``mdcd`` (docs/protocol.md, section 6)
CORRECTIONS = ("reclaim_by_interval", "log_all_when_dirty", "coordinated_recovery",
               "suppress_redone_outputs")
#: scopes searched, smallest first
PAPER_SCOPES = ("ci", "lag", "lag5", "comp")
ABLATION_SCOPES = ("ci", "lag", "comp", "lag5")


def ablated(switch: str) -> protocols.Rules:
    """``mdcd`` with one correction switch off."""
    return dataclasses.replace(protocols.PROTOCOLS["mdcd"], name=f"mdcd-without-{switch}",
                               **{switch: False})


def _entry(cx, scope_name, fs, comp, rules) -> dict:
    sc = scope_scenario(SCOPES[scope_name], fs, comp)
    r = m.replay(cx, sc, rules).iloc[0]
    return {"protocol": rules.name, "scope": scope_name, "scenario": sc.to_dict(),
            "rows": len(cx), "outcome": str(r["outcome"]),
            "violations": {c: int(r[c]) for c in [*VIOLATIONS, "dup_outputs"] if r[c]}}


def search(rules, scopes, engine: str) -> dict:
    """Smallest trace per class over ``scopes``: class -> (trace, scope, fault_scope, comp)."""
    best: dict = {}
    for name in scopes:
        df = m.explore(name, protocols=(rules,), engine=engine)
        for _, row in df.iterrows():
            for c in CLASSES:
                cx = row[f"cx_{c}"]
                if cx is not None and (c not in best or len(cx) < len(best[c][0])):
                    best[c] = (cx, name, row["fault_scope"], bool(row["compensation"]))
    return best


def main(engine: str = "numba") -> None:
    index = {}
    for old in HERE.glob("cx_*.csv"):
        old.unlink()
    paper = protocols.PROTOCOLS["mdcd-paper"]
    for c, (cx, name, fs, comp) in search(paper, PAPER_SCOPES, engine).items():
        label = f"mdcd-paper-{c}"
        cx.to_csv(HERE / f"cx_{label}.csv", index=False)
        index[label] = _entry(cx, name, fs, comp, paper) | {"class": c}
    for switch in CORRECTIONS:
        rules = ablated(switch)
        found = search(rules, ABLATION_SCOPES, engine)
        if not found:
            continue
        c, (cx, name, fs, comp) = min(found.items(), key=lambda kv: len(kv[1][0]))
        cx.to_csv(HERE / f"cx_{switch}.csv", index=False)
        index[switch] = _entry(cx, name, fs, comp, rules) | {"class": c, "without": switch}
    (HERE / "counterexamples.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
