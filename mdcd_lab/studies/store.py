"""The resumable sweep store: a manifest and one Parquet file per unit of work.

A store is a directory ``DIR/manifest.json`` (the study, see
``mdcd_lab.studies.plan.Study.identity``) plus
``DIR/units/p<point>-q<protocol>-r<start>-<stop>.parquet``, each file written
all-or-nothing ([`mdcd_lab.io.atomic_files`][mdcd_lab.io.atomic_files]).  Each unit file carries, in
its Parquet metadata, the identity of the study and of its unit (``unit_identity``:
the study's hash, the point's scenario, the protocol, the runs, the point seed, the
mdcd_lab version) and a SHA-256 of its rows (``rows_checksum``); on resume, a
unit that belongs to another study or whose rows were edited is refused, naming it.
One writer at a time: ``Store.open`` takes ``DIR/.lock``
([`mdcd_lab.io.locks.FileLock`][mdcd_lab.io.FileLock]).  See ``docs/studies.md``, *Stores and
resuming*.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..io.locks import FileLock
from ..io.results import TMP_SUFFIX, atomic_files, mdcd_lab_version
from ..metrics import METRIC_NAMES
from .plan import Study

__all__ = ["Store", "read_manifest", "unit_identity", "rows_checksum", "study_hash",
           "write_with_identity", "read_with_identity",
           "STORE_FORMAT", "MANIFEST_NAME", "UNITS_DIR", "LOCK_NAME", "UNIT_KEY"]

#: ``format`` entry of a store's manifest.
STORE_FORMAT = "mdcd_lab.study-store"
#: 2: unit files carry their identity and a checksum of their rows (issue 23).
_STORE_VERSION = 2
#: The lock file of a store, held by the one process that writes it.
LOCK_NAME = ".lock"
#: The key of a unit file's Parquet metadata that holds its identity.
UNIT_KEY = b"mdcd_lab.unit"
#: File name of a store's manifest.
MANIFEST_NAME = "manifest.json"
#: Sub-directory of a store holding one Parquet file per unit of work.
UNITS_DIR = "units"
_UNIT_RE = re.compile(r"^p(\d+)-q(\d+)-r(\d+)-(\d+)\.parquet$")


def _jsonify(obj: Any) -> Any:
    """Round-trip through JSON, so that stored and fresh descriptions compare equal."""
    return json.loads(json.dumps(obj, allow_nan=False))


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def differences(old: Any, new: Any, where: str = "") -> list[str]:
    """Human-readable differences between a stored and a new study description."""
    out: list[str] = []
    _differences(old, new, where, out)
    return out


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


def study_hash(identity: dict[str, Any]) -> str:
    """SHA-256 of a study's canonical JSON identity (``Study.identity``)."""
    text = json.dumps(_jsonify(identity), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def rows_checksum(frame: pd.DataFrame) -> str:
    """SHA-256 of a unit's rows: every column in order, its name, dtype and values.

    Categorical columns count by their labels, so the checksum does not depend on how
    a category is coded.
    """
    h = hashlib.sha256()
    for name in frame.columns:
        col = frame[name]
        h.update(f"{name}:{col.dtype}\n".encode())
        if isinstance(col.dtype, pd.CategoricalDtype):
            h.update("\n".join(col.astype(str)).encode())
        else:
            h.update(np.ascontiguousarray(col.to_numpy()).tobytes())
    return h.hexdigest()


def write_with_identity(path: Path, frame: pd.DataFrame, key: bytes,
                        ident: dict[str, Any]) -> None:
    """Write ``frame`` to the Parquet file ``path`` all-or-nothing, with ``ident`` as JSON
    under ``key`` in its metadata (a store's unit, a run's part)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {}) | {key: json.dumps(ident, sort_keys=True).encode()}
    with atomic_files(path) as (tmp,):
        pq.write_table(table.replace_schema_metadata(meta), tmp)


def read_with_identity(path: Path, key: bytes) -> tuple[dict[str, Any], pd.DataFrame]:
    """The identity stored under ``key`` in a Parquet file's metadata, and its rows.

    Raises
    ------
    ValueError
        If the file cannot be read or carries no identity under ``key``.
    """
    try:
        ident = json.loads(pq.read_schema(path).metadata[key])
        return ident, pd.read_parquet(path, engine="pyarrow")
    except (KeyError, TypeError, ValueError, OSError, pa.ArrowException):
        raise ValueError(f"{path.name}: unreadable, or it carries no identity") from None


def unit_identity(study: Study, p: int, q: int, start: int, stop: int) -> dict[str, Any]:
    """What a unit file must say of itself to belong to unit ``p, q, start..stop`` of
    ``study``: the study's hash, the point's scenario, the protocol, the runs, the point
    seed and the mdcd_lab version that wrote it (the checksum of its rows is added by
    ``Store.write``)."""
    return {"study": study_hash(study.identity()),
            "scenario": _jsonify(study.scenarios[p].to_dict()),
            "protocol": study.protocols[q], "point": p, "runs": [start, stop],
            "point_seed": int(study.seeds[p]), "mdcd_lab": mdcd_lab_version()}


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


class Store:
    """One directory: ``manifest.json`` and ``units/p<i>-q<j>-r<start>-<stop>.parquet``.

    The constructor only reads and checks (a non-empty store needs ``resume``
    and the same study); ``open`` creates the directory.
    """

    def __init__(self, path: Path, study: Study, resume: bool) -> None:
        self.path = path
        self.units = path / UNITS_DIR
        self.study = study
        self.resume = resume
        self.identity = _jsonify(study.identity())
        self.manifest: dict[str, Any] | None = None
        self.lock: FileLock | None = None
        if path.exists() and not path.is_dir():
            raise ValueError(f"store {str(path)!r} exists and is not a directory")
        self._check()

    def _check(self) -> None:
        """Refuse a non-empty store without ``resume``, or a store of another study."""
        path = self.path
        entries = [e for e in path.iterdir() if e.name != LOCK_NAME] \
            if path.is_dir() else []
        if entries and not self.resume:
            raise ValueError(f"store {str(path)!r} is not empty; pass resume=True (--resume) "
                             f"to finish the sweep it holds, or choose an empty or new "
                             f"directory")
        if entries:
            old = read_manifest(path)
            if old.get("format_version") != _STORE_VERSION:
                raise ValueError(f"store {str(path)!r} was written by an earlier mdcd_lab "
                                 f"(store format {old.get('format_version')}, this one "
                                 f"reads {_STORE_VERSION}: unit files now carry their "
                                 f"identity and checksum); start a new store")
            diffs = differences(old.get("study"), self.identity)
            if any(not d.startswith("point_seeds") for d in diffs):
                diffs = [d for d in diffs if not d.startswith("point_seeds")]
            if diffs:
                raise ValueError(f"store {str(path)!r} holds a different study; cannot resume. "
                                 f"Differences: {'; '.join(diffs[:8])}"
                                 + (f"; and {len(diffs) - 8} more" if len(diffs) > 8 else ""))
            self.manifest = old

    def open(self) -> None:
        """Create the directory, take its lock and write the manifest (once validation
        has passed).

        Raises
        ------
        mdcd_lab.io.LockedError
            If another live process writes this store.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        self.lock = FileLock(self.path / LOCK_NAME, f"store {str(self.path)!r}").acquire()
        try:
            self._check()     # under the lock: another writer may have started it since
            self.units.mkdir(exist_ok=True)
            for tmp in [*self.units.glob(f".*{TMP_SUFFIX}"),     # left by a killed writer
                        *self.path.glob(f".{MANIFEST_NAME}.*{TMP_SUFFIX}")]:
                tmp.unlink(missing_ok=True)
            if self.manifest is None:
                self.manifest = {"format": STORE_FORMAT, "format_version": _STORE_VERSION,
                                 "study": self.identity, "grid": self.study.grid,
                                 "status": "running",
                                 "created": _dt.datetime.now(_dt.UTC).isoformat(),
                                 "mdcd_lab": mdcd_lab_version()}
                self._write_manifest()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Let the store's lock go (a killed process lets it go too)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _write_manifest(self) -> None:
        text = json.dumps(_jsonify(self.manifest), indent=2) + "\n"
        with atomic_files(self.path / MANIFEST_NAME) as (tmp,):
            tmp.write_bytes(text.encode())

    def _unit_path(self, p: int, q: int, start: int, stop: int) -> Path:
        return self.units / f"p{p:06d}-q{q}-r{start:010d}-{stop:010d}.parquet"

    def write(self, p: int, q: int, start: int, stop: int, frame: pd.DataFrame) -> None:
        """Store runs ``start .. stop - 1`` of point ``p``, protocol ``q``, with the unit's
        identity and the checksum of its rows in the file's metadata."""
        ident = unit_identity(self.study, p, q, start, stop) | {"rows": rows_checksum(frame)}
        write_with_identity(self._unit_path(p, q, start, stop), frame, UNIT_KEY, ident)

    def _refuse(self, name: str, why: str) -> ValueError:
        return ValueError(f"store {str(self.path)!r}: unit file {name!r} {why}; delete it and "
                          f"resume to recompute it")

    def _check_identity(self, f: Path, p: int, q: int, start: int, stop: int,
                        frame: pd.DataFrame) -> None:
        """Refuse a unit written for another study or unit, or whose rows were edited."""
        try:
            meta = pq.read_schema(f).metadata or {}
            stored = json.loads(meta[UNIT_KEY])
        except (KeyError, ValueError, OSError, pa.ArrowException):
            raise self._refuse(f.name, "carries no identity (it was not written by this "
                                       "store)") from None
        want = unit_identity(self.study, p, q, start, stop)
        for key in ("study", "scenario", "protocol", "point", "runs", "point_seed"):
            if stored.get(key) != want[key]:
                what = {"study": "another study (another base scenario, grid, runs, seed, "
                                 "protocols, engine or stopping rule)",
                        "scenario": "another scenario"}.get(key, f"another {key}")
                raise self._refuse(f.name, f"belongs to {what}: its {key} is "
                                           f"{_short(stored.get(key))}, this unit's is "
                                           f"{_short(want[key])}")
        if stored.get("rows") != rows_checksum(frame):
            raise self._refuse(f.name, "was changed after it was written (the checksum of its "
                                       "rows does not match)")

    def _read_unit(self, f: Path) -> tuple[int, int, int, int, pd.DataFrame]:
        n_points, n_protos = len(self.study.points), len(self.study.protocols)
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
        self._check_identity(f, p, q, start, stop, frame)
        return p, q, start, stop, frame

    def load(self, lazy: bool = False) -> list[tuple[int, int, int, int, Any]]:
        """Every stored unit, checked against the study: ``(p, q, start, stop, frame)``;
        with ``lazy``, each unit is read, checked and let go, and ``frame`` is a
        function that reads it again (``reader``), so that memory holds one unit."""
        if not self.units.is_dir():
            return []
        out = []
        for f in sorted(self.units.iterdir()):
            if f.name.endswith(TMP_SUFFIX):
                continue
            p, q, start, stop, frame = self._read_unit(f)
            out.append((p, q, start, stop, self.reader(p, q, start, stop) if lazy else frame))
        return out

    def reader(self, p: int, q: int, start: int, stop: int) -> Callable[[], pd.DataFrame]:
        """A function that reads unit ``(p, q, start, stop)`` from disk, checked."""
        return functools.partial(lambda f: self._read_unit(f)[4],
                                 self._unit_path(p, q, start, stop))

    def finish(self, status: list[dict[str, Any]]) -> None:
        """Mark the study complete, with the per-point status."""
        assert self.manifest is not None
        self.manifest["status"] = "complete"
        self.manifest["point_status"] = status
        self._write_manifest()
