"""Per-run tables as summary input: argument checks, metric values, group statistics.

Shared by [`mdcd_lab.stats.summary.summarize`][mdcd_lab.stats.summarize] and
[`mdcd_lab.stats.paired.paired_differences`][mdcd_lab.stats.paired_differences].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import METRIC_NAMES, OUTCOMES, VIOLATIONS
from .intervals import PROBABILITY_METRICS

__all__ = ["check_frame", "as_by", "as_metrics", "default_metrics", "is_metric_column",
           "is_probability", "metric_values", "group_stats", "key_frame", "NOT_DEFAULT"]

#: Per-run columns never summarised by default.
NOT_DEFAULT = ("run", "seed")


def check_frame(df: Any) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")


def as_by(df: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    unknown = [c for c in cols if c not in df.columns]
    if unknown:
        raise ValueError(f"unknown `by` column(s) {unknown!r}; the frame has "
                         f"{list(df.columns)!r}")
    if len(set(cols)) != len(cols):
        raise ValueError(f"`by` lists a column twice: {cols!r}")
    return cols


def is_metric_column(s: pd.Series) -> bool:
    return ((pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype))
            and not isinstance(s.dtype, pd.CategoricalDtype))


def default_metrics(df: pd.DataFrame, by: list[str]) -> list[str]:
    out: list[str] = []
    for name in METRIC_NAMES:
        if name in by or name in NOT_DEFAULT or name not in df.columns:
            continue
        if name == "outcome":
            out.extend(f"p_{o}" for o in OUTCOMES)
        elif is_metric_column(df[name]):
            out.append(name)
    if all(v in df.columns for v in VIOLATIONS):
        out.append("p_violation")
    if not out:
        raise ValueError("no metric columns found: the frame has none of the numeric columns "
                         "of mdcd_lab.metrics.METRIC_NAMES nor 'outcome'; pass `metrics`")
    return out


def as_metrics(df: pd.DataFrame, metrics: str | Sequence[str] | None,
                by: list[str]) -> list[str]:
    if metrics is None:
        return default_metrics(df, by)
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise ValueError("metrics is empty")
    if len(set(names)) != len(names):
        raise ValueError(f"metrics lists a name twice: {names!r}")
    for name in names:
        if name in df.columns:
            if not is_metric_column(df[name]):
                raise ValueError(f"metric {name!r} is not numeric (dtype {df[name].dtype}); "
                                 f"for outcomes use 'p_completed', 'p_failed', 'p_recovered'")
        elif name in PROBABILITY_METRICS:
            needed = ["outcome"] if name != "p_violation" else list(VIOLATIONS)
            missing = [c for c in needed if c not in df.columns]
            if missing:
                raise ValueError(f"metric {name!r} needs column(s) {missing!r}, absent from "
                                 f"the frame")
        else:
            raise ValueError(f"unknown metric {name!r}: not a column of the frame nor one of "
                             f"{PROBABILITY_METRICS}")
    return names


def is_probability(df: pd.DataFrame, name: str) -> bool:
    return name in PROBABILITY_METRICS and name not in df.columns


def metric_values(df: pd.DataFrame, name: str) -> np.ndarray:
    """Float values of a metric (NaN = missing); 0/1 indicators for probabilities."""
    if not is_probability(df, name):
        return df[name].to_numpy(dtype=float, na_value=np.nan)
    if name == "p_violation":
        arr = np.column_stack([df[c].to_numpy(dtype=float, na_value=np.nan) for c in VIOLATIONS])
        if arr.size == 0:
            return np.zeros(len(df))
        anypos = (arr > 0).any(axis=1)
        unknown = np.isnan(arr).any(axis=1)
        return np.where(anypos, 1.0, np.where(unknown, np.nan, 0.0))
    outcome = df["outcome"]
    present = outcome.dropna()
    bad = sorted({str(v) for v in present.unique()} - set(OUTCOMES))
    if bad:
        raise ValueError(f"column 'outcome' holds unknown value(s) {bad!r}; expected {OUTCOMES}")
    target = name[2:]
    values = (outcome.astype(object) == target).to_numpy(dtype=float)
    values[outcome.isna().to_numpy()] = np.nan
    return values


def group_stats(values: pd.DataFrame, keys: list[pd.Series]) -> tuple[Any, ...]:
    """count/sum/mean/std per group and column: arrays of shape (groups, columns)."""
    if keys:
        g = values.groupby(keys, observed=True, dropna=False, sort=True)
        count, total = g.count(), g.sum(min_count=0)
        mean, std = g.mean(), g.std(ddof=1)
        return (count.index, count.to_numpy(dtype=np.int64), total.to_numpy(float),
                mean.to_numpy(float), std.to_numpy(float))
    count = values.count().to_numpy(dtype=np.int64)[None, :]
    total = values.sum(min_count=0).to_numpy(float)[None, :]
    mean = values.mean().to_numpy(float)[None, :]
    std = values.std(ddof=1).to_numpy(float)[None, :]
    return None, count, total, mean, std


def key_frame(index: pd.Index, by: list[str], df: pd.DataFrame, repeat: int) -> pd.DataFrame:
    """The ``by`` columns of a grouped result, each row repeated ``repeat`` times."""
    if isinstance(index, pd.MultiIndex):
        parts = {c: index.get_level_values(i) for i, c in enumerate(by)}
    else:
        parts = {by[0]: index}
    out = {}
    for c, level in parts.items():
        values = np.repeat(np.asarray(level.to_numpy(dtype=object)), repeat)
        col = pd.Series(values, name=c)
        try:
            col = col.astype(df[c].dtype)
        except (TypeError, ValueError):
            pass
        out[c] = col
    return pd.DataFrame(out)
