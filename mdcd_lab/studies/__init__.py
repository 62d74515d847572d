"""Parameter studies: many scenarios, several protocols, optional sequential stopping.

:func:`sweep` runs every protocol at every point of a grid (or of a list of
points from :func:`mdcd_lab.studies.grid.sample`) and returns one tidy per-run table.
It can

* stream the work to a ``dask.distributed.Client`` or any
  :class:`concurrent.futures.Executor` (points are batched into tasks of many
  runs; results come back as they complete and equal the local run's exactly);
* write every finished unit of work to a *store* directory, so that an
  interrupted sweep (Ctrl-C, a killed process, a lost worker) can be finished
  with ``resume=True`` and returns exactly what an uninterrupted one returns;
* add batches of runs to each point until every chosen metric's 95% confidence
  interval is narrow enough (sequential stopping, as Mobius and PRISM users
  run simulations), recording per point how many runs it took and why it
  stopped (:func:`sweep_status`).

Seeds come from the study seed and the point's *values*
(:func:`mdcd_lab.studies.grid.point_seed`), never from its position, and all protocols
of a point share that seed (common random numbers), so
:func:`mdcd_lab.stats.summary.paired_differences` pairs them.  See
``docs/studies.md``.

The package has one job per module:

* :mod:`~mdcd_lab.studies.plan`: check the arguments, normalise the points,
  derive their seeds (pure functions);
* :mod:`~mdcd_lab.studies.stopping`: the sequential stopping rule;
* :mod:`~mdcd_lab.studies.store`: the resumable Parquet store;
* :mod:`~mdcd_lab.studies.pools`: this process, an executor or dask;
* :mod:`~mdcd_lab.studies.scheduler`: which runs to compute next, per point;
* :mod:`~mdcd_lab.studies.sweep`: the public :func:`sweep` and
  :func:`sweep_status`.
"""

from .grid import expand_grid, point_seed, sample
from .stopping import DEFAULT_STOP_METRICS, STOP_LEVEL, STOP_METRICS
from .store import MANIFEST_NAME, STORE_FORMAT, UNITS_DIR, read_manifest
from .sweep import (
    DEFAULT_CHUNK_RUNS,
    MIN_CHUNK_RUNS,
    TASKS_PER_WORKER,
    sweep,
    sweep_status,
    sweep_to,
)

__all__ = ["sweep", "sweep_to", "sweep_status", "expand_grid", "sample", "point_seed",
           "read_manifest",
           "STOP_METRICS", "DEFAULT_STOP_METRICS",
           "DEFAULT_CHUNK_RUNS", "TASKS_PER_WORKER", "MIN_CHUNK_RUNS", "STOP_LEVEL",
           "STORE_FORMAT", "MANIFEST_NAME", "UNITS_DIR"]
