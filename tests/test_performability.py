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

With no overhead costs but the shadows' (``shadow_rate`` ``r``, charged on
``t_guarded = min(t_end, phi)``), a run's worth is ``theta`` if it never absorbs by
``theta``, ``tau + delta (theta - tau)`` if recovered at ``tau``, ``tau - P`` if
failed at ``tau``, less ``r t_guarded``.  Writing ``theta - tau = int_0^theta
1{tau <= t} dt`` and ``E[t_guarded] = int_0^phi P(alive at t) dt``:

    E[W](phi) = theta - (1 - delta) int_0^theta P_R(t) dt - int_0^theta P_F(t) dt
                - P * P_F(theta) - r int_0^phi (p_0 + p_1 + p_2)(t) dt

and ``int_0^T exp(Q s) ds`` is the top-right block of ``exp([[Q, I], [0, 0]] T)``
(Van Loan), so every term is a matrix exponential: exact up to rounding.

The optimum.  ``d/dphi`` of ``p0 exp(Q1 phi) exp(Q2 (theta - phi))`` is
``p(phi) (Q1 - Q2) exp(Q2 (theta - phi))``; ``Q1 - Q2`` moves the erroneous outputs
of states 1 and 2 (rates ``b``, ``b + e``) from ``F`` to ``R`` with probability
``c``, and a run absorbed in ``R`` rather than ``F`` at ``phi`` is worth
``delta (theta - phi) + P`` more.  So

    dE[W]/dphi = c (delta (theta - phi) + P) (b p_1 + (b + e) p_2)(phi)
                 - r (p_0 + p_1 + p_2)(phi),

and once the fast modes (rates ``b``, ``a``) have died out the outflow
``b p_1 + (b + e) p_2`` is ``lam`` times the alive mass (the slowest mode of the
transient states decays at ``lam`` when ``lam < b``), hence the optimum

    phi* = theta + P / delta - r / (lam c delta)

(up to ``exp(-(b - lam) phi*)``), the balance of docs/performability.md's
"why the optimum lies inside" made exact.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.linalg import expm

import mdcd_lab as m
from mdcd_lab.performability import Costs, worth
from mdcd_lab.performability.duration import duration_study

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
          - costs.failure_penalty * p_theta[4]
          - costs.shadow_rate * (int1[0] + int1[1] + int1[2]))   # E[t_guarded]
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
    """Zero overhead, delta = 1, at_coverage = 1: run by run on common traces.  Under
    atomic recovery (no downtime) guarding longer never lowers a run's worth.  Executed,
    a recovery that starts before ``phi`` and ends after it is played on the mission
    trace's rows after ``phi`` (no shadow twins there, docs/performability.md), so its
    window can differ from the one a longer ``phi`` gives: only such runs may lose,
    and at most the longer window."""
    s = m.Scenario(n_low=2, n_act=3, latency=0.3, shadow_lag=0.5, fault_rate=0.004,
                   at_coverage=1.0, compensation=0.2)
    costs = FREE.replace(delta=1.0)
    phis = [0.0, 5.0, 20.0, 60.0, 150.0]
    for mode in ("atomic", "executed"):
        st = duration_study(s.replace(recovery=mode), phis, 150.0, runs=300, seed=8,
                            protocols=(protocol,), costs=costs, n_boot=100)
        wide = worth(st.runs, costs).pivot(index="run", columns="phi", values="worth")
        steps = np.diff(wide.to_numpy(), axis=1)
        assert (steps > 1.0).any()   # guarding longer does help some runs
        # t + 1.0 * (theta - t) may differ from theta by an ulp: the only slack
        lower = steps < -1e-9 * 150.0
        if mode == "atomic":
            assert not lower.any()
            continue
        runs = st.runs.set_index(["run", "phi"])
        for i, j in np.argwhere(lower):
            run, (a, b) = wide.index[i], phis[j:j + 2]
            short, long = runs.loc[(run, a)], runs.loc[(run, b)]
            assert short["outcome"] == long["outcome"] == "recovered"
            assert short["t_detect"] < a < short["t_end"]         # straddles phi
            assert -steps[i, j] <= long["t_end"] - long["t_detect"]


def test_worth_formula_by_hand():
    # the recovered run: detected at 8, quiet at 10 (nothing served in between);
    # the last one: detected at 49, its recovery window ends after theta = 50
    nan = float("nan")
    df = pd.DataFrame({
        "outcome": ["completed", "recovered", "failed", "recovered"],
        "t_end": [50.0, 10.0, 20.0, 51.0], "t_detect": [nan, 8.0, nan, 49.0],
        "t_guarded": [5.0, 10.0, 5.0, 5.0], "ckpt_total": [2, 3, 0, 0],
        "n_logged": [10, 0, 4, 0], "n_at": [1, 1, 0, 0]})
    c = Costs(checkpoint=0.5, logged=0.1, at=1.0, shadow_rate=0.2, delta=0.5,
              failure_penalty=7.0)
    out = worth(df, c, mission=50.0)
    assert list(out["overhead"]) == pytest.approx([4.0, 4.5, 1.4, 1.0])
    assert list(out["worth"]) == pytest.approx([46.0, 8 + 0.5 * 40 - 4.5, 20 - 1.4 - 7,
                                                49 - 1.0])
    assert list(out["degradation"]) == pytest.approx([4.0, 26.5, 38.4, 2.0])


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
    """docs/performability.md's setting (fewer runs): the set of phi not below the best
    and the smooth optimum's interval exclude both ends of the grid."""
    from mdcd_lab.performability.duration import REALISTIC_BASE, REALISTIC_COSTS, REALISTIC_MISSION
    phis = [REALISTIC_MISSION * k / 10 for k in range(11)]
    st = duration_study(REALISTIC_BASE, phis, REALISTIC_MISSION, runs=1000, seed=2026,
                        costs=REALISTIC_COSTS, n_boot=400, fresh_runs=0)
    opt = st.optimum.iloc[0]
    assert 0.0 < opt["set_low"] <= opt["phi_opt"] <= opt["set_high"] < REALISTIC_MISSION
    assert 0.0 < opt["phi_smooth_low"] <= opt["phi_smooth"] <= opt["phi_smooth_high"]
    assert opt["phi_smooth_high"] < REALISTIC_MISSION


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


#: A case with a known interior optimum: the shadows cost half the service.
SHADOW = FREE.replace(shadow_rate=0.5)
PHI_STAR = THETA + SHADOW.failure_penalty / SHADOW.delta - 0.5 / (LAM * 1.0 * SHADOW.delta)


def test_known_optimum_of_the_closed_form():
    """The closed form's maximum is the first-order condition's phi* = 66.67."""
    from scipy.optimize import minimize_scalar
    best = minimize_scalar(lambda x: -closed_form(x, 1.0, SHADOW)[0], bounds=(0.0, THETA),
                           method="bounded", options={"xatol": 1e-6})
    assert best.x == pytest.approx(PHI_STAR, abs=1e-3)
    assert 60.0 < PHI_STAR < 70.0


def test_duration_study_finds_the_known_optimum():
    """MCB set, smooth optimum and fresh-run worth against the closed form (99.9%: the
    study's own intervals are 95%, so each check fails with probability about 5% on a
    new seed; this seed is fixed)."""
    phis = [10.0 * k for k in range(11)]
    st = duration_study(SMALL.replace(at_coverage=1.0), phis, THETA, runs=3000, seed=22,
                        costs=SHADOW, n_boot=400)
    truth = np.array([closed_form(p, 1.0, SHADOW)[0] for p in phis])
    t = st.table.set_index("phi")
    opt = st.optimum.iloc[0]
    # the true best of the grid is in the set; clearly worse durations are not
    assert t.loc[phis[int(np.argmax(truth))], "in_best_set"]
    assert not t.loc[[0.0, 10.0, 20.0, 30.0], "in_best_set"].any()
    assert opt["n_set"] == t["in_best_set"].sum() and opt["set_low"] <= opt["phi_opt"]
    assert opt["phi_opt"] <= opt["set_high"]
    # the smooth optimum's interval holds phi*, and is narrower than the set
    assert opt["phi_smooth_low"] <= PHI_STAR <= opt["phi_smooth_high"]
    assert opt["phi_smooth_high"] - opt["phi_smooth_low"] < opt["set_high"] - opt["set_low"]
    # fresh runs at the chosen phi: an interval that holds the true worth there
    assert opt["fresh_phi"] == opt["phi_opt"] and opt["fresh_runs"] == 3000
    ew = closed_form(opt["fresh_phi"], 1.0, SHADOW)[0]
    assert opt["worth_fresh_low"] <= ew <= opt["worth_fresh_high"]
    fresh = st.fresh
    assert set(fresh["phi"]) == {opt["phi_opt"]}
    assert not fresh["run"].isin([]).any() and len(fresh) == 3000
    # independent stream: other traces than the study's runs at that phi
    same = st.runs[st.runs["phi"] == opt["phi_opt"]].set_index("run")["t_end"]
    assert (fresh.set_index("run")["t_end"] != same).mean() > 0.3


def test_refine_adds_a_finer_grid_around_the_optimum():
    phis = [0.0, 25.0, 50.0, 75.0, 100.0]
    st = duration_study(SMALL.replace(at_coverage=1.0), phis, THETA, runs=800, seed=5,
                        costs=SHADOW, n_boot=200, refine=True, refine_points=4,
                        fresh_runs=0)
    coarse = duration_study(SMALL.replace(at_coverage=1.0), phis, THETA, runs=800, seed=5,
                            costs=SHADOW, n_boot=200, fresh_runs=0)
    k = phis.index(float(coarse.optimum["phi_opt"].iloc[0]))
    lo, hi = phis[max(k - 1, 0)], phis[min(k + 1, len(phis) - 1)]
    fine = sorted(set(st.table["phi"]) - set(phis))
    assert fine == pytest.approx(list(np.linspace(lo, hi, 6)[1:-1]))
    # the coarse points keep their numbers (same runs), and the runs stay paired
    a = st.table[st.table["phi"].isin(phis)].reset_index(drop=True)
    pd.testing.assert_series_equal(a["worth_mean"], coarse.table["worth_mean"])
    assert st.runs.groupby("phi")["run"].apply(frozenset).nunique() == 1
    assert st.fresh.empty and st.optimum["worth_fresh"].isna().all()


def growth_worth(phi: float, b: float, costs: Costs = SHADOW) -> float:
    """E[W](phi) of the small case with at_coverage 1 and fault intensity lam e^{-b t}
    (Goel-Okumoto): the same chain with a time-varying 0 -> 1 rate, integrated
    numerically (scipy's solve_ivp, tolerance 1e-10) with the integrals of P_R, P_F
    and the alive mass as extra states."""
    from scipy.integrate import solve_ivp

    def rhs(guarded):
        def f(t, y):
            Q = _generator(1.0 if guarded else None)
            Q[0, 1] = LAM * np.exp(-b * t)
            Q[0, 0] = -Q[0, 1]
            p = y[:5]
            return np.concatenate([p @ Q, [p[3], p[4], (p[0] + p[1] + p[2]) * guarded]])
        return f

    y = np.array([1.0, 0, 0, 0, 0, 0, 0, 0])
    if phi > 0:
        y = solve_ivp(rhs(True), (0.0, phi), y, rtol=1e-10, atol=1e-12).y[:, -1]
    y = solve_ivp(rhs(False), (phi, THETA), y, rtol=1e-10, atol=1e-12).y[:, -1]
    return (THETA - (1 - costs.delta) * y[5] - y[6] - costs.failure_penalty * y[4]
            - costs.shadow_rate * y[7])


def test_growth_moves_the_optimum_earlier():
    """Reliability growth (fault_growth b): faults come early, so guarding late pays less.
    The growth chain's optimum (numerical, ``growth_worth``) moves from 66.7 (b = 0) to
    about 44 (b = 0.01; the first-order condition lam e^{-b phi} c (delta (theta - phi)
    + P) = r gives 43.8), and the studies' smooth optima follow it."""
    from scipy.optimize import minimize_scalar
    star = minimize_scalar(lambda x: -growth_worth(x, 0.01), bounds=(0.0, THETA),
                           method="bounded", options={"xatol": 1e-4}).x
    assert growth_worth(50.0, 0.0) == pytest.approx(closed_form(50.0, 1.0, SHADOW)[0],
                                                    abs=1e-7)
    assert 40.0 < star < 48.0
    phis = [10.0 * k for k in range(11)]
    base = SMALL.replace(at_coverage=1.0)
    flat = duration_study(base, phis, THETA, runs=3000, seed=7, costs=SHADOW, n_boot=400,
                          fresh_runs=0).optimum.iloc[0]
    grow = duration_study(base.replace(fault_growth=0.01), phis, THETA, runs=3000, seed=7,
                          costs=SHADOW, n_boot=400, fresh_runs=0).optimum.iloc[0]
    assert grow["phi_smooth_high"] < flat["phi_smooth_low"]
    assert flat["phi_smooth_low"] <= PHI_STAR <= flat["phi_smooth_high"]
    assert grow["phi_smooth_low"] <= star <= grow["phi_smooth_high"]
