"""Reliability growth of the new version (``Scenario.fault_growth``, issue 22 item 4) and the
window of the trace means with a mission (item 5).

Goel-Okumoto: the fault activations of each G_low process form a Poisson process of
intensity ``fault_rate * exp(-b t)``, so over the cluster (``n_low`` members)

    P(first activation <= t) = 1 - exp(-n_low * fault_rate * (1 - exp(-b t)) / b),

which tends to ``1 - exp(-n_low * fault_rate / b)`` (some missions never meet the fault).
"""

import math

import numpy as np
import pandas as pd
import pytest
from test_fast_differential import assert_same

import mdcd_lab as m
from mdcd_lab.fast import generate_traces_numba
from mdcd_lab.traces import generate_traces, proc_names

GROWTH = m.Scenario(n_low=2, n_act=2, horizon=80.0, latency=0.3, shadow_lag=0.4,
                    fault_rate=0.02, fault_growth=0.05, at_coverage=0.9, compensation=0.3)


def first_fault_cdf(t: np.ndarray, n_low: int, rate: float, b: float) -> np.ndarray:
    """P(first activation over the cluster <= t): Goel-Okumoto, or constant for b = 0."""
    mass = rate * t if b == 0 else rate * (1.0 - np.exp(-b * t)) / b
    return 1.0 - np.exp(-n_low * mass)


def test_first_fault_matches_the_goel_okumoto_closed_form():
    """Empirical CDF of t_fault against the closed form, within the DKW band: with
    probability 1 - 1e-3, sup_t |F_n(t) - F(t)| <= sqrt(ln(2 / 1e-3) / (2 n))
    (0.0156 for n = 15 000 runs)."""
    runs = 15_000
    sc = GROWTH.replace(fault_rate=0.01, fault_growth=0.04, at_coverage=1.0)
    df = m.simulate(sc, runs, 22, engine="numba")
    t_fault = df["t_fault"].to_numpy()
    grid = np.linspace(0.0, sc.horizon, 161)
    emp = np.array([(t_fault <= t).mean() for t in grid])   # NaN (no fault) counts as > t
    eps = math.sqrt(math.log(2 / 1e-3) / (2 * runs))
    truth = first_fault_cdf(grid, sc.n_low, sc.fault_rate, sc.fault_growth)
    assert np.max(np.abs(emp - truth)) <= eps
    # and the band tells the growth law from the constant rate it thins
    const = first_fault_cdf(grid, sc.n_low, sc.fault_rate, 0.0)
    assert np.max(np.abs(emp - const)) > 3 * eps


def test_growth_thins_the_faults_and_keeps_the_other_rows():
    """With growth the traces hold fewer fault rows, earlier on average, and the other
    rows keep their law (``fault_growth = 0`` is today's law number for number: the
    hashes of benchmarks/hash_results.py, run before and after, are equal)."""
    sc = GROWTH.replace(fault_growth=0.0)
    flat = generate_traces_numba(sc.replace(fault_rate=0.05), 300, 9)
    grow = generate_traces_numba(sc.replace(fault_rate=0.05, fault_growth=0.05), 300, 9)
    f0, f1 = flat[flat["kind"] == "fault"], grow[grow["kind"] == "fault"]
    assert 0 < len(f1) < 0.6 * len(f0)
    assert f1["t"].mean() < f0["t"].mean()
    # the other rows: the same number per run on average (Poisson, 300 runs: within 1%)
    n0, n1 = (len(f[f["kind"] != "fault"]) for f in (flat, grow))
    assert abs(n1 - n0) < 0.01 * n0


@pytest.mark.parametrize("sc", [GROWTH, GROWTH.replace(mission=200.0),
                                GROWTH.replace(fault_scope="process", channel="non-fifo",
                                               fault_growth=0.2, fault_rate=0.05)])
def test_generators_agree_bit_for_bit(sc):
    pd.testing.assert_frame_equal(generate_traces(sc, 25, 7), generate_traces_numba(sc, 25, 7),
                                  check_exact=True)


@pytest.mark.parametrize("protocol", ["mdcd", "coordinated", "unguarded", "mdcd-vector"])
def test_engines_agree_under_growth(protocol):
    for sc in (GROWTH, GROWTH.replace(mission=160.0)):
        assert_same(m.simulate(sc, 25, 3, protocol=protocol, engine="reference"),
                    m.simulate(sc, 25, 3, protocol=protocol, engine="numba"))


@pytest.mark.parametrize("engine", ["reference", "numba"])
def test_trace_means_average_over_the_guarded_operation(engine):
    """docs/metrics.md: delivery_delay_mean and twin_offset_mean average over t <= horizon;
    with a mission they are those of the same run without it, and they differ from the
    means over the whole mission trace."""
    sc = GROWTH.replace(horizon=20.0, latency=1.0, channel="fifo")
    plain = m.simulate(sc, 30, 4, engine=engine)
    mission = m.simulate(sc.replace(mission=300.0), 30, 4, engine=engine)
    for col in ("delivery_delay_mean", "twin_offset_mean"):
        assert_same(plain[[col]], mission[[col]])
    # the same means over the whole mission trace, by the reference helper (window inf)
    from mdcd_lab.traces import realised_means
    trace = generate_traces(sc.replace(mission=300.0), 30, 4)
    names = {n: i for i, n in enumerate(proc_names(sc))}
    whole = []
    for _, rows in trace.groupby("run"):
        whole.append(realised_means(rows["t"].to_numpy(), rows["kind"].cat.codes.to_numpy(),
                                    rows["src"].map(names).to_numpy(),
                                    rows["dst"].map(names).fillna(-1).astype(int).to_numpy(),
                                    rows["t_deliver"].to_numpy(), sc.n_low, sc.n_act)[0])
    assert not np.allclose(whole, plain["delivery_delay_mean"].to_numpy())


def test_fault_growth_is_validated():
    with pytest.raises(ValueError, match=r"Scenario.fault_growth must be a number in \[0, inf\)"):
        m.Scenario(fault_growth=-0.1)
    with pytest.raises(ValueError, match="Scenario.fault_growth must be finite"):
        m.Scenario(fault_growth=math.inf)
