"""Parameter studies: many scenarios, several protocols, optional sequential stopping.

:func:`sweep` runs every protocol at every point of a grid (or of a list of
points from :func:`mdcd_lab.grid.sample`) and returns one tidy per-run table.
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
(:func:`mdcd_lab.grid.point_seed`), never from its position, and all protocols
of a point share that seed (common random numbers), so
:func:`mdcd_lab.summary.paired_differences` pairs them.  See
``docs/studies.md``.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as _dt
import json
import math
import numbers
import os
import re
import uuid
import warnings
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .api import _simulate as simulate
from .api import resolve_engine
from .checks import check_int
from .grid import _grid_values, expand_grid, point_seed, validate_points
from .metrics import METRIC_NAMES, METRICS, OUTCOMES
from .protocols import get_rules
from .scenario import FIELDS, Scenario
from .summary import PROBABILITY_METRICS, summarize

__all__ = ["sweep", "sweep_status", "read_manifest", "STOP_METRICS", "DEFAULT_STOP_METRICS",
           "DEFAULT_CHUNK_RUNS", "TASKS_PER_WORKER", "MIN_CHUNK_RUNS", "STOP_LEVEL",
           "STORE_FORMAT", "MANIFEST_NAME", "UNITS_DIR"]

#: Confidence level of the sequential stopping rule.
STOP_LEVEL = 0.95
#: Metrics the stopping rule may watch: numeric per-run metrics and the ``p_*`` shares.
STOP_METRICS: tuple[str, ...] = tuple(
    m.name for m in METRICS if m.name not in ("run", "seed", "outcome")) + PROBABILITY_METRICS
#: Metrics watched when ``target_rel_halfwidth`` is given without ``metrics``.
DEFAULT_STOP_METRICS: tuple[str, ...] = ("ckpt_total", "log_entries_peak")
#: Default largest number of runs in one unit of work (and one task), per engine.
DEFAULT_CHUNK_RUNS = {"reference": 500, "numba": 50_000}
#: With a client and no ``chunk_runs``, units are cut so that the first round makes
#: about this many tasks per worker (small tasks balance uneven points) ...
TASKS_PER_WORKER = 16
#: ... but not below this many runs per unit, per engine.
MIN_CHUNK_RUNS = {"reference": 10, "numba": 1000}
#: ``format`` entry of a store's manifest.
STORE_FORMAT = "mdcd_lab.study-store"
_STORE_VERSION = 1
#: File name of a store's manifest.
MANIFEST_NAME = "manifest.json"
#: Sub-directory of a store holding one Parquet file per unit of work.
UNITS_DIR = "units"
_UNIT_RE = re.compile(r"^p(\d+)-q(\d+)-r(\d+)-(\d+)\.parquet$")
_TMP_SUFFIX = ".tmp"
_ZERO_MEAN_RULE = ("a metric whose mean is 0 counts as converged only when its half-width is "
                   "0 too (every value equal); a share p_* observed as 0 never converges "
                   "(its Wilson interval has positive width), so such points run to max_runs")


# --------------------------------------------------------------------------- validation
@dataclass(frozen=True)
class _StopRule:
    target: float
    max_runs: int
    metrics: tuple[str, ...]

    def describe(self, batch_runs: int) -> dict[str, Any]:
        return {"target_rel_halfwidth": self.target, "max_runs": self.max_runs,
                "metrics": list(self.metrics), "level": STOP_LEVEL, "batch_runs": batch_runs,
                "rule": "after each batch, stop a point when, for every protocol and every "
                        "metric, the half-width of the 95% CI (summary.summarize) is <= "
                        "target_rel_halfwidth * |mean|, or when max_runs runs are done",
                "zero_mean": _ZERO_MEAN_RULE}


@dataclass(frozen=True)
class _Study:
    base: Scenario
    grid: dict[str, list] | None
    points: tuple[dict[str, Any], ...]
    scenarios: tuple[Scenario, ...]
    seeds: tuple[int, ...]
    runs: int
    seed: int
    protocols: tuple[str, ...]
    engine: str
    stop: _StopRule | None

    def identity(self) -> dict[str, Any]:
        """What a store's manifest must match for ``resume=True``."""
        return {"base": self.base.to_dict(), "points": [dict(p) for p in self.points],
                "point_seeds": list(self.seeds), "runs": self.runs, "seed": self.seed,
                "protocols": list(self.protocols), "engine": self.engine,
                "stopping": None if self.stop is None else self.stop.describe(self.runs)}


def _as_points(base: Scenario, grid: Any) -> tuple[list[dict[str, Any]], dict | None,
                                                   list[Scenario]]:
    """Points (normalised values), the grid for provenance, and their scenarios."""
    if isinstance(grid, Mapping):
        points = expand_grid(grid)
        grid_prov: dict | None = {k: _grid_values(k, v) for k, v in grid.items()}
    elif isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)):
        points = list(grid)
        grid_prov = None
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
    else:
        raise ValueError(f"grid must map Scenario fields to lists of values, or be a list of "
                         f"point dicts (grid.sample), got {type(grid).__name__}")
    scenarios = validate_points(base, points)
    # normalise values through the Scenario (2.0 -> 2 for int fields, 1 -> 1.0 for floats)
    normal = [{k: getattr(sc, k) for k in p} for p, sc in zip(points, scenarios, strict=True)]
    seen: dict[str, int] = {}
    for i, p in enumerate(normal):
        key = json.dumps(sorted(p.items()))
        if key in seen:
            raise ValueError(f"grid: points {seen[key]} and {i} are equal ({p!r}); they would "
                             f"get the same seed and identical runs: remove the duplicate")
        seen[key] = i
    return normal, grid_prov, scenarios


def _as_protocols(protocols: Any) -> tuple[str, ...]:
    names = [protocols] if isinstance(protocols, str) else list(protocols)
    if not names:
        raise ValueError("protocols is empty: give at least one protocol")
    for name in names:
        get_rules(name)
    dup = sorted({p for p in names if names.count(p) > 1})
    if dup:
        raise ValueError(f"protocols lists {', '.join(map(repr, dup))} more than once")
    return tuple(names)


def _as_stop(runs: int, target: Any, max_runs: Any, metrics: Any) -> _StopRule | None:
    if target is None:
        if max_runs is not None:
            raise ValueError("max_runs is only used with target_rel_halfwidth (sequential "
                             "stopping); give both or neither")
        if metrics is not None:
            raise ValueError("metrics (the metrics the stopping rule watches) is only used "
                             "with target_rel_halfwidth; give target_rel_halfwidth and "
                             "max_runs too")
        return None
    if (isinstance(target, bool) or not isinstance(target, numbers.Real)
            or not math.isfinite(target) or target <= 0):
        raise ValueError(f"target_rel_halfwidth must be a finite number > 0, got {target!r}")
    if max_runs is None:
        raise ValueError("target_rel_halfwidth needs max_runs (the largest number of runs "
                         "per point and protocol)")
    max_runs = check_int("max_runs", max_runs, 1)
    if max_runs < runs:
        raise ValueError(f"max_runs must be >= runs (the first batch), got max_runs="
                         f"{max_runs} < runs={runs}")
    if metrics is None:
        names = list(DEFAULT_STOP_METRICS)
    else:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise ValueError("metrics is empty: name at least one metric for the stopping rule")
    for name in names:
        if name not in STOP_METRICS:
            raise ValueError(f"metrics: unknown metric {name!r}; the stopping rule can watch "
                             f"{', '.join(STOP_METRICS)}")
    dup = sorted({m for m in names if names.count(m) > 1})
    if dup:
        raise ValueError(f"metrics lists {', '.join(map(repr, dup))} more than once")
    return _StopRule(float(target), max_runs, tuple(names))


def _plan(base: Any, grid: Any, runs: Any, seed: Any, protocols: Any, engine: Any,
          target: Any, max_runs: Any, metrics: Any) -> _Study:
    if not isinstance(base, Scenario):
        raise ValueError(f"base must be a mdcd_lab.Scenario, got {type(base).__name__}")
    runs = check_int("runs", runs, 1)
    seed = check_int("seed", seed, 0)
    names = _as_protocols(protocols)
    engine = resolve_engine(engine, names)   # "auto": numba if it implements every protocol
    if engine == "numba":
        try:
            from . import fast  # noqa: F401
        except ImportError as exc:
            raise ValueError(f"engine 'numba' is not available here ({exc}); use "
                             f"engine='reference'") from None
    stop = _as_stop(runs, target, max_runs, metrics)
    points, grid_prov, scenarios = _as_points(base, grid)
    seeds = tuple(point_seed(seed, p) for p in points)
    return _Study(base, grid_prov, tuple(points), tuple(scenarios), seeds, runs, seed, names,
                  engine, stop)


# --------------------------------------------------------------------------- store
def _jsonify(obj: Any) -> Any:
    """Round-trip through JSON, so that stored and fresh descriptions compare equal."""
    return json.loads(json.dumps(obj, allow_nan=False))


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _differences(old: Any, new: Any, where: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in old:
                out.append(f"{where}{key} (store: absent, this call: {_short(new[key])})")
            elif key not in new:
                out.append(f"{where}{key} (store: {_short(old[key])}, this call: absent)")
            else:
                _differences(old[key], new[key], f"{where}{key}.", out)
        return
    name = where.rstrip(".")
    if isinstance(old, list) and isinstance(new, list) and old != new:
        if len(old) != len(new):
            out.append(f"{name} (store: {len(old)} entries, this call: {len(new)})")
            return
        first = next(i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b)
        out.append(f"{name}[{first}] (store: {_short(old[first])}, this call: "
                   f"{_short(new[first])})")
        return
    if old != new:
        out.append(f"{name} (store: {_short(old)}, this call: {_short(new)})")


def _atomic_write_bytes(path: Path, write: Any) -> None:
    """Write through ``write(file)`` to a temporary file, fsync, then ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{_TMP_SUFFIX}")
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def read_manifest(store: str | os.PathLike[str]) -> dict[str, Any]:
    """Read the manifest of a sweep store.

    Parameters
    ----------
    store : str or path-like
        A directory written by ``sweep(..., store=DIR)``.

    Returns
    -------
    dict
        ``format``, ``format_version``, ``study`` (base scenario, points, point
        seeds, runs, seed, protocols, engine, stopping rule), ``grid``,
        ``status`` (``"running"`` or ``"complete"``), ``point_status`` (once
        complete), ``created`` and ``mdcd_lab``.

    Raises
    ------
    ValueError
        If the directory holds no readable manifest.
    """
    path = Path(store) / MANIFEST_NAME
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"store {str(store)!r} has no {MANIFEST_NAME}: it is not a sweep "
                         f"store") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"store {str(store)!r}: cannot read {MANIFEST_NAME} ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != STORE_FORMAT:
        raise ValueError(f"store {str(store)!r}: {MANIFEST_NAME} is not a {STORE_FORMAT} "
                         f"manifest")
    return manifest


class _Store:
    """One directory: ``manifest.json`` and ``units/p<i>-q<j>-r<start>-<stop>.parquet``."""

    def __init__(self, path: Path, study: _Study, resume: bool) -> None:
        self.path = path
        self.units = path / UNITS_DIR
        self.study = study
        self.identity = _jsonify(study.identity())
        self.manifest: dict[str, Any] | None = None
        if path.exists() and not path.is_dir():
            raise ValueError(f"store {str(path)!r} exists and is not a directory")
        entries = list(path.iterdir()) if path.is_dir() else []
        if entries and not resume:
            raise ValueError(f"store {str(path)!r} is not empty; pass resume=True (--resume) "
                             f"to finish the sweep it holds, or choose an empty or new "
                             f"directory")
        if entries:
            old = read_manifest(path)
            diffs: list[str] = []
            _differences(old.get("study"), self.identity, "", diffs)
            if any(not d.startswith("point_seeds") for d in diffs):
                diffs = [d for d in diffs if not d.startswith("point_seeds")]
            if diffs:
                raise ValueError(f"store {str(path)!r} holds a different study; cannot resume. "
                                 f"Differences: {'; '.join(diffs[:8])}"
                                 + (f"; and {len(diffs) - 8} more" if len(diffs) > 8 else ""))
            self.manifest = old

    def open(self) -> None:
        """Create the directory and the manifest (once validation has passed)."""
        self.units.mkdir(parents=True, exist_ok=True)
        for tmp in self.units.glob(f".*{_TMP_SUFFIX}"):  # left by a killed writer
            tmp.unlink(missing_ok=True)
        if self.manifest is None:
            from .io import _mdcd_lab_version
            self.manifest = {"format": STORE_FORMAT, "format_version": _STORE_VERSION,
                             "study": self.identity, "grid": self.study.grid,
                             "status": "running",
                             "created": _dt.datetime.now(_dt.UTC).isoformat(),
                             "mdcd_lab": _mdcd_lab_version()}
            self._write_manifest()

    def _write_manifest(self) -> None:
        text = json.dumps(_jsonify(self.manifest), indent=2) + "\n"
        _atomic_write_bytes(self.path / MANIFEST_NAME, lambda f: f.write(text.encode()))

    def _unit_path(self, p: int, q: int, start: int, stop: int) -> Path:
        return self.units / f"p{p:06d}-q{q}-r{start:010d}-{stop:010d}.parquet"

    def write(self, p: int, q: int, start: int, stop: int, frame: pd.DataFrame) -> None:
        path = self._unit_path(p, q, start, stop)
        _atomic_write_bytes(path, lambda f: frame.to_parquet(f, engine="pyarrow", index=False))

    def load(self) -> list[tuple[int, int, int, int, pd.DataFrame]]:
        """Every stored unit, checked against the study."""
        out = []
        if not self.units.is_dir():
            return out
        n_points, n_protos = len(self.study.points), len(self.study.protocols)
        for f in sorted(self.units.iterdir()):
            if f.name.endswith(_TMP_SUFFIX):
                continue
            m = _UNIT_RE.match(f.name)
            if m is None:
                raise ValueError(f"store {str(self.path)!r}: unexpected file {f.name!r} in "
                                 f"{UNITS_DIR}/; remove it")
            p, q, start, stop = (int(g) for g in m.groups())
            if p >= n_points or q >= n_protos or stop <= start:
                raise ValueError(f"store {str(self.path)!r}: unit file {f.name!r} does not "
                                 f"belong to this study ({n_points} points, {n_protos} "
                                 f"protocols)")
            try:
                frame = pd.read_parquet(f, engine="pyarrow")
            except Exception as exc:  # noqa: BLE001 - any unreadable file is reported
                raise ValueError(f"store {str(self.path)!r}: cannot read unit file {f.name!r} "
                                 f"({exc}); delete it and resume to recompute it") from None
            runs = frame["run"].to_numpy() if "run" in frame else None
            ok = (list(frame.columns) == list(METRIC_NAMES) and runs is not None
                  and np.array_equal(runs, np.arange(start, stop))
                  and bool((frame["seed"] == self.study.seeds[p]).all()))
            if not ok:
                raise ValueError(f"store {str(self.path)!r}: unit file {f.name!r} does not hold "
                                 f"runs {start}..{stop - 1} of point {p} with seed "
                                 f"{self.study.seeds[p]}; delete it and resume")
            out.append((p, q, start, stop, frame))
        return out

    def finish(self, status: list[dict[str, Any]]) -> None:
        assert self.manifest is not None
        self.manifest["status"] = "complete"
        self.manifest["point_status"] = status
        self._write_manifest()


# --------------------------------------------------------------------------- execution
def _run_task(payload: dict[str, Any]) -> list[tuple[tuple[int, int, int, int], pd.DataFrame]]:
    """Run the units of one task (executed in the caller or on a worker)."""
    engine = payload["engine"]
    if payload["single_thread"] and engine == "numba":
        import numba
        numba.set_num_threads(1)
    out = []
    for p, q, start, stop, values, seed, protocol in payload["units"]:
        scenario = Scenario.from_dict(values)
        frame = simulate(scenario, stop - start, seed, protocol=protocol, engine=engine,
                         progress=False, first_run=start)
        out.append(((p, q, start, stop), frame))
    return out


class _LocalPool:
    """Runs tasks in this process, one per :meth:`next_done` call."""

    single_thread = False
    group = False

    def __init__(self) -> None:
        self._queue: deque[dict[str, Any]] = deque()

    def workers(self) -> int:
        return 1

    def submit(self, payload: dict[str, Any]) -> None:
        self._queue.append(payload)

    def __len__(self) -> int:
        return len(self._queue)

    def next_done(self) -> list[Any]:
        return [_run_task(self._queue.popleft())]

    def cancel(self) -> None:
        self._queue.clear()


class _ExecutorPool:
    """A :class:`concurrent.futures.Executor`; results are taken as they complete."""

    single_thread = True
    group = True

    def __init__(self, executor: cf.Executor) -> None:
        self._ex = executor
        self._pending: set[cf.Future] = set()

    def workers(self) -> int:
        return int(getattr(self._ex, "_max_workers", None) or os.cpu_count() or 1)

    def submit(self, payload: dict[str, Any]) -> None:
        self._pending.add(self._ex.submit(_run_task, payload))

    def __len__(self) -> int:
        return len(self._pending)

    def next_done(self) -> list[Any]:
        done, self._pending = cf.wait(self._pending, return_when=cf.FIRST_COMPLETED)
        try:
            return [f.result() for f in done]
        except cf.process.BrokenProcessPool as exc:
            exc.add_note(_FORK_HINT)
            raise

    def cancel(self) -> None:
        for f in self._pending:
            f.cancel()
        self._pending = set()


class _DaskPool:
    """A ``dask.distributed.Client``; results stream back through ``as_completed``."""

    single_thread = True
    group = True

    def __init__(self, client: Any) -> None:
        from distributed import as_completed
        self._client = client
        self._ac = as_completed()
        self._pending: set[Any] = set()

    def workers(self) -> int:
        try:
            return max(1, len(self._client.scheduler_info().get("workers", {})))
        except Exception:  # noqa: BLE001 - only a hint for the task size
            return 1

    def submit(self, payload: dict[str, Any]) -> None:
        future = self._client.submit(_run_task, payload, pure=False)
        self._pending.add(future)
        self._ac.add(future)

    def __len__(self) -> int:
        return len(self._pending)

    def next_done(self) -> list[Any]:
        future = next(self._ac)
        self._pending.discard(future)
        return [future.result()]

    def cancel(self) -> None:
        if self._pending:
            self._client.cancel(list(self._pending))
        self._pending = set()


_FORK_HINT = ("mdcd_lab: a worker process died.  With engine='numba', a process pool that "
              "forks from a process that already ran numba's OpenMP threads kills its "
              "workers; create it with mp_context=multiprocessing.get_context('spawn') (or "
              "'forkserver').  Finished units are in the store, if any: resume=True.")


def _make_pool(client: Any, engine: str) -> Any:
    if client is None:
        return _LocalPool()
    if isinstance(client, cf.Executor):
        ctx = getattr(client, "_mp_context", None)
        if (isinstance(client, cf.ProcessPoolExecutor) and engine == "numba"
                and ctx is not None and ctx.get_start_method() == "fork"):
            warnings.warn("a ProcessPoolExecutor that forks its workers may kill them with "
                          "the numba engine (numba's OpenMP threads are not fork-safe); "
                          "create it with mp_context=multiprocessing.get_context('spawn')",
                          RuntimeWarning, stacklevel=3)
        return _ExecutorPool(client)
    if type(client).__module__.split(".")[0] == "distributed" and hasattr(client, "submit"):
        return _DaskPool(client)
    raise ValueError(f"client must be a dask.distributed.Client or a "
                     f"concurrent.futures.Executor, got {type(client).__name__}")


def _gaps(chunks: list[tuple[int, int, pd.DataFrame]], lo: int, hi: int) -> list[tuple[int, int]]:
    """Sub-ranges of ``[lo, hi)`` not covered by ``chunks``."""
    out, at = [], lo
    for start, stop, _ in sorted(chunks, key=lambda c: c[0]):
        if stop <= at:
            continue
        if start >= hi:
            break
        if start > at:
            out.append((at, start))
        at = max(at, stop)
    if at < hi:
        out.append((at, hi))
    return out


def _rows(chunks: list[tuple[int, int, pd.DataFrame]], end: int) -> pd.DataFrame:
    """Runs ``0 .. end-1`` of one (point, protocol), checked: nothing lost or duplicated."""
    frames = []
    for start, stop, frame in sorted(chunks, key=lambda c: c[0]):
        if start >= end:
            continue
        frames.append(frame if stop <= end else frame.iloc[:end - start])
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if not np.array_equal(df["run"].to_numpy(), np.arange(end)):
        raise RuntimeError(f"internal error: runs of a unit are not exactly 0..{end - 1}")
    return df


def _decide(study: _Study, frames: list[pd.DataFrame]) -> tuple[bool, float | None]:
    """Stopping test of one point: (converged, largest half_width / |mean|)."""
    assert study.stop is not None
    df = pd.concat(frames, ignore_index=True)
    codes = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
    df["protocol"] = pd.Categorical.from_codes(codes, categories=list(study.protocols))
    s = summarize(df, by="protocol", metrics=list(study.stop.metrics), level=STOP_LEVEL)
    hw, mean, n = (s["half_width"].to_numpy(float), s["mean"].to_numpy(float),
                   s["n"].to_numpy())
    bound = study.stop.target * np.abs(mean)
    ok = (n >= 2) & np.isfinite(hw) & np.isfinite(mean) & (hw <= bound)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(hw == 0, 0.0, hw / np.abs(mean))
    worst = float(np.max(np.where(np.isfinite(ratio) & (n >= 2), ratio, np.inf)))
    return bool(ok.all()), (worst if math.isfinite(worst) else None)


def _field_dtype(name: str) -> Any:
    info = FIELDS[name]
    if info.kind == "choice":
        return pd.CategoricalDtype(list(info.choices))
    if info.kind == "int":
        return np.dtype("int32") if info.hi < 2 ** 31 else np.dtype("int64")
    return np.dtype("float64")


def _assemble(study: _Study, chunks: dict[tuple[int, int], list], ends: list[int]) -> pd.DataFrame:
    parts, point_idx, proto_idx = [], [], []
    for p in range(len(study.points)):
        for q in range(len(study.protocols)):
            part = _rows(chunks[p, q], ends[p])
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


def _bars(progress: bool, n_runs: int, n_points: int) -> tuple[Any, Any]:
    from tqdm.auto import tqdm
    runs_bar = tqdm(total=n_runs, desc="sweep runs", unit="run", disable=not progress, position=0)
    points_bar = tqdm(total=n_points, desc="sweep points", unit="point",
                      disable=not progress, position=1)
    return runs_bar, points_bar


# --------------------------------------------------------------------------- sweep
def sweep(base: Scenario, grid: Mapping[str, Any] | Sequence[Mapping[str, Any]], runs: int,
          seed: int, protocols: str | Sequence[str] = ("mdcd",), client: Any = None,
          store: str | os.PathLike[str] | None = None, resume: bool = False,
          progress: bool = True, engine: str = "auto",
          target_rel_halfwidth: float | None = None, max_runs: int | None = None,
          metrics: str | Sequence[str] | None = None,
          chunk_runs: int | None = None) -> pd.DataFrame:
    """Run every protocol at every study point; one row per run.

    Parameters
    ----------
    base : Scenario
        The scenario every point modifies (``base.replace(**point)``).
    grid : mapping or list of mappings
        Either ``{field: values}``: the cartesian product of the values
        (:func:`mdcd_lab.grid.expand_grid`; a list, tuple, ``range`` or 1-D
        array is a list of values, anything else, a string included, is one
        value; ``{}`` is the base scenario alone), or a list of point dicts such
        as :func:`mdcd_lab.grid.sample` returns.
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
        (all protocols), stop the point when for every protocol and every
        watched metric the 95% CI half-width (:func:`mdcd_lab.summary.
        summarize`: Student t, Wilson for ``p_*``) is ``<= target *
        |mean|``, or when ``max_runs`` runs are done.  A mean of 0 needs a
        half-width of 0 (all values equal); a share ``p_*`` observed as 0
        never converges, so the point runs to ``max_runs``.
    max_runs : int, optional
        Cap on runs per point and protocol (required with, and only with,
        ``target_rel_halfwidth``; ``>= runs``).  The last batch is cut to it.
    metrics : str or sequence of str, optional
        Metrics the stopping rule watches (:data:`STOP_METRICS`); default
        :data:`DEFAULT_STOP_METRICS`.  Only with ``target_rel_halfwidth``.
    chunk_runs : int, optional
        Largest number of runs of one unit of work and of one task.  Default
        :data:`DEFAULT_CHUNK_RUNS` of the engine, lowered with a client so
        that the first round makes about :data:`TASKS_PER_WORKER` tasks per
        worker (but not below :data:`MIN_CHUNK_RUNS`), which balances points
        of unequal cost.  It does not change the numbers, and a store may be
        resumed with another value.

    Returns
    -------
    DataFrame
        One row per run, ordered by point, protocol and run: ``point``
        (int32, index into the points), ``protocol`` (categorical in the
        given order), every Scenario field (int32 or int64, float64, or
        categorical for ``fault_scope``), then the per-run metrics of
        :data:`mdcd_lab.metrics.METRICS` (``run``, ``seed`` = the point seed,
        ``outcome``, ...) with their schema dtypes.  ``attrs["provenance"]``
        holds what to store beside the table (``to_csv(df, path,
        provenance=df.attrs["provenance"])``): base scenario, grid, points,
        point seeds, runs, seed, protocols, engine, stopping rule and, per
        point, the runs done and why it stopped (see :func:`sweep_status`).

    Raises
    ------
    ValueError
        Before any work: unknown field, empty list of values or of points,
        duplicate value or point, a value the Scenario rejects (the message
        starts with the point), bad ``runs``/``seed``/``protocols``/
        ``engine``/stopping arguments, an unknown client type, a non-empty
        store without ``resume``, or a store of another study.

    Notes
    -----
    Interrupting a sweep (``KeyboardInterrupt``, a killed process, a failed
    task) cancels the pending tasks; every unit already written to the store
    stays, so ``resume=True`` finishes the study.  The stopping decisions are
    recomputed from the stored runs on resume and come out the same.  Only
    one sweep should write to a store at a time.

    Examples
    --------
    >>> df = sweep(Scenario(horizon=20.0), {"at_coverage": [0.9, 1.0]}, runs=5, seed=1,
    ...            protocols=["mdcd", "mdcd-paper"], engine="reference", progress=False)
    >>> df.groupby(["at_coverage", "protocol"], observed=True).size().tolist()
    [5, 5, 5, 5]
    """
    study = _plan(base, grid, runs, seed, protocols, engine, target_rel_halfwidth, max_runs,
                  metrics)
    if chunk_runs is not None:
        chunk_runs = check_int("chunk_runs", chunk_runs, 1)
    if not isinstance(resume, bool):
        raise ValueError(f"resume must be True or False, got {resume!r}")
    pool = _make_pool(client, study.engine)
    if resume and store is None:
        raise ValueError("resume=True needs store= (the directory of the interrupted sweep)")
    st = None
    if store is not None:
        try:
            st = _Store(Path(store), study, resume)
        except OSError as exc:
            raise ValueError(f"store {os.fspath(store)!r}: cannot read it ({exc})") from None

    n_points, n_protos = len(study.points), len(study.protocols)
    unit_runs = chunk_runs or DEFAULT_CHUNK_RUNS[study.engine]
    if chunk_runs is None and client is not None:
        first = n_points * n_protos * study.runs
        balanced = math.ceil(first / (TASKS_PER_WORKER * pool.workers()))
        unit_runs = min(unit_runs, max(MIN_CHUNK_RUNS[study.engine], balanced))

    chunks: dict[tuple[int, int], list] = {(p, q): [] for p in range(n_points)
                                           for q in range(n_protos)}
    if st is not None:
        try:
            st.open()
        except OSError as exc:
            raise ValueError(f"store {str(st.path)!r}: cannot create it ({exc})") from None
        for p, q, start, stop, frame in st.load():
            chunks[p, q].append((start, stop, frame))
        for key, cs in chunks.items():
            cs.sort(key=lambda c: c[0])
            for (_a0, a1, _), (b0, _, _) in zip(cs, cs[1:], strict=False):
                if b0 < a1:
                    raise ValueError(f"store {str(st.path)!r}: unit files of point {key[0]}, "
                                     f"protocol {study.protocols[key[1]]!r} overlap at runs "
                                     f"{b0}..{a1 - 1}; delete one of them and resume")

    ends = [study.runs] * n_points
    batches = [1] * n_points
    status: list[dict[str, Any] | None] = [None] * n_points
    outstanding = [0] * n_points
    runs_bar, points_bar = _bars(progress, n_points * n_protos * study.runs, n_points)

    def advance(p: int) -> list[tuple[int, int, int, int]]:
        """Decide point ``p`` as far as the stored runs allow; return units to run."""
        while True:
            todo = []
            for q in range(n_protos):
                for a, b in _gaps(chunks[p, q], 0, ends[p]):
                    todo.extend((p, q, s, min(s + unit_runs, b)) for s in range(a, b, unit_runs))
            if todo:
                return todo
            if study.stop is None:
                status[p] = {"point": p, "runs": ends[p], "batches": 1, "reason": "fixed",
                             "max_rel_half_width": None}
                points_bar.update(1)
                return []
            frames = [_rows(chunks[p, q], ends[p]) for q in range(n_protos)]
            converged, worst = _decide(study, frames)
            if converged or ends[p] >= study.stop.max_runs:
                status[p] = {"point": p, "runs": ends[p], "batches": batches[p],
                             "reason": "converged" if converged else "max_runs",
                             "max_rel_half_width": worst}
                points_bar.update(1)
                return []
            new_end = min(ends[p] + study.runs, study.stop.max_runs)
            missing = sum(b - a for q in range(n_protos)
                          for a, b in _gaps(chunks[p, q], ends[p], new_end))
            runs_bar.total += (new_end - ends[p]) * n_protos
            runs_bar.update((new_end - ends[p]) * n_protos - missing)  # stored before
            ends[p] = new_end
            batches[p] += 1

    def submit(units: list[tuple[int, int, int, int]]) -> None:
        task: list[tuple] = []
        size = 0
        for p, q, start, stop in units:
            if task and (not pool.group or size + stop - start > unit_runs):
                pool.submit({"engine": study.engine, "single_thread": pool.single_thread,
                             "units": task})
                task, size = [], 0
            outstanding[p] += 1
            task.append((p, q, start, stop, study.scenarios[p].to_dict(), study.seeds[p],
                         study.protocols[q]))
            size += stop - start
        if task:
            pool.submit({"engine": study.engine, "single_thread": pool.single_thread,
                         "units": task})

    try:
        runs_bar.update(sum(min(stop, ends[p]) - start for (p, _), cs in chunks.items()
                            for start, stop, _ in cs if start < ends[p]))
        todo = []
        for p in range(n_points):
            todo.extend(advance(p))
        submit(todo)
        while len(pool):
            for result in pool.next_done():
                touched = set()
                for (p, q, start, stop), frame in result:
                    if len(frame) != stop - start or not np.array_equal(
                            frame["run"].to_numpy(), np.arange(start, stop)):
                        raise RuntimeError(f"a task returned the wrong runs for point {p}, "
                                           f"protocol {study.protocols[q]!r}")
                    if st is not None:
                        st.write(p, q, start, stop, frame)
                    chunks[p, q].append((start, stop, frame))
                    outstanding[p] -= 1
                    runs_bar.update(stop - start)
                    touched.add(p)
                todo = []
                for p in sorted(touched):
                    if outstanding[p] == 0 and status[p] is None:
                        todo.extend(advance(p))
                submit(todo)
    except BaseException:
        pool.cancel()
        raise
    finally:
        runs_bar.close()
        points_bar.close()

    if any(s is None for s in status):
        raise RuntimeError("internal error: a point was left undecided")
    done = [dict(s) for s in status if s is not None]
    df = _assemble(study, chunks, ends)
    if st is not None:
        st.finish(done)
    df.attrs["provenance"] = _provenance(study, done, store)
    return df


def _provenance(study: _Study, status: list[dict[str, Any]], store: Any) -> dict[str, Any]:
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
    df : DataFrame
        A frame returned by :func:`sweep`, or loaded with
        :func:`mdcd_lab.io.load_results` from a file written with its
        ``attrs["provenance"]``.

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
    prov = df.attrs.get("provenance") if isinstance(df, pd.DataFrame) else None
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
