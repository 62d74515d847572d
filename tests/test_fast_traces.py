"""The numba trace generator reproduces ``generate_traces`` exactly."""

import numpy as np
import pandas as pd
import pytest
from helpers import engine_scenarios
from hypothesis import given, settings
from hypothesis import strategies as st

from mdcd_lab import Scenario, generate_traces
from mdcd_lab.fast import generate_traces_numba
from mdcd_lab.fast._rng import seed_words
from mdcd_lab.fast.engine import scenario_params
from mdcd_lab.fast.kernels import gen


@pytest.mark.parametrize("kw", [
    dict(n_low=2, n_act=3, horizon=30.0, latency=0.5, shadow_lag=0.3, fault_rate=0.03),
    dict(n_low=1, n_act=1, horizon=20.0, rate_low_low=0.0, rate_sdw_sdw=0.0,
         rate_act_act=0.0, latency=0.0, shadow_lag=0.0),
    dict(n_low=3, n_act=4, horizon=15.0, latency=2.0, shadow_lag=2.0, fault_scope="process"),
    dict(n_low=2, n_act=2, horizon=10.0, rate_low_act=0.0, rate_ext_low=0.0),
])
def test_traces_equal_reference(kw):
    s = Scenario(**kw)
    for seed, first in ((0, 0), (11, 5), (2**40 + 1, 2**33)):
        a = generate_traces(s, 12, seed, first_run=first)
        b = generate_traces_numba(s, 12, seed, first_run=first)
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_traces_without_events():
    s = Scenario(n_low=1, n_act=1, rate_low_act=0.0, rate_low_low=0.0, rate_sdw_sdw=0.0,
                 rate_act_low=0.0, rate_act_act=0.0, rate_ext_low=0.0, rate_ext_act=0.0,
                 fault_rate=0.0)
    pd.testing.assert_frame_equal(generate_traces(s, 3, 1), generate_traces_numba(s, 3, 1),
                                  check_exact=True)


def test_buffer_growth_is_exact():
    # a tiny first capacity forces the grow-and-retry path on every run
    s = Scenario(horizon=50.0, latency=0.3, shadow_lag=0.2)
    fp, ip = scenario_params(s, "mdcd")
    counts = np.zeros(6, dtype=np.int64)
    cap = gen.count_rows(seed_words(9), 0, 6, fp, ip, 1, counts)
    ref = generate_traces(s, 6, 9)
    assert cap >= counts.max() // 2
    assert counts.tolist() == ref.groupby("run").size().tolist()


@settings(max_examples=15, deadline=None)
@given(s=engine_scenarios(), seed=st.integers(0, 2**63 - 1), first=st.integers(0, 2**40))
def test_traces_equal_reference_drawn(s, seed, first):
    a = generate_traces(s, 3, seed, first_run=first)
    b = generate_traces_numba(s, 3, seed, first_run=first)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
