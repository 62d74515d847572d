"""The bound of ``benchmarks/stages.py`` (issue 20, item 4) makes the generator's draws.

``draws_only`` times the draws a run needs without storing rows; its rate is only a
bound of the engine if it draws exactly what ``gen.generate_run`` draws.  It counts the
rows ``gen.count_rows`` keeps: a draw out of step would change the times and categories
of every later row, so the two counts compared here (``draws_only`` against
``gen.count_rows``) differ for almost every run if the draws differ.
"""

import numpy as np
from helpers import engine_scenarios, load_benchmark
from hypothesis import given, settings
from hypothesis import strategies as st

from mdcd_lab import Scenario
from mdcd_lab.fast._rng import seed_words
from mdcd_lab.fast.engine import _initial_capacity, scenario_params
from mdcd_lab.fast.kernels import gen

stages = load_benchmark("stages")
DRAWS_ONLY, SEED_ONLY = stages.draws_only_factory()


def _counts(s, runs, seed, first):
    fp, ip = scenario_params(s, "mdcd")
    words = seed_words(seed)
    bound = np.zeros(runs, dtype=np.int64)
    touch = np.zeros(2 * s.n_low + s.n_act, dtype=np.int64)
    DRAWS_ONLY(words, first, runs, fp, ip, touch, bound)
    engine = np.zeros(runs, dtype=np.int64)
    gen.count_rows(words, first, runs, fp, ip, _initial_capacity(fp), engine)
    return bound, engine


@settings(max_examples=25, deadline=None)
@given(s=engine_scenarios(), growth=st.sampled_from([0.0, 0.0, 0.05, 1.0]),
       seed=st.integers(0, 2**63 - 1), first=st.integers(0, 2**40))
def test_draws_only_counts_the_rows_of_count_rows(s, growth, seed, first):
    bound, engine = _counts(s.replace(fault_growth=growth), 20, seed, first)
    np.testing.assert_array_equal(bound, engine)


def test_a_draw_out_of_step_is_seen():
    """The check has teeth: the same bound on another seed (every draw shifted) counts
    other rows for most runs."""
    sc = Scenario(n_low=2, n_act=3, horizon=40.0, latency=0.5, shadow_lag=0.5)
    fp, ip = scenario_params(sc, "mdcd")
    bound = np.zeros(50, dtype=np.int64)
    DRAWS_ONLY(seed_words(8), 0, 50, fp, ip, np.zeros(7, dtype=np.int64), bound)
    engine = np.zeros(50, dtype=np.int64)
    gen.count_rows(seed_words(7), 0, 50, fp, ip, _initial_capacity(fp), engine)
    assert (bound != engine).mean() > 0.8


def test_seed_only_seeds_every_run():
    words = seed_words(3)
    assert SEED_ONLY(words, 0, 10) != SEED_ONLY(words, 1, 10)
