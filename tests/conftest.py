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
