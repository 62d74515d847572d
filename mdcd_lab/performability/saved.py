"""A duration study on disk: [`save_duration`][mdcd_lab.performability.save_duration] writes it,
[`load_duration`][mdcd_lab.performability.load_duration] reads it back as the
[`DurationStudy`][mdcd_lab.performability.DurationStudy] it was.

The folder holds what ``mdcd-lab duration --out DIR`` writes (docs/performability.md):
``duration.csv`` (the table), ``optimum.csv``, ``runs.parquet`` (the per-run table) and
``fresh.parquet`` (the fresh runs at the chosen phi), each with a ``.meta.json``
sidecar that records the study (costs, mission, seed, level, n_boot).  The per-run
tables are enough to summarize the study under other costs
([`DurationStudy.with_costs`][mdcd_lab.performability.DurationStudy.with_costs]) without simulating.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..io.results import load_results, to_csv, to_parquet
from .duration import DurationStudy
from .worth import COST_FIELDS, Costs

__all__ = ["save_duration", "load_duration", "DURATION_FILES"]

#: The files of a saved study, by the [`DurationStudy`][mdcd_lab.performability.DurationStudy]
#: attribute they hold.
DURATION_FILES = {"table": "duration.csv", "optimum": "optimum.csv", "runs": "runs.parquet",
                  "fresh": "fresh.parquet"}

#: Defaults of [`duration_study`][mdcd_lab.performability.duration_study], for studies
#: saved before the sidecar recorded ``level`` and ``n_boot``.
_DEFAULT_LEVEL, _DEFAULT_N_BOOT = 0.95, 1000


def save_duration(study: DurationStudy, path: str | os.PathLike[str],
                  provenance: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write a duration study into the folder ``path`` (created if missing).

    Parameters
    ----------
    study : DurationStudy
        What [`duration_study`][mdcd_lab.performability.duration_study] returned.
    path : str or path-like
        The folder; its files are ``DURATION_FILES``.
    provenance : mapping, optional
        More sidecar entries (the base scenario, the phis, the engine ...).  The
        study's own ``costs``, ``mission``, ``seed``, ``level`` and ``n_boot`` are
        always recorded.

    Returns
    -------
    dict
        The path of each file, keyed as ``DURATION_FILES``.
    """
    if not isinstance(study, DurationStudy):
        raise ValueError(f"study must be a DurationStudy, got {type(study).__name__}")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: exists and is not a directory")
    prov = {**(provenance or {}), "study": "duration", "costs": study.costs.to_dict(),
            "mission": study.mission, "seed": study.seed, "level": study.level,
            "n_boot": study.n_boot}
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for attr, name in DURATION_FILES.items():
        frame = getattr(study, attr)
        if frame is None:       # a study made without fresh runs by an older version
            frame = study.runs.iloc[:0]
        write = to_csv if name.endswith(".csv") else to_parquet
        written[attr] = write(frame, out / name, provenance=prov)
    return written


def load_duration(path: str | os.PathLike[str]) -> DurationStudy:
    """Read a duration study saved by [`save_duration`][mdcd_lab.performability.save_duration] or
    ``mdcd-lab duration``.

    Parameters
    ----------
    path : str or path-like
        The folder holding ``DURATION_FILES`` and their sidecars.

    Returns
    -------
    DurationStudy
        The study as it was returned when it ran: its frames equal bit for bit
        (dtypes and categories restored from the sidecars), its costs, mission,
        seed, level and n_boot from the sidecar, so that
        [`with_costs`][mdcd_lab.performability.DurationStudy.with_costs] gives what it would have
        given then.

    Raises
    ------
    FileNotFoundError
        A file or its sidecar is missing.
    ValueError
        A file does not match its sidecar, the sidecar is not a duration study's, or
        the files come from different studies.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"duration study folder not found: {str(folder)!r}")
    frames, metas = {}, {}
    for attr, name in DURATION_FILES.items():
        p = folder / name
        if not p.is_file():
            raise FileNotFoundError(f"{str(folder)!r} holds no {name} (a duration study "
                                    f"folder holds {', '.join(DURATION_FILES.values())})")
        frames[attr] = load_results(p)
        metas[attr] = frames[attr].attrs.pop("provenance")
        if metas[attr].get("study") != "duration":
            raise ValueError(f"{p}: its sidecar is missing or not a duration study's "
                             f"(no \"study\": \"duration\")")
    keys = ("costs", "mission", "seed", "level", "n_boot")
    first = metas["runs"]
    for attr, meta in metas.items():
        differ = [k for k in keys if meta.get(k) != first.get(k)]
        if differ:
            raise ValueError(f"{folder / DURATION_FILES[attr]} and {folder / 'runs.parquet'} "
                             f"come from different studies ({', '.join(differ)} differ)")
    costs = first.get("costs")
    if not isinstance(costs, dict) or set(costs) - set(COST_FIELDS):
        raise ValueError(f"{folder / 'runs.parquet'}.meta.json: 'costs' is not a Costs record")
    study = DurationStudy(runs=frames["runs"], table=frames["table"],
                          optimum=frames["optimum"], costs=Costs(**costs),
                          mission=float(first["mission"]), seed=int(first["seed"]),
                          level=float(first.get("level", _DEFAULT_LEVEL)),
                          n_boot=int(first.get("n_boot", _DEFAULT_N_BOOT)),
                          fresh=frames["fresh"])
    return study
