"""Top-level entry points: simulate, replay, and one run's event log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import ENGINE_CHOICES, ENGINES, check_runs_seed
from .metrics import METRIC_NAMES, finalize_frame
from .protocols import get_rules
from .reference.engine import play_run, replay_reference
from .scenario import Scenario
from .traces.table import empty_run_arrays, generate_traces
from .traces.validate import check_twin_members, validate_trace

__all__ = ["ENGINES", "ENGINE_CHOICES", "simulate", "replay", "run_events", "numba_supports",
           "resolve_engine", "replay_rows", "numba_compiled", "compile_notice",
           "compile_announced", "compile_seconds"]


def _check_common(scenario: Scenario, protocol: str, engine: str) -> str:
    """Validate the common arguments; return the engine to use (``"auto"`` resolved)."""
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario must be a mdcd_lab.Scenario, got {type(scenario).__name__}")
    get_rules(protocol)
    return resolve_engine(engine, [protocol])


def _check_twins(trace: pd.DataFrame, scenario: Scenario, protocol) -> None:
    """A per-member protocol pairs twins by member: refuse a trace that does not."""
    if get_rules(protocol).per_member_validation:
        check_twin_members(trace, scenario)


def resolve_engine(engine: str, protocols) -> str:
    """The engine that ``engine`` means for ``protocols``.

    Parameters
    ----------
    engine : {"auto", "numba", "reference"}
        ``"auto"`` chooses ``"numba"`` when the numba engine implements every
        protocol of ``protocols`` and ``"reference"`` otherwise; the numbers are
        the same either way, only the speed differs.
    protocols : sequence of str
        Protocol names.

    Returns
    -------
    str
        ``"numba"`` or ``"reference"``.

    Raises
    ------
    ValueError
        If ``engine`` is not one of [`ENGINE_CHOICES`][mdcd_lab.api.ENGINE_CHOICES], or is
        ``"numba"`` where the numba engine cannot be imported.
    NotImplementedError
        If ``engine`` is ``"numba"`` and a protocol sets a rule switch the numba
        engine does not implement.
    """
    if not isinstance(engine, str) or engine not in ENGINE_CHOICES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINE_CHOICES}")
    if engine == "numba":
        missing = _numba_missing()
        if missing:
            raise ValueError(f"engine 'numba' is not available here ({missing}); use "
                             "engine='reference'")
        from .fast.engine import rule_flags
        for p in protocols:
            rule_flags(get_rules(p))   # refuses a switch the kernel does not implement
        return engine
    if engine != "auto":
        return engine
    return "numba" if all(numba_supports(p) for p in protocols) else "reference"


def _numba_missing() -> str:
    """Why the numba engine cannot be imported here, or ``""`` if it can."""
    try:
        from . import fast  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return ""


def _with_protocol(df: pd.DataFrame, protocol) -> pd.DataFrame:
    """Put a ``protocol`` column (categorical: the protocol's name) in front of a frame."""
    name = get_rules(protocol).name
    codes = np.zeros(len(df), dtype=np.int8)   # no list of len(df) names (memory)
    df.insert(0, "protocol", pd.Categorical.from_codes(codes, categories=[name]))
    return df


def numba_supports(protocol: str) -> bool:
    """Whether the numba engine is available and implements every rule switch of
    ``protocol``."""
    rules = get_rules(protocol)
    if _numba_missing():
        return False
    try:
        from .fast.engine import rule_flags
        rule_flags(rules)
    except NotImplementedError:
        return False
    return True


def numba_compiled(what: str = "simulate") -> bool:
    """Whether the numba kernels of ``what`` (``"simulate"``, ``"replay"`` or
    ``"generate"``) are compiled already, in this process or in numba's cache (the CLI
    announces a compilation otherwise); True where numba is missing."""
    if _numba_missing():
        return True
    from .fast._cache import kernel_cached
    return kernel_cached(what)


def compile_notice(what: str = "simulate", who: str = "mdcd_lab") -> str:
    """The one-line notice said before the numba kernels of ``what`` compile cold
    (``mdcd_lab.fast._cache.notice``); the command line says it itself and then
    calls [`compile_announced`][mdcd_lab.api.compile_announced], so that the engine does not say it
    twice."""
    from .fast._cache import notice
    return notice(what, who)


def compile_announced(what: str = "simulate") -> None:
    """Record that the caller announced the compilation of ``what`` (see above)."""
    from .fast._cache import mark_announced
    mark_announced(what)


def compile_seconds() -> float:
    """Seconds this process spent compiling numba kernels that were not in numba's
    cache (0.0 where numba is missing): work time should leave them out."""
    if _numba_missing():
        return 0.0
    from .fast._cache import compile_seconds as seconds
    return seconds()


def replay_rows(offsets: np.ndarray, cols: dict[str, np.ndarray], scenario: Scenario,
                protocol, engine: str) -> pd.DataFrame:
    """Play runs given as flat, already valid row arrays on ``engine`` (no validation).

    ``cols`` holds ``ROW_ARRAYS`` as
    [`validate_trace`][mdcd_lab.traces.validate_trace] makes them, run ``r`` being rows
    ``offsets[r]:offsets[r + 1]`` (the exploration's batches of generated traces).
    Returns the engine's metrics, one row per run (``run`` counts from 0 on numba).
    """
    engine = resolve_engine(engine, [protocol])
    if engine == "numba":
        from .fast.engine import replay_flat
        return replay_flat(offsets, cols, scenario, protocol)
    out = []
    for r in range(len(offsets) - 1):
        lo, hi = offsets[r], offsets[r + 1]
        res, _ = play_run({k: v[lo:hi] for k, v in cols.items()}, scenario, protocol)
        out.append(res)
    return pd.DataFrame(out)


def _run_arrays(trace: pd.DataFrame, scenario: Scenario, run: int) -> dict[str, np.ndarray]:
    """Arrays of run ``run`` of a validated trace (empty arrays if it has no rows)."""
    arrays = validate_trace(trace, scenario).get(run)
    return empty_run_arrays() if arrays is None else arrays


def replay(trace: pd.DataFrame, scenario: Scenario, protocol: str = "mdcd",
           engine: str = "auto") -> pd.DataFrame:
    """Play a trace (generated or hand-written) and return one row of metrics per run.

    Parameters
    ----------
    trace : DataFrame
        See ``docs/trace-format.md``.
    scenario : Scenario
        Supplies the process counts, horizon, AT coverage, compensation and sizes.
    protocol : str or Rules, default "mdcd"
        A name of [`mdcd_lab.protocol_names`][mdcd_lab.protocols.protocol_names] (the
        protocols) or of [`mdcd_lab.variant_names`][mdcd_lab.protocols.variant_names] (the
        variants kept for study), or a [`Rules`][mdcd_lab.protocols.Rules] object (as
        [`get_rules`][mdcd_lab.protocols.get_rules] accepts it); anything else is a
        ``ValueError`` naming the allowed names.
    engine : {"auto", "numba", "reference"}, default "auto"
        ``"auto"``: numba where it implements the protocol, else the reference
        engine (identical numbers; see [`resolve_engine`][mdcd_lab.api.resolve_engine]).

    Returns
    -------
    DataFrame
        ``protocol`` (categorical), then the per-run metrics of
        ``docs/metrics.md``, one row per run of the trace.
    """
    engine = _check_common(scenario, protocol, engine)
    _check_twins(trace, scenario, protocol)
    if engine == "numba":
        from .fast import replay_numba
        return _with_protocol(replay_numba(trace, scenario, protocol), protocol)
    return _with_protocol(replay_reference(trace, scenario, protocol), protocol)


def simulate(scenario: Scenario, runs: int, seed: int, protocol: str = "mdcd",
             engine: str = "auto", progress: bool = False,
             first_run: int = 0) -> pd.DataFrame:
    """Generate and play ``runs`` randomized runs; one row of metrics per run.

    Run ``r`` uses ``SeedSequence(seed, spawn_key=(r,))`` whatever ``runs`` is,
    so ``simulate(s, 100, 7)`` equals the first 100 rows of ``simulate(s, 1000, 7)``.

    Parameters
    ----------
    scenario : Scenario
        The model parameters.
    runs : int
        Number of runs (>= 1).
    seed : int
        Study seed (>= 0).
    protocol : str or Rules, default "mdcd"
        A name of [`mdcd_lab.protocol_names`][mdcd_lab.protocols.protocol_names] or of
        [`mdcd_lab.variant_names`][mdcd_lab.protocols.variant_names], or a
        [`Rules`][mdcd_lab.protocols.Rules] object, as for [`replay`][mdcd_lab.api.replay].
    engine : {"auto", "numba", "reference"}, default "auto"
        ``"auto"``: numba where it implements the protocol, else the reference
        engine.  Both engines give bit-identical numbers; numba is about 100
        times faster (``docs/scaling.md``).
    progress : bool, default False
        Show a ``tqdm`` progress bar.
    first_run : int, default 0
        Index of the first run: runs ``first_run .. first_run + runs - 1``.

    Returns
    -------
    DataFrame
        ``protocol`` (categorical), then the per-run metrics of
        ``docs/metrics.md``.
    """
    return _with_protocol(_simulate(scenario, runs, seed, protocol, engine, progress,
                                    first_run), protocol)


def _simulate(scenario: Scenario, runs: int, seed: int, protocol: str = "mdcd",
              engine: str = "auto", progress: bool = False,
              first_run: int = 0) -> pd.DataFrame:
    """[`simulate`][mdcd_lab.api.simulate] without the ``protocol`` column (the per-run metric
    schema only)."""
    engine = _check_common(scenario, protocol, engine)
    check_runs_seed(runs, seed, first_run)
    if engine == "numba":
        from .fast import simulate_numba
        return simulate_numba(scenario, runs, seed, protocol, progress=progress,
                              first_run=first_run)
    rows = []
    iterator = range(first_run, first_run + runs)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, desc=f"{protocol} (reference)", unit="run")
    for r in iterator:
        trace = generate_traces(scenario, 1, seed, first_run=r)
        res, _ = play_run(_run_arrays(trace, scenario, r), scenario, protocol)
        res["run"] = r
        res["seed"] = seed
        rows.append(res)
    return finalize_frame(pd.DataFrame(rows, columns=list(METRIC_NAMES)))


def run_events(scenario: Scenario, seed: int, run: int, protocol: str = "mdcd",
               trace: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Re-play one run on the reference engine and return (trace, event log, metrics).

    Any run of a big batch (whatever engine produced it) can be looked at in
    detail this way: run ``r`` of seed ``s`` is the same everywhere.

    Parameters
    ----------
    scenario : Scenario
        The model parameters.
    seed : int
        Study seed (>= 0).
    run : int
        Index of the run (>= 0).
    protocol : str or Rules, default "mdcd"
        A name of [`mdcd_lab.protocol_names`][mdcd_lab.protocols.protocol_names] or of
        [`mdcd_lab.variant_names`][mdcd_lab.protocols.variant_names], or a
        [`Rules`][mdcd_lab.protocols.Rules] object, as for [`replay`][mdcd_lab.api.replay].
    trace : DataFrame, optional
        Play this trace's run ``run`` instead of generating it.

    Returns
    -------
    tuple
        ``(trace, events, metrics)``: the run's trace, its event log and a dict
        of its metrics.
    """
    _check_common(scenario, protocol, "reference")
    for name, v in (("run", run), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    if trace is None:
        trace = generate_traces(scenario, 1, seed, first_run=run)
    _check_twins(trace, scenario, protocol)
    res, events = play_run(_run_arrays(trace, scenario, run), scenario, protocol, record=True)
    return trace, events, res
