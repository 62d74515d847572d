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
    engine = "auto"                 # auto (default: numba where implemented), numba, reference
    target_rel_halfwidth = 0.05   # study files only: sequential stopping
    max_runs = 100000             #   (see docs/studies.md)
    metrics = ["ckpt_total", "p_failed"]

Every problem (unreadable file, bad TOML, unknown table or key, wrong type,
out-of-range value, empty grid list) raises ``SpecError`` naming the file and
the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._checks import ENGINE_CHOICES as ENGINES
from ..protocols import get_rules
from ..scenario import FIELDS, Scenario

__all__ = ["SpecError", "Spec", "load_spec", "RUN_KEYS", "STOP_KEYS", "OVERRIDE_KEYS"]

#: [run] keys that ``mdcd-lab run`` and ``sweep`` take as options, with the option name.
OVERRIDE_KEYS = {"runs": "--runs", "seed": "--seed", "engine": "--engine",
                 "protocols": "--protocol"}
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
    engine: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **values: Any) -> Spec:
        """This spec with [run] values given on the command line, validated like the file's.

        Parameters
        ----------
        **values
            ``runs``, ``seed``, ``engine`` or ``protocols``; ``None`` leaves the
            file's value.

        Raises
        ------
        SpecError
            Naming the option (``--runs``, ``--seed``, ``--engine``,
            ``--protocol``) and the problem.
        """
        out = dataclasses.replace(self, extra=dict(self.extra))
        for key, value in values.items():
            if value is None:
                continue
            problem = _run_value_problem(key, value)
            if problem:
                raise SpecError(f"{OVERRIDE_KEYS[key]} {problem}")
            setattr(out, key, tuple(value) if key == "protocols" else value)
        if "max_runs" in out.extra and out.runs > out.extra["max_runs"]:
            raise SpecError(f"--runs {out.runs} exceeds [run] max_runs "
                            f"({out.extra['max_runs']}) of {self.path}")
        return out

    def provenance(self) -> dict[str, Any]:
        """What to store beside results so they can be reproduced."""
        return {"spec_file": str(self.path), "scenario": self.scenario.to_dict(),
                "grid": self.grid, "runs": self.runs, "seed": self.seed,
                "protocols": list(self.protocols), "engine": self.engine, **self.extra}


def _run_value_problem(key: str, value: Any) -> str | None:
    """What is wrong with the value of [run] ``runs``, ``seed``, ``protocols`` or ``engine``."""
    want = RUN_KEYS[key]
    if isinstance(value, bool) or not isinstance(value, want):
        return f"must be {_type_name(want)}, got {value!r}"
    if key == "runs" and value < 1:
        return f"must be >= 1, got {value}"
    if key == "runs" and value >= 2 ** 63:
        return f"must be < 2**63, got {value}"
    if key == "seed" and not 0 <= value < 2 ** 63:
        return f"must be >= 0 and < 2**63, got {value}"
    if key == "engine" and value not in ENGINES:
        return f"must be one of {ENGINES}, got {value!r}"
    if key == "protocols":
        if not value:
            return "is an empty list"
        if len(set(map(str, value))) != len(value):
            return f"lists a protocol twice: {value!r}"
        for proto in value:
            try:
                get_rules(proto)
            except ValueError as exc:
                return f"has {exc}"
    return None


def _type_name(t: type) -> str:
    return {int: "an integer", float: "a number", list: "a list", str: "a string"}[t]


def _did_you_mean(key: str, known: Any) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


#: [run] keys that only study files (``mdcd-lab sweep``) use: the stopping rule.
STOP_KEYS = ("target_rel_halfwidth", "max_runs", "metrics")


def _check_stop(p: Path, run: dict[str, Any], runs: int) -> None:
    """Validate the sequential-stopping keys of a study file's [run] table."""
    from ..studies import STOP_METRICS
    if "target_rel_halfwidth" not in run:
        for key in ("max_runs", "metrics"):
            if key in run:
                raise SpecError(f"{p}: [run] {key} is only used with target_rel_halfwidth "
                                f"(sequential stopping); add target_rel_halfwidth or remove "
                                f"{key}")
        return
    target = run["target_rel_halfwidth"]
    if not math.isfinite(target) or target <= 0:
        raise SpecError(f"{p}: [run] target_rel_halfwidth must be a number > 0, got {target!r}")
    if "max_runs" not in run:
        raise SpecError(f"{p}: [run] target_rel_halfwidth needs max_runs (the largest number "
                        f"of runs per point and protocol)")
    if run["max_runs"] < runs:
        raise SpecError(f"{p}: [run] max_runs must be >= runs ({runs}), got {run['max_runs']}")
    metrics = run.get("metrics")
    if metrics is not None:
        if not metrics:
            raise SpecError(f"{p}: [run] metrics is an empty list")
        for name in metrics:
            if not isinstance(name, str) or name not in STOP_METRICS:
                hint = _did_you_mean(name, STOP_METRICS) if isinstance(name, str) else ""
                raise SpecError(f"{p}: [run] metrics: unknown metric {name!r}{hint}; known: "
                                f"{', '.join(STOP_METRICS)}")
        if len(set(metrics)) != len(metrics):
            raise SpecError(f"{p}: [run] metrics lists a metric twice: {metrics!r}")


def _read_toml(p: Path) -> dict:
    """The tables of the TOML file ``p``; ``SpecError`` naming the file if it
    cannot be read, is not UTF-8 text or valid TOML, is nested too deeply or is empty."""
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{p}: not a UTF-8 text file (byte {exc.start} is "
                        f"{exc.object[exc.start:exc.start + 1]!r}); a scenario file is TOML "
                        f"text") from None
    except OSError as exc:
        raise SpecError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{p}: not valid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{p}: not a scenario file: its tables or arrays are nested too "
                        f"deeply") from None
    if not data:
        raise SpecError(f"{p}: the file is empty; a scenario file needs a [scenario] or a "
                        f"[run] table (see docs/cli.md)")
    return data


def load_spec(path: str | Path, allow_grid: bool = False) -> Spec:
    """Read and validate a scenario (or, with ``allow_grid``, a study) file.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    allow_grid : bool, default False
        Accept a ``[grid]`` table and the stopping keys of ``[run]``
        (``target_rel_halfwidth``, ``max_runs``, ``metrics``): a study file for
        ``mdcd-lab sweep``.

    Returns
    -------
    Spec
        The scenario, grid, run settings; the stopping keys are in ``extra``.

    Raises
    ------
    SpecError
        On the first problem, naming the file, the table and the key (with a
        suggestion for a misspelt key).
    """
    p = Path(path)
    data = _read_toml(p)
    tables = {"scenario", "run"} | ({"grid"} if allow_grid else set())
    for key, value in data.items():
        if key not in tables:
            hint = " (a [grid] belongs in a study file: use 'mdcd-lab sweep')" \
                if key == "grid" else ""
            hint = hint or _did_you_mean(key, tables)
            raise SpecError(f"{p}: unknown table or key [{key}]{hint}; "
                            f"allowed tables: {', '.join(sorted(tables))}")
        if not isinstance(value, dict):
            raise SpecError(f"{p}: '{key}' must be a table [{key}]")
    sc_vals = data.get("scenario", {})
    for key in sc_vals:
        if key not in FIELDS:
            raise SpecError(f"{p}: [scenario] has unknown key '{key}'"
                            f"{_did_you_mean(key, FIELDS)}; known keys: "
                            f"{', '.join(FIELDS)}")
    try:
        scenario = Scenario(**sc_vals)
    except ValueError as exc:
        raise SpecError(f"{p}: [scenario] {exc}") from None
    grid: dict[str, list] = {}
    if allow_grid:
        from ..studies.grid import expand_grid, validate_points
        raw = data.get("grid", {})
        for key, value in raw.items():
            if key not in FIELDS:
                raise SpecError(f"{p}: [grid] has unknown key '{key}'"
                                f"{_did_you_mean(key, FIELDS)}; known keys: "
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
            raise SpecError(f"{p}: [run] has unknown key '{key}'"
                            f"{_did_you_mean(key, RUN_KEYS)}; known keys: "
                            f"{', '.join(RUN_KEYS)}")
        want = RUN_KEYS[key]
        ok = isinstance(value, want) and not isinstance(value, bool)
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise SpecError(f"{p}: [run] {key} must be {_type_name(want)}, got {value!r}")
    spec = Spec(p, scenario, grid)
    for key in OVERRIDE_KEYS:
        if key in run:
            problem = _run_value_problem(key, run[key])
            if problem:
                raise SpecError(f"{p}: [run] {key} {problem}")
            setattr(spec, key, tuple(run[key]) if key == "protocols" else run[key])
    stop_keys = [k for k in STOP_KEYS if k in run]
    if stop_keys and not allow_grid:
        raise SpecError(f"{p}: [run] {stop_keys[0]} belongs in a study file (sequential "
                        f"stopping): use 'mdcd-lab sweep'")
    if allow_grid:
        _check_stop(p, run, spec.runs)
    for key in stop_keys:
        spec.extra[key] = run[key]
    return spec
