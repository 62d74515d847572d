"""Shared test settings: a hypothesis profile sized for CI, and the session's numba cache.

The helpers the test modules share are in ``tests/helpers.py``; the engine
comparisons in ``tests/engines.py``.  The tiers (markers) are described in
``docs/testing.md``.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def warm_kernels():
    """The numba kernels compiled (or loaded) once, in the cache the child processes use.

    One tiny simulate, replay and trace generation on numba compile every entry
    kernel into ``kernels.CACHE_DIR`` (or load it from there); a child started
    with the same environment then loads them instead of compiling its own copy,
    and children never compile side by side (a test that wants a cold cache gives
    its child another ``NUMBA_CACHE_DIR``).
    """
    import mdcd_lab as m
    from mdcd_lab.fast import generate_traces_numba, kernels
    sc = m.Scenario(horizon=5.0)
    m.simulate(sc, 2, 1, engine="numba")
    m.replay(generate_traces_numba(sc, 2, 1), sc, engine="numba")
    return kernels.CACHE_DIR


@pytest.fixture(autouse=True)
def _warm_kernels_for_children(request):
    """Every ``subprocess`` test starts after the session's kernels are in the cache."""
    if request.node.get_closest_marker("subprocess") is not None:
        request.getfixturevalue("warm_kernels")


def pytest_collection_modifyitems(config, items):
    """Under mutmut (``make mutation``), a mutant's covering tests run quickest first.

    mutmut runs each mutant with ``pytest -x`` on the tests that cover it, in no
    particular order; the first failure kills the mutant.  The durations it
    recorded (``mutmut-stats.json``, in the ``mutants/`` directory the tests run
    from) put the cheap rule and oracle tests before the property tests, so a
    killed mutant is usually killed by a test of a fraction of a second.  Which
    tests run, and so which mutants survive, is unchanged.
    """
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if not mutant or mutant in ("fail", "stats", "list_all_tests", "mutant_generation"):
        return
    try:
        import json
        with open("mutmut-stats.json", encoding="utf-8") as f:
            duration = json.load(f)["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: duration.get(item.nodeid, float("inf")))
