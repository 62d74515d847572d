"""Planning a study: checked arguments, normalised points and their seeds.

``plan`` turns the arguments of [`sweep`][mdcd_lab.studies.sweep.sweep] into a
``Study`` before any work starts; every problem raises a ``ValueError``
naming it.  The functions here are pure: no simulation, no file system.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._checks import check_int
from ..api import resolve_engine
from ..protocols import get_rules
from ..scenario import FIELDS, Scenario
from .cost import check_cost, check_points, check_rows_cost, grid_expected_rows
from .grid import _check_keys, expand_grid, grid_values, point_seed, validate_points
from .stopping import StopRule, as_stop

__all__ = ["Study", "plan", "as_points", "as_protocols"]


@dataclass(frozen=True)
class Study:
    """Everything that determines a sweep's numbers."""

    base: Scenario
    grid: dict[str, list] | None
    points: tuple[dict[str, Any], ...]
    scenarios: tuple[Scenario, ...]
    seeds: tuple[int, ...]
    runs: int
    seed: int
    protocols: tuple[str, ...]
    engine: str
    stop: StopRule | None

    def identity(self) -> dict[str, Any]:
        """What a store's manifest must match for ``resume=True``."""
        return {"base": self.base.to_dict(), "points": [dict(p) for p in self.points],
                "point_seeds": list(self.seeds), "runs": self.runs, "seed": self.seed,
                "protocols": list(self.protocols), "engine": self.engine,
                "stopping": None if self.stop is None else self.stop.describe(self.runs)}


def _check_point_list(points: list[Any]) -> None:
    if not points:
        raise ValueError("grid: the list of points is empty")
    for i, point in enumerate(points):
        if not isinstance(point, Mapping):
            raise ValueError(f"grid: point {i} must be a mapping of Scenario fields to "
                             f"values, got {type(point).__name__}")
        unknown = [k for k in point if k not in FIELDS]
        if unknown:
            raise ValueError(f"grid: point {i} has unknown Scenario field(s) "
                             f"{', '.join(map(repr, unknown))}; known fields: "
                             f"{', '.join(FIELDS)}")


def _check_distinct(points: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for i, p in enumerate(points):
        key = json.dumps(sorted(p.items()))
        if key in seen:
            raise ValueError(f"grid: points {seen[key]} and {i} are equal ({p!r}); they would "
                             f"get the same seed and identical runs: remove the duplicate")
        seen[key] = i


def as_points(base: Scenario, grid: Any) -> tuple[list[dict[str, Any]], dict | None,
                                                  list[Scenario]]:
    """Points (normalised values), the grid for provenance, and their scenarios."""
    if isinstance(grid, Mapping):
        points = expand_grid(grid)
        grid_prov: dict | None = {k: grid_values(k, v) for k, v in grid.items()}
    elif isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)):
        check_points(len(grid))
        points = list(grid)
        grid_prov = None
        _check_point_list(points)
    else:
        raise ValueError(f"grid must map Scenario fields to lists of values, or be a list of "
                         f"point dicts (grid.sample), got {type(grid).__name__}")
    scenarios = validate_points(base, points)
    # normalise values through the Scenario (2.0 -> 2 for int fields, 1 -> 1.0 for floats)
    normal = [{k: getattr(sc, k) for k in p} for p, sc in zip(points, scenarios, strict=True)]
    _check_distinct(normal)
    return normal, grid_prov, scenarios


def as_protocols(protocols: Any) -> tuple[str, ...]:
    """Protocol names, each known ([`mdcd_lab.protocols.get_rules`][mdcd_lab.protocols.get_rules])
    and listed once."""
    names = [protocols] if isinstance(protocols, str) else list(protocols)
    if not names:
        raise ValueError("protocols is empty: give at least one protocol")
    for name in names:
        get_rules(name)
    dup = sorted({p for p in names if names.count(p) > 1})
    if dup:
        raise ValueError(f"protocols lists {', '.join(map(repr, dup))} more than once")
    return tuple(names)


def _grid_rows(base: Scenario, grid: Mapping[str, Any]) -> Any:
    """Expected rows per run of every point of ``grid`` (keys checked, values counted
    and capped), without building the points."""
    keys = list(grid)
    _check_keys(keys, "grid")
    lists = {k: grid_values(k, grid[k]) for k in keys}
    check_points(math.prod(len(v) for v in lists.values()),
                 " x ".join(str(len(v)) for v in lists.values()))
    return grid_expected_rows(base, lists)


def plan(base: Any, grid: Any, runs: Any, seed: Any, protocols: Any, engine: Any,
         target: Any, max_runs: Any, metrics: Any, max_events: Any = None) -> Study:
    """Check the arguments of [`sweep`][mdcd_lab.studies.sweep.sweep] and build the study; refuse
    it before any work if it would cost more than ``max_events`` trace events
    (``check_cost``)."""
    if not isinstance(base, Scenario):
        raise ValueError(f"base must be a mdcd_lab.Scenario, got {type(base).__name__}")
    runs = check_int("runs", runs, 1)
    seed = check_int("seed", seed, 0)
    names = as_protocols(protocols)
    engine = resolve_engine(engine, names)
    stop = as_stop(runs, target, max_runs, metrics)
    most = stop.max_runs if stop is not None else runs
    if isinstance(grid, Mapping):      # refused before a single point is built
        check_rows_cost(_grid_rows(base, grid), most, len(names), max_events)
    points, grid_prov, scenarios = as_points(base, grid)
    check_cost(scenarios, most, len(names), max_events)
    seeds = tuple(point_seed(seed, p) for p in points)
    return Study(base, grid_prov, tuple(points), tuple(scenarios), seeds, runs, seed, names,
                 engine, stop)
