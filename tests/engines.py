"""The one place where the two engines are compared (issue 18).

Every test that claims "the numba engine gives exactly the reference engine's
numbers" goes through :func:`engines_agree` (or :func:`explore_agree`).  Each
call names both engines explicitly (``engine="reference"`` and
``engine="numba"``; the default ``engine="auto"`` maps to numba wherever it can)
and, while it runs them, counts the calls that reach each engine's core:

* the reference engine: ``play_run`` of ``mdcd_lab.reference.engine`` (one call
  per run), wherever a module holds it;
* the numba engine: the driver kernels of ``mdcd_lab.fast.kernels.drivers``
  (``simulate_chunk``, ``replay_runs``).

A comparison that did not reach both (for instance because a default changed
and both sides ran on numba) fails, naming the side that was not reached.  The
frames are compared with ``pandas.testing.assert_frame_equal(check_exact=True)``.
``tests/test_engines.py`` proves that the counters see both engines and that
the helper fails when one side is silently replaced by the other.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Iterator

import pandas as pd

import mdcd_lab as m
from mdcd_lab.fast.kernels import drivers
from mdcd_lab.reference import engine as ref_engine

REFERENCE = "reference"
NUMBA = "numba"
#: The engines, named: every comparison runs ``engine=REFERENCE`` and ``engine=NUMBA``.
ENGINES = (REFERENCE, NUMBA)
#: The numba driver kernels (entry points of every batch the numba engine plays).
NUMBA_DRIVERS = ("simulate_chunk", "replay_runs")


def _holders(name: str, obj: object) -> list[tuple[object, str]]:
    """Every loaded ``mdcd_lab`` module (or test module) that binds ``obj`` as ``name``."""
    out = []
    for mod_name, mod in list(sys.modules.items()):
        if mod is None or not (mod_name.startswith("mdcd_lab") or mod_name == __name__):
            continue
        if getattr(mod, name, None) is obj:
            out.append((mod, name))
    return out


@contextlib.contextmanager
def engine_calls() -> Iterator[Counter]:
    """Count the calls that reach each engine's core while the block runs.

    Yields a :class:`collections.Counter` with keys ``"reference"`` (calls of
    the reference engine's ``play_run``, one per run played) and ``"numba"``
    (calls of the numba drivers, one per chunk or batch).  The originals are
    wrapped, not replaced: the numbers are the engines' own.
    """
    calls: Counter = Counter()
    patches = []

    def wrap(key: str, fn):
        def counted(*args, **kwargs):
            calls[key] += 1
            return fn(*args, **kwargs)
        return counted

    original = ref_engine.play_run
    counted = wrap(REFERENCE, original)     # one wrapper, so that counters can nest
    patches += [(mod, attr, original, counted) for mod, attr in _holders("play_run", original)]
    for name in NUMBA_DRIVERS:
        fn = getattr(drivers, name)
        patches.append((drivers, name, fn, wrap(NUMBA, fn)))
    try:
        for mod, attr, _old, new in patches:
            setattr(mod, attr, new)
        yield calls
    finally:
        for mod, attr, old, _new in reversed(patches):
            setattr(mod, attr, old)
        # a module imported inside the block (mdcd_lab imports lazily) bound a wrapper
        # by ``from ... import play_run``: give it the original too, or a later block,
        # which patches the holders of the original only, would not count its calls
        for _mod, attr, old, new in patches:
            for holder, name in _holders(attr, new):
                setattr(holder, name, old)


def assert_frames_identical(a: pd.DataFrame, b: pd.DataFrame, a_name: str, b_name: str,
                            context: str = "") -> None:
    """``a`` and ``b`` equal bit for bit; the message names both sides."""
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError as exc:
        where = f" ({context})" if context else ""
        raise AssertionError(f"{a_name} and {b_name} differ{where}:\n{exc}") from None


def _run_one(engine: str, scenario, protocol, runs, seed, trace, first_run):
    with engine_calls() as calls:
        if trace is None:
            df = m.simulate(scenario, runs, seed, protocol=protocol, engine=engine,
                            first_run=first_run)
        else:
            df = m.replay(trace, scenario, protocol, engine=engine)
    return df, calls


def _check_reached(engine: str, calls: Counter, n_runs: int) -> None:
    other = NUMBA if engine == REFERENCE else REFERENCE
    if engine == REFERENCE:
        assert calls[REFERENCE] == n_runs, (
            f'engine="reference" played {calls[REFERENCE]} runs on the reference engine '
            f"(expected {n_runs}): the comparison did not reach the reference engine")
    else:
        assert n_runs == 0 or calls[NUMBA] >= 1, (
            'engine="numba" never called the numba drivers: the comparison did not reach '
            "the numba engine")
    assert calls[other] == 0, (
        f'engine="{engine}" also called the {other} engine ({calls[other]} calls)')


def engines_agree(scenario: m.Scenario, protocol="mdcd", runs: int | None = None,
                  seed: int | None = None, trace: pd.DataFrame | None = None,
                  first_run: int = 0) -> pd.DataFrame:
    """Run both engines on the same input; assert identical frames; return the frame.

    With ``trace=None``: ``simulate(scenario, runs, seed, protocol, first_run=...)``
    on ``engine="reference"`` and on ``engine="numba"``.  With a trace:
    ``replay(trace, scenario, protocol)`` on both.  Fails if a side did not reach
    its engine (see :func:`engine_calls`) or if the frames differ in any bit.
    """
    if trace is None and (runs is None or seed is None):
        raise TypeError("engines_agree needs runs and seed, or a trace")
    ref, ref_calls = _run_one(REFERENCE, scenario, protocol, runs, seed, trace, first_run)
    fast, fast_calls = _run_one(NUMBA, scenario, protocol, runs, seed, trace, first_run)
    n_runs = len(ref)
    _check_reached(REFERENCE, ref_calls, n_runs)
    _check_reached(NUMBA, fast_calls, n_runs)
    name = getattr(protocol, "name", protocol)
    what = f"protocol {name!r}, " + (f"{runs} runs of seed {seed} from run {first_run}"
                                     if trace is None else f"a trace of {n_runs} runs")
    assert_frames_identical(ref, fast, 'engine="reference"', 'engine="numba"', what)
    return fast


def explore_agree(scope, **kwargs) -> pd.DataFrame:
    """``mdcd_lab.explore(scope, ...)`` on both engines: identical verdict tables.

    The counterexample columns (``cx_*``, trace frames) are compared too, column
    by column, since a frame inside a cell cannot be compared by
    ``assert_frame_equal``.  Returns the numba engine's table.
    """
    with engine_calls() as ref_calls:
        ref = m.explore(scope, engine=REFERENCE, **kwargs)
    with engine_calls() as fast_calls:
        fast = m.explore(scope, engine=NUMBA, **kwargs)
    assert ref_calls[REFERENCE] > 0 and ref_calls[NUMBA] == 0, (
        f'explore(engine="reference") did not reach the reference engine: {dict(ref_calls)}')
    assert fast_calls[NUMBA] > 0 and fast_calls[REFERENCE] == 0, (
        f'explore(engine="numba") did not reach the numba engine: {dict(fast_calls)}')
    cx = [c for c in ref.columns if c.startswith("cx_")]
    assert_frames_identical(ref.drop(columns=cx), fast.drop(columns=cx), 'engine="reference"',
                            'engine="numba"', "explore verdicts")
    for c in cx:
        for i, (a, b) in enumerate(zip(ref[c], fast[c], strict=True)):
            if a is None or b is None:
                assert a is None and b is None, (c, i)
            else:
                assert_frames_identical(a, b, 'engine="reference"', 'engine="numba"',
                                        f"explore counterexample {c} of row {i}")
    return fast
