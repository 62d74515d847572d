"""Result tables on disk: CSV or Parquet plus a JSON provenance sidecar.

:func:`to_csv` and :func:`to_parquet` write a per-run (or summary) table and,
next to it, ``<path>.meta.json`` (``results.csv`` -> ``results.csv.meta.json``)
recording the package versions, platform, time, command line, column dtypes,
row count, a SHA-256 of the table file and whatever the caller passes as
``provenance`` (base scenario, grid, protocols, seeds, engine, runs ...).
Both files are written to temporary files in the target directory and moved
into place with :func:`os.replace` only once both are complete, so an error
never leaves a half-written table behind.

:func:`load_results` reads either format back and restores the exact dtypes
recorded in the sidecar (categoricals with their categories and order,
integer widths, floats, bools, strings); :func:`read_provenance` returns the
sidecar alone.  See ``docs/results-and-summaries.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import sys
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["to_csv", "to_parquet", "load_results", "read_provenance", "sidecar_path",
           "atomic_files", "mdcd_lab_version", "SIDECAR_SUFFIX", "RESERVED_KEYS", "CSV_SUFFIXES",
           "PARQUET_SUFFIXES", "TMP_SUFFIX"]

SIDECAR_SUFFIX = ".meta.json"
CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
_FORMAT = "mdcd_lab.results"
# pandas >= 3 parses floats exactly by default (and deprecates the option); older
# versions need "round_trip" for exact parsing.
_FLOAT_PRECISION = ({} if int(pd.__version__.split(".")[0]) >= 3
                    else {"float_precision": "round_trip"})
_FORMAT_VERSION = 1

#: Suffix of the temporary files of :func:`atomic_files` (``.<name>.<token>.tmp``).
TMP_SUFFIX = ".tmp"

#: Sidecar keys written by this module; ``provenance`` may not use them.
RESERVED_KEYS = ("format", "format_version", "file", "file_format", "sha256", "rows",
                 "columns", "dtypes", "categories", "strings", "mdcd_lab", "numpy",
                 "numba", "pandas", "pyarrow", "python", "platform", "timestamp", "argv")


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
    (``fsync``) and then moved onto its target with :func:`os.replace`, in
    order; a killed process therefore leaves either the complete new file or
    the old one, never a partial file.  If the block raises, the temporary
    files are removed and no target is touched.  Used by :func:`to_csv`,
    :func:`to_parquet` and the sweep store (:mod:`mdcd_lab.studies.store`).
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
    finally:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Path of the sidecar of a table: ``<path>.meta.json``."""
    p = Path(path)
    return p.with_name(p.name + SIDECAR_SUFFIX)


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


def _string_info(s: pd.Series) -> dict[str, Any] | None:
    """How missing values and empty strings of a text column look (None if neither)."""
    missing = s[s.isna()]
    empty = bool((s.dropna().astype(object) == "").any())
    if missing.empty and not empty:
        return None
    kind = None
    if not missing.empty:
        kind = "None" if all(v is None for v in missing) else "nan"
    return {"missing": kind, "empty": empty}


def _is_text_dtype(dtype: Any) -> bool:
    return dtype == np.dtype(object) or isinstance(dtype, pd.StringDtype)


def _schema(df: pd.DataFrame, fmt: str) -> dict[str, Any]:
    dtypes: dict[str, str] = {}
    categories: dict[str, Any] = {}
    strings: dict[str, Any] = {}
    for name in df.columns:
        s = df[name]
        dtypes[name] = str(s.dtype)
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.dtype.categories
            categories[name] = {
                "categories": _jsonable(cats.to_numpy(dtype=object).tolist(),
                                        f"categories of column {name!r}"),
                "ordered": bool(s.dtype.ordered),
                "categories_dtype": str(cats.dtype),
            }
        elif _is_text_dtype(s.dtype):
            if fmt == "csv" and s.dtype == np.dtype(object):
                values = s.dropna()
                if not all(isinstance(v, str) for v in values):
                    kinds = sorted({type(v).__name__ for v in values if not isinstance(v, str)})
                    raise ValueError(f"column {name!r} has object dtype with non-str values "
                                     f"({', '.join(kinds)}); CSV would turn them into text. "
                                     f"Convert the column or write Parquet")
            info = _string_info(s)
            if info is not None:
                strings[name] = info
                if fmt == "csv" and info["empty"] and info["missing"] is not None:
                    warnings.warn(f"column {name!r} holds both empty strings and missing "
                                  f"values; CSV cannot tell them apart and both will load as "
                                  f"missing (write Parquet to keep the difference)",
                                  UserWarning, stacklevel=4)
    return {"columns": list(df.columns), "dtypes": dtypes, "categories": categories,
            "strings": strings}


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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write(df: pd.DataFrame, path: str | os.PathLike[str], provenance: Mapping[str, Any] | None,
           fmt: str) -> Path:
    _check_frame(df)
    suffixes = CSV_SUFFIXES if fmt == "csv" else PARQUET_SUFFIXES
    target = _check_target(path, suffixes, "to_csv" if fmt == "csv" else "to_parquet")
    if provenance is None:
        provenance = {}
    if not isinstance(provenance, Mapping):
        raise TypeError(f"provenance must be a mapping, got {type(provenance).__name__}")
    clash = [k for k in provenance if k in RESERVED_KEYS]
    if clash:
        raise ValueError(f"provenance key(s) {clash!r} are reserved for the sidecar; "
                         f"rename them (reserved: {', '.join(RESERVED_KEYS)})")
    extra = _jsonable(provenance, "provenance")  # fails before anything is written
    meta: dict[str, Any] = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "file": target.name,
        "file_format": fmt,
        "sha256": None,
        "rows": int(len(df)),
        **_schema(df, fmt),
        "mdcd_lab": mdcd_lab_version(),
        "numpy": _package_version("numpy"),
        "numba": _package_version("numba"),
        "pandas": _package_version("pandas"),
        "pyarrow": _package_version("pyarrow"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "timestamp": _dt.datetime.now(_dt.UTC).isoformat(),
        "argv": [str(a) for a in sys.argv],
        **extra,
    }
    meta_target = sidecar_path(target)
    with atomic_files(target, meta_target) as (tmp_table, tmp_meta):
        if fmt == "csv":
            df.to_csv(tmp_table, index=False, encoding="utf-8")
        else:
            df.to_parquet(tmp_table, engine="pyarrow", index=False)
        meta["sha256"] = _sha256(tmp_table)
        with open(tmp_meta, "x", encoding="utf-8") as f:
            json.dump(meta, f, indent=2, ensure_ascii=False)
            f.write("\n")
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
        one of :data:`RESERVED_KEYS`.

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
        The table (same requirements as :func:`to_csv`, except that object
        columns may hold anything pyarrow can store).
    path : str or path-like
        Target file, ending with ``.parquet`` or ``.pq``; its directory must
        exist.
    provenance : mapping, optional
        As for :func:`to_csv`.

    Returns
    -------
    pathlib.Path
        The path of the table.

    Raises
    ------
    ValueError
        As for :func:`to_csv`.
    """
    return _write(df, path, provenance, "parquet")


# --------------------------------------------------------------------------- readers
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


def _pandas_dtype(name: str) -> Any:
    if name == "str" and pd.api.types.pandas_dtype("str") == np.dtype(str):  # pandas < 3
        return np.dtype(object)
    return pd.api.types.pandas_dtype(name)


def _csv_read_dtype(name: str) -> Any:
    """The dtype to ask read_csv for, given the recorded dtype name."""
    if name in ("category", "object", "str", "string"):
        return object
    try:
        dtype = _pandas_dtype(name)
    except TypeError:
        return object
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return dtype
    return object


def _convert_category_values(values: np.ndarray, cats_dtype: str, column: str) -> list[Any]:
    """Values read from text (or Parquet) converted to the categories' type."""
    try:
        kind = np.dtype(cats_dtype).kind
    except TypeError:
        kind = "O"
    out: list[Any] = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            out.append(np.nan)
        elif isinstance(v, str) and kind in "iu":
            out.append(int(v))
        elif isinstance(v, str) and kind == "f":
            out.append(float(v))
        elif isinstance(v, str) and kind == "b":
            if v not in ("True", "False"):
                raise ValueError(f"column {column!r}: {v!r} is not a boolean category")
            out.append(v == "True")
        else:
            out.append(v)
    return out


def _restore_column(s: pd.Series, name: str, meta: dict[str, Any]) -> pd.Series:
    dtype_name = meta["dtypes"][name]
    if dtype_name == "category":
        spec = meta.get("categories", {}).get(name)
        if spec is None:
            return s.astype("category")
        cats_dtype = spec.get("categories_dtype", "object")
        cats = pd.Index(spec["categories"], dtype=_pandas_dtype(cats_dtype))
        dtype = pd.CategoricalDtype(cats, ordered=spec.get("ordered", False))
        raw = s.astype(object).to_numpy()
        values = _convert_category_values(raw, cats_dtype, name)
        present = pd.Series(values, dtype=object).dropna()
        unknown = present[~present.isin(list(cats))]
        if not unknown.empty:
            bad = sorted({str(v) for v in unknown})
            raise ValueError(f"column {name!r} holds values that are not among its recorded "
                             f"categories: {bad[:5]}")
        out = pd.Series(pd.Categorical(values, dtype=dtype), index=s.index, name=name)
        return out
    dtype = _pandas_dtype(dtype_name)
    out = s if s.dtype == dtype else s.astype(dtype)
    info = meta.get("strings", {}).get(name)
    if info is not None and _is_text_dtype(dtype):
        missing = out.isna()
        if missing.any():
            is_object = dtype == np.dtype(object)
            if info.get("missing") is None and info.get("empty"):
                out = out.copy()
                out[missing] = ""  # CSV wrote the empty strings as empty fields
            elif is_object:
                out = out.copy()
                out[missing] = None if info.get("missing") == "None" else np.nan
    return out


def _restore(df: pd.DataFrame, meta: dict[str, Any], path: Path) -> pd.DataFrame:
    columns = meta.get("columns")
    if columns is not None and list(df.columns) != list(columns):
        raise ValueError(f"{str(path)!r}: columns {list(df.columns)!r} differ from the ones "
                         f"recorded in the sidecar {columns!r}")
    rows = meta.get("rows")
    if rows is not None and len(df) != rows:
        raise ValueError(f"{str(path)!r}: {len(df)} rows but the sidecar records {rows}")
    dtypes = meta.get("dtypes", {})
    out = {}
    for name in df.columns:
        out[name] = _restore_column(df[name], name, meta) if name in dtypes else df[name]
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def load_results(path: str | os.PathLike[str], check: bool = True) -> pd.DataFrame:
    """Read a table written by :func:`to_csv` or :func:`to_parquet` (or any CSV/Parquet).

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
