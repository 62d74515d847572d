"""Tests of mdcd_lab.grid: grids, sampling, point validation and per-point seeds."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdcd_lab.scenario import FIELDS, Scenario
from mdcd_lab.studies.grid import expand_grid, point_seed, sample, validate_points

# --------------------------------------------------------------------------- expand_grid


def test_expand_grid_order_first_key_slowest():
    pts = expand_grid({"n_low": [2, 4], "at_coverage": [0.9, 0.99, 1.0]})
    assert pts == [
        {"n_low": 2, "at_coverage": 0.9}, {"n_low": 2, "at_coverage": 0.99},
        {"n_low": 2, "at_coverage": 1.0},
        {"n_low": 4, "at_coverage": 0.9}, {"n_low": 4, "at_coverage": 0.99},
        {"n_low": 4, "at_coverage": 1.0},
    ]
    # the same as itertools.product over the keys in insertion order
    grid = {"latency": (0.0, 1.0), "n_act": [1, 2, 3], "horizon": [10.0, 20.0]}
    expected = [dict(zip(grid, c, strict=True)) for c in itertools.product(*grid.values())]
    assert expand_grid(grid) == expected


def test_expand_grid_str_and_scalar_are_one_value():
    pts = expand_grid({"fault_scope": "process", "n_low": 3, "latency": [0.0, 1.0]})
    assert pts == [{"fault_scope": "process", "n_low": 3, "latency": 0.0},
                   {"fault_scope": "process", "n_low": 3, "latency": 1.0}]
    assert expand_grid({"fault_scope": ["cluster", "process"]}) == [
        {"fault_scope": "cluster"}, {"fault_scope": "process"}]


def test_expand_grid_numpy_values_become_python_scalars():
    pts = expand_grid({"n_low": np.arange(2, 5), "latency": np.float64(0.5)})
    assert [p["n_low"] for p in pts] == [2, 3, 4]
    assert all(type(p["n_low"]) is int and type(p["latency"]) is float for p in pts)
    with pytest.raises(ValueError, match="1-D"):
        expand_grid({"n_low": np.ones((2, 2))})


def test_expand_grid_empty_grid_is_one_point():
    assert expand_grid({}) == [{}]


def test_expand_grid_unknown_key_names_it_and_lists_known():
    with pytest.raises(ValueError, match="'n_lo'") as info:
        expand_grid({"n_low": [1], "n_lo": [2]})
    assert "at_coverage" in str(info.value) and "n_low" in str(info.value)


def test_expand_grid_empty_list_names_key():
    with pytest.raises(ValueError, match="'latency'.*empty"):
        expand_grid({"n_low": [1, 2], "latency": []})


@pytest.mark.parametrize("bad", [{0.1, 0.2}, iter([1.0]), {"a": 1}])
def test_expand_grid_rejects_unordered_or_odd_values(bad):
    with pytest.raises(ValueError, match="latency"):
        expand_grid({"latency": bad})


def test_expand_grid_rejects_duplicate_values():
    with pytest.raises(ValueError, match="more than once"):
        expand_grid({"n_low": [2, 3, 2.0]})


def test_expand_grid_is_pure():
    grid = {"n_low": [2, 3]}
    expand_grid(grid)
    assert grid == {"n_low": [2, 3]}


# --------------------------------------------------------------------------- validate_points


def test_validate_points_builds_scenarios():
    base = Scenario()
    scs = validate_points(base, expand_grid({"n_low": [2, 3], "at_coverage": 0.5}))
    assert [s.n_low for s in scs] == [2, 3]
    assert all(s.at_coverage == 0.5 and s.horizon == base.horizon for s in scs)


def test_validate_points_prefixes_point_and_fails_before_work():
    base = Scenario()
    points = [{"at_coverage": 0.5}, {"at_coverage": 1.5}, {"at_coverage": 2.0}]
    with pytest.raises(ValueError) as info:
        validate_points(base, points)
    msg = str(info.value)
    assert msg.startswith("grid point {'at_coverage': 1.5}: Scenario.at_coverage must be")
    assert isinstance(info.value.__cause__, ValueError)


def test_validate_points_cross_field_rule_and_numpy_ints():
    base = Scenario()
    with pytest.raises(ValueError, match=r"grid point \{'n_low': 0\}: .*n_low must be"):
        validate_points(base, [{"n_low": 0}])
    (one,) = validate_points(base, [{"n_low": 1}])   # a lone member: its rate makes no traffic
    assert one.n_low == 1 and one.rate_low_low == base.rate_low_low
    (s,) = validate_points(base, [{"n_low": np.int64(4)}])
    assert s.n_low == 4 and type(s.n_low) is int


def test_validate_points_unknown_field():
    with pytest.raises(ValueError, match="grid point .*unknown Scenario field"):
        validate_points(Scenario(), [{"bogus": 1}])


# --------------------------------------------------------------------------- sample


def test_lhs_one_point_per_stratum_per_dimension():
    n = 37
    ranges = {"latency": (0.0, 2.0), "at_coverage": (0.5, 1.0), "horizon": (10.0, 110.0)}
    pts = sample(ranges, n, seed=11, method="lhs")
    assert len(pts) == n
    for name, (lo, hi) in ranges.items():
        u = (np.array([p[name] for p in pts]) - lo) / (hi - lo)
        strata = np.floor(u * n).astype(int)
        assert sorted(strata) == list(range(n)), name


def test_lhs_strata_permuted_independently():
    pts = sample({"latency": (0.0, 1.0), "shadow_lag": (0.0, 1.0)}, 50, seed=3)
    a = np.floor(np.array([p["latency"] for p in pts]) * 50)
    b = np.floor(np.array([p["shadow_lag"] for p in pts]) * 50)
    assert not np.array_equal(a, b)
    assert not np.array_equal(a, np.arange(50))


@pytest.mark.parametrize("method", ["lhs", "sobol", "halton", "random"])
def test_sample_reproducible_and_seed_dependent(method):
    ranges = {"latency": (0.0, 2.0), "n_act": (1, 10)}
    a = sample(ranges, 32, seed=5, method=method)
    assert a == sample(ranges, 32, seed=5, method=method)
    assert a != sample(ranges, 32, seed=6, method=method)


@pytest.mark.parametrize("method", ["lhs", "sobol", "halton", "random"])
def test_sample_respects_ranges_and_types(method):
    ranges = {"n_low": (2, 5), "at_coverage": (0.25, 0.75), "msg_bytes": (10, 10)}
    pts = sample(ranges, 256, seed=1, method=method)
    assert list(pts[0]) == ["n_low", "at_coverage", "msg_bytes"]
    for p in pts:
        assert type(p["n_low"]) is int and 2 <= p["n_low"] <= 5
        assert type(p["at_coverage"]) is float and 0.25 <= p["at_coverage"] <= 0.75
        assert p["msg_bytes"] == 10
    validate_points(Scenario(), pts)  # every sampled point is a valid scenario


def test_sample_int_field_end_values_not_underweighted():
    # naive rounding of U(1, 3) gives 1 and 3 only a quarter each
    pts = sample({"n_low": (1, 3)}, 3000, seed=2, method="random")
    counts = np.bincount([p["n_low"] for p in pts], minlength=4)[1:]
    assert counts.sum() == 3000
    assert np.all(np.abs(counts / 3000 - 1 / 3) < 0.04), counts
    lhs = sample({"n_low": (1, 3)}, 300, seed=2)
    assert np.bincount([p["n_low"] for p in lhs], minlength=4)[1:].tolist() == [100, 100, 100]


def test_sobol_is_stratified_in_every_dimension_for_powers_of_two():
    n = 64
    ranges = {"latency": (0.0, 1.0), "shadow_lag": (0.0, 1.0), "at_coverage": (0.0, 1.0)}
    pts = sample(ranges, n, seed=4, method="sobol")
    for name in ranges:
        strata = np.floor(np.array([p[name] for p in pts]) * n).astype(int)
        assert sorted(strata) == list(range(n)), name


def test_low_discrepancy_designs_fill_the_space_better_than_random():
    from scipy.stats import qmc
    ranges = {"latency": (0.0, 1.0), "shadow_lag": (0.0, 1.0), "at_coverage": (0.0, 1.0)}

    def disc(method, seed):
        pts = sample(ranges, 128, seed=seed, method=method)
        return qmc.discrepancy(np.array([[p[k] for k in ranges] for p in pts]))

    rand = np.median([disc("random", s) for s in range(5)])
    for method in ("sobol", "halton", "lhs"):
        assert np.median([disc(method, s) for s in range(5)]) < rand, method
    assert max(disc("sobol", s) for s in range(5)) < min(disc("random", s) for s in range(5))


def test_sample_random_is_uniform_enough():
    pts = sample({"latency": (0.0, 1.0)}, 4000, seed=9, method="random")
    x = np.array([p["latency"] for p in pts])
    assert abs(x.mean() - 0.5) < 0.02
    hist = np.histogram(x, bins=10, range=(0, 1))[0]
    assert hist.min() > 320 and hist.max() < 480


@pytest.mark.parametrize("ranges,n,seed,method,match", [
    ({"bogus": (0, 1)}, 5, 0, "lhs", "bogus"),
    ({"latency": (2.0, 1.0)}, 5, 0, "lhs", "lo > hi"),
    ({"fault_scope": (0, 1)}, 5, 0, "lhs", "choice"),
    ({"latency": (0.0, 1.0)}, 0, 0, "lhs", "n must be"),
    ({"latency": (0.0, 1.0)}, 5, 0, "grid", "unknown sampling method"),
    ({"latency": (0.0, 1.0)}, 5, -1, "lhs", "seed"),
    ({"at_coverage": (0.5, 1.5)}, 5, 0, "lhs", "outside the allowed"),
    ({"horizon": (0.0, 10.0)}, 5, 0, "lhs", "outside the allowed"),
    ({"latency": (0.0, math.inf)}, 5, 0, "lhs", "finite"),
    ({"latency": 1.0}, 5, 0, "lhs", "pair"),
    ({"n_low": (2.2, 2.8)}, 5, 0, "lhs", "no integer"),
    ({}, 5, 0, "lhs", "empty"),
])
def test_sample_validation(ranges, n, seed, method, match):
    with pytest.raises(ValueError, match=match):
        sample(ranges, n, seed, method=method)


# --------------------------------------------------------------------------- point_seed


def test_point_seed_range_and_type():
    s = point_seed(123, {"n_low": 2, "latency": 0.5})
    assert type(s) is int and 0 <= s < 2**63


def test_point_seed_independent_of_order_and_position():
    a = expand_grid({"n_low": [2, 3], "latency": [0.0, 1.0]})
    b = expand_grid({"latency": [1.0, 0.0], "n_low": [3, 2]})
    seeds_a = {tuple(sorted(p.items())): point_seed(7, p) for p in a}
    seeds_b = {tuple(sorted(p.items())): point_seed(7, p) for p in b}
    assert seeds_a == seeds_b
    # adding points to a grid leaves the seeds of the others unchanged
    c = expand_grid({"n_low": [2, 3, 4], "latency": [0.0, 0.5, 1.0]})
    seeds_c = {tuple(sorted(p.items())): point_seed(7, p) for p in c}
    assert all(seeds_c[k] == v for k, v in seeds_a.items())


def test_point_seed_differs_between_points_and_study_seeds():
    pts = expand_grid({"n_low": [2, 3, 4], "latency": [0.0, 0.1, 0.2], "fault_scope":
                       ["cluster", "process"]})
    seeds = [point_seed(1, p) for p in pts]
    assert len(set(seeds)) == len(pts)
    assert all(point_seed(1, p) != point_seed(2, p) for p in pts)


def test_point_seed_number_canonicalisation():
    assert point_seed(0, {"n_low": 2}) == point_seed(0, {"n_low": 2.0})
    assert point_seed(0, {"n_low": 2}) == point_seed(0, {"n_low": np.int64(2)})
    assert point_seed(0, {"latency": 0.1}) != point_seed(0, {"latency": 0.10000001})
    assert point_seed(0, {"latency": 0.1}) != point_seed(0, {"latency": np.nextafter(0.1, 1)})
    # a key is part of the point: the same value under another field differs
    assert point_seed(0, {"n_low": 2}) != point_seed(0, {"n_act": 2})
    # a string is not confused with a number
    assert point_seed(0, {"fault_scope": "1.0"}) != point_seed(0, {"fault_scope": 1.0})


def test_point_seed_known_value_is_stable():
    # pins the derivation: changing it silently would change every study's results
    assert point_seed(0, {}) == point_seed(0, {})
    expected = int(np.random.SeedSequence([0, *_words('[["n_low","n","2.0"]]')])
                   .generate_state(2, np.uint64)[0]) & ((1 << 63) - 1)
    assert point_seed(0, {"n_low": 2}) == expected == 4894320472480993820
    assert point_seed(12345, {"latency": 0.5, "fault_scope": "process"}) == 501485621715808751


def _words(text: str) -> list[int]:
    import hashlib
    digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
    return np.frombuffer(digest, dtype="<u4").tolist()


def test_point_seed_large_study_seed_and_errors():
    assert 0 <= point_seed(2**100, {"n_low": 2}) < 2**63
    with pytest.raises(ValueError, match="study_seed"):
        point_seed(-1, {"n_low": 2})
    with pytest.raises(ValueError, match="keys must be str"):
        point_seed(0, {1: 2})
    with pytest.raises(ValueError, match="'n_low'"):
        point_seed(0, {"n_low": [2]})


_numeric_fields = [k for k, v in FIELDS.items() if v.kind != "choice"]


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from(_numeric_fields),
                       st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=6),
       st.integers(0, 2**64), st.randoms(use_true_random=False))
def test_point_seed_dict_order_invariance_property(point, seed, rnd):
    items = list(point.items())
    rnd.shuffle(items)
    assert point_seed(seed, dict(items)) == point_seed(seed, point)


def test_sobol_warns_when_n_is_not_a_power_of_two():
    with pytest.warns(UserWarning, match="power of 2"):
        pts = sample({"latency": (0.0, 1.0)}, 10, seed=1, method="sobol")
    assert len(pts) == 10
