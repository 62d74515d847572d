"""The provenance sidecar of a result table: its path, its contents, reading it back.

Next to a table ``results.csv`` lies ``results.csv.meta.json``
([`sidecar_path`][mdcd_lab.io.sidecar_path]).  This module holds what goes into it besides the
table's schema and the versions: the SHA-256 of the table file and the
caller's provenance converted to plain JSON types (``_jsonable``, which names
the offending key when a value cannot be stored); [`read_provenance`][mdcd_lab.io.read_provenance]
reads a sidecar back.  The tables themselves are written and read by
[`mdcd_lab.io`][mdcd_lab.io].  See ``docs/results-and-summaries.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["sidecar_path", "read_provenance", "package_git", "SIDECAR_SUFFIX"]

#: What the provenance sidecar adds to a result file's name.
SIDECAR_SUFFIX = ".meta.json"


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Path of the sidecar of a table: ``<path>.meta.json``."""
    p = Path(path)
    return p.with_name(p.name + SIDECAR_SUFFIX)


#: The package's git commit, found once per process (``package_git``).
_GIT: list[dict[str, Any] | None] = []


def _git(args: list[str], cwd: Path) -> str | None:
    """The output of ``git ARGS`` run in ``cwd`` (stripped), or None if it fails."""
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _find_git(package_dir: Path) -> dict[str, Any] | None:
    """``{"commit": ..., "dirty": ...}`` of the checkout holding ``package_dir``, or None."""
    root = _git(["rev-parse", "--show-toplevel"], package_dir)
    if not root or not (package_dir.resolve().is_relative_to(Path(root).resolve())):
        return None
    commit = _git(["rev-parse", "HEAD"], package_dir)
    if not commit:
        return None
    status = _git(["status", "--porcelain", "--untracked-files=no"], package_dir)
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def package_git() -> dict[str, Any] | None:
    """The git commit mdcd_lab runs from, for the provenance sidecar.

    Returns
    -------
    dict or None
        ``{"commit": <git rev-parse HEAD>, "dirty": <tracked files modified>}`` when
        the package's directory lies in a git checkout (an editable install, or
        ``PYTHONPATH`` pointing at a clone), None otherwise (an installed wheel, no
        ``git`` on the machine).  ``dirty`` is None if ``git status`` fails.  Found
        once per process (two or three ``git`` calls, cached); never raises, so that
        a write never fails for it.
    """
    if not _GIT:
        try:
            _GIT.append(_find_git(Path(__file__).resolve().parents[1]))
        except Exception:   # provenance is a courtesy: never fail a write for it
            _GIT.append(None)
    return _GIT[0]


def _jsonable(obj: Any, where: str) -> Any:
    """Convert ``obj`` to plain JSON types or raise ValueError naming ``where``."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.generic):
        obj = obj.item()
        if isinstance(obj, (bool, str, int, float)) or obj is None:
            return obj
        raise ValueError(f"{where}: cannot store a NumPy value of type "
                         f"{type(obj).__name__} in JSON")
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biufUS":
            raise ValueError(f"{where}: cannot store a NumPy array of dtype {obj.dtype} in JSON")
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj.tolist())]
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: mapping keys must be str for JSON, got {k!r}")
            out[str(k)] = _jsonable(v, f"{where}[{k!r}]")
        return out
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):
        try:
            items = sorted(obj)
        except TypeError:
            raise ValueError(f"{where}: cannot store an unsortable set in JSON") from None
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(items)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        to_dict = getattr(obj, "to_dict", None)
        data = to_dict() if callable(to_dict) else {
            f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)
            if not f.name.startswith("_")}
        return _jsonable(data, where)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (_dt.datetime, _dt.date)):
        return obj.isoformat()
    raise ValueError(f"{where}: cannot store a value of type {type(obj).__name__} in JSON "
                     f"({obj!r:.60})")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_provenance(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read the sidecar of a table.

    Parameters
    ----------
    path : str or path-like
        The table (``results.csv``) or the sidecar itself
        (``results.csv.meta.json``).

    Returns
    -------
    dict
        The sidecar contents.

    Raises
    ------
    FileNotFoundError
        If the sidecar does not exist.
    ValueError
        If it is not a JSON object.
    """
    p = Path(path)
    meta_path = p if p.name.endswith(SIDECAR_SUFFIX) else sidecar_path(p)
    if not meta_path.is_file():
        raise FileNotFoundError(f"provenance sidecar not found: {str(meta_path)!r}")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f"provenance sidecar {str(meta_path)!r} is not valid JSON: {exc}") \
            from exc
    if not isinstance(meta, dict):
        raise ValueError(f"provenance sidecar {str(meta_path)!r} does not hold a JSON object")
    return meta
