"""The channel model and the shadow-twin offsets: the laws docs/trace-format.md states.

Each test compares what the generator realises with its exact law (scipy.stats
KS tests), conditioning on the send time where the law depends on it: one
message per run, picked uniformly at random (independent of the trace), so that
the other messages of its channel are a Poisson process (Palm) and the picked
messages of different runs are independent.
"""

import math

import numpy as np
import pandas as pd
import pytest
from engines import engines_agree
from scipy import stats

import mdcd_lab as m
from mdcd_lab.fast import generate_traces_numba

LAM, L = 5.0, 1.0
BUSY = dict(n_low=1, n_act=1, horizon=50.0, rate_low_act=LAM, rate_low_low=0.0,
            rate_sdw_sdw=0.0, rate_act_low=2.0, rate_act_act=0.0, rate_ext_low=0.0,
            rate_ext_act=0.5, fault_rate=0.0, latency=L)


def fifo_cdf(w, t, lam=LAM, lat=L):
    """P(W <= w) of a message sent at t on a FIFO channel with Poisson traffic ``lam``."""
    w = np.asarray(w, dtype=float)
    return (1.0 - np.exp(-w / lat)) * np.exp(-lam * lat * np.exp(-w / lat)
                                              * (1.0 - np.exp(-t / lat)))


def _channel(trace, src="low0", dst="act0"):
    return trace[(trace["kind"] == "send") & (trace["src"] == src) & (trace["dst"] == dst)]


def _one_per_run(df, seed):
    rng = np.random.default_rng(seed)
    return df.groupby("run", sort=True).apply(
        lambda g: g.iloc[int(rng.integers(len(g)))], include_groups=False)


def test_channel_is_validated_with_the_other_fields():
    with pytest.raises(ValueError, match="Scenario.channel must be one of 'fifo', 'non-fifo'"):
        m.Scenario(channel="lossy")
    assert m.Scenario().channel == "fifo"


@pytest.mark.statistical
def test_fifo_delay_follows_the_formula_conditioned_on_the_send_time():
    trace = generate_traces_numba(m.Scenario(**BUSY), 1500, 20261128)
    ch = _channel(trace)
    picked = _one_per_run(ch, 1)
    w = (picked["t_deliver"] - picked["t"]).to_numpy()
    u = fifo_cdf(w, picked["t"].to_numpy())
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # the test has power: the realised delay is not Exp(latency), and its mean is ~2.4 L
    assert stats.kstest(w, "expon", args=(0, L)).pvalue < 1e-6
    all_w = (ch["t_deliver"] - ch["t"]).to_numpy()
    assert 2.2 < all_w.mean() < 2.55


@pytest.mark.statistical
def test_non_fifo_delay_is_exponential_with_mean_latency():
    trace = generate_traces_numba(m.Scenario(**BUSY, channel="non-fifo"), 300, 20261128)
    ch = _channel(trace)
    w = (ch["t_deliver"] - ch["t"]).to_numpy()
    assert len(w) > 50_000
    assert stats.kstest(w, "expon", args=(0, L)).pvalue > 1e-3
    reordered = ch.groupby("run")["t_deliver"].apply(lambda s: (np.diff(s.to_numpy()) < 0).any())
    assert reordered.all()


def twin_cdf(o, mu, lag):
    """P(O <= o) of the realised twin offset, Poisson twinned traffic ``mu``, t >= 2 lag."""
    o = np.clip(np.asarray(o, dtype=float), -lag, lag)
    return (o + lag) / (2 * lag) * np.exp(-mu * (lag - o) ** 2 / (4 * lag))


def twin_mean(mu, lag):
    """E[O] = lag - integral of the CDF over [-lag, lag]."""
    from scipy.integrate import quad
    return lag - quad(lambda o: float(twin_cdf(o, mu, lag)), -lag, lag)[0]


TWINS = dict(n_low=1, n_act=2, horizon=30.0, rate_low_act=2.0, rate_low_low=0.0,
             rate_sdw_sdw=0.0, rate_act_low=0.0, rate_act_act=0.3, rate_ext_low=0.5,
             rate_ext_act=0.0, fault_rate=0.0, shadow_lag=0.5)


def _twin_offsets(trace, n_act):
    acts = {f"act{j}" for j in range(n_act)}
    rows = []
    for run, g in trace.groupby("run", sort=True):
        is_send = g["kind"] == "send"
        orig_s = g[is_send & g["src"].str.startswith("low") & g["dst"].isin(acts)]["t"]
        twin_s = g[is_send & g["src"].str.startswith("sdw") & g["dst"].isin(acts)]["t"]
        orig_o = g[(g["kind"] == "output") & g["src"].str.startswith("low")]["t"]
        twin_o = g[(g["kind"] == "output") & g["src"].str.startswith("sdw")]["t"]
        for orig, twin in ((orig_s, twin_s), (orig_o, twin_o)):
            # a twin of an event just past the horizon has no original in the trace
            n = min(len(twin), len(orig))
            rows += [(run, a, b - a) for a, b in zip(orig.to_numpy()[:n], twin.to_numpy()[:n],
                                                      strict=True)]
    return pd.DataFrame(rows, columns=["run", "t", "offset"])


@pytest.mark.statistical
def test_twin_offset_law():
    sc = m.Scenario(**TWINS)
    mu, lag = TWINS["rate_low_act"] + TWINS["rate_ext_low"], TWINS["shadow_lag"]
    off = _twin_offsets(generate_traces_numba(sc, 1500, 7), sc.n_act)
    inner = off[(off["t"] >= 2 * lag) & (off["t"] <= sc.horizon - lag)]
    picked = _one_per_run(inner, 2)
    assert stats.kstest(twin_cdf(picked["offset"].to_numpy(), mu, lag), "uniform").pvalue > 1e-3
    # not the drawn U(-lag, lag): the order-keeping max biases it upwards
    assert stats.kstest(picked["offset"], "uniform", args=(-lag, 2 * lag)).pvalue < 1e-6
    assert (off["offset"] >= -lag).all() and (off["offset"] <= lag).all()


def test_realised_means_are_per_run_metrics_in_both_engines():
    sc = m.Scenario(**TWINS, latency=0.7)
    trace = m.generate_traces(sc, 40, 3)
    ref = engines_agree(sc, "mdcd", trace=trace)     # the same frame on both engines
    sim = m.simulate(sc, 40, 3, engine="numba")
    for col in ("delivery_delay_mean", "twin_offset_mean"):
        assert np.array_equal(ref[col].to_numpy(), sim[col].to_numpy())
    off = _twin_offsets(trace, sc.n_act)
    for run, g in off.groupby("run"):
        assert ref.loc[ref["run"] == run, "twin_offset_mean"].item() == pytest.approx(
            g["offset"].mean(), rel=1e-12)
    sends = trace[(trace["kind"] == "send") & trace["t_deliver"].notna()]
    d = (sends["t_deliver"] - sends["t"]).groupby(sends["run"]).mean()
    assert np.allclose(ref.set_index("run").loc[d.index, "delivery_delay_mean"], d, rtol=1e-12)


@pytest.mark.statistical
def test_default_scenario_twin_offset_mean_matches_the_law():
    # issue 11: Scenario() at shadow_lag 0.5 has realised mean offset about +0.075
    sc = m.Scenario(shadow_lag=0.5, fault_rate=0.0)
    df = m.simulate(sc, 400, 11, engine="numba")
    mu = sc.n_low * (sc.rate_low_act + sc.rate_ext_low)
    expect = twin_mean(mu, 0.5)
    x = df["twin_offset_mean"].to_numpy()
    se = x.std(ddof=1) / math.sqrt(len(x))
    assert abs(x.mean() - expect) < 4 * se + 0.005, (x.mean(), expect, se)
    assert 0.06 < expect < 0.09
