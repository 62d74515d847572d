"""The comparison helper reaches both engines, and fails when it does not (issue 18).

Since ``engine="auto"`` became the default, a comparison that omits ``engine=``
compares numba with numba.  These tests pin ``tests/engines.py``: its counters see
each engine's core, and a helper whose reference side silently runs on numba
(or the other way round) fails instead of passing.
"""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from engines import NUMBA, REFERENCE, engine_calls, engines_agree, explore_agree

import mdcd_lab as m
from mdcd_lab import api
from mdcd_lab.exploration import Scope

SC = m.Scenario(n_low=2, n_act=2, horizon=15.0, fault_rate=0.03, at_coverage=0.8,
                latency=0.3, shadow_lag=0.2)


def test_counters_see_each_engine_and_only_it():
    trace = m.generate_traces(SC, 3, 5)
    with engine_calls() as calls:
        m.simulate(SC, 4, 1, engine=REFERENCE)
    assert calls == {REFERENCE: 4}
    with engine_calls() as calls:
        m.replay(trace, SC, engine=REFERENCE)
    assert calls == {REFERENCE: 3}
    with engine_calls() as calls:
        m.simulate(SC, 4, 1, engine=NUMBA)
        m.replay(trace, SC, engine=NUMBA)
    assert calls[REFERENCE] == 0 and calls[NUMBA] == 2
    # the default: numba (which is why every comparison names both engines)
    with engine_calls() as calls:
        m.simulate(SC, 4, 1)
    assert calls[REFERENCE] == 0 and calls[NUMBA] == 1


def test_counters_restore_the_engines():
    before = (m.reference.engine.play_run, api.play_run,
              m.fast.kernels.drivers.simulate_chunk, m.fast.kernels.drivers.replay_runs)
    with engine_calls():
        assert api.play_run is not before[1]
    after = (m.reference.engine.play_run, api.play_run,
             m.fast.kernels.drivers.simulate_chunk, m.fast.kernels.drivers.replay_runs)
    assert all(a is b for a, b in zip(before, after, strict=True))


def test_engines_agree_reaches_both_engines():
    with engine_calls() as calls:
        df = engines_agree(SC, "mdcd", runs=5, seed=3)
    assert calls[REFERENCE] == 5 and calls[NUMBA] == 1 and len(df) == 5
    with engine_calls() as calls:
        engines_agree(SC, "mdcd-paper", trace=m.generate_traces(SC, 2, 9))
    assert calls[REFERENCE] == 2 and calls[NUMBA] == 1


@pytest.mark.parametrize("broken", ["reference->numba", "numba->reference", "auto"])
def test_engines_agree_fails_when_a_side_is_not_its_engine(monkeypatch, broken):
    """A helper hollowed out by a changed mapping of engine names fails, it does not pass."""
    real = api.resolve_engine

    def resolve(engine, protocols):
        if broken == "reference->numba" and engine == REFERENCE:
            return NUMBA
        if broken == "numba->reference" and engine == NUMBA:
            return REFERENCE
        if broken == "auto":       # every name means what "auto" means today: numba
            return real("auto", protocols)
        return real(engine, protocols)

    monkeypatch.setattr(api, "resolve_engine", resolve)
    with pytest.raises(AssertionError, match="did not reach the (reference|numba) engine"):
        engines_agree(SC, "mdcd", runs=3, seed=1)
    with pytest.raises(AssertionError, match="did not reach the (reference|numba) engine"):
        engines_agree(SC, "mdcd", trace=m.generate_traces(SC, 2, 1))


def test_engines_agree_names_both_engines_when_numbers_differ(monkeypatch):
    real = api.simulate

    def skewed(*args, **kwargs):
        df = real(*args, **kwargs)
        if kwargs.get("engine") == NUMBA:
            df.loc[0, "t_end"] = df.loc[0, "t_end"] + 1e-12   # one bit-level difference
        return df

    monkeypatch.setattr(m, "simulate", skewed)
    with pytest.raises(AssertionError, match='engine="reference" and engine="numba" differ'):
        engines_agree(SC, "mdcd", runs=3, seed=2)


def test_engines_agree_needs_runs_and_seed_or_a_trace():
    with pytest.raises(TypeError, match="runs and seed"):
        engines_agree(SC, "mdcd", runs=3)


def test_explore_agree_reaches_both_engines():
    scope = Scope(n_low=1, n_act=1, max_actions=2, max_delay=0, name="tiny")
    with engine_calls() as calls:
        df = explore_agree(scope, protocols=("mdcd-paper",))
    assert calls[REFERENCE] > 0 and calls[NUMBA] > 0
    assert isinstance(df, pd.DataFrame) and list(df["protocol"]) == ["mdcd-paper"]


def test_a_module_imported_inside_the_block_gets_the_original_back():
    """``mdcd_lab`` imports lazily: a module first imported while :func:`engine_calls`
    runs binds the wrapper (``from .reference.engine import play_run``).  The block
    gives it the original back, or the next block, which patches the holders of the
    original only, would not count the runs played through it (found by mutation
    testing, issue 18: a simulate after a replay "did not reach the reference engine")."""
    import types

    from mdcd_lab.reference import engine as ref_engine
    original = ref_engine.play_run
    late = types.ModuleType("mdcd_lab._imported_in_the_block")
    sys.modules[late.__name__] = late
    try:
        with engine_calls():
            late.play_run = ref_engine.play_run     # what a lazy import binds here
            assert late.play_run is not original
        assert late.play_run is original
        with engine_calls():
            assert late.play_run is not original    # patched again: its calls are counted
    finally:
        del sys.modules[late.__name__]
