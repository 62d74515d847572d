"""A sweep streamed to a file: [`sweep_to`][mdcd_lab.studies.sweep_to] writes the table of
[`sweep`][mdcd_lab.studies.sweep] one point at a time from a store, holding no rows.

See docs/studies.md, *Streamed to a file*.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..io.results import CSV_SUFFIXES, PARQUET_SUFFIXES
from ..io.stream import write_frames
from ..scenario import Scenario
from .plan import plan
from .sweep import _assemble, _execute, _provenance

__all__ = ["sweep_to"]


def sweep_to(path: str | os.PathLike[str] | None, base: Scenario,
             grid: Mapping[str, Any] | Sequence[Mapping[str, Any]], runs: int, seed: int,
             protocols: str | Sequence[str] = ("mdcd",), client: Any = None,
             store: str | os.PathLike[str] | None = None, resume: bool = False,
             progress: bool = True, engine: str = "auto",
             target_rel_halfwidth: float | None = None, max_runs: int | None = None,
             metrics: str | Sequence[str] | None = None, chunk_runs: int | None = None,
             max_events: int | None = None,
             on_frame: Callable[[pd.DataFrame], None] | None = None,
             provenance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """[`sweep`][mdcd_lab.studies.sweep.sweep], streamed to a file: no more than one point's rows in
    memory.

    Every finished unit goes to a store (``store``, or a temporary one beside
    ``path`` that is removed at the end), the scheduler keeps no rows, and the
    table is written from the store one point at a time
    ([`mdcd_lab.io.write_frames`][mdcd_lab.io.write_frames]).  The file holds exactly the rows of
    ``sweep(...)`` with the same arguments, and its sidecar the same provenance.
    ``mdcd-lab sweep`` runs this.

    Parameters
    ----------
    path : str or path-like, optional
        The table (``.csv``, ``.parquet`` or ``.pq``; its folder must exist).  None:
        no file, only ``on_frame`` sees the rows.
    base, grid, runs, seed, protocols, client, store, resume, progress, engine,
    target_rel_halfwidth, max_runs, metrics, chunk_runs, max_events
        As for [`sweep`][mdcd_lab.studies.sweep.sweep].
    on_frame : callable, optional
        Called with each point's rows (all protocols), in point order, as they are
        written (``mdcd-lab sweep`` sums its one-screen summary with it).
    provenance : mapping, optional
        Extra sidecar entries, written before the sweep's own.

    Returns
    -------
    dict
        The provenance written beside the table (that of [`sweep`][mdcd_lab.studies.sweep.sweep],
        the extra entries first), with ``"rows"``: the number of rows.

    Raises
    ------
    ValueError, mdcd_lab.io.LockedError, KeyboardInterrupt
        As [`sweep`][mdcd_lab.studies.sweep.sweep]; an interrupted sweep keeps its finished units in
        ``store`` (a temporary store is removed) and writes no table.
    """
    study = plan(base, grid, runs, seed, protocols, engine, target_rel_halfwidth, max_runs,
                 metrics, max_events)
    target = None if path is None else Path(path)
    if target is not None:
        from ..io.results import _check_target
        _check_target(target, CSV_SUFFIXES + PARQUET_SUFFIXES, "sweep_to")
    temp = None
    if store is None:
        where = target.parent if target is not None else None
        temp = Path(tempfile.mkdtemp(prefix=".sweep-units-", dir=where))
    try:
        done, chunks, ends = _execute(study, client, temp or store, resume, progress,
                                      chunk_runs, release=True)
        prov = {**(provenance or {}), **_provenance(study, done, store)}

        def frames() -> Iterator[pd.DataFrame]:
            for p in range(len(study.points)):
                frame = _assemble(study, chunks, ends, points=[p])
                if on_frame is not None:
                    on_frame(frame)
                yield frame

        if target is None:
            rows_written = sum(len(f) for f in frames())
        else:
            rows_written = write_frames(frames(), target, prov)[1]
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    return prov | {"rows": rows_written}
