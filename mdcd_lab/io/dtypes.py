"""Column dtypes of a result table: recorded in its sidecar, restored when it is read.

``_schema`` records each column's dtype (categoricals with their categories and
order, integer widths, floats, bools, strings and how their missing values look)
for the sidecar that [`mdcd_lab.io`][mdcd_lab.io] writes; ``_restore`` converts the columns
of a table read back from CSV or Parquet to exactly those dtypes, and
``_csv_read_dtype`` tells ``read_csv`` what to parse each column as.  Refusals
(an object column of non-strings in CSV, a value outside its recorded
categories) name the column.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .provenance import _jsonable


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

