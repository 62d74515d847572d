"""The intervals of issue 22: hurdle (MOVER of Wilson and Hall), Hall's skewness-corrected t,
Clopper-Pearson, the ``ci_reliable`` flag and the stopping rule's use of it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mdcd_lab.metrics import METRICS, finalize_frame
from mdcd_lab.scenario import Scenario
from mdcd_lab.stats.intervals import (
    AUTO_METHODS,
    MIN_RELIABLE_N,
    hall_interval,
    hurdle_interval,
    min_reliable_n,
    wilson_interval,
)
from mdcd_lab.stats.summary import summarize
from mdcd_lab.studies.stopping import MIN_STOP_RUNS, StopRule, decide


def _skew(x: np.ndarray) -> float:
    return float(stats.skew(x, bias=False))


def test_hall_is_student_t_without_skew_and_leans_with_it():
    lo, hi = hall_interval([2.0], [1.5], [0.0], [12])
    half = stats.t.ppf(0.975, 11) * 1.5 / math.sqrt(12)
    assert (lo[0], hi[0]) == pytest.approx((2.0 - half, 2.0 + half), rel=1e-12)
    lo, hi = hall_interval([2.0, 2.0], [1.5, 1.5], [1.5, -1.5], [12, 12])
    assert hi[0] - 2.0 > 2.0 - lo[0] and 2.0 - lo[1] > hi[1] - 2.0   # longer towards the skew
    assert (lo[0] - 2.0, hi[0] - 2.0) == pytest.approx((2.0 - hi[1], 2.0 - lo[1]))
    # the bounds solve Hall's equation sqrt(n) h((mean - mu) / std) = -+ t
    g, n = 1.5, 12
    for bound, q in ((lo[0], -1.0), (hi[0], 1.0)):
        T = (2.0 - bound) / 1.5
        h = T + g * T * T / 3 + g * g * T ** 3 / 27 + g / (6 * n)
        assert math.sqrt(n) * h == pytest.approx(-q * stats.t.ppf(0.975, n - 1), rel=1e-9)
    assert np.isnan(hall_interval([1.0], [1.0], [0.0], [2])[0]).all()


def test_hurdle_is_the_mover_of_wilson_and_hall():
    x = np.array([0.0] * 12 + [1, 2, 2, 3, 1, 4, 2, 9])
    pos = x[x > 0]
    out = summarize(pd.DataFrame({"rollback_dist_sum": x}), metrics="rollback_dist_sum",
                    method="hurdle").iloc[0]
    assert out["method"] == "hurdle"
    p, mu = len(pos) / len(x), pos.mean()
    l1, u1 = wilson_interval(len(pos), len(x))
    (l2,), (u2,) = hall_interval([mu], [pos.std(ddof=1)], [_skew(pos)], [len(pos)])
    lower = p * mu * math.exp(-math.hypot(math.log(p / l1), math.log(mu / l2)))
    upper = p * mu * math.exp(math.hypot(math.log(u1 / p), math.log(u2 / mu)))
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((lower, upper), rel=1e-10)
    assert out["mean"] == pytest.approx(x.mean()) and lower < x.mean() < upper
    # without zeros it is Hall's interval of the mean
    y = np.array([1.0, 2, 2, 3, 1, 4, 2, 9, 3, 2])
    out = summarize(pd.DataFrame({"rollback_dist_sum": y}), metrics="rollback_dist_sum",
                    method="hurdle").iloc[0]
    (lo,), (hi,) = hall_interval([y.mean()], [y.std(ddof=1)], [_skew(y)], [len(y)])
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((lo, hi), rel=1e-10)
    # ... which is the default of a non-negative metric, on any sample with spread
    for sample in (x, y):
        auto = summarize(pd.DataFrame({"rollback_dist_sum": sample}),
                         metrics="rollback_dist_sum").iloc[0]
        (lo,), (hi,) = hall_interval([sample.mean()], [sample.std(ddof=1)], [_skew(sample)],
                                     [len(sample)])
        assert auto["method"] == "hall"
        assert (auto["ci_low"], auto["ci_high"]) == pytest.approx((max(lo, 0.0), hi), rel=1e-10)


@pytest.mark.parametrize("values", [[0.0] * 40, [0.0] * 39 + [5.0], [3.0] * 40])
@pytest.mark.parametrize("method", ["auto", "hall", "hurdle"])
def test_samples_that_bound_nothing(values, method):
    """All zero, one non-zero value, no spread at all: [0, inf) and unreliable."""
    out = summarize(pd.DataFrame({"n_replayed": np.array(values, dtype=np.int64)}),
                    metrics="n_replayed", method=method).iloc[0]
    assert (out["ci_low"], out["ci_high"]) == (0.0, math.inf) and not out["ci_reliable"]
    lo, hi = hurdle_interval([40], [0], [math.nan], [math.nan])
    assert (lo[0], hi[0]) == (0.0, math.inf)


def test_ci_reliable_follows_the_documented_minimum_n():
    assert MIN_RELIABLE_N == {"count": 30, "nonnegative": 30, "probability": 1, "real": 10}
    assert max(MIN_RELIABLE_N.values()) <= 30 <= MIN_STOP_RUNS
    assert set(AUTO_METHODS) == set(MIN_RELIABLE_N)
    rng = np.random.default_rng(3)
    for n in (9, 10, 29, 30):
        df = finalize_frame(pd.DataFrame({
            "n_at": rng.poisson(3.0, n), "twin_offset_mean": rng.normal(0.2, 0.1, n),
            "outcome": rng.choice(["completed", "failed"], n)}))
        out = summarize(df, metrics=["n_at", "twin_offset_mean", "p_failed"]).set_index("metric")
        for metric in out.index:
            assert out.loc[metric, "ci_reliable"] == (n >= min_reliable_n(metric)), (n, metric)
    assert {min_reliable_n(m.name) for m in METRICS if m.support == "count"} == {30}


def _runs(n: int, dist: np.ndarray) -> pd.DataFrame:
    df = finalize_frame(pd.DataFrame({"ckpt_total": np.full(n, 100, dtype=np.int64),
                                      "rollback_dist_max": dist, "outcome": "completed"}))
    return df


def test_stopping_never_stops_on_an_unreliable_interval():
    """40 runs, but only 12 with a rollback: rollback_dist_max has n = 12 < 30 (values within
    1%), so the point does not stop however narrow the interval; with 40 values it does."""
    rule = StopRule(0.5, 1000, ("rollback_dist_max",))
    sc = Scenario()
    dist = np.full(40, np.nan)
    dist[:12] = 5.0 + np.linspace(0, 0.05, 12)
    s = summarize(_runs(40, dist), metrics="rollback_dist_max").iloc[0]
    assert s["half_width"] < 0.5 * s["mean"] and not s["ci_reliable"]
    assert decide(rule, sc, ("mdcd",), [_runs(40, dist)])[0] is False
    full = 5.0 + np.linspace(0, 0.05, 40)
    assert decide(rule, sc, ("mdcd",), [_runs(40, full)])[0] is True


def test_default_covers_a_zero_inflated_skewed_mean():
    """A zero-inflated lognormal (P(0) = 0.7, heavy right tail): at n = 30 the default
    (Hall's skewness-corrected t) and the hurdle cover near the nominal level where Student t
    does not.  Thresholds: 3 binomial s.e. of 1000 samples from the coverage measured with
    20 000 samples of another seed (Hall 0.953, hurdle 0.929, t 0.837)."""
    rng = np.random.default_rng(np.random.SeedSequence(22))
    n, reps = 30, 1000
    x = np.where(rng.random((reps, n)) < 0.3, rng.lognormal(0.0, 1.0, (reps, n)), 0.0)
    truth = 0.3 * math.exp(0.5)
    df = pd.DataFrame({"rollback_dist_sum": x.ravel(), "block": np.repeat(np.arange(reps), n)})
    cov = {}
    for method in ("auto", "hurdle", "t"):
        s = summarize(df, by="block", metrics="rollback_dist_sum", method=method)
        cov[method] = float(((s["ci_low"] <= truth) & (truth <= s["ci_high"])).mean())

    def se(p):
        return 3 * math.sqrt(p * (1 - p) / reps)
    assert cov["auto"] >= 0.953 - se(0.953), cov
    assert cov["hurdle"] >= 0.929 - se(0.929), cov
    assert cov["t"] <= 0.837 + se(0.837), cov
