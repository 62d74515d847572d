"""Bounded exhaustive exploration (docs/explore.md)."""

import pytest

import mdcd_lab as m
from mdcd_lab.cli import main
from mdcd_lab.exploration import CLASSES, SCOPES, _Batch, _replay_batch, scope_scenario
from mdcd_lab.exploration_walk import Scope, walk
from mdcd_lab.metrics import VIOLATIONS


def traces_of(scope, reduce=True, fault_scope="cluster", comp=False):
    out = []
    walk(scope, fault_scope, comp, lambda rows, ended: out.append(list(rows)), reduce)
    return out


def test_one_action_scope_by_hand():
    # n_low = n_act = 1, one action.  low0 -> act0: the send, its delivery (act0) and
    # its twin (sdw0) commute: 1 trace.  low0's output: its notification and its twin
    # output both touch sdw0: 2 orders.  The fault: 1.  act0 -> low0 and its
    # delivery: 1.  act0's output is left out (act0 never received a dirty message,
    # so it is a no-op for every protocol).  5 traces.
    tr = traces_of(Scope(n_low=1, n_act=1, max_actions=1))
    assert len(tr) == 5
    kinds = sorted(tuple(int(r[1]) for r in t) for t in tr)
    assert kinds == [(0,), (0, 0), (1, 1), (1, 1), (2,)]


def test_reductions_lose_no_behaviour():
    # Symmetry (renaming act0/act1) and sleep sets only drop traces equivalent to a
    # kept one, so the set of distinct outcomes is the same with and without them.
    scope = Scope(n_low=1, n_act=2, max_actions=3, name="t")
    red, full = traces_of(scope), traces_of(scope, reduce=False)
    assert len(red) < len(full) / 3
    sc = scope_scenario(scope)
    cols = ["outcome", *VIOLATIONS, "dup_outputs", "rollback_procs", "n_replayed", "n_resent"]
    for proto in ("mdcd", "mdcd-paper"):
        got = []
        for trs in (red, full):
            b = _Batch()
            for t in trs:
                b.add(t)
            df = _replay_batch(b, sc, m.protocols.get_rules(proto), "reference")
            got.append({tuple(r) for r in df[cols].astype(str).itertuples(index=False)})
        assert got[0] == got[1], proto


def test_delay_bound():
    # max_delay 0: every delivery happens before the next action (n_low = n_act = 1:
    # low0 and act0 rows are the actions, sdw0 rows are twins)
    a = traces_of(Scope(n_low=1, n_act=1, max_actions=3, max_delay=0))
    b = traces_of(Scope(n_low=1, n_act=1, max_actions=3, max_delay=1))
    c = traces_of(Scope(n_low=1, n_act=1, max_actions=3))
    assert len(a) < len(b) < len(c)
    for t in a:
        acts = [r for r in t if r[2] < 2]
        for r, nxt in zip(acts, [*acts[1:], None], strict=True):
            if r[1] == 0 and nxt is not None:
                assert r[4] < nxt[0]
    assert any(r[1] == 0 and r[4] > nxt[0] for t in b
               for r, nxt in zip([r for r in t if r[2] < 2], [r for r in t if r[2] < 2][1:],
                                 strict=False))


@pytest.mark.parametrize("engine", ["reference", "numba"])
def test_ci_scope(engine):
    # The CI scope: mdcd is clean on every trace, mdcd-paper breaks on some; the
    # smallest counterexamples replay to the same class through the public API.
    df = m.explore("ci", engine=engine)
    assert list(df["protocol"]) == ["mdcd", "mdcd-paper"]
    n = df["traces"].iloc[0]
    assert n == df["traces"].iloc[1] > 30_000
    fixed, paper = df.iloc[0], df.iloc[1]
    assert all(fixed[c] == 0 for c in CLASSES) and fixed["clean"] == n
    assert fixed["recovered"] > 0
    assert sum(paper[c] for c in VIOLATIONS) > 0 and paper["clean"] < n
    sc = scope_scenario(SCOPES["ci"])
    for c in CLASSES:
        cx = paper[f"cx_{c}"]
        if cx is None:
            continue
        res = m.replay(cx, sc, "mdcd-paper").iloc[0]
        assert (res["outcome"] == "failed") if c == "failed" else res[c] > 0
        assert m.replay(cx, sc, "mdcd")[[*VIOLATIONS, "dup_outputs"]].to_numpy().sum() == 0


def test_engines_agree_on_a_scope():
    scope = Scope(n_low=1, n_act=2, max_actions=3, max_delay=1, name="t")
    a = m.explore(scope, engine="reference").drop(columns=[f"cx_{c}" for c in CLASSES])
    b = m.explore(scope, engine="numba").drop(columns=[f"cx_{c}" for c in CLASSES])
    assert a.equals(b)


def test_bad_input():
    with pytest.raises(ValueError, match="unknown scope"):
        m.explore("huge")
    with pytest.raises(ValueError, match="max_actions"):
        Scope(max_actions=0)
    with pytest.raises(ValueError, match="unknown protocol"):
        m.explore("ci", protocols=("mdcd-v9",))
    with pytest.raises(ValueError, match="action kinds"):
        Scope(actions=("teleport",))


def test_cli(tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert main(["explore", "--scope", "ci", "--protocols", "mdcd", "--engine", "reference",
                 "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "distinct traces" in text and out.exists()
    assert main(["explore", "--scope", "nope", "--quiet"]) == 2


def test_every_level_variant_is_clean_in_the_ci_scope():
    # the other end of the frontier of sound corrections (docs/protocol.md, section 6)
    df = m.explore("ci", protocols=(m.protocols.VARIANTS["mdcd-every-level"],))
    assert df["clean"].iloc[0] == df["traces"].iloc[0]
