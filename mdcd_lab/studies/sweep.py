"""The public sweep: plan, load the store, schedule, assemble one tidy table.

See [`mdcd_lab.studies`][mdcd_lab.studies] and ``docs/studies.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_int
from ..io.locks import LockedError
from ..metrics import METRICS, OUTCOMES
from ..scenario import FIELDS, Scenario
from .plan import Study, plan
from .pools import make_pool
from .scheduler import Scheduler, rows
from .store import Store

__all__ = ["sweep", "sweep_status", "DEFAULT_CHUNK_RUNS", "TASKS_PER_WORKER",
           "MIN_CHUNK_RUNS"]

#: Default largest number of runs in one unit of work (and one task), per engine.
DEFAULT_CHUNK_RUNS = {"reference": 500, "numba": 50_000}
#: With a client and no ``chunk_runs``, units are cut so that the first round makes
#: about this many tasks per worker (small tasks balance uneven points) ...
TASKS_PER_WORKER = 16
#: ... but not below this many runs per unit, per engine.
MIN_CHUNK_RUNS = {"reference": 10, "numba": 1000}


def sweep(base: Scenario, grid: Mapping[str, Any] | Sequence[Mapping[str, Any]], runs: int,
          seed: int, protocols: str | Sequence[str] = ("mdcd",), client: Any = None,
          store: str | os.PathLike[str] | None = None, resume: bool = False,
          progress: bool = True, engine: str = "auto",
          target_rel_halfwidth: float | None = None, max_runs: int | None = None,
          metrics: str | Sequence[str] | None = None,
          chunk_runs: int | None = None, max_events: int | None = None) -> pd.DataFrame:
    """Run every protocol at every study point; one row per run.

    Parameters
    ----------
    base : Scenario
        The scenario every point modifies (``base.replace(**point)``).
    grid : mapping or list of mappings
        Either ``{field: values}``: the cartesian product of the values
        ([`mdcd_lab.studies.grid.expand_grid`][mdcd_lab.studies.expand_grid]; a list, tuple,
        ``range`` or 1-D array is a list of values, anything else, a string included, is one
        value; ``{}`` is the base scenario alone), or a list of point dicts such
        as [`mdcd_lab.studies.grid.sample`][mdcd_lab.studies.sample] returns.
    runs : int
        Runs per point and protocol; with sequential stopping, the size of
        every batch (the first included).
    seed : int
        Non-negative study seed.  Point ``p`` uses
        ``grid.point_seed(seed, p)`` and run ``r`` of it
        ``SeedSequence(point_seed, spawn_key=(r,))``.
    protocols : str or sequence of str, default ("mdcd",)
        Protocols played at every point, on the same traces (common random
        numbers); their order is the category order of the ``protocol``
        column.
    client : dask.distributed.Client or concurrent.futures.Executor, optional
        Where to run the work.  ``None`` runs it in this process (the numba
        engine then uses all its threads).  Otherwise work is cut into tasks of
        up to ``chunk_runs`` runs (small points batched together, large ones
        split), each task runs numba on one thread, and results are taken as
        they complete.  The numbers do not depend on the client.
    store : str or path-like, optional
        Directory receiving one Parquet file per finished unit of work (a
        (point, protocol, run range)), written atomically, plus
        ``manifest.json`` describing the study.  It must be new or empty
        unless ``resume`` is true.
    resume : bool, default False
        Finish the sweep held in ``store``: stored units are loaded, only the
        missing work runs, and the result equals an uninterrupted sweep's.
        The store's manifest must describe the same study (base scenario,
        points, runs, seed, protocols, engine, stopping rule); otherwise a
        ``ValueError`` names what differs.  An empty or absent store just
        starts.
    progress : bool, default True
        Show ``tqdm.auto`` bars (runs and finished points) on stderr.
    engine : {"auto", "numba", "reference"}, default "auto"
        Simulation engine; both give identical numbers.  ``"auto"`` is numba
        when it implements every protocol of the study, else the reference
        engine; the provenance records the engine used.
    target_rel_halfwidth : float, optional
        Sequential stopping: after every batch of ``runs`` runs of a point
        (all protocols), stop the point when it has at least
        ``MIN_STOP_RUNS`` runs and for every
        protocol and every watched metric the 95% CI
        ([`mdcd_lab.stats.summary.summarize`][mdcd_lab.stats.summarize], default intervals: hurdle
        for counts and non-negative reals, Clopper-Pearson for ``p_*``, Student t
        otherwise) is reliable (``ci_reliable``) and its half-width is
        ``> 0`` and ``<= target * |mean|``, or when ``max_runs`` runs are
        done.  An interval of zero width never converges, except for a metric
        that cannot be non-zero in the point's scenario
        (``STRUCTURAL_ZEROS``), which is left
        out; a metric observed as 0 otherwise never converges, so the point
        runs to ``max_runs``.
    max_runs : int, optional
        Cap on runs per point and protocol (required with, and only with,
        ``target_rel_halfwidth``; ``>= runs``).  The last batch is cut to it.
    metrics : str or sequence of str, optional
        Metrics the stopping rule watches ([`STOP_METRICS`][mdcd_lab.studies.STOP_METRICS]); default
        [`DEFAULT_STOP_METRICS`][mdcd_lab.studies.DEFAULT_STOP_METRICS].  Only with
        ``target_rel_halfwidth``.
    chunk_runs : int, optional
        Largest number of runs of one unit of work and of one task.  Default
        [`DEFAULT_CHUNK_RUNS`][mdcd_lab.studies.DEFAULT_CHUNK_RUNS] of the engine, lowered with a
        client so that the first round makes about
        [`TASKS_PER_WORKER`][mdcd_lab.studies.TASKS_PER_WORKER] tasks per worker (but not below
        [`MIN_CHUNK_RUNS`][mdcd_lab.studies.MIN_CHUNK_RUNS]), which balances points of unequal cost.
        It does not change the numbers, and a store may be resumed with another value.
    max_events : int, optional
        The most trace events the study may be expected to play (points x
        protocols x runs, or ``max_runs``, x the mean rows of a run from the
        rates and the horizon); default
        ``DEFAULT_MAX_EVENTS`` (about 3 hours of one
        core).  A larger study is refused before any work, naming its estimate;
        pass a larger ``max_events`` to run it anyway.

    Returns
    -------
    DataFrame
        One row per run, ordered by point, protocol and run: ``point``
        (int32, index into the points), ``protocol`` (categorical in the
        given order), every Scenario field (int32 or int64, float64, or
        categorical for ``fault_scope``), then the per-run metrics of
        [`mdcd_lab.metrics.METRICS`][mdcd_lab.metrics.METRICS] (``run``, ``seed`` = the point seed,
        ``outcome``, ...) with their schema dtypes.  ``attrs["provenance"]``
        holds what to store beside the table (``to_csv(df, path,
        provenance=df.attrs["provenance"])``): base scenario, grid, points,
        point seeds, runs, seed, protocols, engine, stopping rule and, per
        point, the runs done and why it stopped (see
        [`sweep_status`][mdcd_lab.studies.sweep_status]).

    Raises
    ------
    ValueError
        Before any work: unknown field, empty list of values or of points,
        duplicate value or point, a value the Scenario rejects (the message
        starts with the point), bad ``runs``/``seed``/``protocols``/
        ``engine``/stopping arguments, an unknown client type, a non-empty
        store without ``resume``, a store of another study, more than
        ``MAX_POINTS`` points, a study expected to
        play more than ``max_events`` trace events, or a result table larger
        than half of the machine's memory.

    Notes
    -----
    Interrupting a sweep (``KeyboardInterrupt``, a killed process, a failed
    task) cancels the pending tasks; every unit already written to the store
    stays, so ``resume=True`` finishes the study.  The stopping decisions are
    recomputed from the stored runs on resume and come out the same.  One
    sweep writes a store at a time: a second one raises
    [`mdcd_lab.io.LockedError`][mdcd_lab.io.LockedError] naming the holder.  On resume, a unit
    file of another study or unit, or whose rows were edited, is refused
    (``ValueError`` naming it).

    Examples
    --------
    >>> df = sweep(Scenario(horizon=20.0), {"at_coverage": [0.9, 1.0]}, runs=5, seed=1,
    ...            protocols=["mdcd", "mdcd-paper"], engine="reference", progress=False)
    >>> df.groupby(["at_coverage", "protocol"], observed=True).size().tolist()
    [5, 5, 5, 5]
    """
    study = plan(base, grid, runs, seed, protocols, engine, target_rel_halfwidth, max_runs,
                 metrics, max_events)
    done, chunks, ends = _execute(study, client, store, resume, progress, chunk_runs)
    df = _assemble(study, chunks, ends)
    df.attrs["provenance"] = _provenance(study, done, store)
    return df


def _execute(study: Study, client: Any, store: Any, resume: bool, progress: bool,
             chunk_runs: int | None, release: bool = False
             ) -> tuple[list[dict[str, Any]], dict, list[int]]:
    """Schedule and run a planned study: its per-point status, chunks and ends."""
    if chunk_runs is not None:
        chunk_runs = check_int("chunk_runs", chunk_runs, 1)
    if not isinstance(resume, bool):
        raise ValueError(f"resume must be True or False, got {resume!r}")
    pool = make_pool(client, study.engine)
    if resume and store is None:
        raise ValueError("resume=True needs store= (the directory of the interrupted sweep)")
    st = _open_store(store, study, resume)
    unit_runs = _unit_runs(study, chunk_runs, client, pool)
    bars = _bars(progress, len(study.points) * len(study.protocols) * study.runs,
                 len(study.points))
    scheduler = Scheduler(study, pool, unit_runs, st, bars, release=release)
    try:
        if st is not None:
            _create(st)
            scheduler.load(st.load(lazy=release))
        done = scheduler.run()
        if st is not None:
            st.finish(done)
    except BaseException:
        pool.cancel()
        raise
    finally:
        for bar in bars:
            bar.close()
        if st is not None:
            st.close()
    return done, scheduler.chunks, scheduler.ends


def _open_store(store: Any, study: Study, resume: bool) -> Store | None:
    if store is None:
        return None
    try:
        return Store(Path(store), study, resume)
    except OSError as exc:
        raise ValueError(f"store {os.fspath(store)!r}: cannot read it ({exc})") from None


def _create(st: Store) -> None:
    try:
        st.open()
    except LockedError:
        raise
    except OSError as exc:
        raise ValueError(f"store {str(st.path)!r}: cannot create it ({exc})") from None


def _unit_runs(study: Study, chunk_runs: int | None, client: Any, pool: Any) -> int:
    """Runs per unit: ``chunk_runs``, or the engine default balanced over the workers."""
    unit_runs = chunk_runs or DEFAULT_CHUNK_RUNS[study.engine]
    if chunk_runs is None and client is not None:
        first = len(study.points) * len(study.protocols) * study.runs
        balanced = math.ceil(first / (TASKS_PER_WORKER * pool.workers()))
        unit_runs = min(unit_runs, max(MIN_CHUNK_RUNS[study.engine], balanced))
    return unit_runs


def _bars(progress: bool, n_runs: int, n_points: int) -> tuple[Any, Any]:
    from tqdm.auto import tqdm
    runs_bar = tqdm(total=n_runs, desc="sweep runs", unit="run", disable=not progress, position=0)
    points_bar = tqdm(total=n_points, desc="sweep points", unit="point",
                      disable=not progress, position=1)
    return runs_bar, points_bar


def _field_dtype(name: str) -> Any:
    info = FIELDS[name]
    if info.kind == "choice":
        return pd.CategoricalDtype(list(info.choices))
    if info.kind == "int":
        return np.dtype("int32") if info.hi < 2 ** 31 else np.dtype("int64")
    return np.dtype("float64")


def _assemble(study: Study, chunks: dict[tuple[int, int], list], ends: list[int],
              points: Sequence[int] | None = None) -> pd.DataFrame:
    """The tidy table of ``points`` (default: all), in point then protocol order."""
    parts, point_idx, proto_idx = [], [], []
    for p in (range(len(study.points)) if points is None else points):
        for q in range(len(study.protocols)):
            part = rows(chunks[p, q], ends[p])
            parts.append(part)
            point_idx.append(np.full(len(part), p, dtype=np.int32))
            proto_idx.append(np.full(len(part), q, dtype=np.int8 if len(study.protocols) < 128
                                     else np.int32))
    body = pd.concat(parts, ignore_index=True)
    pidx = np.concatenate(point_idx)
    cols: dict[str, Any] = {
        "point": pidx,
        "protocol": pd.Categorical.from_codes(np.concatenate(proto_idx),
                                              categories=list(study.protocols)),
    }
    for name in FIELDS:
        dtype = _field_dtype(name)
        values = [getattr(sc, name) for sc in study.scenarios]
        if isinstance(dtype, pd.CategoricalDtype):
            codes = np.array([list(dtype.categories).index(v) for v in values], dtype=np.int8)
            cols[name] = pd.Categorical.from_codes(codes[pidx], dtype=dtype)
        else:
            cols[name] = np.asarray(values, dtype=dtype)[pidx]
    for m in METRICS:
        col = body[m.name]
        if m.dtype == "category":
            if not isinstance(col.dtype, pd.CategoricalDtype) or \
                    list(col.dtype.categories) != list(OUTCOMES):
                col = pd.Categorical(col.astype(object), categories=list(OUTCOMES))
            cols[m.name] = col
        else:
            cols[m.name] = col.to_numpy().astype(m.dtype, copy=False)
    return pd.DataFrame(cols)


def _provenance(study: Study, status: list[dict[str, Any]], store: Any) -> dict[str, Any]:
    ident = study.identity()
    return {"study": "mdcd_lab.studies.sweep", "base": ident["base"], "grid": study.grid,
            "points": ident["points"], "point_seeds": ident["point_seeds"],
            "runs": study.runs, "seed": study.seed, "protocols": list(study.protocols),
            "engine": study.engine, "stopping": ident["stopping"],
            "point_status": status,
            "store": None if store is None else os.fspath(store)}


def sweep_status(df: pd.DataFrame) -> pd.DataFrame:
    """Per point: runs done, batches, why it stopped, and its parameters.

    Parameters
    ----------
    df : DataFrame or mapping
        A frame returned by [`sweep`][mdcd_lab.studies.sweep.sweep], or loaded with
        [`mdcd_lab.io.load_results`][mdcd_lab.io.load_results] from a file written with its
        ``attrs["provenance"]``; or the provenance itself (what
        ``sweep_to`` returns).

    Returns
    -------
    DataFrame
        ``point``, the point's parameters (one column per field the points
        set), ``seed`` (the point seed), ``runs`` (per protocol), ``batches``,
        ``reason`` (``"fixed"``: no stopping rule; ``"converged"``: every
        watched interval was narrow enough; ``"max_runs"``: the cap was
        reached first) and ``max_rel_half_width`` (largest ``half_width /
        |mean|`` over protocols and watched metrics at the last batch, NaN
        when undefined or without a stopping rule).

    Raises
    ------
    ValueError
        If ``df.attrs`` holds no sweep provenance.
    """
    prov = df.attrs.get("provenance") if isinstance(df, pd.DataFrame) else \
        df if isinstance(df, Mapping) else None
    if not isinstance(prov, Mapping) or "point_status" not in prov or "points" not in prov:
        raise ValueError("no sweep provenance in df.attrs['provenance']: pass the frame "
                         "returned by sweep() or load_results() of a file written with it")
    status = pd.DataFrame(list(prov["point_status"]),
                          columns=["point", "runs", "batches", "reason", "max_rel_half_width"])
    params = pd.DataFrame(list(prov["points"]))
    params.insert(0, "point", np.arange(len(params)))
    params["seed"] = [int(s) for s in prov["point_seeds"]]
    out = params.merge(status, on="point", how="left")
    out["max_rel_half_width"] = out["max_rel_half_width"].astype(float)
    return out
