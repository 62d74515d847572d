"""``mdcd-vector``: per-member validation (docs/protocol.md, section 8).

A cluster member numbers its own messages to G_act, levels are vectors with one
counter per member, and a passed AT of ``low_i`` validates only what ``low_i``'s
correct state vouches for.  The traces below are the smallest that show each rule.
"""

import numpy as np
import pytest
from engines import engines_agree
from helpers import examples, safety_scenarios
from hypothesis import given, settings
from hypothesis import strategies as st

import mdcd_lab as m
from mdcd_lab.constants import PIGGYBACK_COUNTER_BYTES, PIGGYBACK_FLAG_BYTES
from mdcd_lab.fast.engine import scenario_params
from mdcd_lab.fast.kernels import layout, levels
from mdcd_lab.metrics import VIOLATIONS
from mdcd_lab.protocols import PROTOCOLS, Rules
from mdcd_lab.reference.levels import SCALAR, VectorLevels

ENGINES = ("reference", "numba")
SC = m.Scenario(n_low=2, n_act=2, at_coverage=1.0, fault_scope="process", horizon=30.0)
# docs/protocol.md, section 7: low1's passed AT "validates" low0's erroneous message
CROSS_MEMBER = [
    ("fault", 1.0, "low0"),          # only low0 becomes erroneous
    ("send", 2.0, "low0", "act0"),   # mdcd: level 1; mdcd-vector: (1, 0), erroneous
    ("output", 3.0, "low1"),         # low1 is correct: passed AT, level 1 / (0, 0)
    ("output", 4.0, "act0"),         # mdcd: act0 clean, no AT, failed; vector: AT fails
]


def _one(rows, sc, protocol, engine):
    return m.replay(m.trace_from_rows(rows), sc, protocol=protocol, engine=engine).iloc[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_cross_member_trace(engine):
    bad = _one(CROSS_MEMBER, SC, "mdcd", engine)
    assert bad["outcome"] == "failed" and bad["unsafe_clean"] == 1
    res = _one(CROSS_MEMBER, SC, "mdcd-vector", engine)
    # low1's notification carries (0, 0): act0 keeps its checkpoint, stays dirty, its
    # output's AT fails (row 4) and the recovery rolls it back to before message 1
    assert res["outcome"] == "recovered" and res["t_detect"] == 4.0
    assert res[list(VIOLATIONS)].sum() == 0
    assert res["rollback_procs"] == 1 and res["n_at"] == 2 and res["n_at_passed"] == 1
    # the shadow has not made twin 1 yet: it will send it (not suppress it)
    assert res["n_suppressed"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_members_view_validates_what_reached_it(engine):
    rows = [
        ("send", 1.0, "low0", "act0"),   # (1, 0), correct
        ("send", 2.0, "low0", "low1"),   # low1's view becomes (1, 0)
        ("fault", 3.0, "low0"),
        ("output", 4.0, "low1"),         # passed AT: "passed AT" (1, 0)
        ("output", 5.0, "act0"),         # act0 absorbed only (1, 0): clean, no AT
    ]
    res = _one(rows, SC, "mdcd-vector", engine)
    assert res["outcome"] == "completed" and res[list(VIOLATIONS)].sum() == 0
    assert res["n_at"] == 1   # act0's output needed no AT: low1 vouched for message 1
    # without the low0 -> low1 message, low1's AT vouches for nothing of low0's
    res = _one([rows[0], rows[2], rows[3], rows[4]], SC, "mdcd-vector", engine)
    assert res["n_at"] == 2 and res["n_at_passed"] == 2 and res["outcome"] == "completed"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_member_contaminated_by_another_validates_nothing(engine):
    rows = [
        ("send", 1.0, "low0", "act0"),   # (1, 0), correct
        ("fault", 2.0, "low0"),
        ("send", 3.0, "low0", "low1"),   # erroneous: low1 is contaminated
        ("output", 4.0, "low1"),         # its AT fails: recovery
    ]
    res = _one(rows, SC, "mdcd-vector", engine)
    assert res["outcome"] == "recovered" and res["n_at_passed"] == 0
    assert res[list(VIOLATIONS)].sum() == 0


def test_levels_in_the_event_log_are_vectors():
    _tr, ev, _res = m.run_events(SC, 0, 0, "mdcd-vector", trace=m.trace_from_rows(CROSS_MEMBER))
    send = ev[ev["event"] == "send"].iloc[0]
    assert send["level"] == (1, 0)
    notify = ev[ev["event"] == "notify"].iloc[0]
    assert notify["level"] == (0, 0) and notify["proc"] == "low1"
    _tr, ev0, _res = m.run_events(SC, 0, 0, "mdcd", trace=m.trace_from_rows(CROSS_MEMBER))
    assert ev0["level"].dtype == np.int64


@pytest.mark.parametrize("engine", ENGINES)
def test_piggyback_bytes(engine):
    sc = m.Scenario(n_low=3, n_act=2, at_coverage=1.0, horizon=30.0)
    rows = [
        ("send", 1.0, "low0", "act0"),   # vector: member + number; scalar: one counter
        ("send", 2.0, "act0", "act1"),   # vector: 3 counters
        ("send", 3.0, "act1", "low2"),   # delivered to low2 and sdw2: two messages
        ("send", 4.0, "low1", "low2"),   # inside the cluster: low1's view
    ]
    f, c = PIGGYBACK_FLAG_BYTES, PIGGYBACK_COUNTER_BYTES
    for protocol, expected in (("mdcd", 5 * (f + c)),
                               ("mdcd-vector", (f + 2 * c) + 4 * (f + 3 * c))):
        res = _one(rows, sc, protocol, engine)
        assert res["n_app_msgs"] == 5
        assert res["piggyback_bytes"] == expected, protocol


@pytest.mark.parametrize("scope", ["cluster", "process"])
def test_both_engines_agree(scope):
    for n_low in (1, 2, 4):
        sc = m.Scenario(n_low=n_low, n_act=3, horizon=40.0, fault_rate=0.03,
                        fault_scope=scope, at_coverage=0.95, latency=0.3, shadow_lag=0.4,
                        compensation=0.3)
        a = engines_agree(sc, "mdcd-vector", runs=80, seed=11)
        assert (a["outcome"] == "recovered").sum() > 0


def test_many_members_fit_the_kernel_pool():
    sc = m.Scenario(n_low=12, n_act=4, horizon=10.0, fault_rate=0.02,
                    fault_scope="process", at_coverage=1.0)
    engines_agree(sc, "mdcd-vector", runs=20, seed=3)


@settings(max_examples=examples(120), deadline=None)
@given(sc=safety_scenarios(scope="process"), seed=st.integers(0, 2**32 - 1),
       scope=st.sampled_from(["cluster", "process"]))
def test_mdcd_vector_is_safe_under_both_fault_scopes(sc, seed, scope):
    df = m.simulate(sc.replace(fault_scope=scope), 4, seed, protocol="mdcd-vector",
                    engine="numba")
    assert not (df["outcome"] == "failed").any()
    assert df[[*VIOLATIONS, "dup_outputs"]].to_numpy().sum() == 0


def test_rules_refuse_switches_it_does_not_work_with():
    with pytest.raises(ValueError, match="outputs_by_count"):
        Rules("x", True, True, True, True, False, True, per_member_validation=True)
    assert PROTOCOLS["mdcd-vector"].per_member_validation
    assert "mdcd-vector" in m.protocol_names()


# -- the level algebra: vectors against a naive reference, kernel against reference ----
vecs = st.lists(st.integers(0, 6), min_size=3, max_size=3).map(tuple)


@given(a=vecs, b=vecs, c=vecs)
def test_vector_levels_are_a_join_semilattice(a, b, c):
    lv = VectorLevels(3)
    j = lv.join(a, b)
    assert lv.leq(a, j) and lv.leq(b, j)                       # an upper bound
    assert (not (lv.leq(a, c) and lv.leq(b, c))) or lv.leq(j, c)   # the least one
    assert lv.leq(a, b) == all(x <= y for x, y in zip(a, b, strict=True))
    assert lv.excess(a, b) == sum(max(0, x - y) for x, y in zip(a, b, strict=True))
    assert lv.leq(lv.zero, a) and lv.unit(1, 4) == (0, 4, 0)


def test_vector_levels_refuse_another_length_and_size_the_piggyback():
    """Levels of different lengths are a bug, never a silent truncation; the piggyback
    of a message without a member number carries ``n`` counters (docs/metrics.md)."""
    lv = VectorLevels(3)
    for op in (lv.leq, lv.join, lv.excess):
        with pytest.raises(ValueError):
            op((1, 2, 3), (1, 2))
    f, c = PIGGYBACK_FLAG_BYTES, PIGGYBACK_COUNTER_BYTES
    assert lv.piggyback_bytes() == lv.piggyback_bytes(numbered=False) == f + 3 * c
    assert lv.piggyback_bytes(numbered=True) == f + 2 * c
    assert SCALAR.piggyback_bytes() == SCALAR.piggyback_bytes(numbered=True) == f + c


@given(a=st.integers(0, 50), b=st.integers(0, 50))
def test_scalar_levels_are_the_papers(a, b):
    assert SCALAR.leq(a, b) == (a <= b) and SCALAR.join(a, b) == max(a, b)
    assert SCALAR.excess(a, b) == max(0, a - b)


@settings(max_examples=60, deadline=None)
@given(a=vecs, b=vecs)
def test_kernel_levels_match_the_reference(a, b):
    fp, ip = scenario_params(m.Scenario(n_low=3, n_act=1), "mdcd-vector")
    I, _D = layout.alloc_state(fp, ip, 16)
    levels.lv_reset(I)
    ha = levels.lv_owned(I, 0, layout.LV_LEVEL)
    for i, x in enumerate(a):
        levels.lv_set(I, ha, i, x)
    hb = levels.lv_snap(I, ha)
    for i, x in enumerate(b):
        levels.lv_set(I, hb, i, x)
    lv = VectorLevels(3)
    assert levels.lv_leq(I, ha, hb) == lv.leq(a, b)
    assert levels.lv_excess(I, ha, hb) == lv.excess(a, b)
    snap = levels.lv_snap(I, ha)
    assert levels.lv_join(I, ha, hb) == ha   # in place, into the owned row
    assert tuple(levels.lv_get(I, ha, i) for i in range(3)) == lv.join(a, b)
    assert tuple(levels.lv_get(I, snap, i) for i in range(3)) == a   # a snapshot stays
    u = levels.lv_unit(I, 2, 5)
    assert tuple(levels.lv_get(I, u, i) for i in range(3)) == lv.unit(2, 5)


def test_a_twin_from_the_wrong_shadow_is_refused():
    rows = [("send", 1.0, "low0", "act0"), ("send", 2.0, "sdw1", "act0")]
    with pytest.raises(ValueError, match=r"row 1 is twin 1 from sdw1.*low0"):
        m.replay(m.trace_from_rows(rows), SC, protocol="mdcd-vector")
    m.replay(m.trace_from_rows(rows), SC, protocol="mdcd")   # the shared counter: fine
    with pytest.raises(ValueError, match=r"row 1 is twin 1 from sdw1"):
        m.run_events(SC, 0, 0, "mdcd-vector", trace=m.trace_from_rows(rows))
