"""The resumable sweep store: a manifest and one Parquet file per unit of work.

A store is a directory ``DIR/manifest.json`` (the study, see
:meth:`mdcd_lab.studies.plan.Study.identity`) plus
``DIR/units/p<point>-q<protocol>-r<start>-<stop>.parquet``, each file written
all-or-nothing (:func:`mdcd_lab.io.atomic_files`).  See ``docs/studies.md``,
*Stores and resuming*.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io.results import TMP_SUFFIX, atomic_files, mdcd_lab_version
from ..metrics import METRIC_NAMES
from .plan import Study

__all__ = ["Store", "read_manifest", "STORE_FORMAT", "MANIFEST_NAME", "UNITS_DIR"]

#: ``format`` entry of a store's manifest.
STORE_FORMAT = "mdcd_lab.study-store"
_STORE_VERSION = 1
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
    and the same study); :meth:`open` creates the directory.
    """

    def __init__(self, path: Path, study: Study, resume: bool) -> None:
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
            diffs = differences(old.get("study"), self.identity)
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
        for tmp in self.units.glob(f".*{TMP_SUFFIX}"):  # left by a killed writer
            tmp.unlink(missing_ok=True)
        if self.manifest is None:
            self.manifest = {"format": STORE_FORMAT, "format_version": _STORE_VERSION,
                             "study": self.identity, "grid": self.study.grid,
                             "status": "running",
                             "created": _dt.datetime.now(_dt.UTC).isoformat(),
                             "mdcd_lab": mdcd_lab_version()}
            self._write_manifest()

    def _write_manifest(self) -> None:
        text = json.dumps(_jsonify(self.manifest), indent=2) + "\n"
        with atomic_files(self.path / MANIFEST_NAME) as (tmp,):
            tmp.write_bytes(text.encode())

    def _unit_path(self, p: int, q: int, start: int, stop: int) -> Path:
        return self.units / f"p{p:06d}-q{q}-r{start:010d}-{stop:010d}.parquet"

    def write(self, p: int, q: int, start: int, stop: int, frame: pd.DataFrame) -> None:
        """Store runs ``start .. stop - 1`` of point ``p``, protocol ``q``."""
        with atomic_files(self._unit_path(p, q, start, stop)) as (tmp,):
            frame.to_parquet(tmp, engine="pyarrow", index=False)

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
        return p, q, start, stop, frame

    def load(self) -> list[tuple[int, int, int, int, pd.DataFrame]]:
        """Every stored unit, checked against the study."""
        if not self.units.is_dir():
            return []
        return [self._read_unit(f) for f in sorted(self.units.iterdir())
                if not f.name.endswith(TMP_SUFFIX)]

    def finish(self, status: list[dict[str, Any]]) -> None:
        """Mark the study complete, with the per-point status."""
        assert self.manifest is not None
        self.manifest["status"] = "complete"
        self.manifest["point_status"] = status
        self._write_manifest()
