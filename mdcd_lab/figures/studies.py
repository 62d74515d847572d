"""The studies behind the figure set, with the provenance of each.

Every figure of [`mdcd_lab.figures`][mdcd_lab.figures] gets its numbers from ``sweep``
(or, for the space-time diagram, from ``one_run_study``), which records the
study it ran as a plain dict: the figure's base scenario, the grid, the
protocols, runs and seed, and the list of scenarios that were actually
simulated (read from the per-run table the engine returned, one per study
point).  [`mdcd_lab.figures.make_figures`][mdcd_lab.figures.make_figures] writes these records into
each figure's sidecar, so a sidecar states exactly what its figure used
(docs/figures.md, tests/test_figure_provenance.py).

Within one [`make_figures`][mdcd_lab.figures.make_figures] call a study asked for twice (same
scenario, grid, runs, seed, protocols, engine) is simulated once (``study_cache``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import api
from ..protocols import DEFAULT_PAIR
from ..scenario import FIELDS, Scenario
from ..studies import sweep as _sweep_one_engine

__all__ = ["BASE", "SEED", "SOUND", "ALL", "ALL6", "DIGITS", "FigureResult", "FigureSpec",
           "sweep", "study_cache", "study_record", "scenario_diff", "on_base", "round_floats"]

#: The scenario every figure starts from (docs/figures.md): ``Scenario()`` with
#: ``n_act=4, at_coverage=0.99, latency=0.1, shadow_lag=0.2``.
BASE = Scenario(n_low=2, n_act=4, horizon=100.0, rate_low_act=1.0, rate_low_low=0.5,
                rate_sdw_sdw=0.5, rate_act_low=0.5, rate_act_act=0.5, rate_ext_low=0.1,
                rate_ext_act=0.2, fault_rate=0.005, at_coverage=0.99, latency=0.1,
                shadow_lag=0.2, coord_period=10.0)
#: The seed of every study of the figure set.
SEED = 2026
SOUND = ("mdcd", "every-receive", "static", "coordinated")
ALL = (*DEFAULT_PAIR, "every-receive", "static", "coordinated")
ALL6 = (*DEFAULT_PAIR, "mdcd-unclustered", "every-receive", "static", "coordinated")


#: Significant digits of every float a figure's CSV holds (docs/figures.md, "Rounding"):
#: far finer than any confidence interval of the set (the narrowest half-width is about
#: 0.1% of its mean), coarse enough that the last bits of a machine's floating point
#: never reach the file, so the committed CSVs are byte-identical across machines.
DIGITS = 6


@dataclass
class FigureResult:
    """What a figure builder returns: the table behind the figure and its studies.

    [`mdcd_lab.figures.make_figures`][mdcd_lab.figures.make_figures] rounds ``data``
    (``round_floats``), writes it as the figure's CSV and draws ``figure`` from that CSV.
    """

    data: pd.DataFrame
    studies: list[dict[str, Any]] = field(default_factory=list)
    figure: Any = None


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the set: its file name, a caption, its builder and its drawer.

    ``build(runs, engine, progress, seed, base)`` simulates and returns a
    [`FigureResult`][mdcd_lab.figures.FigureResult] (no figure): ``seed`` is the seed of every
    study, ``base`` the scenario that replaces [`BASE`][mdcd_lab.figures.BASE] (``on_base``).
    ``draw(data, meta)`` draws the figure from its CSV table and sidecar dict
    alone ([`mdcd_lab.figures.draw_figure`][mdcd_lab.figures.draw_figure]), simulating nothing
    except the one run whose trace ``spacetime`` needs.  ``digits``: significant digits of
    the floats in its CSV (``round_floats``).
    """

    name: str
    caption: str
    build: Callable[..., FigureResult]
    draw: Callable[[pd.DataFrame, dict[str, Any]], Any]
    digits: int = DIGITS


def on_base(sc: Scenario, base: Scenario) -> Scenario:
    """A figure's scenario ``sc`` with every field in which ``base`` differs from
    [`BASE`][mdcd_lab.figures.BASE] set to ``base``'s value (``make_figures(..., base=...)``).

    With ``base=BASE`` this is ``sc``: each figure keeps its own changes of
    ``BASE`` (``fault_rate=0.02``, ...) unless ``base`` changes the same field,
    and a figure's swept field is set by its grid whatever ``base`` says.
    """
    diff = scenario_diff(base, BASE)
    return sc.replace(**diff) if diff else sc


def round_floats(df: pd.DataFrame, digits: int = DIGITS) -> pd.DataFrame:
    """``df`` with every finite float rounded to ``digits`` significant digits.

    Rounded through the decimal text (``f"{v:.{digits}g}"``), so a value is the
    float nearest to its rounded decimal whatever the machine.  Integer, string
    and boolean columns are unchanged; missing and infinite values stay as they are.
    """
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            vals = out[col].to_numpy(dtype=float)
            out[col] = [float(f"{v:.{digits}g}") if np.isfinite(v) else v for v in vals]
    return out


_CACHE: dict[Any, pd.DataFrame] | None = None


@contextlib.contextmanager
def study_cache() -> Iterator[None]:
    """Within the block, a study asked for twice is simulated once."""
    global _CACHE
    outer = _CACHE
    _CACHE = {} if outer is None else outer
    try:
        yield
    finally:
        _CACHE = outer


def scenario_diff(sc: Scenario | dict[str, Any], ref: Scenario | None = None) -> dict[str, Any]:
    """The fields of ``sc`` that differ from ``ref`` (default ``Scenario()``)."""
    values = sc.to_dict() if isinstance(sc, Scenario) else dict(sc)
    ref_values = (ref or Scenario()).to_dict()
    return {k: v for k, v in values.items() if ref_values[k] != v}


def _simulated_scenarios(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The distinct scenarios of a per-run table (every Scenario field is a column)."""
    cols = [f for f in FIELDS if f in df.columns]
    if len(cols) != len(FIELDS):
        raise ValueError(f"the sweep table lacks Scenario column(s) "
                         f"{sorted(set(FIELDS) - set(cols))}")
    rows = df[cols].drop_duplicates().to_dict("records")
    return [Scenario.from_dict({k: (v.item() if hasattr(v, "item") else v)
                                for k, v in r.items()}).to_dict() for r in rows]


def study_record(base: Scenario, grid: Any, runs: int, seed: int, protocols: Sequence[str],
                 engines: dict[str, str], scenarios: list[dict[str, Any]]) -> dict[str, Any]:
    """The provenance of one study as plain JSON-ready data."""
    return {"base": base.to_dict(), "base_differs_from_default": scenario_diff(base),
            "grid": json.loads(json.dumps(grid, default=float)), "runs": runs, "seed": seed,
            "protocols": list(protocols), "engine_per_protocol": dict(engines),
            "scenarios": scenarios}


def sweep(base: Scenario, grid: Any, runs: int, seed: int, protocols: Sequence[str],
          engine: str, progress: bool) -> pd.DataFrame:
    """[`mdcd_lab.studies.sweep`][mdcd_lab.studies.sweep.sweep], with ``engine="auto"`` and a
    provenance record.

    ``engine="auto"`` runs numba for the protocols it implements, the reference
    engine for the others (the numbers are the same either way; only the speed
    differs).  The result carries ``df.attrs["study"]``
    (``study_record``) with the scenarios read back from the table.
    """
    key = (base, json.dumps(grid, sort_keys=True, default=float), runs, seed, tuple(protocols),
           engine)
    if _CACHE is not None and key in _CACHE:
        return _CACHE[key].copy()
    engines = {p: api.resolve_engine(engine, [p]) for p in protocols}
    frames = []
    for eng in ("numba", "reference"):
        group = [p for p in protocols if engines[p] == eng]
        if group:
            frames.append(_sweep_one_engine(base, grid, runs, seed, protocols=group,
                                            engine=eng, progress=progress))
    df = pd.concat(frames, ignore_index=True)
    df["protocol"] = pd.Categorical(df["protocol"].astype(str), categories=list(protocols))
    df = df.sort_values(["point", "protocol", "run"], kind="stable").reset_index(drop=True)
    df.attrs["engines"] = engines
    df.attrs["study"] = study_record(base, grid, runs, seed, protocols, engines,
                                     _simulated_scenarios(df))
    if _CACHE is not None:
        _CACHE[key] = df.copy()
    return df


def one_run_study(sc: Scenario, runs: int, seed: int, protocol: str,
                  engine: str) -> dict[str, Any]:
    """Provenance of a figure made from [`mdcd_lab.simulate`][mdcd_lab.api.simulate] /
    ``run_events``."""
    return study_record(sc, {}, runs, seed, [protocol], {protocol: engine}, [sc.to_dict()])
