"""What a study will cost, checked before any work (issue 23, item 3).

A run's cost is proportional to its trace rows, whose mean
[`mdcd_lab.scenario.Scenario.expected_rows`][mdcd_lab.scenario.Scenario.expected_rows] gives from
the rates and the horizon; a study plays ``points x protocols x runs`` of them (``max_runs`` with a
stopping rule: the most it may play).  ``check_cost`` refuses a study whose
expected trace events exceed ``max_events`` (default ``DEFAULT_MAX_EVENTS``),
with one message that names the estimate and the override, and a study whose
result table would not fit in half of this machine's memory (no override: split
the study).  ``MAX_POINTS`` bounds the points of a grid before they are built,
and a grid's cost is checked on whole columns (``grid_expected_rows``) before
its points are built, so that a study too large is refused at once.
See ``docs/studies.md``, *Cost*.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._checks import check_int
from ..scenario import _expected_rows

__all__ = ["DEFAULT_MAX_EVENTS", "MAX_POINTS", "EVENTS_PER_CORE_SECOND", "RESULT_ROW_BYTES",
           "check_cost", "check_rows_cost", "check_points", "estimate_events",
           "grid_expected_rows"]

#: Trace events a study may play unless ``max_events=`` (``--max-events``) says more:
#: about 3 hours of one core at ``EVENTS_PER_CORE_SECOND``.
DEFAULT_MAX_EVENTS = 10 ** 11
#: Points a study may have (checked before the grid is expanded).  Planning one point
#: (its scenario and seed) takes about 0.1 ms.
MAX_POINTS = 1_000_000
#: The numba engine's speed on one core (benchmarks/results.md, about 9 M trace
#: events per second), for the time a refusal quotes.
EVENTS_PER_CORE_SECOND = 9e6
#: Bytes of one row of a study's result table in memory (47 metrics and 24 scenario
#: fields, at most 8 bytes each, and the point and protocol).
RESULT_ROW_BYTES = 8 * (47 + 24 + 2)


def check_points(n_points: int, shape: str = "") -> None:
    """Refuse more than ``MAX_POINTS`` points (``shape``: how they multiply)."""
    if n_points > MAX_POINTS:
        how = f" ({shape})" if shape else ""
        raise ValueError(f"grid: {n_points:,} points{how} is more than {MAX_POINTS:,}; a study "
                         f"that large cannot be planned in memory: split it into several "
                         f"studies")


def grid_expected_rows(base: Any, lists: Mapping[str, list[Any]]) -> np.ndarray:
    """``Scenario.expected_rows`` of every point of the product of ``lists`` over
    ``base``, in [`expand_grid`][mdcd_lab.studies.expand_grid]'s order, computed on
    whole columns without building a point: what ``plan``
    checks before it expands a grid (``mdcd_lab.scenario._expected_rows`` itself, on
    columns)."""
    keys = list(lists)
    shape = [len(lists[k]) for k in keys]
    v: dict[str, Any] = dict(base.to_dict())
    for i, k in enumerate(keys):
        values = np.asarray(lists[k], dtype=object)
        try:
            values = values.astype(float)
        except (TypeError, ValueError):     # a choice field: not in the formula
            continue
        v[k] = values.reshape([-1 if j == i else 1 for j in range(len(keys))])
    for k in ("n_low", "n_act", "mission", "horizon"):
        v[k] = np.asarray(v[k], dtype=float)
    rows = _expected_rows(v, where=np.where)
    return np.broadcast_to(rows, shape).reshape(-1) if keys else np.reshape(rows, 1)


def estimate_events(scenarios: Sequence[Any], runs: int, n_protocols: int) -> float:
    """Expected trace events of ``runs`` runs of every scenario under ``n_protocols``
    protocols (each protocol replays the runs' traces)."""
    return float(sum(sc.expected_rows for sc in scenarios)) * runs * n_protocols


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2g} s"
    if seconds < 3600:
        return f"{seconds / 60:.2g} minutes"
    return f"{seconds / 3600:.3g} hours"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _physical_memory() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):   # not POSIX: do not guess
        return math.inf


def check_cost(scenarios: Sequence[Any], runs: int, n_protocols: int,
               max_events: int | None, what: str = "study") -> float:
    """The expected trace events of a study; ``ValueError`` before any work if they
    exceed ``max_events`` or the result table would not fit in memory.

    Parameters
    ----------
    scenarios : sequence of Scenario
        The scenario of every point.
    runs : int
        Runs per point and protocol (``max_runs`` with a stopping rule).
    n_protocols : int
        Protocols each run is played under.
    max_events : int or None
        The limit of expected trace events; None: ``DEFAULT_MAX_EVENTS``.
    what : str, default "study"
        What the messages call the job (``mdcd-lab run`` says ``"run"``).

    Returns
    -------
    float
        The expected trace events.
    """
    rows = np.array([sc.expected_rows for sc in scenarios], dtype=float)
    return check_rows_cost(rows, runs, n_protocols, max_events, what)


def check_rows_cost(rows_per_run: np.ndarray, runs: int, n_protocols: int,
                    max_events: int | None, what: str = "study") -> float:
    """``check_cost`` given each point's expected rows per run (one per point:
    ``grid_expected_rows`` gives them for a grid before it is expanded)."""
    limit = DEFAULT_MAX_EVENTS if max_events is None else check_int("max_events", max_events, 1)
    n_points = len(rows_per_run)
    events = float(sum(rows_per_run.tolist())) * runs * n_protocols
    if events > limit:
        took = _duration(events / EVENTS_PER_CORE_SECOND)
        per_run = events / max(1, n_points) / runs / n_protocols
        raise ValueError(
            f"the {what} would play about {events:.3g} trace events "
            f"({_plural(n_points, 'point')} x {_plural(n_protocols, 'protocol')} x "
            f"{_plural(runs, 'run')} x {per_run:.3g} rows per run), about {took} of one "
            f"core, more than max_events="
            f"{limit:.3g}; pass max_events={int(math.ceil(events))} (CLI: --max-events "
            f"{int(math.ceil(events))}) to run it anyway")
    rows = n_points * n_protocols * runs
    need, have = rows * RESULT_ROW_BYTES, _physical_memory() / 2
    if need > have:
        raise ValueError(f"the {what}'s result table would hold {rows:,} rows, about "
                         f"{need / 2**30:.3g} GiB, more than half of this machine's memory "
                         f"({have / 2**30:.3g} GiB): split it into several studies")
    return events
