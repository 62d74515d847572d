"""Scenario and study files (TOML): loading and validation before any work.

A file has up to three tables::

    [scenario]            # Scenario fields; missing ones take their defaults
    n_low = 2
    at_coverage = 0.95

    [grid]                # study files only: field = list of values
    at_coverage = [0.9, 0.99, 1.0]

    [run]                 # how to run it
    runs = 1000
    seed = 2026
    protocols = ["mdcd", "mdcd-paper"]
    engine = "numba"

Every problem (unreadable file, bad TOML, unknown table or key, wrong type,
out-of-range value, empty grid list) raises :class:`SpecError` naming the file and
the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .protocols import get_rules
from .scenario import FIELDS, Scenario

__all__ = ["SpecError", "Spec", "load_spec", "RUN_KEYS"]

ENGINES = ("reference", "numba")
RUN_KEYS = {"runs": int, "seed": int, "protocols": list, "engine": str,
            "target_rel_halfwidth": float, "max_runs": int, "metrics": list}


class SpecError(ValueError):
    """A scenario or study file is unusable; the message names the file and key."""


@dataclass
class Spec:
    """A parsed, validated scenario or study file."""

    path: Path
    scenario: Scenario
    grid: dict[str, list] = field(default_factory=dict)
    runs: int = 1000
    seed: int = 0
    protocols: tuple[str, ...] = ("mdcd",)
    engine: str = "numba"
    extra: dict[str, Any] = field(default_factory=dict)

    def provenance(self) -> dict[str, Any]:
        """What to store beside results so they can be reproduced."""
        return {"spec_file": str(self.path), "scenario": self.scenario.to_dict(),
                "grid": self.grid, "runs": self.runs, "seed": self.seed,
                "protocols": list(self.protocols), "engine": self.engine, **self.extra}


def _type_name(t: type) -> str:
    return {int: "an integer", float: "a number", list: "a list", str: "a string"}[t]


def load_spec(path: str | Path, allow_grid: bool = False) -> Spec:
    """Read and validate a scenario (or, with ``allow_grid``, a study) file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{p}: not valid TOML: {exc}") from None
    tables = {"scenario", "run"} | ({"grid"} if allow_grid else set())
    for key, value in data.items():
        if key not in tables:
            hint = " (a [grid] belongs in a study file: use 'mdcd-lab sweep')" \
                if key == "grid" else ""
            raise SpecError(f"{p}: unknown table or key [{key}]{hint}; "
                            f"allowed tables: {', '.join(sorted(tables))}")
        if not isinstance(value, dict):
            raise SpecError(f"{p}: '{key}' must be a table [{key}]")
    sc_vals = data.get("scenario", {})
    for key in sc_vals:
        if key not in FIELDS:
            raise SpecError(f"{p}: [scenario] has unknown key '{key}'; known keys: "
                            f"{', '.join(FIELDS)}")
    try:
        scenario = Scenario(**sc_vals)
    except ValueError as exc:
        raise SpecError(f"{p}: [scenario] {exc}") from None
    grid: dict[str, list] = {}
    if allow_grid:
        from .grid import expand_grid, validate_points
        raw = data.get("grid", {})
        for key, value in raw.items():
            if key not in FIELDS:
                raise SpecError(f"{p}: [grid] has unknown key '{key}'; known keys: "
                                f"{', '.join(FIELDS)}")
            if isinstance(value, list) and not value:
                raise SpecError(f"{p}: [grid] {key} is an empty list")
            grid[key] = value if isinstance(value, list) else [value]
        try:
            validate_points(scenario, expand_grid(grid))
        except ValueError as exc:
            raise SpecError(f"{p}: [grid] {exc}") from None
    run = data.get("run", {})
    for key, value in run.items():
        if key not in RUN_KEYS:
            raise SpecError(f"{p}: [run] has unknown key '{key}'; known keys: "
                            f"{', '.join(RUN_KEYS)}")
        want = RUN_KEYS[key]
        ok = isinstance(value, want) and not isinstance(value, bool)
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise SpecError(f"{p}: [run] {key} must be {_type_name(want)}, got {value!r}")
    spec = Spec(p, scenario, grid)
    if "runs" in run:
        if run["runs"] < 1:
            raise SpecError(f"{p}: [run] runs must be >= 1, got {run['runs']}")
        spec.runs = run["runs"]
    if "seed" in run:
        if run["seed"] < 0:
            raise SpecError(f"{p}: [run] seed must be >= 0, got {run['seed']}")
        spec.seed = run["seed"]
    if "protocols" in run:
        if not run["protocols"]:
            raise SpecError(f"{p}: [run] protocols is an empty list")
        for proto in run["protocols"]:
            try:
                get_rules(proto)
            except ValueError as exc:
                raise SpecError(f"{p}: [run] protocols: {exc}") from None
        spec.protocols = tuple(run["protocols"])
    if "engine" in run:
        if run["engine"] not in ENGINES:
            raise SpecError(f"{p}: [run] engine must be one of {ENGINES}, got {run['engine']!r}")
        spec.engine = run["engine"]
    for key in ("target_rel_halfwidth", "max_runs", "metrics"):
        if key in run:
            spec.extra[key] = run[key]
    return spec
