"""Analytic checks: the simulator against closed forms of small Markov chains.

Scenario: one G_low and one G_act process, no faults; G_low sends to G_act at
rate lam, G_act emits external messages at rate mu, nothing else happens.  Under
both readings G_act is then a two-state continuous-time Markov chain:

* clean -> dirty at rate lam (a cluster message: an S1 checkpoint; while dirty,
  further cluster messages carry higher levels but prgt_bit is 0, so no S2);
* dirty -> clean at rate mu (its output passes the AT and reclaims everything).

Starting clean, P_clean(t) = mu/(lam+mu) + lam/(lam+mu) * exp(-(lam+mu) t), so over
[0, T]

    E[ckpt_total] = lam * int_0^T P_clean = lam * (mu T/(lam+mu)
                    + lam/(lam+mu)^2 * (1 - exp(-(lam+mu) T)))
    E[n_at]       = mu * (T - int_0^T P_clean)

(every output of a dirty G_act is checked; outputs of a clean one are not).
"""

import math

import numpy as np
import pytest

import mdcd_lab as m

T_999 = 3.2905  # two-sided 99.9% normal quantile; n = 3000 makes t ~ normal


def closed_form(lam, mu, horizon):
    s = lam + mu
    int_clean = mu * horizon / s + lam / s**2 * (1.0 - math.exp(-s * horizon))
    return lam * int_clean, mu * (horizon - int_clean)


@pytest.mark.parametrize("protocol", ["mdcd", "mdcd-paper"])
@pytest.mark.parametrize("lam,mu,horizon", [(1.0, 0.5, 20.0), (0.3, 2.0, 8.0)])
@pytest.mark.statistical
def test_two_state_chain(protocol, lam, mu, horizon):
    sc = m.Scenario(n_low=1, n_act=1, horizon=horizon, rate_low_act=lam, rate_low_low=0.0,
                    rate_sdw_sdw=0.0, rate_act_low=0.0, rate_act_act=0.0, rate_ext_low=0.0,
                    rate_ext_act=mu, fault_rate=0.0)
    df = m.simulate(sc, 3000, 99, protocol=protocol)
    exp_ckpt, exp_at = closed_form(lam, mu, horizon)
    for col, expected in (("ckpt_total", exp_ckpt), ("n_at", exp_at)):
        x = df[col].to_numpy(dtype=float)
        half = T_999 * x.std(ddof=1) / math.sqrt(len(x))
        assert abs(x.mean() - expected) < half, (col, x.mean(), expected, half)
    assert (df["outcome"] == "completed").all()
    assert (df["ckpt_s2"] == 0).all()


def test_closed_form_would_catch_an_off_by_factor():
    # the same check must reject a wrong model: doubling lam moves the mean far
    # outside the interval (guards against an interval so wide it always passes)
    sc = m.Scenario(n_low=1, n_act=1, horizon=20.0, rate_low_act=1.0, rate_low_low=0.0,
                    rate_sdw_sdw=0.0, rate_act_low=0.0, rate_act_act=0.0, rate_ext_low=0.0,
                    rate_ext_act=0.5, fault_rate=0.0)
    x = m.simulate(sc, 3000, 99)["ckpt_total"].to_numpy(dtype=float)
    wrong, _ = closed_form(2.0, 0.5, 20.0)
    assert abs(x.mean() - wrong) > T_999 * x.std(ddof=1) / np.sqrt(len(x))


@pytest.mark.statistical
def test_first_fault_time_is_exponential():
    # fault_scope "cluster", two members with fault_rate f each: the first
    # activation is exponential with rate 2f, so P(t_fault <= T) = 1 - exp(-2 f T).
    f, horizon, n = 0.01, 50.0, 4000
    sc = m.Scenario(n_low=2, n_act=1, horizon=horizon, rate_low_act=0.1, rate_low_low=0.0,
                    rate_sdw_sdw=0.0, rate_act_low=0.0, rate_act_act=0.0, rate_ext_low=0.0,
                    rate_ext_act=0.0, fault_rate=f)
    tr = m.generate_traces(sc, n, 3)
    faulted = tr.loc[tr["kind"] == "fault", "run"].nunique()
    p = 1.0 - math.exp(-2 * f * horizon)
    half = T_999 * math.sqrt(p * (1 - p) / n)
    assert abs(faulted / n - p) < half
