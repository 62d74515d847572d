"""Regression tests: the smallest traces on which a reading of the paper breaks.

``data/counterexamples/make_counterexamples.py`` found and shrank them; docs/protocol.md
explains each.  Every correction switch of ``mdcd`` is necessary: with it off,
its trace shows a violation; with all switches on (``mdcd``) none of the traces
does.
"""

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

import mdcd_lab as m
from mdcd_lab import protocols
from mdcd_lab.metrics import VIOLATIONS
from mdcd_lab.reference.engine import replay_reference

HERE = Path(__file__).parent.parent / "data" / "counterexamples"
INDEX = json.loads((HERE / "counterexamples.json").read_text())


def rules_for(label, info):
    if info["protocol"] == "mdcd-paper":
        return "mdcd-paper"
    return dataclasses.replace(protocols.PROTOCOLS["mdcd"], name=info["protocol"],
                               **{label: False})


@pytest.mark.parametrize("label", sorted(INDEX))
def test_counterexample(label):
    info = INDEX[label]
    sc = m.Scenario(**info["scenario"])
    trace = pd.read_csv(HERE / f"cx_{label}.csv")
    broken = replay_reference(trace, sc, rules_for(label, info)).iloc[0]
    for col, n in info["violations"].items():
        assert broken[col] == n, (col, broken[col])
    fixed = replay_reference(trace, sc, "mdcd").iloc[0]
    assert fixed["outcome"] != "failed"
    assert sum(int(fixed[c]) for c in [*VIOLATIONS, "dup_outputs"]) == 0


def test_unsafe_clean_leads_to_failure():
    # The 4-row trace leaves act1 erroneous with dirty_bit 0 under the literal
    # reading; one more output of act1 (no AT: it believes it is clean) fails the run.
    info = INDEX["mdcd-paper-unsafe"]
    sc = m.Scenario(**info["scenario"])
    trace = pd.read_csv(HERE / "cx_mdcd-paper-unsafe.csv")
    late = pd.DataFrame([{"run": 0, "t": 29.0, "kind": "output", "src": "act1", "dst": "",
                          "t_deliver": float("nan"), "u_at": 0.5, "u_comp": 0.5,
                          "d_notify": 0.0}])
    longer = pd.concat([trace, late], ignore_index=True)
    assert replay_reference(longer, sc, "mdcd-paper").iloc[0]["outcome"] == "failed"
    assert replay_reference(longer, sc, "mdcd").iloc[0]["outcome"] == "recovered"
