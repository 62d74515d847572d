"""Bounded exhaustive exploration (docs/explore.md)."""

import pandas as pd
import pytest
from engines import explore_agree

import mdcd_lab as m
from mdcd_lab.cli import main
from mdcd_lab.constants import KIND_FAULT, KIND_OUTPUT, KIND_SEND
from mdcd_lab.exploration import ACTIONS, CLASSES, SCOPES, Scope, scope_scenario, walk
from mdcd_lab.exploration.verdicts import _Batch, _replay_batch
from mdcd_lab.metrics import VIOLATIONS


def traces_of(scope, reduce=True, fault_scope="cluster", comp=False, partners=False):
    out = []
    walk(scope, fault_scope, comp, lambda rows, ended: out.append(list(rows)), reduce, partners)
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


def test_internal_actions_by_hand():
    # low->low only, two members, up to two actions.  Reduced: the word (low0->low1),
    # 1 trace; (low0->low1, low0->low1), 1 order (the second send and the first
    # delivery touch different members); (low0->low1, low1->low0), 2 orders (low1
    # receives before or after it sends; the two deliveries then commute).
    # Unreduced: 2 words of one action; 4 of two, where a channel used twice has 2
    # orders (FIFO) and two opposite channels 3.
    scope = Scope(n_low=2, n_act=1, max_actions=2, actions=("low_low",))
    assert len(traces_of(scope)) == 1 + 1 + 2
    assert len(traces_of(scope, reduce=False)) == 2 + 2 * 2 + 2 * 3
    one = Scope(n_low=2, n_act=1, max_actions=1, actions=("low_low", "sdw_sdw"))
    # low0 -> low1 (send at 1, delivered at 2) and sdw0 -> sdw1 (processes 0, 1: low;
    # 2: act0; 3, 4: sdw)
    assert sorted(traces_of(one), key=lambda t: t[0][2]) == [
        [(1.0, KIND_SEND, 0, 1, 2.0, 0.5, 0.75, 0.0)],
        [(1.0, KIND_SEND, 3, 4, 2.0, 0.5, 0.75, 0.0)]]
    # a member alone has no internal traffic: the kinds are dropped
    assert Scope(n_low=1, actions=ACTIONS).actions == ("low_act", "act_act", "act_low",
                                                       "output", "fault")
    with pytest.raises(ValueError, match="repeated"):
        Scope(actions=("low_act", "low_act"))


def test_a_fault_names_its_member_only_under_process():
    # "process": the fault taints its member only, so a fault in low0 followed by a
    # (correct) output of low1 is a word of its own; "cluster": every member is
    # tainted, the member is immaterial and the symmetry keeps the fault anonymous.
    scope = Scope(n_low=2, n_act=1, max_actions=2, actions=("fault", "output"))

    def other_member_after_fault(trs):
        return any(t[0][1] == KIND_FAULT and t[0][2] == 0 and any(
            r[1] == KIND_OUTPUT and r[2] == 1 for r in t) for t in trs)

    assert other_member_after_fault(traces_of(scope, fault_scope="process"))
    assert not other_member_after_fault(traces_of(scope, fault_scope="cluster"))


def test_internal_actions_appear_and_replay():
    # Every walked trace with internal traffic is a valid trace: low->low and
    # sdw->sdw sends carry their delivery time, a low->low delivery does not reach
    # the shadow, and the default action set has no internal traffic.
    scope = Scope(n_low=2, n_act=1, max_actions=3, max_delay=1, actions=ACTIONS)
    trs = traces_of(scope, fault_scope="process")
    # processes: low0, low1 = 0, 1; act0 = 2; sdw0, sdw1 = 3, 4
    low_low = [r for t in trs for r in t if r[1] == KIND_SEND and r[2] < 2 and 0 <= r[3] < 2]
    sdw_sdw = [r for t in trs for r in t if r[1] == KIND_SEND and r[2] >= 3 and r[3] >= 3]
    assert low_low and sdw_sdw
    assert all(r[0] < r[4] < 1000 or r[4] == 1000 for r in low_low + sdw_sdw)
    assert any(r[4] < 1000 for r in low_low) and any(r[4] < 1000 for r in sdw_sdw)
    b = _Batch()
    for t in trs:
        b.add(t)
    df = _replay_batch(b, scope_scenario(scope, "process"), m.protocols.get_rules("mdcd"),
                       "numba")
    assert len(df) == len(trs) and (df["outcome"] == "recovered").any()
    plain = traces_of(Scope(n_low=2, n_act=1, max_actions=3, max_delay=1))
    assert not any(r[1] == KIND_SEND and (r[2] < 2 and 0 <= r[3] < 2 or r[2] >= 3 and r[3] >= 3)
                   for t in plain for r in t)


def _canonical_word(trace, n_low, n_act, fault_scope, rename_low=True):
    """The action word of a trace with processes renamed in order of first mention.

    Under ``fault_scope="cluster"`` a fault taints every member: its member is no name.
    ``rename_low=False`` keeps the members' own names.
    """
    first_sdw = n_low + n_act
    names: dict = {}

    def name(p):
        g, i = ("l", p) if p < n_low else ("a", p - n_low) if p < first_sdw else (
            "l", p - first_sdw)
        key = (g, i)
        if g == "l" and not rename_low:
            return (g, i, p >= first_sdw)
        if key not in names:
            names[key] = sum(1 for k in names if k[0] == g)
        return (g, names[key], p >= first_sdw)

    word = []
    for _t, kind, src, dst, *_ in trace:
        twin = src >= first_sdw and (kind == KIND_OUTPUT or dst < first_sdw)
        if kind == KIND_FAULT and fault_scope == "cluster":
            word.append((int(kind), None, None))
        elif not twin:
            word.append((int(kind), name(src), name(dst) if dst >= 0 else None))
    return tuple(word)


@pytest.mark.parametrize("scope,fs", [
    (Scope(n_low=1, n_act=2, max_actions=3, name="t"), "cluster"),
    (Scope(n_low=2, n_act=1, max_actions=3, max_delay=1, actions=ACTIONS, name="t"),
     "cluster"),
    (Scope(n_low=2, n_act=1, max_actions=3, max_delay=1, actions=ACTIONS, name="t"),
     "process"),
])
@pytest.mark.explore
def test_reductions_lose_no_behaviour(scope, fs):
    # Symmetry (renaming) and sleep sets only drop traces equivalent to a kept one:
    # for every action word (up to renaming), the set of outcomes of its
    # interleavings is the same with and without them, under every registered
    # protocol (numba engine; the engines agree bit for bit).  With internal traffic
    # and under both fault scopes.
    full = traces_of(scope, reduce=False, fault_scope=fs)
    sc = scope_scenario(scope, fs)
    cols = ["outcome", *VIOLATIONS, "dup_outputs", "rollback_procs", "n_replayed", "n_resent",
            "n_suppressed", "ckpt_act", "ckpt_sdw"]
    for proto in m.protocol_names():
        # the members of mdcd-unclustered are not interchangeable (explore() does this)
        partners = m.protocols.get_rules(proto).unclustered and scope.n_low > 1
        red = traces_of(scope, fault_scope=fs, partners=partners)
        assert len(red) < len(full) / (2 if partners else 3)
        words = [[_canonical_word(t, scope.n_low, scope.n_act, fs, not partners) for t in trs]
                 for trs in (red, full)]
        assert set(words[0]) == set(words[1])
        got = []
        for trs, ws in zip((red, full), words, strict=True):
            b = _Batch()
            for t in trs:
                b.add(t)
            df = _replay_batch(b, sc, m.protocols.get_rules(proto), "numba")
            got.append({(w, *r) for w, r in zip(ws, df[cols].astype(str).itertuples(
                index=False), strict=True)})
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
@pytest.mark.explore
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


@pytest.mark.parametrize("scope", ["ci", "lag", "comp"])
@pytest.mark.explore
def test_mdcd_and_mdcd_vector_are_clean_with_executed_recovery(scope):
    # Issue 21: with recovery executed as events (the default; the walk enumerates the
    # recovery notice's interleavings too), mdcd and mdcd-vector have no failure and no
    # violation on any trace of the scope, and recoveries do happen; mdcd-paper breaks.
    df = m.explore(scope, protocols=("mdcd", "mdcd-vector", "mdcd-paper"))
    assert m.Scenario().recovery == "executed"
    for _, row in df.iterrows():
        bad = {c: int(row[c]) for c in CLASSES if row[c]}
        if row["protocol"] == "mdcd-paper":
            assert bad, (scope, row["compensation"])
        else:
            assert not bad and row["clean"] == row["traces"] > 30_000, (row["protocol"], bad)
            assert row["recovered"] > 1000


@pytest.mark.parametrize("scope", [
    Scope(n_low=1, n_act=2, max_actions=3, max_delay=1, name="t"),
    Scope(n_low=2, n_act=1, max_actions=3, max_delay=1, actions=ACTIONS,
          fault_scopes=("cluster", "process"), name="t"),
])
@pytest.mark.explore
def test_engines_agree_on_a_scope(scope):
    explore_agree(scope)       # the verdicts and the counterexamples, bit for bit


@pytest.mark.explore
def test_ci2_scope():
    # Two members, traffic inside G_low and G_sdw, delays of one action, both fault
    # scopes: mdcd is clean on every trace under "cluster" and breaks under "process"
    # (docs/protocol.md, section 7).  The smallest counterexamples replay to their
    # class through the public API on both engines.
    scope = SCOPES["ci2"]
    assert {"low_low", "sdw_sdw"} <= set(scope.actions) and scope.n_low == 2
    df = m.explore("ci2", protocols=("mdcd", "mdcd-paper"))
    assert list(zip(df["fault_scope"], df["protocol"], strict=True)) == [
        ("cluster", "mdcd"), ("cluster", "mdcd-paper"),
        ("process", "mdcd"), ("process", "mdcd-paper")]
    cl, pr = df.iloc[0], df.iloc[2]
    assert cl["traces"] > 200_000 and pr["traces"] > cl["traces"]
    assert all(cl[c] == 0 for c in CLASSES) and cl["clean"] == cl["traces"]
    assert cl["recovered"] > 0 and pr["recovered"] > 0
    assert pr["failed"] > 0 and pr["unsafe_clean"] > 0 and pr["clean"] < pr["traces"]
    sc = scope_scenario(scope, "process")
    for c in ("failed", "unsafe_clean"):
        cx = pr[f"cx_{c}"]
        assert {"low0", "low1"} <= set(cx["src"])   # a cross-member break
        for engine in ("reference", "numba"):
            res = m.replay(cx, sc, "mdcd", engine=engine).iloc[0]
            assert (res["outcome"] == "failed") if c == "failed" else res[c] > 0
        # the same trace is harmless when the fault taints the whole cluster
        ok = m.replay(cx, scope_scenario(scope, "cluster"), "mdcd")
        assert ok[[*VIOLATIONS, "dup_outputs"]].to_numpy().sum() == 0
        assert ok["outcome"].iloc[0] != "failed"


@pytest.mark.explore
def test_low3ll_a_break_through_low_low_traffic():
    # Three members, no delay: under "process" mdcd breaks on a trace that needs its
    # low -> low message (python benchmarks/explore_scopes.py --internal low3ll):
    # low0's fault reaches low1 through the new interface, low1's erroneous message
    # to act0 is then "validated" by low2's passed AT.  Without the low -> low row,
    # or under "cluster", the same trace is clean.
    df = m.explore("low3ll", protocols="mdcd")
    cl, pr = df.iloc[0], df.iloc[1]
    assert cl["clean"] == cl["traces"] and pr["unsafe_clean"] > 0
    rows = [("fault", 1.0, "low0"), ("send", 2.0, "low0", "low1", 3.0),
            ("send", 4.0, "low1", "act0", 5.0), ("send", 6.0, "sdw1", "act0"),
            ("output", 7.0, "low2", 0.5, 0.75, 1.0), ("output", 9.0, "sdw2")]
    scope = SCOPES["low3ll"]
    cols = [*VIOLATIONS, "dup_outputs"]
    for engine in ("reference", "numba"):
        bad = m.replay(m.trace_from_rows(rows), scope_scenario(scope, "process"), "mdcd",
                       engine=engine).iloc[0]
        assert bad["unsafe_clean"] > 0 and bad["outcome"] == "completed"
    no_ll = m.replay(m.trace_from_rows([r for r in rows if r[2:4] != ("low0", "low1")]),
                     scope_scenario(scope, "process"), "mdcd")
    assert no_ll[cols].to_numpy().sum() == 0
    ok = m.replay(m.trace_from_rows(rows), scope_scenario(scope, "cluster"), "mdcd")
    assert ok[cols].to_numpy().sum() == 0 and ok["outcome"].iloc[0] != "failed"


@pytest.mark.parametrize("scope", ["ci2", "low3ll"])
@pytest.mark.explore
def test_mdcd_vector_is_clean_in_the_per_member_scopes(scope):
    # issue 12's "done when": per-member validation is clean under both fault scopes
    # in the per-member scopes (docs/protocol.md, section 8)
    df = m.explore(scope, protocols="mdcd-vector")
    assert list(df["fault_scope"]) == ["cluster", "process"]
    assert (df["clean"] == df["traces"]).all() and (df["recovered"] > 0).all()


@pytest.mark.explore
def test_explore_takes_any_protocol():
    # names of protocol_names() and VARIANTS, Rules objects, "all": nothing is hard-coded
    scope = Scope(n_low=1, n_act=1, max_actions=2, name="t")
    df = m.explore(scope, protocols="all")
    assert tuple(df["protocol"]) == m.protocol_names()
    # mdcd-unclustered gets a walk without member symmetry of its own; the counts of
    # the others do not depend on its company
    two = Scope(n_low=2, n_act=1, max_actions=2, actions=ACTIONS, name="t")
    df = m.explore(two, protocols=("mdcd", "mdcd-unclustered"))
    alone = m.explore(two, protocols="mdcd")
    assert df["traces"].iloc[0] == alone["traces"].iloc[0] < df["traces"].iloc[1]
    assert df.drop(columns=[f"cx_{c}" for c in CLASSES]).iloc[[0]].equals(
        alone.drop(columns=[f"cx_{c}" for c in CLASSES]))
    df = m.explore(scope, protocols=("mdcd-every-level",
                                     m.protocols.VARIANTS["paper-index-before"]))
    assert list(df["protocol"]) == ["mdcd-every-level", "paper-index-before"]
    with pytest.raises(ValueError, match="repeated"):
        m.explore(scope, protocols=("mdcd", "mdcd"))


def test_bad_input():
    with pytest.raises(ValueError, match="unknown scope"):
        m.explore("huge")
    with pytest.raises(ValueError, match="max_actions"):
        Scope(max_actions=0)
    with pytest.raises(ValueError, match="unknown protocol"):
        m.explore("ci", protocols=("mdcd-v9",))
    with pytest.raises(ValueError, match="action kinds"):
        Scope(actions=("teleport",))


@pytest.mark.explore
def test_cli(tmp_path, capsys):
    out = tmp_path / "x.csv"
    # the command line on the numba engine (the engines' verdicts agree: explore_agree);
    # --engine auto means numba wherever it implements the protocols
    assert main(["explore", "--scope", "ci", "--protocols", "mdcd", "--engine", "auto",
                 "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "distinct traces" in text and "s on the numba engine" in text and out.exists()
    assert main(["explore", "--scope", "nope", "--quiet"]) == 2
    all_csv = tmp_path / "all.csv"
    assert main(["explore", "--scope", "ci", "--protocols", "all", "--out", str(all_csv),
                 "--quiet"]) == 0
    assert list(pd.read_csv(all_csv)["protocol"]) == list(m.protocol_names())


@pytest.mark.explore
def test_every_level_variant_is_clean_in_the_ci_scope():
    # the other end of the frontier of sound corrections (docs/protocol.md, section 6)
    df = m.explore("ci", protocols=(m.protocols.VARIANTS["mdcd-every-level"],))
    assert df["clean"].iloc[0] == df["traces"].iloc[0]
