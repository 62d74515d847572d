"""The smallest traces on which a reading of the paper breaks.

Run ``python data/counterexamples/make_counterexamples.py`` to regenerate the CSV
files and ``counterexamples.json`` beside this script (numba engine; a few
minutes).  Under executed recovery (the default, docs/protocol.md, section 9):

* for the most charitable reading (``mdcd-paper``) it keeps the smallest trace of
  every class (``failed`` or a violation column) over the named scopes of
  :data:`mdcd_lab.exploration.SCOPES` (fewest rows, then the first found by
  :func:`mdcd_lab.explore`; not shrunk from random runs);
* for ``mdcd`` with one correction switched off, the smallest trace of any class
  over those scopes;
* ``dirty_sender_loss`` (finding G2) needs more actions than the scopes hold: it is
  the first run of seeded random traces (no delay at all) on which ``mdcd-paper``
  loses a message, shrunk by dropping rows (a cluster row with its twin) while the
  loss remains (:func:`shrink`).

Each entry records, under ``under``, the classes the trace shows when replayed by
every reading switched back alone (``VARIANTS["paper-notify-overtakes"]`` ...) and
by ``mdcd``, under executed and atomic recovery: which decisions a break depends
on.  ``tests/test_counterexamples.py`` replays every trace under every one of them.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

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
#: what each trace is replayed under (``under`` in the index): the charitable reading,
#: each reading of issue 21 switched back alone, all four, and the correction
UNDER = ("mdcd-paper", "paper-notify-overtakes", "paper-unaware", "paper-no-drain",
         "paper-twins-unordered", "paper-issue9", "mdcd")
MODES = ("executed", "atomic")


def ablated(switch: str) -> protocols.Rules:
    """``mdcd`` with one correction switch off."""
    return dataclasses.replace(protocols.PROTOCOLS["mdcd"], name=f"mdcd-without-{switch}",
                               **{switch: False})


def classes(row: pd.Series) -> list[str]:
    """The classes a replayed run is in (``failed`` and every violation above 0)."""
    out = ["failed"] if row["outcome"] == "failed" else []
    return out + [c for c in CLASSES[1:] if row[c] > 0]


def under(trace: pd.DataFrame, sc: m.Scenario, engine: str) -> dict:
    """The classes of ``trace`` under every protocol of :data:`UNDER` and both modes."""
    out = {}
    for mode in MODES:
        s = sc.replace(recovery=mode)
        for name in UNDER:
            out[f"{name}/{mode}"] = classes(m.replay(trace, s, name, engine=engine).iloc[0])
    return out


def _entry(cx, sc, rules, engine: str, **extra) -> dict:
    r = m.replay(cx, sc, rules, engine=engine).iloc[0]
    return {"protocol": rules.name, "scenario": sc.to_dict(), "rows": len(cx),
            "outcome": str(r["outcome"]),
            "violations": {c: int(r[c]) for c in [*VIOLATIONS, "dup_outputs"] if r[c]},
            **extra, "under": under(cx, sc, engine)}


def search(rules, scopes, engine: str) -> dict:
    """Smallest trace per class over ``scopes``: class -> (trace, scope, scenario)."""
    best: dict = {}
    for name in scopes:
        df = m.explore(name, protocols=(rules,), engine=engine)
        for _, row in df.iterrows():
            for c in CLASSES:
                cx = row[f"cx_{c}"]
                if cx is not None and (c not in best or len(cx) < len(best[c][0])):
                    sc = scope_scenario(SCOPES[name], row["fault_scope"],
                                        bool(row["compensation"]))
                    best[c] = (cx, name, sc)
    return best


def shrink(trace: pd.DataFrame, sc: m.Scenario, rules, cls: str, engine: str) -> pd.DataFrame:
    """Drop rows while ``rules`` still shows ``cls`` on ``trace``: one row at a time, the
    ``k``-th cluster message or output together with its ``k``-th twin row (D12), from the
    end; then number the rows' times 1, 2, ... (deliveries instant, as found)."""
    def bad(t):
        return cls in classes(m.replay(t, sc, rules, engine=engine).iloc[0])

    def twin_kind(t):
        to_act = t["dst"].astype(str).str.startswith("act")
        return ((t["kind"] == "output") | ((t["kind"] == "send") & to_act))

    changed = True
    while changed:
        changed = False
        for i in reversed(trace.index):
            row = trace.loc[i]
            drop = [i]
            if str(row["src"]).startswith("sdw") and twin_kind(trace.loc[[i]]).iloc[0]:
                continue   # a twin goes with its cluster row
            if str(row["src"]).startswith("low") and twin_kind(trace.loc[[i]]).iloc[0]:
                same = (trace["kind"] == row["kind"]) & twin_kind(trace)
                cluster = trace.index[same & trace["src"].astype(str).str.startswith("low")]
                twins = trace.index[same & trace["src"].astype(str).str.startswith("sdw")]
                k = list(cluster).index(i)
                if k < len(twins):
                    drop.append(twins[k])
            smaller = trace.drop(index=drop).reset_index(drop=True)
            if bad(smaller):
                trace, changed = smaller, True
                break
    trace = trace.copy()
    trace["t"] = np.arange(1.0, len(trace) + 1.0)
    sent = trace["t_deliver"].notna()
    trace.loc[sent, "t_deliver"] = trace.loc[sent, "t"]
    for col, value in (("u_at", 0.5), ("u_comp", 0.75), ("d_notify", 0.0)):
        trace.loc[trace["kind"] == "output", col] = value
    assert bad(trace)
    return trace


def dirty_sender_loss(engine: str) -> tuple[pd.DataFrame, m.Scenario]:
    """G2: the first run of seeded random traces (two G_act processes, act -> act traffic,
    no delay at all) on which ``mdcd-paper`` loses a message, shrunk."""
    sc = m.Scenario(n_low=1, n_act=2, horizon=30.0, fault_rate=0.05, rate_act_act=1.0,
                    rate_low_low=0.0, rate_sdw_sdw=0.0, at_coverage=1.0)
    for seed in range(200):
        tr = m.generate_traces(sc, 50, seed)
        df = m.replay(tr, sc, "mdcd-paper", engine=engine)
        hit = df.index[df["lost"] > 0]
        if len(hit):
            r = int(df.loc[hit[0], "run"])
            one = tr[tr["run"] == r].reset_index(drop=True).assign(run=0)
            small = m.Scenario(**{**sc.to_dict(), "horizon": 1000.0})
            return shrink(one, small, protocols.PROTOCOLS["mdcd-paper"], "lost", engine), small
    raise RuntimeError("no dirty-sender loss in 200 seeds")


def main(engine: str = "numba") -> None:
    index = {}
    for old in HERE.glob("cx_*.csv"):
        old.unlink()
    paper = protocols.PROTOCOLS["mdcd-paper"]
    for c, (cx, name, sc) in search(paper, PAPER_SCOPES, engine).items():
        label = f"mdcd-paper-{c}"
        cx.to_csv(HERE / f"cx_{label}.csv", index=False)
        index[label] = _entry(cx, sc, paper, engine, scope=name, **{"class": c})
    cx_g2, sc_g2 = dirty_sender_loss(engine)
    cx_g2.to_csv(HERE / "cx_dirty_sender_loss.csv", index=False)
    index["dirty_sender_loss"] = _entry(cx_g2, sc_g2, paper, engine, scope="random, shrunk",
                                        **{"class": "lost"})
    for switch in CORRECTIONS:
        rules = ablated(switch)
        found = search(rules, ABLATION_SCOPES, engine)
        if not found:   # the scopes hold no break: the shrunk G2 trace, if it shows one
            hit = classes(m.replay(cx_g2, sc_g2, rules, engine=engine).iloc[0])
            if not hit:
                continue
            found = {hit[0]: (cx_g2, "random, shrunk", sc_g2)}
        c, (cx, name, sc) = min(found.items(), key=lambda kv: len(kv[1][0]))
        cx.to_csv(HERE / f"cx_{switch}.csv", index=False)
        index[switch] = _entry(cx, sc, rules, engine, scope=name,
                               **{"class": c, "without": switch})
    (HERE / "counterexamples.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
