"""Run every protocol of a scenario spec in chunks, so that an interruption keeps finished runs.

``mdcd-lab run`` plays each protocol of a scenario file on common traces (run
``r`` of seed ``s`` is the same for every protocol and engine).  The runs are
played in chunks; when the user presses Ctrl-C, ``run_spec`` raises
``RunInterruptedError`` carrying every run of the chunks that had finished, and
a later call with those rows as ``done`` plays only the missing runs.  The
result is the same table, bit for bit, as an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .. import api
from ..metrics import empty_results

__all__ = ["CHUNK_RUNS", "RunInterruptedError", "runs_done", "run_spec", "play_spec",
           "check_resumable"]

#: Runs per chunk, per engine: what Ctrl-C can lose at most, per protocol.
CHUNK_RUNS = {"numba": 16_384, "reference": 100}


class RunInterruptedError(Exception):
    """Raised by ``run_spec`` on Ctrl-C; ``partial`` holds every finished run and
    ``interrupt`` the ``KeyboardInterrupt`` (or its subclass for SIGTERM) that stopped it."""

    def __init__(self, partial: pd.DataFrame | None,
                 interrupt: KeyboardInterrupt | None = None,
                 runs_done: dict[str, int] | None = None) -> None:
        super().__init__("interrupted")
        self.partial = partial
        self.interrupt = interrupt
        #: finished runs per protocol (``0 .. n-1``), with or without ``partial``
        self.runs_done = runs_done


def _assemble(frames: dict[str, list[pd.DataFrame]], protocols: tuple[str, ...]) -> pd.DataFrame:
    parts = [f for p in protocols for f in frames[p]]
    if not parts:
        out = empty_results()
        out.insert(0, "protocol", pd.Series([], dtype=object))
    else:
        out = pd.concat([f.assign(protocol=f["protocol"].astype(str)) for f in parts],
                        ignore_index=True)
    out["protocol"] = pd.Categorical(out["protocol"].astype(str), categories=list(protocols))
    return out


def runs_done(df: pd.DataFrame, protocols: tuple[str, ...]) -> dict[str, int]:
    """Number of finished runs of each protocol in a results table (runs ``0 .. n-1``).

    Raises
    ------
    ValueError
        If the table's runs of a protocol are not exactly ``0 .. n-1`` in order,
        or it holds a protocol not in ``protocols``.
    """
    if "protocol" not in df.columns or "run" not in df.columns:
        raise ValueError("the table has no 'protocol' and 'run' columns")
    names = df["protocol"].astype(str)
    extra = sorted(set(names) - set(protocols))
    if extra:
        raise ValueError(f"the table holds protocol(s) {extra} that the spec does not run")
    out = {}
    for p in protocols:
        runs = df.loc[names == p, "run"].to_numpy()
        if not np.array_equal(runs, np.arange(len(runs))):
            raise ValueError(f"the runs of protocol {p!r} are not exactly 0..{len(runs) - 1}")
        out[p] = len(runs)
    return out


def check_resumable(prov: dict[str, Any], spec: Any) -> None:
    """Raise ``ValueError`` naming what differs between a results file and ``spec``."""
    mine = spec.provenance()
    for key in ("scenario", "seed", "protocols"):
        if prov.get(key) != mine[key]:
            raise ValueError(f"its {key} ({prov.get(key)!r}) differs from this command's "
                             f"({mine[key]!r})")


def run_spec(spec: Any, done: pd.DataFrame | None = None, progress: bool = True,
             chunk_runs: dict[str, int] | None = None,
             on_chunk: Callable[[str, int, pd.DataFrame], None] | None = None) -> pd.DataFrame:
    """Every protocol of ``spec`` on common traces, ``spec.runs`` runs each.

    Parameters
    ----------
    spec : mdcd_lab.cli.specs.Spec
        Scenario, runs, seed, protocols and engine (``"auto"`` resolved per
        protocol with [`mdcd_lab.api.resolve_engine`][mdcd_lab.api.resolve_engine]).
    done : DataFrame, optional
        Rows already finished (runs ``0 .. k-1`` of each protocol, as returned in
        ``RunInterruptedError.partial``); only the missing runs are played.
    progress : bool, default True
        One ``tqdm`` bar over all runs, on stderr.
    chunk_runs : dict, optional
        Runs per chunk per engine (default ``CHUNK_RUNS``).
    on_chunk : callable, optional
        Called with ``(protocol, first run, frame)`` as each chunk finishes (``mdcd-lab
        run`` stores it on disk: ``mdcd_lab.studies.parts.RunParts``).

    Returns
    -------
    DataFrame
        ``protocol`` (categorical, in the spec's order), then the per-run
        metrics; ``spec.runs`` rows per protocol.

    Raises
    ------
    RunInterruptedError
        On ``KeyboardInterrupt``, with every finished chunk (and ``done``).
    ValueError
        If ``done`` is not a prefix of this spec's runs.
    """
    protocols = tuple(spec.protocols)
    frames: dict[str, list[pd.DataFrame]] = {p: [] for p in protocols}
    have = dict.fromkeys(protocols, 0)
    if done is not None and len(done):
        have = runs_done(done, protocols)
        over = {p: n for p, n in have.items() if n > spec.runs}
        if over:
            raise ValueError(f"it already holds more than {spec.runs} runs of {sorted(over)}")
        names = done["protocol"].astype(str)
        for p in protocols:
            if have[p]:
                frames[p].append(done[names == p].reset_index(drop=True))

    def keep(p: str, start: int, frame: pd.DataFrame) -> None:
        frames[p].append(frame)
        if on_chunk is not None:
            on_chunk(p, start, frame)

    try:
        play_spec(spec, have, keep, progress=progress, chunk_runs=chunk_runs)
    except RunInterruptedError as exc:
        raise RunInterruptedError(_assemble(frames, protocols), exc.interrupt,
                                  exc.runs_done) from None
    return _assemble(frames, protocols)


def play_spec(spec: Any, have: dict[str, int],
              on_chunk: Callable[[str, int, pd.DataFrame], None], progress: bool = True,
              chunk_runs: dict[str, int] | None = None) -> dict[str, int]:
    """Play the runs of ``spec`` not yet in ``have``, chunk by chunk, keeping none.

    The one loop of ``run_spec``; ``mdcd-lab run`` calls it directly and streams
    each chunk to disk, so that no more than a chunk of rows is in memory.

    Parameters
    ----------
    spec : mdcd_lab.cli.specs.Spec
        As for ``run_spec``.
    have : dict
        Runs already finished per protocol (``0 .. n-1``); updated in place as
        chunks finish.
    on_chunk : callable
        Called with ``(protocol, first run, frame)`` as each chunk finishes.
    progress, chunk_runs
        As for ``run_spec``.

    Returns
    -------
    dict
        ``have``, now ``spec.runs`` for every protocol.

    Raises
    ------
    RunInterruptedError
        On ``KeyboardInterrupt``, without ``partial``, with ``runs_done``.
    """
    protocols = tuple(spec.protocols)
    chunk_runs = chunk_runs or CHUNK_RUNS
    bar = None
    try:
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=spec.runs * len(protocols), initial=sum(have.values()),
                       unit="run", desc="runs")
        for p in protocols:
            engine = api.resolve_engine(spec.engine, [p])
            step = chunk_runs[engine]
            for start in range(have[p], spec.runs, step):
                n = min(step, spec.runs - start)
                frame = api.simulate(spec.scenario, n, spec.seed, protocol=p,
                                     engine=engine, first_run=start)
                on_chunk(p, start, frame)
                have[p] = start + n
                if bar is not None:
                    bar.update(n)
    except KeyboardInterrupt as exc:
        raise RunInterruptedError(None, exc, dict(have)) from None
    finally:
        if bar is not None:
            bar.close()
    return have
