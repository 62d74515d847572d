"""Scenario validation: one place, explicit messages naming the field and range."""

import re

import pandas as pd
import pytest

import mdcd_lab as m
from mdcd_lab.scenario import FIELDS


@pytest.mark.parametrize("field,value,needle", [
    ("n_low", 0, "n_low must be an integer in [1, 64]"),
    ("n_act", 2.5, "n_act must be an integer"),
    ("horizon", 0.0, "horizon must be a number in (0, inf)"),
    ("rate_low_act", -1.0, "rate_low_act must be a number in [0, inf)"),
    ("at_coverage", 1.5, "at_coverage must be a number in [0, 1]"),
    ("compensation", float("nan"), "compensation must be"),
    ("fault_scope", "global", "fault_scope must be one of 'cluster', 'process'"),
    ("latency", "fast", "latency must be a number"),
    ("msg_bytes", True, "msg_bytes must be"),
    ("horizon", float("inf"), "horizon must be finite"),
])
def test_bad_values_name_the_field(field, value, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        m.Scenario(**{field: value})


def test_rates_towards_a_lone_member_generate_no_traffic():
    """A one-member group accepts the default rates; its 'to the others' rate makes no event."""
    m.Scenario(n_low=1)
    m.Scenario(n_act=1)
    lone = m.Scenario(n_low=1, n_act=1, horizon=200.0)
    silent = lone.replace(rate_low_low=0.0, rate_sdw_sdw=0.0, rate_act_act=0.0)
    a = m.generate_traces(lone, 3, 5)
    pd.testing.assert_frame_equal(a, m.generate_traces(silent, 3, 5))
    sends = a[a["kind"] == "send"]
    assert len(sends) > 50     # the other categories do generate traffic
    pairs = set(zip(sends["src"].str[:3], sends["dst"].str[:3], strict=True))
    assert pairs <= {("low", "act"), ("act", "low"), ("sdw", "act")}
    # the rates still count where the group has other members
    two = m.generate_traces(m.Scenario(n_low=2, n_act=2, horizon=200.0), 3, 5)
    two_sends = two[two["kind"] == "send"]
    two_pairs = set(zip(two_sends["src"].str[:3], two_sends["dst"].str[:3], strict=True))
    assert {("low", "low"), ("act", "act"), ("sdw", "sdw")} <= two_pairs


def test_sweep_over_n_act_from_the_default_scenario():
    df = m.sweep(m.Scenario(), {"n_act": [1, 2, 4]}, runs=50, seed=1, progress=False)
    assert sorted(df["n_act"].unique().tolist()) == [1, 2, 4]
    assert (df.groupby("n_act").size() == 50).all()
    df_low = m.sweep(m.Scenario(), {"n_low": [1, 2]}, runs=20, seed=1, progress=False)
    assert sorted(df_low["n_low"].unique().tolist()) == [1, 2]


def test_normalised_types_and_replace():
    s = m.Scenario(n_low=2.0, horizon=10)
    assert isinstance(s.n_low, int) and isinstance(s.horizon, float)
    assert s.replace(at_coverage=1).at_coverage == 1.0
    with pytest.raises(ValueError, match="unknown Scenario field"):
        s.replace(coverage=1.0)
    with pytest.raises(ValueError, match="unknown Scenario field"):
        m.Scenario.from_dict({"n_lw": 2})
    assert m.Scenario.from_dict(s.to_dict()) == s


def test_every_field_has_metadata():
    import dataclasses
    names = [f.name for f in dataclasses.fields(m.Scenario) if not f.name.startswith("_")]
    assert names == list(FIELDS)
    for info in FIELDS.values():
        assert info.help


# --------------------------------------------------------------------------- sizes (issue 23)
@pytest.mark.parametrize("kw,needle", [
    # numba reported log_bytes_peak = -6233720368547758080 here, the reference OverflowError
    (dict(msg_bytes=2 * 10**18), "msg_bytes must be an integer in [0, 17179869184]"),
    (dict(ckpt_bytes=2**40), "ckpt_bytes must be an integer in [0, 17179869184]"),
    # MemoryError then SystemError before
    (dict(horizon=1e7), "Scenario.horizon x rates: one run would have about 1e+08 trace rows"),
    # a numba TypingError before
    (dict(horizon=1e300), "more than 67,108,864 (2**26) one run may hold"),
    (dict(horizon=50.0, mission=1e9), "Scenario.mission x rates"),
    # hung before (the coordinated lines of one run were counted one by one)
    (dict(coord_period=1e-300), "horizon / coord_period = 1e+302 coordinated-checkpoint lines"),
    # OverflowError before (float() of a 401-digit int)
    (dict(horizon=10**400), "horizon must be a number in (0, inf), got an integer of 401 digits"),
    (dict(n_act=-(10**400)), "n_act must be an integer in [1, 256], got an integer of 401"),
])
def test_sizes_that_would_overflow_or_not_fit_are_refused(kw, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        m.Scenario(**kw)


def test_expected_rows_match_the_generated_traces():
    """expected_rows is the mean row count of a run: 200 runs land within 4 standard errors."""
    sc = m.Scenario(horizon=50.0)
    rows = m.generate_traces(sc, 200, 3).groupby("run").size()
    assert abs(rows.mean() - sc.expected_rows) < 4 * rows.std() / 200 ** 0.5
    assert sc.category_rates() == m.traces.generation.category_weights(sc)


def test_the_largest_sizes_give_the_same_bytes_in_both_engines():
    """At the cap, log_bytes_peak = log_entries_peak * msg_bytes exactly, on both engines."""
    from engines import engines_agree

    from mdcd_lab.scenario import MAX_BYTES
    sc = m.Scenario(horizon=30.0, msg_bytes=MAX_BYTES, ckpt_bytes=MAX_BYTES)
    df = engines_agree(sc, "mdcd", runs=4, seed=2)
    assert (df["log_bytes_peak"] == df["log_entries_peak"] * MAX_BYTES).all()
    assert df["log_bytes_peak"].max() > 2**34
