"""Parameter studies: many scenarios, several protocols, optional sequential stopping.

[`sweep`][mdcd_lab.studies.sweep.sweep] runs every protocol at every point of a grid (or of a list
of points from [`mdcd_lab.studies.grid.sample`][mdcd_lab.studies.sample]) and returns one tidy
per-run table. It can

* stream the work to a ``dask.distributed.Client`` or any
  ``concurrent.futures.Executor`` (points are batched into tasks of many
  runs; results come back as they complete and equal the local run's exactly);
* write every finished unit of work to a *store* directory, so that an
  interrupted sweep (Ctrl-C, a killed process, a lost worker) can be finished
  with ``resume=True`` and returns exactly what an uninterrupted one returns;
* add batches of runs to each point until every chosen metric's 95% confidence
  interval is narrow enough (sequential stopping, as Mobius and PRISM users
  run simulations), recording per point how many runs it took and why it
  stopped ([`sweep_status`][mdcd_lab.studies.sweep_status]).

Seeds come from the study seed and the point's *values*
([`mdcd_lab.studies.grid.point_seed`][mdcd_lab.studies.point_seed]), never from its position, and
all protocols of a point share that seed (common random numbers), so
[`mdcd_lab.stats.summary.paired_differences`][mdcd_lab.stats.paired_differences] pairs them.  See
``docs/studies.md``.

The package has one job per module:

* ``plan``: check the arguments, normalise the points,
  derive their seeds (pure functions);
* ``stopping``: the sequential stopping rule;
* ``store``: the resumable Parquet store;
* ``pools``: this process, an executor or dask;
* ``scheduler``: which runs to compute next, per point;
* ``sweep``: the public [`sweep`][mdcd_lab.studies.sweep.sweep] and
  [`sweep_status`][mdcd_lab.studies.sweep_status].
"""

from .grid import expand_grid, point_seed, sample
from .stopping import DEFAULT_STOP_METRICS, STOP_LEVEL, STOP_METRICS
from .store import MANIFEST_NAME, STORE_FORMAT, UNITS_DIR, read_manifest
from .streaming import sweep_to
from .sweep import (
    DEFAULT_CHUNK_RUNS,
    MIN_CHUNK_RUNS,
    TASKS_PER_WORKER,
    sweep,
    sweep_status,
)

__all__ = ["sweep", "sweep_to", "sweep_status", "expand_grid", "sample", "point_seed",
           "read_manifest",
           "STOP_METRICS", "DEFAULT_STOP_METRICS",
           "DEFAULT_CHUNK_RUNS", "TASKS_PER_WORKER", "MIN_CHUNK_RUNS", "STOP_LEVEL",
           "STORE_FORMAT", "MANIFEST_NAME", "UNITS_DIR"]
