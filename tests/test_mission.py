"""Mission runs (docs/performability.md): guarded operation on [0, horizon], then the
unguarded phase until ``Scenario.mission``; the ``"unguarded"`` protocol."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from engines import engines_agree
from helpers import assert_same, compatible, engine_scenarios, examples, switch_flags
from hypothesis import given, settings
from hypothesis import strategies as st

from mdcd_lab import Scenario, generate_traces, replay, run_events, simulate, trace_from_rows
from mdcd_lab.protocols import PROTOCOLS, Rules

#: the trace means, which average over t <= horizon with or without a mission (issue 22)
TRACE_MEANS = ("delivery_delay_mean", "twin_offset_mean")
#: columns a mission changes for a run that reaches the horizon
MISSION_COLUMNS = ("outcome", "t_end", "n_events", "t_fault", "t_fail", "phase")


@settings(max_examples=examples(60), deadline=None)
@given(s=engine_scenarios(), seed=st.integers(0, 2**63 - 1),
       factor=st.sampled_from([1.0, 1.5, 3.0, 6.0]),
       protocol=st.one_of(st.sampled_from(tuple(PROTOCOLS)), switch_flags().map(
           lambda f: Rules(name="ablation", **compatible(f)))))
def test_mission_numba_equals_reference(s, seed, factor, protocol):
    s = dataclasses.replace(s, mission=s.horizon * factor)
    engines_agree(s, protocol, runs=5, seed=seed)


@pytest.mark.parametrize("protocol", tuple(PROTOCOLS))
def test_guarded_part_is_the_horizon_run(protocol):
    """Prefix property: the mission run's guarded part is the run without a mission."""
    s = Scenario(n_low=2, n_act=3, horizon=30.0, latency=0.4, shadow_lag=0.5,
                 fault_rate=0.01, at_coverage=0.85, compensation=0.2)
    plain = simulate(s, 120, 5, protocol=protocol, engine="numba")
    mission = simulate(s.replace(mission=200.0), 120, 5, protocol=protocol, engine="numba")
    same = [c for c in plain.columns if c not in MISSION_COLUMNS]
    assert_same(plain[same], mission[same])
    guarded = mission["phase"] == 0
    # a run that ends in the guarded phase is the horizon run, the trace means too
    assert all(c in same for c in TRACE_MEANS)
    own = list(plain.columns)
    assert_same(plain.loc[guarded, own].reset_index(drop=True),
                mission.loc[guarded, own].reset_index(drop=True))
    later = mission[~guarded]
    assert (later.loc[later.outcome == "completed", "t_end"] == 200.0).all()
    assert mission["t_fail"].isna().eq(mission["outcome"] != "failed").all()
    if protocol == "unguarded":   # all unguarded: the same until the run fails
        early = plain["outcome"] == "failed"
        assert 0 < early.sum() < len(plain)
        assert_same(plain.loc[early, own].reset_index(drop=True),
                    mission.loc[early, own].reset_index(drop=True))
        return
    assert (plain.loc[~guarded, "outcome"] == "completed").all()
    assert (plain.loc[~guarded, "t_end"] == 30.0).all()
    assert set(later["outcome"]) == {"completed", "failed"}
    assert 0 < guarded.sum() < len(mission)
    failed = later[later.outcome == "failed"]
    assert (failed["t_fail"] == failed["t_end"]).all() and (failed["t_end"] > 30.0).all()


def test_mission_zero_changes_nothing():
    s = Scenario(horizon=20.0, fault_rate=0.02)
    a = simulate(s, 30, 3, engine="numba")
    b = simulate(s.replace(mission=20.0), 30, 3, engine="numba")
    assert_same(a, b)
    assert (a["phase"] == 0).all() and (a["t_guarded"] == a["t_end"]).all()


def test_trace_prefix_property():
    s = Scenario(horizon=15.0, latency=0.3, shadow_lag=2.5)
    short = generate_traces(s, 4, 9)
    long = generate_traces(s.replace(mission=60.0), 4, 9)
    cut = long[long["t"] <= 15.0].reset_index(drop=True)
    pd.testing.assert_frame_equal(short, cut)   # twins included (shadow_lag > 0)
    assert long["t"].max() > 50.0


def test_mission_validation():
    with pytest.raises(ValueError, match="mission must be 0"):
        Scenario(horizon=50.0, mission=40.0)
    with pytest.raises(ValueError, match="mission"):
        Scenario(mission=-1.0)
    s = Scenario(n_low=1, n_act=1, horizon=2.0, rate_low_low=0.0, rate_sdw_sdw=0.0,
                 rate_act_act=0.0)
    tr = trace_from_rows([("output", 3.0, "low0")])
    with pytest.raises(ValueError, match="beyond the horizon 2"):
        replay(tr, s)
    with pytest.raises(ValueError, match="beyond the mission 2.5"):
        replay(tr, s.replace(mission=2.5))


S1 = Scenario(n_low=1, n_act=2, horizon=2.0, mission=10.0, rate_low_low=0.0, rate_sdw_sdw=0.0,
              at_coverage=1.0)


@pytest.mark.parametrize("engine", ["reference", "numba"])
def test_unguarded_rules_by_hand(engine):
    """Latent errors at phi and faults after it count; shadows are retired."""
    runs = {
        # fault while guarded, its erroneous message to act0 still in transit at phi:
        # act0's output after phi fails the mission
        0: [("fault", 1.0, "low0"), ("send", 1.5, "low0", "act0", 4.0),
            ("send", 1.5, "sdw0", "act0"), ("output", 3.0, "act0"),
            ("output", 5.0, "act1"), ("output", 6.0, "act0")],
        # a fault after phi, then an erroneous cluster output: failed at 7
        1: [("output", 1.0, "low0"), ("fault", 4.0, "low0"), ("output", 4.5, "act0"),
            ("output", 4.6, "sdw0"), ("output", 7.0, "low0")],
        # nothing erroneous reaches the device: completed at the mission's end
        2: [("send", 1.0, "act0", "low0"), ("fault", 9.0, "low0"), ("output", 9.5, "act1")],
        # a fault and a detected output while guarded: recovered at 1.5
        3: [("fault", 1.0, "low0"), ("output", 1.5, "low0"), ("output", 3.0, "low0")],
    }
    trace = pd.concat([trace_from_rows(rows, run=r) for r, rows in runs.items()],
                      ignore_index=True)
    df = replay(trace, S1, "mdcd", engine=engine).set_index("run")
    assert list(df["outcome"]) == ["failed", "failed", "completed", "recovered"]
    assert list(df["t_end"]) == [6.0, 7.0, 10.0, 1.5]
    assert list(df["phase"]) == [1, 1, 1, 0]
    assert list(df["t_guarded"]) == [2.0, 2.0, 2.0, 1.5]
    assert df.loc[1, "t_fault"] == 4.0 and df.loc[0, "t_fault"] == 1.0
    assert list(df["n_events"]) == [6, 5, 3, 2]
    ung = replay(trace, S1, "unguarded", engine=engine).set_index("run")
    # without guarded operation run 3 fails at its first output, run 1 at 7
    assert list(ung["outcome"]) == ["failed", "failed", "completed", "failed"]
    assert list(ung["t_end"]) == [6.0, 7.0, 10.0, 1.5]
    assert (ung["t_guarded"] == 0).all() and (ung["phase"] == 1).all()
    assert (ung[["ckpt_total", "n_at", "n_logged", "log_entries_mean"]] == 0).all().all()


def test_unguarded_without_mission_covers_the_horizon():
    s = Scenario(horizon=40.0, fault_rate=0.02)
    df = simulate(s, 200, 4, protocol="unguarded", engine="numba")
    assert set(df["outcome"]) == {"completed", "failed"}
    assert (df.loc[df.outcome == "completed", "t_end"] == 40.0).all()
    # the first erroneous output ends the run: never after the first fault's next output
    assert (df["t_fail"].dropna() >= df.loc[df.outcome == "failed", "t_fault"]).all()


@pytest.mark.parametrize("protocol", ["mdcd", "mdcd-paper", "static", "every-receive"])
def test_n_logged_counts_log_insertions(protocol):
    s = Scenario(n_low=2, n_act=3, horizon=25.0, latency=0.3, fault_rate=0.02, at_coverage=0.9)
    total = 0
    for run in range(6):
        _, events, metrics = run_events(s, 8, run, protocol)
        n = int(events["event"].isin(["log_rcv", "log_sdr", "log_ext"]).sum())
        assert metrics["n_logged"] == n
        total += n
    assert total > 0


def test_unguarded_is_listed():
    assert "unguarded" in PROTOCOLS and PROTOCOLS["unguarded"].unguarded
    assert math.isnan(simulate(Scenario(horizon=1.0, fault_rate=0.0), 1, 1,
                               protocol="unguarded")["t_fail"].iloc[0])
    assert np.isfinite(simulate(Scenario(horizon=1.0), 1, 1)["t_guarded"]).all()
