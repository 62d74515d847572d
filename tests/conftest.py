"""Shared test settings: a hypothesis profile sized for CI, and the session's numba cache.

The helpers the test modules share are in ``tests/helpers.py``; the engine
comparisons in ``tests/engines.py``.  The tiers (markers) are described in
``docs/testing.md``.
"""

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

#: Under mutmut (``make mutation``; mutmut sets ``MUTANT_UNDER_TEST`` in every process it
#: runs tests in) a property test that fails stops there instead of shrinking its
#: counterexample: the mutant is killed either way, by the same example (the ``ci``
#: profile is derandomized, so the examples tried before the first failure are the same).
_MUTMUT = "MUTANT_UNDER_TEST" in os.environ
_PHASES = ({"phases": [p for p in Phase if p not in (Phase.shrink, Phase.explain)]}
           if _MUTMUT else {})
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
    **_PHASES)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          **_PHASES)
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


#: Files of ``mutants/`` (the directory mutmut runs the tests from) that order a
#: mutant's tests: the durations of the covering tests measured warm, by mutmut's clean
#: run (``MUTANT_UNDER_TEST`` empty; mutmut's own ``mutmut-stats.json`` times the first
#: test of a kernel group with numba's cold compilation, 60 to 300 s), and one line per
#: killed mutant naming the test that failed first.
_WARM_DURATIONS = "mdcd-durations.json"
_KILLS = "mdcd-kills.jsonl"
_MUTMUT_PHASES = ("fail", "stats", "list_all_tests", "mutant_generation")
_durations: dict[str, float] = {}


def _function_of(mutant: str) -> str:
    """The mutated function of a mutant name (``...x_rollback__mutmut_12`` -> ``...x_rollback``)."""
    return mutant.rsplit("__mutmut_", 1)[0]


def pytest_runtest_logreport(report):
    """Under mutmut: time each test in the clean run, and name the test that kills a mutant."""
    mutant = os.environ.get("MUTANT_UNDER_TEST")
    if mutant == "":       # mutmut's clean run: every covering test, kernels warm
        _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration
    elif mutant and mutant not in _MUTMUT_PHASES and report.failed:
        import json
        with open(_KILLS, "a", encoding="utf-8") as f:
            f.write(json.dumps({"mutant": mutant, "test": report.nodeid}) + "\n")


def pytest_sessionfinish(session):
    """Under mutmut: add the clean run's durations to ``mdcd-durations.json``."""
    if os.environ.get("MUTANT_UNDER_TEST") != "" or not _durations:
        return
    import json
    try:
        with open(_WARM_DURATIONS, encoding="utf-8") as f:
            known = json.load(f)
    except (OSError, ValueError):
        known = {}
    known.update(_durations)
    with open(_WARM_DURATIONS + ".tmp", "w", encoding="utf-8") as f:
        json.dump(known, f)
    os.replace(_WARM_DURATIONS + ".tmp", _WARM_DURATIONS)


def _mutmut_order(mutant: str):
    """The sort key of a mutant's covering tests: expected seconds per kill, cheapest first.

    A test's cost is its warm duration (``mdcd-durations.json``, else mutmut's
    recorded one); its chance of killing is estimated from the mutants of the same
    function killed so far (``mdcd-kills.jsonl``): ``(k + 1/2) / (n + 1)`` for a test
    that killed ``k`` of the ``n`` mutants of the function killed before.  Before any
    kill this is the quickest-first order.
    """
    import json
    try:
        with open("mutmut-stats.json", encoding="utf-8") as f:
            duration = json.load(f)["duration_by_test"]
    except (OSError, ValueError, KeyError):
        duration = {}
    try:
        with open(_WARM_DURATIONS, encoding="utf-8") as f:
            duration.update(json.load(f))
    except (OSError, ValueError):
        pass
    kills: dict[str, int] = {}
    try:
        with open(_KILLS, encoding="utf-8") as f:
            function = _function_of(mutant)
            first = {}
            for line in f:
                rec = json.loads(line)
                if _function_of(rec["mutant"]) == function:
                    first.setdefault(rec["mutant"], rec["test"])   # -x: one per mutant
        for test in first.values():
            kills[test] = kills.get(test, 0) + 1
    except (OSError, ValueError, KeyError):
        pass
    n = sum(kills.values())

    def key(item):
        p = (kills.get(item.nodeid, 0) + 0.5) / (n + 1)
        return (duration.get(item.nodeid, float("inf")) / p, item.nodeid)
    return key


def pytest_collection_modifyitems(config, items):
    """Under mutmut (``make mutation``), a mutant's covering tests run in the order
    most likely to kill it soonest (``_mutmut_order``).

    mutmut runs each mutant with ``pytest -x`` on the tests that cover it; the first
    failure kills the mutant.  Which tests run, and so which mutants survive, is
    unchanged: only their order.
    """
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if not mutant or mutant in _MUTMUT_PHASES:
        return
    items.sort(key=_mutmut_order(mutant))
