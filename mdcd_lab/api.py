"""Top-level entry points: simulate, replay, and one run's event log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import ENGINES, check_runs_seed
from .metrics import METRIC_NAMES, finalize_frame
from .protocols import get_rules
from .reference.engine import play_run, replay_reference
from .scenario import Scenario
from .traces import generate_traces, validate_trace

__all__ = ["ENGINES", "simulate", "replay", "run_events", "numba_supports"]


def _check_common(scenario: Scenario, protocol: str, engine: str) -> None:
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario must be a mdcd_lab.Scenario, got {type(scenario).__name__}")
    get_rules(protocol)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")


def numba_supports(protocol: str) -> bool:
    """Whether the numba engine implements every rule switch of ``protocol``."""
    rules = get_rules(protocol)
    try:
        from .fast.engine import rule_flags
        rule_flags(rules)
    except NotImplementedError:
        return False
    return True


def _run_arrays(trace: pd.DataFrame, scenario: Scenario, run: int) -> dict[str, np.ndarray]:
    """Arrays of run ``run`` of a validated trace (empty arrays if it has no rows)."""
    arrays = validate_trace(trace, scenario).get(run)
    if arrays is None:
        arrays = {k: np.zeros(0) for k in ("t", "t_deliver", "u_at", "u_comp", "d_notify")}
        arrays.update({k: np.zeros(0, dtype=np.int64) for k in ("kind", "src", "dst")})
    return arrays


def replay(trace: pd.DataFrame, scenario: Scenario, protocol: str = "mdcd",
           engine: str = "reference") -> pd.DataFrame:
    """Play a trace (generated or hand-written) and return one row of metrics per run.

    Parameters
    ----------
    trace : DataFrame
        See ``docs/trace-format.md``.
    scenario : Scenario
        Supplies the process counts, horizon, AT coverage, compensation and sizes.
    protocol : str
        ``"mdcd"`` or ``"mdcd-paper"`` (see ``mdcd_lab.protocol_names()``).
    engine : str
        ``"reference"`` or ``"numba"``.
    """
    _check_common(scenario, protocol, engine)
    if engine == "numba":
        from .fast import replay_numba
        return replay_numba(trace, scenario, protocol)
    return replay_reference(trace, scenario, protocol)


def simulate(scenario: Scenario, runs: int, seed: int, protocol: str = "mdcd",
             engine: str = "reference", progress: bool = False,
             first_run: int = 0) -> pd.DataFrame:
    """Generate and play ``runs`` randomized runs; one row of metrics per run.

    Run ``r`` uses ``SeedSequence(seed, spawn_key=(r,))`` whatever ``runs`` is,
    so ``simulate(s, 100, 7)`` equals the first 100 rows of ``simulate(s, 1000, 7)``.
    """
    _check_common(scenario, protocol, engine)
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
    """
    _check_common(scenario, protocol, "reference")
    if trace is None:
        trace = generate_traces(scenario, 1, seed, first_run=run)
    res, events = play_run(_run_arrays(trace, scenario, run), scenario, protocol, record=True)
    return trace, events, res
