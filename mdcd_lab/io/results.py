"""Result tables on disk: CSV or Parquet plus a JSON provenance sidecar.

[`to_csv`][mdcd_lab.io.to_csv] and [`to_parquet`][mdcd_lab.io.to_parquet] write a per-run (or
summary) table and, next to it, ``<path>.meta.json`` (``results.csv`` -> ``results.csv.meta.json``)
recording the package versions, platform, time, command line, column dtypes,
row count, a SHA-256 of the table file and whatever the caller passes as
``provenance`` (base scenario, grid, protocols, seeds, engine, runs ...).
Both files are written to temporary files in the target directory and moved
into place with ``os.replace`` only once both are complete, so an error
never leaves a half-written table behind.

[`load_results`][mdcd_lab.io.load_results] reads either format back and restores the exact dtypes
recorded in the sidecar (categoricals with their categories and order,
integer widths, floats, bools, strings); [`read_provenance`][mdcd_lab.io.read_provenance] returns
the sidecar alone.  See ``docs/results-and-summaries.md``.

This module writes and reads the tables; the sidecar's path, the hash and
the JSON conversion of ``provenance`` are in
``mdcd_lab.io.provenance``, the record and restore of the dtypes in
``mdcd_lab.io.dtypes``.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import os
import platform
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from .dtypes import _csv_read_dtype, _restore, _schema
from .provenance import (
    _jsonable,
    _sha256,
    package_git,
    read_provenance,
    sidecar_path,
)

__all__ = ["to_csv", "to_parquet", "load_results", "atomic_files",
           "remove_stale_temporaries", "mdcd_lab_version",
           "RESERVED_KEYS", "CSV_SUFFIXES", "PARQUET_SUFFIXES", "TMP_SUFFIX"]

#: File suffixes written and read as CSV.
CSV_SUFFIXES = (".csv",)
#: File suffixes written and read as Parquet.
PARQUET_SUFFIXES = (".parquet", ".pq")
_FORMAT = "mdcd_lab.results"
# pandas >= 3 parses floats exactly by default (and deprecates the option); older
# versions need "round_trip" for exact parsing.
_FLOAT_PRECISION = ({} if int(pd.__version__.split(".")[0]) >= 3
                    else {"float_precision": "round_trip"})
_FORMAT_VERSION = 1

#: Suffix of the temporary files of [`atomic_files`][mdcd_lab.io.atomic_files]
#: (``.<name>.<token>.tmp``).
TMP_SUFFIX = ".tmp"

#: Sidecar keys written by this module; ``provenance`` may not use them.
RESERVED_KEYS = ("format", "format_version", "file", "file_format", "sha256", "rows",
                 "columns", "dtypes", "categories", "strings", "mdcd_lab", "numpy",
                 "numba", "pandas", "pyarrow", "python", "platform", "timestamp", "argv",
                 "git")


# --------------------------------------------------------------------------- helpers
@contextmanager
def atomic_files(*targets: Path) -> Iterator[list[Path]]:
    """Write files all-or-nothing: yield temporary siblings, then move them into place.

    Parameters
    ----------
    *targets : Path
        Final paths; their directories must exist.

    Yields
    ------
    list of Path
        One hidden temporary path per target, ``.<name>.<token><TMP_SUFFIX>`` in
        the target's directory, for the caller to write.

    Notes
    -----
    When the ``with`` block completes, every temporary file is flushed to disk
    (``fsync``) and then moved onto its target with ``os.replace``, in
    order; a killed process therefore leaves either the complete new file or
    the old one, never a partial file.  If the block raises, the temporary
    files are removed and no target is touched.  An ``OSError`` that names no
    file, or a temporary one (a full disk, a file-size limit), is raised again
    naming the target.  Used by [`to_csv`][mdcd_lab.io.to_csv],
    [`to_parquet`][mdcd_lab.io.to_parquet], the figure set, the parts of ``run`` and the sweep store
    (``mdcd_lab.studies.store``).
    """
    token = uuid.uuid4().hex
    tmps = [t.with_name(f".{t.name}.{token}{TMP_SUFFIX}") for t in targets]
    try:
        yield tmps
        for tmp in tmps:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        for tmp, target in zip(tmps, targets, strict=True):
            os.replace(tmp, target)
    except OSError as exc:      # name the target: a full disk or a size limit names no file
        names = {str(t): str(target) for t, target in zip(tmps, targets, strict=True)}
        if exc.filename is None or str(exc.filename) in names:
            target = names.get(str(exc.filename), str(targets[0]))
            raise OSError(exc.errno, exc.strerror or str(exc), target) from exc
        raise
    finally:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)


def remove_stale_temporaries(*targets: Path) -> list[Path]:
    """Remove the temporary files a killed writer of ``targets`` left behind.

    Parameters
    ----------
    *targets : Path
        Final paths as given to [`atomic_files`][mdcd_lab.io.atomic_files].

    Returns
    -------
    list of Path
        The files removed: exactly the names ``.<name>.<token><TMP_SUFFIX>`` that
        ``atomic_files`` gives a target (a 32-digit hex token), nothing else.

    Notes
    -----
    A writer killed (SIGKILL) between creating its temporary files and moving them
    into place leaves them.  A live writer's temporary files look the same, so only
    a process that holds the lock of the targets may call this: ``mdcd-lab run`` and
    ``mdcd-lab sweep`` call it under the lock of their ``--out``.
    """
    removed = []
    for target in targets:
        stem = f".{target.name}."
        for tmp in target.parent.glob(f".*{TMP_SUFFIX}"):
            token = tmp.name[len(stem):-len(TMP_SUFFIX)]
            if tmp.name.startswith(stem) and len(token) == 32 and \
                    all(c in "0123456789abcdef" for c in token):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def mdcd_lab_version() -> str:
    """The installed mdcd_lab version, as recorded in sidecars and store manifests."""
    version = _package_version("mdcd_lab")
    if version is None:
        version = getattr(sys.modules.get("mdcd_lab"), "__version__", None)
    return str(version) if version else "unknown"


def _check_frame(df: Any) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if df.shape[1] == 0:
        raise ValueError("cannot write a table without columns")
    bad = [c for c in df.columns if not isinstance(c, str)]
    if bad:
        raise ValueError(f"column names must be str, got {bad[:5]!r}")
    if not df.columns.is_unique:
        dup = sorted(set(df.columns[df.columns.duplicated()]))
        raise ValueError(f"duplicate column names: {dup!r}")
    if isinstance(df.index, pd.MultiIndex) or any(n is not None for n in df.index.names):
        raise ValueError("the index is not written; move a named or multi-level index into "
                         "columns first (df.reset_index())")


def _check_target(path: str | os.PathLike[str], suffixes: tuple[str, ...], what: str) -> Path:
    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise ValueError(f"{what} path must end with {' or '.join(suffixes)} so that "
                         f"load_results can read it back, got {str(p)!r}")
    parent = p.parent
    if not parent.is_dir():
        raise ValueError(f"cannot write {str(p)!r}: directory {str(parent)!r} does not exist")
    if p.is_dir():
        raise ValueError(f"cannot write {str(p)!r}: it is a directory")
    return p


def _meta(target: Path, provenance: Mapping[str, Any] | None, fmt: str) -> dict[str, Any]:
    """The sidecar of ``target`` but for its schema, rows and hash (filled by the writer);
    raises before anything is written on a bad ``provenance``."""
    if provenance is None:
        provenance = {}
    if not isinstance(provenance, Mapping):
        raise TypeError(f"provenance must be a mapping, got {type(provenance).__name__}")
    clash = [k for k in provenance if k in RESERVED_KEYS]
    if clash:
        raise ValueError(f"provenance key(s) {clash!r} are reserved for the sidecar; "
                         f"rename them (reserved: {', '.join(RESERVED_KEYS)})")
    extra = _jsonable(provenance, "provenance")  # fails before anything is written
    return {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "file": target.name,
        "file_format": fmt,
        "sha256": None,
        "rows": None,
        "columns": None, "dtypes": None, "categories": None, "strings": None,
        "mdcd_lab": mdcd_lab_version(),
        "numpy": _package_version("numpy"),
        "numba": _package_version("numba"),
        "pandas": _package_version("pandas"),
        "pyarrow": _package_version("pyarrow"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "timestamp": _dt.datetime.now(_dt.UTC).isoformat(),
        "argv": [str(a) for a in sys.argv],
        "git": package_git(),
        **extra,
    }


def _finish_meta(tmp_table: Path, tmp_meta: Path, meta: dict[str, Any]) -> None:
    meta["sha256"] = _sha256(tmp_table)
    with open(tmp_meta, "x", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)
        f.write("\n")


def _write(df: pd.DataFrame, path: str | os.PathLike[str], provenance: Mapping[str, Any] | None,
           fmt: str) -> Path:
    _check_frame(df)
    suffixes = CSV_SUFFIXES if fmt == "csv" else PARQUET_SUFFIXES
    target = _check_target(path, suffixes, "to_csv" if fmt == "csv" else "to_parquet")
    meta = _meta(target, provenance, fmt)
    meta.update(rows=int(len(df)), **_schema(df, fmt))
    with atomic_files(target, sidecar_path(target)) as (tmp_table, tmp_meta):
        if fmt == "csv":
            df.to_csv(tmp_table, index=False, encoding="utf-8")
        else:
            df.to_parquet(tmp_table, engine="pyarrow", index=False)
        _finish_meta(tmp_table, tmp_meta, meta)
    return target


# --------------------------------------------------------------------------- writers
def to_csv(df: pd.DataFrame, path: str | os.PathLike[str],
           provenance: Mapping[str, Any] | None = None) -> Path:
    """Write a results table as CSV plus its ``<path>.meta.json`` sidecar.

    Parameters
    ----------
    df : DataFrame
        The table.  Column names must be unique strings; the index is not
        written (a named or multi-level index raises, reset it first).
        Object columns must hold strings (or missing values).
    path : str or path-like
        Target file, ending with ``.csv``; its directory must exist.
    provenance : mapping, optional
        Extra JSON-serialisable entries for the sidecar (e.g. ``base``,
        ``grid``, ``protocols``, ``seed``, ``engine``, ``runs``).  NumPy
        scalars and arrays, tuples, sets, paths, dates and dataclasses (such
        as a Scenario, via its ``to_dict``) are converted.  Keys may not be
        one of [`RESERVED_KEYS`][mdcd_lab.io.RESERVED_KEYS].

    Returns
    -------
    pathlib.Path
        The path of the table, so ``load_results(to_csv(df, p))`` works.

    Raises
    ------
    ValueError
        Bad suffix, missing directory, unserialisable provenance (the message
        names the key), reserved provenance key, or an unsupported frame.
        Nothing is written in these cases.

    Notes
    -----
    Floats are written with Python's shortest round-trip representation and
    read back exactly.  A missing string and an empty string are both written
    as an empty field; the sidecar records whether missing strings of an
    object column were ``None`` or ``NaN``, and empty strings come back as
    missing (use Parquet if that distinction matters).
    """
    return _write(df, path, provenance, "csv")


def to_parquet(df: pd.DataFrame, path: str | os.PathLike[str],
               provenance: Mapping[str, Any] | None = None) -> Path:
    """Write a results table as Parquet (pyarrow) plus its sidecar.

    Parameters
    ----------
    df : DataFrame
        The table (same requirements as [`to_csv`][mdcd_lab.io.to_csv], except that object
        columns may hold anything pyarrow can store).
    path : str or path-like
        Target file, ending with ``.parquet`` or ``.pq``; its directory must
        exist.
    provenance : mapping, optional
        As for [`to_csv`][mdcd_lab.io.to_csv].

    Returns
    -------
    pathlib.Path
        The path of the table.

    Raises
    ------
    ValueError
        As for [`to_csv`][mdcd_lab.io.to_csv].
    """
    return _write(df, path, provenance, "parquet")


# --------------------------------------------------------------------------- readers

def load_results(path: str | os.PathLike[str], check: bool = True) -> pd.DataFrame:
    """Read a table written by [`to_csv`][mdcd_lab.io.to_csv] or
    [`to_parquet`][mdcd_lab.io.to_parquet] (or any CSV/Parquet).

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.pq`` file.
    check : bool, default True
        Compare the file's SHA-256 with the one in the sidecar and raise on a
        mismatch (the table was changed or the sidecar belongs to another
        write).  Set to False to load a hand-edited table anyway.

    Returns
    -------
    DataFrame
        With a fresh ``RangeIndex``, the dtypes recorded in the sidecar and
        the sidecar dict in ``df.attrs["provenance"]`` (``{}`` if there is no
        sidecar, in which case the dtypes are whatever pandas infers).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        Unknown suffix, or a table that does not match its sidecar.

    Notes
    -----
    CSV files are parsed with only the empty field as missing value (so a
    string such as ``"NA"`` or ``"None"`` stays a string) and with exact
    float parsing.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
        raise ValueError(f"cannot tell the format of {str(p)!r}: expected a suffix in "
                         f"{CSV_SUFFIXES + PARQUET_SUFFIXES}")
    if not p.is_file():
        raise FileNotFoundError(f"results file not found: {str(p)!r}")
    meta = read_provenance(p) if sidecar_path(p).is_file() else {}
    if meta and check and meta.get("sha256") and meta["sha256"] != _sha256(p):
        raise ValueError(f"{str(p)!r} does not match its sidecar {str(sidecar_path(p))!r} "
                         f"(SHA-256 differs): the table was modified or the sidecar is stale; "
                         f"pass check=False to load it anyway")
    if suffix in CSV_SUFFIXES:
        read_dtypes = {k: _csv_read_dtype(v) for k, v in meta.get("dtypes", {}).items()}
        df = pd.read_csv(p, dtype=read_dtypes or None, keep_default_na=False,
                         na_values=[""], encoding="utf-8", **_FLOAT_PRECISION)
    else:
        df = pd.read_parquet(p, engine="pyarrow")
    if meta:
        df = _restore(df, meta, p)
    df.attrs["provenance"] = meta
    return df
