"""Differential tests: the numba engine gives exactly the reference engine's numbers.

Every comparison goes through ``tests/engines.py::engines_agree``, which runs
``engine="reference"`` and ``engine="numba"`` by name and checks that each side
reached its engine.  The reference engine is 85-200 times slower than numba, so
the hypothesis examples are sized for it (a few runs of 50-300 rows each).
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from engines import engines_agree
from helpers import (
    NUMBA_SWITCHES,
    SWITCHES,
    assert_same,
    engine_scenarios,
    examples,
    protocols,
    switch_flags,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from mdcd_lab import Scenario, generate_traces, simulate
from mdcd_lab import api as m_api
from mdcd_lab.protocols import PROTOCOLS, Rules

#: Rule switches the numba engine does not implement (it refuses protocols that set them).
UNSUPPORTED = tuple(sorted(set(SWITCHES) - set(NUMBA_SWITCHES)))


def _supported(rules: Rules) -> bool:
    fields = {f.name: f for f in dataclasses.fields(Rules)}
    return all(getattr(rules, n) == fields[n].default for n in UNSUPPORTED)


PROTOCOL_NAMES = tuple(name for name, rules in PROTOCOLS.items() if _supported(rules))
REFUSED = tuple(name for name in PROTOCOLS if name not in PROTOCOL_NAMES)


@settings(max_examples=examples(80), deadline=None)
@given(s=engine_scenarios(), seed=st.integers(0, 2**63 - 1),
       protocol=protocols(PROTOCOL_NAMES))
def test_simulate_numba_equals_reference(s, seed, protocol):
    engines_agree(s, protocol, runs=6, seed=seed)


@settings(max_examples=examples(25), deadline=None)
@given(s=engine_scenarios(), seed=st.integers(0, 2**40), protocol=protocols(PROTOCOL_NAMES),
       first=st.integers(0, 2**40))
def test_replay_of_generated_traces(s, seed, protocol, first):
    engines_agree(s, protocol, trace=generate_traces(s, 4, seed, first_run=first))


def test_named_protocols_are_covered():
    assert set(PROTOCOL_NAMES) == set(PROTOCOLS) and REFUSED == ()


@settings(max_examples=examples(60), deadline=None)
@given(s=engine_scenarios(), seed=st.integers(0, 2**63 - 1), flags=switch_flags())
def test_unclustered_numba_equals_reference(s, seed, flags):
    """``mdcd-unclustered`` and its ablations: partners (n_low >= 2), absent shadows."""
    protocol = Rules(name="unclustered-ablation",
                     **dict(flags, unclustered=True, per_member_validation=False))
    for p in ("mdcd-unclustered", protocol):
        engines_agree(s, p, runs=6, seed=seed)


def test_unclustered_with_one_member_is_mdcd():
    s = Scenario(n_low=1, n_act=3, horizon=30.0, latency=0.5, shadow_lag=0.4,
                 fault_rate=0.02, at_coverage=0.8, rate_low_low=0.0, rate_sdw_sdw=0.0)
    a = simulate(s, 40, 5, protocol="mdcd-unclustered", engine="numba", progress=False)
    b = simulate(s, 40, 5, protocol="mdcd", engine="numba", progress=False)
    assert_same(a.drop(columns="protocol"), b.drop(columns="protocol"))


@dataclasses.dataclass(frozen=True)
class _FutureRules(Rules):
    """Rules with a switch the kernel does not know (as a later version might add)."""

    future_switch: bool = False


def test_unsupported_switches_are_refused():
    base = {f.name: getattr(PROTOCOLS["mdcd"], f.name) for f in dataclasses.fields(Rules)}
    s = Scenario(horizon=5.0)
    with pytest.raises(NotImplementedError, match="numba engine"):
        simulate(s, 2, 1, protocol=_FutureRules(**base, future_switch=True), engine="numba")
    # at its default value the switch changes nothing: accepted
    assert_same(simulate(s, 2, 1, protocol=_FutureRules(**base), engine="numba",
                         progress=False),
                simulate(s, 2, 1, protocol="mdcd", engine="numba", progress=False))
    # engine="auto" falls back to the reference engine for it (same numbers)
    assert not m_api.numba_supports(_FutureRules(**base, future_switch=True))


@settings(max_examples=examples(60), deadline=None)
@given(s=engine_scenarios(), seed=st.integers(0, 2**63 - 1),
       period=st.sampled_from([0.05, 0.13, 0.3, 0.5, 1.0, 2.0]), flags=switch_flags())
def test_coordinated_numba_equals_reference(s, seed, period, flags):
    """``coordinated`` (lines every ``period * horizon``, some at the horizon or at a
    row's time) and its ablations, with and without ``unclustered``."""
    s = dataclasses.replace(s, coord_period=s.horizon * period)
    protocol = Rules(name="coordinated-ablation",
                     **dict(flags, coordinated_ckpt=True, per_member_validation=False))
    for p in ("coordinated", protocol):
        engines_agree(s, p, runs=6, seed=seed)


def test_coordinated_line_at_a_row_time():
    """A line event at the same time as rows and deliveries: (time, push order) ties."""
    s = Scenario(n_low=2, n_act=2, horizon=5.0, at_coverage=0.9, fault_scope="cluster",
                 coord_period=1.0)
    rows = [r for name in sorted(HAND_TRACES) for r in HAND_TRACES[name]]
    trace = _trace(rows)
    for protocol in ("coordinated", dataclasses.replace(PROTOCOLS["coordinated"],
                                                        name="cu", unclustered=True)):
        engines_agree(s, protocol, trace=trace)


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_rich_scenario_many_runs(protocol):
    """Enough runs that every outcome and the oracle's counters occur."""
    s = Scenario(n_low=2, n_act=3, horizon=40.0, latency=0.8, shadow_lag=0.7, fault_rate=0.015,
                 at_coverage=0.8, compensation=0.2)
    fast = engines_agree(s, protocol, runs=150, seed=99)
    if protocol == "unguarded":   # no guarded operation: nothing is detected or logged
        assert set(fast["outcome"]) == {"completed", "failed"}
        assert (fast["phase"] == 1).all() and fast["n_logged"].eq(0).all()
        return
    assert set(fast["outcome"]) == {"completed", "failed", "recovered"}
    assert fast["log_entries_mean"].gt(0).any() and fast["rollback_dist_sum"].gt(0).any()
    if protocol == "coordinated":
        assert fast["n_replayed"].gt(0).any() and fast["n_resent"].gt(0).any()
    if protocol == "mdcd-unclustered":
        for col in ("orphans", "lost", "cascade", "unsafe_clean"):
            assert fast[col].gt(0).any(), col
    if protocol == "mdcd-paper":
        for col in ("orphans", "lost", "duplicates", "dup_outputs", "contaminated_restore",
                    "unsafe_clean", "cascade"):
            assert fast[col].gt(0).any(), col


# -- hand-written traces ------------------------------------------------------------------

def _trace(rows, with_draws=True):
    cols = ["run", "t", "kind", "src", "dst", "t_deliver", "u_at", "u_comp", "d_notify"]
    df = pd.DataFrame(rows, columns=cols)
    if not with_draws:
        df = df.drop(columns=["u_at", "u_comp", "d_notify"])
    return df


NAN = np.nan
HAND_TRACES = {
    # cluster message to act0 (with its twin), a validated output, then a fault and a
    # detected output: recovery with a rollback
    "recovery": [
        (0, 0.5, "send", "low0", "act0", 0.7, NAN, NAN, NAN),
        (0, 0.6, "send", "sdw0", "act0", NAN, NAN, NAN, NAN),
        (0, 1.0, "send", "act0", "act1", 1.2, NAN, NAN, NAN),
        (0, 1.5, "output", "act1", "", NAN, 0.3, 0.9, 0.2),
        (0, 2.0, "send", "low1", "act1", 2.5, NAN, NAN, NAN),
        (0, 2.1, "send", "sdw1", "act1", NAN, NAN, NAN, NAN),
        (0, 2.2, "output", "sdw1", "", NAN, NAN, NAN, NAN),
        (0, 2.3, "send", "act1", "low0", 2.4, NAN, NAN, NAN),
        (0, 3.0, "fault", "low0", "", NAN, NAN, NAN, NAN),
        (0, 3.5, "send", "low0", "act0", 3.6, NAN, NAN, NAN),
        (0, 3.8, "send", "act0", "act1", 3.9, NAN, NAN, NAN),
        (0, 4.0, "output", "low0", "", NAN, 0.1, 0.9, 0.0),
    ],
    # a second run, listed first, that fails: an undetected erroneous output
    "failure": [
        (7, 0.1, "fault", "low1", "", NAN, NAN, NAN, NAN),
        (7, 0.2, "send", "low1", "act0", 0.2, NAN, NAN, NAN),
        (7, 0.2, "send", "sdw0", "sdw1", 0.4, NAN, NAN, NAN),
        (7, 0.3, "output", "act0", "", NAN, 0.99, 0.5, 0.1),
        (7, 0.9, "send", "act0", "act1", 1.0, NAN, NAN, NAN),
        (2, 0.4, "send", "low0", "low1", 0.5, NAN, NAN, NAN),
        (2, 0.6, "output", "low0", "", NAN, 0.5, 0.5, 0.3),
        (2, 0.7, "send", "sdw0", "act1", NAN, NAN, NAN, NAN),
        (2, 0.8, "output", "sdw0", "", NAN, NAN, NAN, NAN),
    ],
    # equal times everywhere: deliveries due at a row's time go first, in push order
    "ties": [
        (3, 1.0, "send", "low0", "act0", 1.0, NAN, NAN, NAN),
        (3, 1.0, "send", "act0", "low1", 1.0, NAN, NAN, NAN),
        (3, 1.0, "send", "low1", "act1", 1.0, NAN, NAN, NAN),
        (3, 1.0, "output", "act0", "", NAN, 0.5, 0.5, 0.0),
        (3, 1.0, "fault", "low1", "", NAN, NAN, NAN, NAN),
        (3, 1.0, "send", "low1", "act0", 1.0, NAN, NAN, NAN),
        (3, 1.0, "output", "act0", "", NAN, 0.01, 0.5, 0.0),
        (3, 1.0, "output", "low1", "", NAN, 0.01, 0.9, 0.0),
    ],
}


@pytest.mark.parametrize("name", sorted(HAND_TRACES))
@pytest.mark.parametrize("with_draws", [True, False])
@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
@pytest.mark.parametrize("coverage,compensation", [(1.0, 0.0), (0.5, 0.0), (0.95, 0.7)])
def test_replay_hand_written(name, with_draws, protocol, coverage, compensation):
    s = Scenario(n_low=2, n_act=2, horizon=5.0, at_coverage=coverage,
                 compensation=compensation, fault_scope="process")
    trace = _trace(HAND_TRACES[name], with_draws)
    fast = engines_agree(s, protocol, trace=trace)
    assert (fast["seed"] == -1).all()


def test_replay_all_hand_written_together():
    s = Scenario(n_low=2, n_act=2, horizon=5.0, at_coverage=0.9, fault_scope="cluster")
    rows = [r for name in sorted(HAND_TRACES) for r in HAND_TRACES[name]]
    trace = _trace(rows)
    for protocol in PROTOCOL_NAMES:
        engines_agree(s, protocol, trace=trace)


def test_replay_empty_trace():
    s = Scenario()
    assert len(engines_agree(s, "mdcd", trace=_trace([]))) == 0


@pytest.mark.parametrize("protocol", ["mdcd", "mdcd-vector", "coordinated"])
def test_many_messages_in_flight(protocol, monkeypatch):
    """A channel delay twelve times the benchmark's: the numba engine's event heap passes
    from its sorted shape to the binary heap and back (``heap.heap_push``, past
    ``HEAP_SORTED_MAX`` items) and the two engines still agree."""
    import heapq

    from mdcd_lab.fast.kernels.layout import HEAP_SORTED_MAX
    from mdcd_lab.reference import state as ref_state

    largest = [0]

    class CountingHeapq:   # the reference's heap, its largest size noted
        heappop = staticmethod(heapq.heappop)

        @staticmethod
        def heappush(heap, item):
            heapq.heappush(heap, item)
            largest[0] = max(largest[0], len(heap))

    monkeypatch.setattr(ref_state, "heapq", CountingHeapq)
    s = Scenario(n_low=2, n_act=4, horizon=30.0, latency=6.0, shadow_lag=0.5,
                 fault_rate=0.01, at_coverage=0.8)
    engines_agree(s, protocol, runs=6, seed=7)
    assert largest[0] > 2 * HEAP_SORTED_MAX   # the heap shape was reached
