"""Tests of mdcd_lab.summary: intervals against reference values, summaries, paired differences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mdcd_lab.metrics import METRIC_NAMES, METRICS, OUTCOMES, VIOLATIONS, finalize_frame
from mdcd_lab.stats.intervals import RARE_MODE_RUNS, rare_mode_factor
from mdcd_lab.stats.summary import (
    INTERVAL_METHODS,
    PAIRED_COLUMNS,
    SUMMARY_COLUMNS,
    metric_support,
    paired_differences,
    quasi_poisson_interval,
    summarize,
    wilson_interval,
)

# --------------------------------------------------------------------------- reference values


def _t_factor(n: int, level: float) -> float:
    """half_width / (std / sqrt(n)) of summarize's t interval on a sample of size n."""
    x = np.arange(n, dtype=float)
    out = summarize(pd.DataFrame({"x": x}), metrics="x", level=level, method="t").iloc[0]
    return out["half_width"] / (x.std(ddof=1) / math.sqrt(n))


@pytest.mark.parametrize("df,expected", [(1, 12.7062), (2, 4.3027), (5, 2.5706), (10, 2.2281),
                                         (30, 2.0423), (1000, 1.9623)])
def test_t_interval_uses_table_quantiles(df, expected):
    assert _t_factor(df + 1, 0.95) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("p,df,expected", [
    (0.95, 1, 6.313752), (0.995, 1, 63.656741), (0.995, 3, 5.840909), (0.9, 4, 1.533206),
    (0.999, 20, 3.551808), (0.75, 7, 0.711142),
])
def test_t_interval_more_table_quantiles(p, df, expected):
    assert _t_factor(df + 1, 2 * p - 1) == pytest.approx(expected, abs=2e-6)


def test_t_interval_closed_forms():
    # df = 1 is Cauchy, df = 2 has a closed form
    for p in (0.6, 0.9, 0.975, 0.999):
        assert _t_factor(2, 2 * p - 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-10)
        a = 4 * p * (1 - p)
        assert _t_factor(3, 2 * p - 1) == pytest.approx((2 * p - 1) * math.sqrt(2 / a),
                                                        rel=1e-10)
    assert _t_factor(2001, 0.95) > 1.959963984540054  # above the normal quantile


def test_wilson_hand_computed():
    lo, hi = wilson_interval(3, 10, 0.95)
    assert lo == pytest.approx(0.1078, abs=1e-4) and hi == pytest.approx(0.6032, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.data(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_matches_scipy(n, data, level):
    x = data.draw(st.integers(0, n))
    ref = stats.binomtest(x, n).proportion_ci(confidence_level=level, method="wilson")
    lo, hi = wilson_interval(x, n, level)
    assert lo == pytest.approx(ref.low, abs=1e-12) and hi == pytest.approx(ref.high, abs=1e-12)


def test_wilson_extremes():
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and 0 < hi < 0.35
    lo, hi = wilson_interval(10, 10)
    assert hi == 1.0 and 0.65 < lo < 1
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    # wider at a higher level
    assert wilson_interval(3, 10, 0.99)[0] < wilson_interval(3, 10, 0.9)[0]


def test_quasi_poisson_reference_values():
    # a Poisson-like sample (variance <= mean: phi = 1) gives the exact Garwood interval;
    # table value for 3 events: [0.6187, 8.7673]
    lo, hi = quasi_poisson_interval([0.3], [0.3], [10])
    assert lo[0] == pytest.approx(0.06187, abs=1e-5) and hi[0] == pytest.approx(0.87673, abs=1e-5)
    # zeros: [0, -ln(0.025) / n], never of zero width
    lo, hi = quasi_poisson_interval([0.0, 0.0], [0.0, 0.0], [5, 100])
    assert lo.tolist() == [0.0, 0.0]
    assert hi == pytest.approx([-math.log(0.025) / 5, -math.log(0.025) / 100], rel=1e-12)
    # n < 2: undefined
    assert np.isnan(quasi_poisson_interval([1.0], [np.nan], [1])).all()


def test_quasi_poisson_tends_to_normal_interval_when_overdispersed():
    n, mean, std = 100_000, 0.4, 0.8  # variance/mean = 1.6
    lo, hi = quasi_poisson_interval([mean], [std], [n])
    half = stats.norm.ppf(0.975) * std / math.sqrt(n)
    assert lo[0] == pytest.approx(mean - half, rel=1e-3)
    assert hi[0] == pytest.approx(mean + half, rel=1e-3)


def test_quasi_poisson_inflates_estimated_dispersion_like_student():
    # same mean and spread, fewer runs: the dispersion is multiplied by (t / z)^2
    n, mean, std = 8, 2.0, 3.0
    lo, hi = quasi_poisson_interval([mean], [std], [n])
    phi = std**2 / mean * (stats.t.ppf(0.975, n - 1) / stats.norm.ppf(0.975)) ** 2
    assert lo[0] == pytest.approx(stats.gamma.ppf(0.025, n * mean / phi) / (n / phi), rel=1e-12)
    assert hi[0] == pytest.approx(stats.gamma.ppf(0.975, n * mean / phi + 1) / (n / phi),
                                  rel=1e-12)


# --------------------------------------------------------------------------- helpers


def fake_results(n_runs: int = 40, protocols=("mdcd", "coordinated"), points=(0, 1),
                 seed: int = 0) -> pd.DataFrame:
    """A sweep-shaped per-run frame with the real schema (no simulation)."""
    rng = np.random.default_rng(seed)
    frames = []
    for point in points:
        base = {m.name: rng.integers(0, 6, n_runs) for m in METRICS if m.dtype == "int64"}
        base.update({m.name: rng.random(n_runs) * 10 for m in METRICS if m.dtype == "float64"})
        for k, proto in enumerate(protocols):
            cols = {k2: v + k for k2, v in base.items()}  # protocol k adds k to everything
            cols["run"] = np.arange(n_runs)
            cols["seed"] = np.full(n_runs, 99)
            cols["outcome"] = rng.choice(OUTCOMES, n_runs)
            for v in VIOLATIONS:
                cols[v] = (rng.random(n_runs) < 0.05).astype(int)
            f = finalize_frame(pd.DataFrame(cols))
            f["point"] = point
            f["n_low"] = 2 + point
            f["protocol"] = proto
            frames.append(f)
    df = pd.concat(frames, ignore_index=True)
    df["protocol"] = pd.Categorical(df["protocol"], categories=list(protocols))
    return df


# --------------------------------------------------------------------------- summarize


def test_summarize_columns_and_default_metrics():
    df = fake_results(points=(0,))
    out = summarize(df)
    assert list(out.columns) == list(SUMMARY_COLUMNS)
    metrics = out["metric"].tolist()
    assert "run" not in metrics and "seed" not in metrics and "outcome" not in metrics
    numeric = [m for m in METRIC_NAMES if m not in ("run", "seed", "outcome")]
    expected = numeric[:]
    expected[0:0] = ["p_completed", "p_failed", "p_recovered"]  # outcome sits before t_end
    assert metrics == expected + ["p_violation"]
    assert set(out.loc[out.metric.str.startswith("p_"), "method"]) == {"clopper-pearson"}
    by_method = out.set_index("metric")["method"]
    for m in METRICS:
        if m.name in by_method.index:
            nonneg = m.support in ("count", "nonnegative")
            assert by_method[m.name] == ("hall" if nonneg else "t"), m.name
    assert (out["n"] == len(df)).all()


def test_summarize_numbers_match_hand_computation():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan], "g": ["a", "a", "a", "b"]})
    out = summarize(df, by="g", metrics="x")
    a = out[out.g == "a"].iloc[0]
    assert a["n"] == 3 and a["mean"] == 2.0 and a["std"] == 1.0
    half = 4.302652729749464 / math.sqrt(3)
    assert a["half_width"] == pytest.approx(half, rel=1e-12)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((2 - half, 2 + half), rel=1e-12)
    b = out[out.g == "b"].iloc[0]  # only a NaN: n = 0
    assert b["n"] == 0 and math.isnan(b["mean"]) and math.isnan(b["half_width"])


def test_summarize_n_below_two_gives_nan_spread():
    out = summarize(pd.DataFrame({"x": [4.0]}), metrics=["x"]).iloc[0]
    assert out["n"] == 1 and out["mean"] == 4.0
    assert math.isnan(out["std"]) and math.isnan(out["half_width"])
    assert math.isnan(out["ci_low"]) and math.isnan(out["ci_high"])


def test_summarize_drops_nan_per_metric():
    df = fake_results(n_runs=30, points=(0,), protocols=("mdcd",))
    df.loc[:9, "rollback_dist_max"] = np.nan
    out = summarize(df).set_index("metric")
    assert out.loc["rollback_dist_max", "n"] == 20
    assert out.loc["rollback_dist_max", "mean"] == pytest.approx(
        df["rollback_dist_max"].iloc[10:].mean())
    assert out.loc["t_end", "n"] == 30


def test_summarize_outcome_probabilities_exact_and_wilson():
    outcome = ["completed"] * 7 + ["failed"] * 3
    df = finalize_frame(pd.DataFrame({"outcome": outcome}))
    out = summarize(df, metrics=["p_completed", "p_failed", "p_recovered"]).set_index("metric")
    assert out.loc["p_failed", "mean"] == pytest.approx(0.3)
    # Clopper-Pearson (the default) against scipy's exact binomial interval
    exact = stats.binomtest(3, 10).proportion_ci(method="exact")
    assert out.loc["p_failed", ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [exact.low, exact.high], rel=1e-9)
    assert out.loc["p_recovered", "mean"] == 0.0 and out.loc["p_recovered", "ci_low"] == 0.0
    assert out.loc["p_recovered", "ci_high"] == pytest.approx(1 - 0.025 ** (1 / 10))
    assert out.loc["p_completed", "ci_high"] == pytest.approx(1 - exact.low, rel=1e-9)
    assert out.loc["p_failed", "std"] == pytest.approx(np.std([0] * 7 + [1] * 3, ddof=1))
    assert set(out["method"]) == {"clopper-pearson"} and out["ci_reliable"].all()
    w = summarize(df, metrics=["p_failed"], method="wilson").iloc[0]
    assert [w["ci_low"], w["ci_high"]] == pytest.approx([0.1078, 0.6032], abs=1e-4)
    assert w["half_width"] == pytest.approx((0.6032 - 0.1078) / 2, abs=1e-4)


def test_summarize_p_violation():
    df = fake_results(n_runs=20, points=(0,), protocols=("mdcd",))
    df[list(VIOLATIONS)] = 0
    df.loc[[0, 5], "orphans"] = 2
    df.loc[[5, 7], "cascade"] = 1
    row = summarize(df, metrics="p_violation").iloc[0]
    assert row["n"] == 20 and row["mean"] == pytest.approx(3 / 20)
    exact = stats.binomtest(3, 20).proportion_ci(method="exact")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((exact.low, exact.high), rel=1e-9)
    assert row["method"] == "clopper-pearson"
    w = summarize(df, metrics="p_violation", method="wilson").iloc[0]
    assert (w["ci_low"], w["ci_high"]) == pytest.approx(wilson_interval(3, 20), rel=1e-12)


def test_summarize_groups_and_dtypes():
    df = fake_results()
    out = summarize(df, by=["point", "protocol"], metrics=["ckpt_total", "p_failed"])
    assert list(out.columns) == ["point", "protocol", *SUMMARY_COLUMNS]
    assert len(out) == 2 * 2 * 2
    assert out["protocol"].dtype == df["protocol"].dtype
    assert out["point"].dtype == df["point"].dtype
    assert out[["point", "protocol", "metric"]].values.tolist() == [
        [0, "mdcd", "ckpt_total"], [0, "mdcd", "p_failed"],
        [0, "coordinated", "ckpt_total"], [0, "coordinated", "p_failed"],
        [1, "mdcd", "ckpt_total"], [1, "mdcd", "p_failed"],
        [1, "coordinated", "ckpt_total"], [1, "coordinated", "p_failed"]]
    sel = df[(df.point == 1) & (df.protocol == "coordinated")]["ckpt_total"]
    row = out[(out.point == 1) & (out.protocol == "coordinated") & (out.metric == "ckpt_total")]
    assert row["mean"].item() == pytest.approx(sel.mean())
    assert row["std"].item() == pytest.approx(sel.std())


def test_summarize_by_column_excluded_from_defaults():
    df = fake_results(points=(0,))
    out = summarize(df, by="ckpt_total")
    assert "ckpt_total" not in set(out["metric"])


def test_summarize_non_default_index_ok():
    df = fake_results(points=(0,)).iloc[::-1]
    df.index = np.arange(len(df)) * 3 + 1000
    a = summarize(df, by="protocol", metrics=["t_end"])
    b = summarize(df.reset_index(drop=True), by="protocol", metrics=["t_end"])
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.statistical
def test_ci_coverage_of_normal_mean():
    rng = np.random.default_rng(20240601)
    reps, n, mu = 2000, 8, 3.5
    x = rng.normal(mu, 2.0, size=(reps, n))
    df = pd.DataFrame({"rep": np.repeat(np.arange(reps), n), "x": x.ravel()})
    out = summarize(df, by="rep", metrics="x", level=0.95)
    assert len(out) == reps
    covered = ((out["ci_low"] <= mu) & (mu <= out["ci_high"])).mean()
    assert 0.93 <= covered <= 0.97, covered
    # a normal-quantile interval would under-cover visibly at n = 8
    z_half = 1.959964 * out["std"] / math.sqrt(n)
    z_cov = ((out["mean"] - z_half <= mu) & (mu <= out["mean"] + z_half)).mean()
    assert z_cov < covered


def test_level_changes_width():
    df = fake_results(points=(0,), protocols=("mdcd",))
    w90 = summarize(df, metrics="t_end", level=0.90)["half_width"].item()
    w99 = summarize(df, metrics="t_end", level=0.99)["half_width"].item()
    assert w99 > w90 > 0


@pytest.mark.parametrize("kwargs,match", [
    ({"by": "nope"}, "unknown `by`"),
    ({"metrics": ["t_end", "bogus"]}, "unknown metric 'bogus'"),
    ({"metrics": "protocol"}, "not numeric"),
    ({"metrics": []}, "empty"),
    ({"level": 1.0}, "level"),
    ({"level": 0}, "level"),
    ({"level": 95}, "level"),
])
def test_summarize_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        summarize(fake_results(points=(0,)), **kwargs)


def test_summarize_unknown_outcome_value():
    df = pd.DataFrame({"outcome": ["completed", "exploded"]})
    with pytest.raises(ValueError, match="exploded"):
        summarize(df, metrics="p_failed")


def test_summarize_needs_columns_for_probabilities():
    with pytest.raises(ValueError, match="outcome"):
        summarize(pd.DataFrame({"x": [1.0]}), metrics="p_failed")
    with pytest.raises(ValueError, match="no metric columns"):
        summarize(pd.DataFrame({"x": [1.0]}))


# --------------------------------------------------------------------------- paired differences


def test_paired_differences_basic():
    df = fake_results()
    out = paired_differences(df, ["ckpt_total", "t_end"], baseline="mdcd", by="point")
    assert list(out.columns) == ["point", *PAIRED_COLUMNS]
    assert len(out) == 2 * 1 * 2
    assert set(out["protocol"]) == {"coordinated"} and set(out["baseline"]) == {"mdcd"}
    # fake_results adds 1 to every metric of the second protocol: the difference is exactly 1
    assert np.allclose(out["mean_diff"], 1.0)
    assert np.allclose(out["half_width"], 0.0) and (out["n"] == 40).all()


def test_paired_differences_matches_manual_computation():
    df = fake_results(protocols=("mdcd", "a", "b"))
    rng = np.random.default_rng(5)
    df["noise"] = rng.normal(size=len(df))
    out = paired_differences(df, "noise", baseline="a")
    assert out["protocol"].tolist() == ["mdcd", "b"]
    for proto in ("mdcd", "b"):
        x = df[df.protocol == proto].sort_values(["point", "run"])["noise"].to_numpy()
        y = df[df.protocol == "a"].sort_values(["point", "run"])["noise"].to_numpy()
        d = x - y
        row = out[out.protocol == proto].iloc[0]
        assert len(d) == 80
        half = 1.990450 * d.std(ddof=1) / math.sqrt(len(d))  # t(0.975, 79), table value
        assert row["n"] == len(d)
        assert row["mean_diff"] == pytest.approx(d.mean(), rel=1e-12)
        assert row["half_width"] == pytest.approx(half, rel=1e-6)


def test_paired_differences_pairs_by_key_not_row_order():
    df = fake_results(points=(0,))
    shuffled = df.sample(frac=1.0, random_state=3)
    a = paired_differences(df, "ckpt_total", baseline="mdcd")
    b = paired_differences(shuffled, "ckpt_total", baseline="mdcd")
    pd.testing.assert_frame_equal(a, b)
    assert a["mean_diff"].item() == pytest.approx(1.0)


def test_paired_differences_nan_pairs_dropped():
    df = fake_results(n_runs=10, points=(0,))
    df.loc[(df.protocol == "mdcd") & (df.run < 3), "rollback_dist_max"] = np.nan
    out = paired_differences(df, "rollback_dist_max", baseline="mdcd")
    assert out["n"].item() == 7


def test_paired_differences_probability_metric():
    df = fake_results(n_runs=50, points=(0,))
    out = paired_differences(df, "p_failed", baseline="mdcd").iloc[0]
    f = df.assign(ind=(df.outcome == "failed").astype(float))
    expected = (f[f.protocol == "coordinated"]["ind"].to_numpy()
                - f[f.protocol == "mdcd"]["ind"].to_numpy()).mean()
    assert out["mean_diff"] == pytest.approx(expected)


def test_paired_differences_missing_runs():
    df = fake_results()
    drop = df[(df.protocol == "coordinated") & (df.run.isin([1, 2, 3]))].index
    with pytest.raises(ValueError, match="6 baseline run"):  # 3 runs in each of 2 points
        paired_differences(df.drop(index=drop), "ckpt_total", baseline="mdcd")


def test_paired_differences_different_seeds_do_not_pair():
    df = fake_results(points=(0,))
    df.loc[df.protocol == "coordinated", "seed"] = 100
    with pytest.raises(ValueError, match="40 baseline run"):
        paired_differences(df, "ckpt_total", baseline="mdcd")


@pytest.mark.parametrize("kwargs,match", [
    ({"baseline": "nope"}, "baseline protocol 'nope'"),
    ({"baseline": "mdcd", "by": "protocol"}, "protocol"),
    ({"baseline": "mdcd", "by": "missing"}, "unknown `by`"),
    ({"baseline": "mdcd", "metrics": "bogus"}, "unknown metric"),
    ({"baseline": "mdcd", "level": 2}, "level"),
])
def test_paired_differences_validation(kwargs, match):
    kwargs = {"metrics": "ckpt_total", **kwargs}
    with pytest.raises(ValueError, match=match):
        paired_differences(fake_results(), **kwargs)


def test_paired_differences_duplicates_and_single_protocol():
    df = fake_results(points=(0,))
    with pytest.raises(ValueError, match="share a key"):
        paired_differences(pd.concat([df, df.iloc[:1]]), "ckpt_total", baseline="mdcd")
    with pytest.raises(ValueError, match="only the baseline"):
        paired_differences(df[df.protocol == "mdcd"], "ckpt_total", baseline="mdcd")
    with pytest.raises(ValueError, match="'protocol' column"):
        paired_differences(df.drop(columns="protocol"), "ckpt_total", baseline="mdcd")


# --------------------------------------------------------------------------- methods


def _counts(values, name="n_compensated"):
    return pd.DataFrame({name: np.asarray(values, dtype=np.int64)})


def test_metric_support_comes_from_metrics_table():
    assert metric_support("n_compensated") == "count"
    assert metric_support("t_end") == "nonnegative"
    assert metric_support("p_failed") == "probability"
    assert metric_support("my_column") == "real"


def test_auto_count_interval_of_zeros_bounds_nothing():
    """Issue 22: an all-zero sample of a zero-inflated count has no honest finite upper
    bound (the Poisson rule [0, 3.69 / n] assumed one); it is [0, inf) and unreliable."""
    out = summarize(_counts([0] * 40), metrics="n_compensated").iloc[0]
    assert out["method"] == "hall"
    assert out["ci_low"] == 0.0 and out["ci_high"] == math.inf and not out["ci_reliable"]
    assert out["half_width"] == math.inf
    qp = summarize(_counts([0] * 10), metrics="n_compensated", method="quasi-poisson").iloc[0]
    assert qp["ci_low"] == 0.0 and qp["ci_high"] == pytest.approx(-math.log(0.025) / 10)


def test_t_interval_of_nonnegative_metric_is_clipped_at_zero():
    df = _counts([0, 0, 0, 0, 7])
    out = summarize(df, metrics="n_compensated", method="t").iloc[0]
    raw = out["mean"] - 2.7764451051977987 * out["std"] / math.sqrt(5)  # t(0.975, 4)
    assert raw < 0 and out["ci_low"] == 0.0
    assert out["half_width"] == pytest.approx(out["ci_high"] / 2)
    # a signed user column is not clipped
    signed = summarize(pd.DataFrame({"x": [0.0, 0, 0, 0, 7]}), metrics="x").iloc[0]
    assert signed["ci_low"] == pytest.approx(raw) and signed["method"] == "t"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=2, max_size=40),
       st.sampled_from(["auto", "t", "hall", "quasi-poisson", "hurdle", "bca"]))
def test_never_a_negative_lower_bound_for_nonnegative_metrics(values, method):
    df = pd.DataFrame({"n_compensated": np.array(values, dtype=np.int64),
                       "t_end": np.array(values, dtype=float) * 0.5})
    out = summarize(df, metrics=["n_compensated", "t_end"], method=method)
    lows = out["ci_low"].dropna()
    assert (lows >= 0).all()
    assert (out["ci_high"].dropna() >= out["mean"][out["ci_high"].notna()]).all()


def test_method_mapping_and_errors():
    df = fake_results(points=(0,), protocols=("mdcd",))
    out = summarize(df, metrics=["ckpt_total", "t_end", "p_failed"],
                    method={"ckpt_total": "t"}).set_index("metric")
    assert out["method"].tolist() == ["t", "hall", "clopper-pearson"]
    assert set(INTERVAL_METHODS) == {"auto", "t", "hall", "quasi-poisson", "hurdle", "wilson",
                                     "clopper-pearson", "bca"}
    with pytest.raises(ValueError, match="unknown interval method 'exact'"):
        summarize(df, metrics="ckpt_total", method="exact")
    with pytest.raises(ValueError, match="'wilson' is for the shares"):
        summarize(df, metrics="ckpt_total", method="wilson")
    with pytest.raises(ValueError, match="not summarised"):
        summarize(df, metrics="ckpt_total", method={"t_end": "t"})
    with pytest.raises(ValueError, match="non-negative values"):
        summarize(pd.DataFrame({"x": [-1.0, 2.0]}), metrics="x", method="quasi-poisson")
    with pytest.raises(ValueError, match="seed"):
        summarize(df, metrics="ckpt_total", seed=-1)


def test_bca_is_reproducible_and_close_to_t_for_symmetric_data():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"x": rng.normal(10.0, 2.0, 400), "g": np.repeat(["a", "b"], 200)})
    a = summarize(df, by="g", metrics="x", method="bca", seed=3)
    pd.testing.assert_frame_equal(a, summarize(df, by="g", metrics="x", method="bca", seed=3))
    assert not a.equals(summarize(df, by="g", metrics="x", method="bca", seed=4))
    t = summarize(df, by="g", metrics="x", method="t")
    assert np.allclose(a["ci_low"], t["ci_low"], atol=0.1)
    assert np.allclose(a["ci_high"], t["ci_high"], atol=0.1)
    # the group's own values are resampled: group b's bounds bracket group b's mean
    b = a[a.g == "b"].iloc[0]
    assert b["ci_low"] < df[df.g == "b"]["x"].mean() < b["ci_high"]
    const = summarize(pd.DataFrame({"x": [2.0] * 5}), metrics="x", method="bca").iloc[0]
    assert math.isnan(const["ci_low"]) and math.isnan(const["half_width"])


@pytest.mark.statistical
def test_bca_covers_skewed_means():
    # exponential samples of 40: BCa coverage near 95% (binomial slack: 300 reps, sd 0.013)
    rng = np.random.default_rng(11)
    reps, n = 300, 40
    x = rng.exponential(1.0, (reps, n))
    df = pd.DataFrame({"rep": np.repeat(np.arange(reps), n), "x": x.ravel()})
    out = summarize(df, by="rep", metrics="x", method="bca")
    covered = ((out["ci_low"] <= 1.0) & (1.0 <= out["ci_high"])).mean()
    assert covered >= 0.89, covered


# --------------------------------------------------------------------------- run-length metrics


def test_rare_mode_factor_is_one_minus_the_exact_upper_bound():
    # 1 - q_hi, q_hi the Clopper-Pearson upper bound of k early endings out of n
    # (scipy's exact binomial interval), below RARE_MODE_RUNS; 1 from there on
    for n in (10, 30, 100):
        for k in range(RARE_MODE_RUNS):
            q_hi = stats.binomtest(k, n).proportion_ci(0.95, method="exact").high
            assert rare_mode_factor(k, n, 0.95)[()] == pytest.approx(1 - q_hi, rel=1e-10)
        assert rare_mode_factor(RARE_MODE_RUNS, n, 0.95)[()] == 1.0
    assert rare_mode_factor(0, 30, 0.95)[()] == pytest.approx(0.025 ** (1 / 30), rel=1e-12)
    assert rare_mode_factor(0, 30, 0.99)[()] < rare_mode_factor(0, 30, 0.95)[()]


def _run_lengths(outcomes, seed=0):
    """A frame of run-length metrics (and a count that is not one) with these outcomes."""
    rng = np.random.default_rng(seed)
    n = len(outcomes)
    return pd.DataFrame({"outcome": pd.Categorical(outcomes, categories=list(OUTCOMES)),
                         "n_events": rng.poisson(400, n).astype(np.int64),
                         "t_end": 100.0 - rng.random(n),
                         "n_compensated": rng.poisson(2.0, n).astype(np.int64)})


@pytest.mark.parametrize("k", [0, 1, 2, 5])
def test_default_interval_of_run_length_metric_guards_its_lower_end(k):
    """Issue 22: a sample with fewer than RARE_MODE_RUNS early endings gets Hall's lower
    bound times rare_mode_factor(k, n); its upper bound, other metrics and explicit
    methods are untouched."""
    df = _run_lengths(["failed"] * k + ["completed"] * (30 - k))
    names = ["n_events", "t_end", "n_compensated"]
    auto = summarize(df, metrics=names).set_index("metric")
    hall = summarize(df, metrics=names, method="hall").set_index("metric")
    factor = rare_mode_factor(k, 30, 0.95)[()] if k < RARE_MODE_RUNS else 1.0
    assert (factor < 1.0) == (k < RARE_MODE_RUNS)
    for name in ("n_events", "t_end"):
        assert auto.loc[name, "method"] == "hall"
        assert auto.loc[name, "ci_low"] == pytest.approx(hall.loc[name, "ci_low"] * factor,
                                                         rel=1e-12)
        assert auto.loc[name, "ci_high"] == hall.loc[name, "ci_high"]
        assert auto.loc[name, "half_width"] == pytest.approx(
            (auto.loc[name, "ci_high"] - auto.loc[name, "ci_low"]) / 2, rel=1e-12)
        assert auto.loc[name, "ci_reliable"]
    assert auto.loc["n_compensated"].equals(hall.loc["n_compensated"])
    # a mapping that names the metric keeps the explicit method; the others stay default
    mixed = summarize(df, metrics=names, method={"t_end": "hall"}).set_index("metric")
    assert mixed.loc["t_end", "ci_low"] == hall.loc["t_end", "ci_low"]
    assert mixed.loc["n_events", "ci_low"] == auto.loc["n_events", "ci_low"]


def test_run_length_guard_counts_early_endings_per_group_and_needs_outcome():
    # group a: no early ending (guarded); group b: a failed and a recovered run (not)
    df = pd.concat([_run_lengths(["completed"] * 30, seed=1),
                    _run_lengths(["failed", "recovered"] + ["completed"] * 28, seed=2)],
                   ignore_index=True)
    df["g"] = ["a"] * 30 + ["b"] * 30
    auto = summarize(df, by="g", metrics="n_events").set_index("g")
    hall = summarize(df, by="g", metrics="n_events", method="hall").set_index("g")
    assert auto.loc["a", "ci_low"] == pytest.approx(
        hall.loc["a", "ci_low"] * 0.025 ** (1 / 30), rel=1e-12)
    assert auto.loc["b", "ci_low"] == hall.loc["b", "ci_low"]
    # without an outcome column nothing tells the early endings apart: Hall's interval
    plain = summarize(df.drop(columns="outcome"), by="g", metrics="n_events").set_index("g")
    assert plain["ci_low"].tolist() == hall["ci_low"].tolist()


def test_guarded_interval_covers_a_mean_with_a_rare_early_mode():
    """The defect of the coverage table (scenario 1, n = 30): 3% of the runs end early and
    hold a quarter of the metric; a sample without them (40% of samples of 30) puts Hall's
    interval above the mean.  The guard restores the coverage; Hall's alone does not."""
    rng = np.random.default_rng(2222)
    reps, n, q = 1000, 30, 0.03
    early = rng.random((reps, n)) < q
    x = np.where(early, rng.uniform(0.0, 50.0, (reps, n)), rng.normal(100.0, 5.0, (reps, n)))
    truth = (1 - q) * 100.0 + q * 25.0
    df = pd.DataFrame({"block": np.repeat(np.arange(reps), n), "t_end": x.ravel(),
                       "outcome": np.where(early, "failed", "completed").ravel()})
    auto = summarize(df, by="block", metrics="t_end")
    hall = summarize(df, by="block", metrics="t_end", method="hall")
    covered = ((auto["ci_low"] <= truth) & (truth <= auto["ci_high"])).mean()
    plain = ((hall["ci_low"] <= truth) & (truth <= hall["ci_high"])).mean()
    assert plain < 0.8, plain           # k = 0 in (0.97)^30 = 40% of the samples
    assert covered >= 0.95, covered
