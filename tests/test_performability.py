"""Mission worth and the optimal guarded-operation duration (docs/performability.md).

Closed form of the small case
-----------------------------
``n_low = n_act = 1``, latency 0, compensation 0, no cluster-internal or act-act
traffic.  Rates: ``lam`` (fault activations of low0), ``a`` (low0 -> act0
messages, delivered at once), ``b`` (low0's outputs), ``e`` (act0's outputs);
AT coverage ``c``.  Only these rows change the ground truth or end a run
(act0 -> low0 messages reach an already erroneous or a clean low0 whose state
the fault, not the message, decides; twins and shadows never reach the device).

The ground truth is a continuous-time Markov chain on

* ``0``: no fault yet;  ``1``: low0 erroneous, act0 clean;  ``2``: both erroneous;
* absorbing ``R`` (recovered) and ``F`` (failed).

``0 -> 1`` at ``lam``; ``1 -> 2`` at ``a`` (an erroneous message contaminates act0).
An erroneous output is an output of an erroneous process: rate ``b`` in state 1,
``b + e`` in state 2.  While guarded (t <= phi) it is tested (low0's always;
act0's because act0 is dirty: its erroneous state came with a message whose level
no passed AT validated, so it checkpointed and no notification can clean it):
detected with probability ``c`` -> ``R``, missed -> ``F``.  Unguarded (t > phi)
it reaches the device -> ``F``.  So the generator is ``Q1`` on [0, phi] and
``Q2`` after, and ``p(t) = p(0) exp(Q1 t)`` for ``t <= phi``, ``p(phi) exp(Q2 (t -
phi))`` after.

With zero overhead costs, a run's worth is ``theta`` if it never absorbs by
``theta``, ``tau + delta (theta - tau)`` if recovered at ``tau``, ``tau - P`` if
failed at ``tau``.  Writing ``theta - tau = int_0^theta 1{tau <= t} dt``:

    E[W](phi) = theta - (1 - delta) int_0^theta P_R(t) dt - int_0^theta P_F(t) dt
                - P * P_F(theta)

and ``int_0^T exp(Q s) ds`` is the top-right block of ``exp([[Q, I], [0, 0]] T)``
(Van Loan), so every term is a matrix exponential: exact up to rounding.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.linalg import expm

import mdcd_lab as m
from mdcd_lab.duration import duration_study
from mdcd_lab.performability import Costs, worth

LAM, A, B, E = 0.02, 0.5, 0.2, 0.3
THETA = 100.0
SMALL = m.Scenario(n_low=1, n_act=1, rate_low_act=A, rate_low_low=0.0, rate_sdw_sdw=0.0,
                   rate_act_low=0.4, rate_act_act=0.0, rate_ext_low=B, rate_ext_act=E,
                   fault_rate=LAM, latency=0.0, shadow_lag=0.0, compensation=0.0)
FREE = Costs(checkpoint=0.0, logged=0.0, at=0.0, shadow_rate=0.0, delta=0.6,
             failure_penalty=5.0)


def _generator(c: float | None) -> np.ndarray:
    """States 0, 1, 2, R, F; ``c=None``: unguarded (every erroneous output fails)."""
    Q = np.zeros((5, 5))
    Q[0, 1] = LAM
    Q[1, 2] = A
    for s, rate in ((1, B), (2, B + E)):
        if c is None:
            Q[s, 4] = rate
        else:
            Q[s, 3] = rate * c
            Q[s, 4] = rate * (1 - c)
    np.fill_diagonal(Q, -Q.sum(axis=1))
    return Q


def _piece(p: np.ndarray, Q: np.ndarray, T: float) -> tuple[np.ndarray, np.ndarray]:
    """``(p exp(QT), p int_0^T exp(Qs) ds)`` by Van Loan's block exponential."""
    n = len(p)
    big = np.zeros((2 * n, 2 * n))
    big[:n, :n] = Q
    big[:n, n:] = np.eye(n)
    M = expm(big * T)
    return p @ M[:n, :n], p @ M[:n, n:]


def closed_form(phi: float, c: float, costs: Costs = FREE) -> tuple[float, float, float]:
    """``(E[W], P(failed), P(recovered))`` over the mission [0, THETA]."""
    p0 = np.array([1.0, 0, 0, 0, 0])
    p_phi, int1 = _piece(p0, _generator(c), phi)
    p_theta, int2 = _piece(p_phi, _generator(None), THETA - phi)
    integral = int1 + int2
    ew = (THETA - (1 - costs.delta) * integral[3] - integral[4]
          - costs.failure_penalty * p_theta[4])
    return ew, p_theta[4], p_theta[3]


def _t_interval(x: np.ndarray, level: float = 0.999) -> tuple[float, float]:
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return x.mean() - half, x.mean() + half


def _wilson_contains(k: int, n: int, p: float, level: float = 0.999) -> bool:
    z = stats.norm.ppf(0.5 + level / 2)
    centre = (k + z * z / 2) / (n + z * z)
    half = z * np.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    return centre - half <= p <= centre + half


@pytest.mark.parametrize("c", [1.0, 0.7])
@pytest.mark.statistical
def test_duration_study_matches_the_closed_form(c):
    phis = [0.0, 10.0, 40.0, 100.0]
    st = duration_study(SMALL.replace(at_coverage=c), phis, THETA, runs=4000, seed=14,
                        costs=FREE, n_boot=200)
    w = worth(st.runs, FREE)
    for phi in phis:
        sub = w[w["phi"] == phi]
        ew, p_f, p_r = closed_form(phi, c)
        lo, hi = _t_interval(sub["worth"].to_numpy())
        assert lo <= ew <= hi, (phi, ew, lo, hi)
        assert _wilson_contains(int((sub["outcome"] == "failed").sum()), len(sub), p_f)
        assert _wilson_contains(int((sub["outcome"] == "recovered").sum()), len(sub), p_r)
        row = st.table[st.table["phi"] == phi].iloc[0]
        assert row["worth_low"] <= ew <= row["worth_high"] or not (lo <= ew <= hi)
    # the study's own table: Y is exactly its definition on the means
    t = st.table.set_index("phi")
    d = THETA - t["worth_mean"]
    assert np.allclose(t["Y"], (d[0.0] - d) / d[0.0])


def test_closed_form_is_not_vacuous():
    """The model distinguishes the cases the test must tell apart."""
    ew0, pf0, _ = closed_form(0.0, 1.0)
    ew1, pf1, pr1 = closed_form(100.0, 1.0)
    assert pf1 == pytest.approx(0.0, abs=1e-12) and pr1 > 0.8 and pf0 > 0.8
    assert ew1 - ew0 > 20
    assert closed_form(40.0, 0.7)[0] < closed_form(40.0, 1.0)[0]


@pytest.mark.statistical
def test_unguarded_phase_matches_the_closed_form():
    """``"unguarded"``: P(failed by theta) and E[min(t_fail, theta)] from Q2 alone."""
    s = SMALL.replace(horizon=THETA, mission=THETA)
    df = m.simulate(s, 4000, 3, protocol="unguarded", engine="numba")
    p_theta, integral = _piece(np.array([1.0, 0, 0, 0, 0]), _generator(None), THETA)
    assert _wilson_contains(int((df["outcome"] == "failed").sum()), len(df), p_theta[4])
    lo, hi = _t_interval(df["t_end"].to_numpy())
    assert lo <= THETA - integral[4] <= hi
    # the same from a mission run's unguarded phase: phi = 30, faults after phi only
    late = m.simulate(SMALL.replace(horizon=30.0, mission=THETA, fault_rate=LAM), 4000, 3,
                      engine="numba")
    mask = late["t_fault"].isna() | (late["t_fault"] > 30.0)
    # P(fail by theta | no fault by phi) = P_F(theta - phi) of the all-unguarded chain
    p_cond, _ = _piece(np.array([1.0, 0, 0, 0, 0]), _generator(None), THETA - 30.0)
    sub = late[mask]
    assert _wilson_contains(int((sub["outcome"] == "failed").sum()), len(sub), p_cond[4])


@pytest.mark.parametrize("protocol", ["mdcd", "coordinated", "static"])
def test_worth_never_decreases_in_phi(protocol):
    """Zero overhead, delta = 1, at_coverage = 1: run by run on common traces."""
    s = m.Scenario(n_low=2, n_act=3, latency=0.3, shadow_lag=0.5, fault_rate=0.004,
                   at_coverage=1.0, compensation=0.2)
    costs = FREE.replace(delta=1.0)
    st = duration_study(s, [0.0, 5.0, 20.0, 60.0, 150.0], 150.0, runs=300, seed=8,
                        protocols=(protocol,), costs=costs, n_boot=100)
    wide = worth(st.runs, costs).pivot(index="run", columns="phi", values="worth")
    steps = np.diff(wide.to_numpy(), axis=1)
    # t + 1.0 * (theta - t) may differ from theta by an ulp: that is the only slack
    assert (steps >= -1e-9 * 150.0).all()
    assert (steps > 1.0).any()   # and guarding longer does help some runs


def test_worth_formula_by_hand():
    df = pd.DataFrame({
        "outcome": ["completed", "recovered", "failed"], "t_end": [50.0, 10.0, 20.0],
        "t_guarded": [5.0, 10.0, 5.0], "ckpt_total": [2, 3, 0], "n_logged": [10, 0, 4],
        "n_at": [1, 1, 0]})
    c = Costs(checkpoint=0.5, logged=0.1, at=1.0, shadow_rate=0.2, delta=0.5,
              failure_penalty=7.0)
    out = worth(df, c, mission=50.0)
    assert list(out["overhead"]) == pytest.approx([4.0, 4.5, 1.4])
    assert list(out["worth"]) == pytest.approx([46.0, 10 + 20 - 4.5, 20 - 1.4 - 7])
    assert list(out["degradation"]) == pytest.approx([4.0, 24.5, 38.4])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Costs.delta"):
        Costs(delta=1.5)
    with pytest.raises(ValueError, match="Costs.at"):
        Costs(at=-1)
    with pytest.raises(ValueError, match="unknown Costs"):
        Costs().replace(shadow=1.0)
    with pytest.raises(ValueError, match="lacks the column"):
        worth(pd.DataFrame({"outcome": ["completed"]}), mission=1.0)
    with pytest.raises(ValueError, match="mission"):
        worth(m.simulate(m.Scenario(horizon=5.0), 2, 1))
    with pytest.raises(ValueError, match=r"phi must lie in \[0, mission"):
        duration_study(SMALL, [10.0, 200.0], THETA, 10, 1)
    with pytest.raises(ValueError, match="strictly increasing"):
        duration_study(SMALL, [10.0, 5.0], THETA, 10, 1)
    with pytest.raises(ValueError, match="guarded protocols"):
        duration_study(SMALL, [10.0], THETA, 10, 1, protocols=("unguarded",))
    with pytest.raises(ValueError, match="unknown protocol"):
        duration_study(SMALL, [10.0], THETA, 10, 1, protocols=("nope",))


def test_with_costs_resummarizes_without_simulating():
    st = duration_study(SMALL.replace(at_coverage=0.9), [20.0, 60.0], THETA, 200, 5,
                        n_boot=100)
    assert list(st.table["phi"]) == [0.0, 20.0, 60.0]   # 0 is always in the grid
    cheap = st.with_costs(FREE.replace(delta=st.costs.delta, failure_penalty=0.0))
    assert cheap.runs is st.runs
    assert (cheap.table["worth_mean"] >= st.table["worth_mean"] - 1e-9).all()
    assert (cheap.table["worth_mean"] > st.table["worth_mean"]).iloc[1:].all()
    again = st.with_costs(st.costs)
    pd.testing.assert_frame_equal(again.table, st.table)
    pd.testing.assert_frame_equal(again.optimum, st.optimum)


def test_realistic_costs_give_an_interior_optimum():
    """docs/performability.md's setting (fewer runs): the optimum's interval excludes
    both ends of the grid."""
    from mdcd_lab.duration import REALISTIC_BASE, REALISTIC_COSTS, REALISTIC_MISSION
    phis = [REALISTIC_MISSION * k / 10 for k in range(11)]
    st = duration_study(REALISTIC_BASE, phis, REALISTIC_MISSION, runs=1000, seed=2026,
                        costs=REALISTIC_COSTS, n_boot=400)
    opt = st.optimum.iloc[0]
    assert 0.0 < opt["phi_low"] <= opt["phi_opt"] <= opt["phi_high"] < REALISTIC_MISSION


def test_y_is_nan_without_unguarded_degradation_and_warns_nothing():
    """No fault: the unguarded runs lose nothing (D_0 = 0), so Y and its interval are
    undefined (NaN) at every phi, and no numpy warning reaches the user."""
    import warnings
    s = SMALL.replace(fault_rate=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st = duration_study(s, [0.0, 20.0, THETA], THETA, runs=30, seed=3, n_boot=100)
    table = st.table
    assert table[["Y", "Y_low", "Y_high"]].isna().all().all()
    assert np.isfinite(table["worth_mean"]).all()
