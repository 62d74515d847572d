"""Paired comparisons of protocols played on the same traces (common random numbers).

See ``docs/results-and-summaries.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_level
from .intervals import t_half_width
from .tables import as_by, as_metrics, check_frame, key_frame, metric_values

__all__ = ["paired_differences", "PAIRED_COLUMNS"]

#: Columns of [`paired_differences`][mdcd_lab.stats.paired_differences] after the ``by`` columns.
PAIRED_COLUMNS = ("protocol", "baseline", "metric", "n", "mean_diff", "ci_low", "ci_high",
                  "half_width")


def _protocol_order(col: pd.Series) -> list[Any]:
    present = col.dropna().unique()
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [c for c in col.dtype.categories if c in set(present)]
    try:
        return sorted(present)
    except TypeError:
        return list(present)


def _check_pairing(df: pd.DataFrame, metrics: Any, by: Any,
                   baseline: Any) -> tuple[list[str], list[str], list[Any]]:
    """The checked arguments of [`paired_differences`][mdcd_lab.stats.paired_differences]: ``(by
    columns, metric names, the protocols other than the baseline)``; ``ValueError`` names what is
    wrong."""
    for col in ("protocol", "run"):
        if col not in df.columns:
            raise ValueError(f"paired_differences needs a {col!r} column")
    by_cols = as_by(df, by)
    if "protocol" in by_cols:
        raise ValueError("`by` cannot contain 'protocol': differences are taken across it")
    if metrics is None:
        raise ValueError("paired_differences needs `metrics`")
    names = as_metrics(df, metrics, by_cols)
    if df["protocol"].isna().any():
        raise ValueError(f"column 'protocol' has {int(df['protocol'].isna().sum())} missing "
                         f"value(s)")
    protocols = _protocol_order(df["protocol"])
    if baseline not in protocols:
        raise ValueError(f"baseline protocol {baseline!r} is not in the frame; protocols: "
                         f"{protocols!r}")
    others = [p for p in protocols if p != baseline]
    if not others:
        raise ValueError(f"only the baseline protocol {baseline!r} is in the frame")
    return by_cols, names, others


def paired_differences(df: pd.DataFrame, metrics: str | Sequence[str], baseline: str,
                       by: str | Sequence[str] | None = None,
                       level: float = 0.95) -> pd.DataFrame:
    """Per-run differences between protocols played on the same traces.

    Parameters
    ----------
    df : DataFrame
        Per-run results of several protocols, with columns ``protocol`` and
        ``run`` (and ``point``/``seed`` when present).
    metrics : str or list of str
        Numeric columns and/or the probability metrics of [`summarize`][mdcd_lab.stats.summarize]
        (their difference is the difference of 0/1 indicators).
    baseline : str
        The protocol subtracted from every other one.
    by : str or list of str, optional
        Grouping columns (not ``protocol``).
    level : float, default 0.95
        Two-sided confidence level in ``(0, 1)``.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``protocol``, ``baseline``, ``metric``,
        ``n`` (pairs with both values present), ``mean_diff`` (mean of
        ``protocol - baseline``), ``ci_low``, ``ci_high`` and ``half_width``
        (Student t interval of the mean difference).  One row per (group,
        protocol other than the baseline, metric).

    Raises
    ------
    ValueError
        Missing ``protocol``/``run`` column, baseline absent, no other
        protocol, a run key appearing twice for one protocol, or runs present
        for one protocol but not for the baseline (or vice versa; the message
        says how many), plus the checks of [`summarize`][mdcd_lab.stats.summarize].

    Notes
    -----
    A run is identified by the ``by`` columns, ``seed`` and ``point`` (those
    present) and ``run``: with ``SeedSequence(seed, spawn_key=(run,))`` this
    is the trace, so each difference compares two protocols on the same
    trace, which removes the trace-to-trace variance (common random numbers).
    """
    check_frame(df)
    level = check_level(level)
    by_cols, names, others = _check_pairing(df, metrics, by, baseline)
    keys = list(dict.fromkeys([*by_cols, *(c for c in ("seed", "point") if c in df), "run"]))
    values = pd.DataFrame({m: metric_values(df, m) for m in names})
    run_keys = df[keys].reset_index(drop=True)
    proto = df["protocol"].astype(object).to_numpy()

    def block(p: Any) -> pd.DataFrame:
        mask = proto == p
        idx = pd.MultiIndex.from_frame(run_keys[mask])
        dup = int(idx.duplicated().sum())
        if dup:
            raise ValueError(f"protocol {p!r}: {dup} run(s) share a key {tuple(keys)!r} with "
                             f"another run; cannot pair")
        return values[mask].set_index(idx)

    base = block(baseline)
    level_ids = list(range(len(by_cols)))
    parts = []
    for p in others:
        other = block(p)
        missing_in_other = len(base.index.difference(other.index))
        missing_in_base = len(other.index.difference(base.index))
        if missing_in_other or missing_in_base:
            raise ValueError(f"cannot pair protocol {p!r} with baseline {baseline!r}: "
                             f"{missing_in_other} baseline run(s) have no {p!r} counterpart "
                             f"and {missing_in_base} {p!r} run(s) have no baseline "
                             f"counterpart (runs are keyed by {tuple(keys)!r})")
        diff = other - base.reindex(other.index)
        if by_cols:
            g = diff.groupby(level=level_ids, observed=True, dropna=False, sort=True)
            count, mean, std = g.count(), g.mean(), g.std(ddof=1)
            index = count.index
        else:
            count = diff.count().to_frame().T
            mean = diff.mean().to_frame().T
            std = diff.std(ddof=1).to_frame().T
            index = None
        n = count.to_numpy(dtype=np.int64).ravel()
        m = np.where(n > 0, mean.to_numpy(float).ravel(), np.nan)
        s = np.where(n >= 2, std.to_numpy(float).ravel(), np.nan)
        half = t_half_width(n, s, level)
        n_groups = count.shape[0]
        body = pd.DataFrame({
            "protocol": np.full(n_groups * len(names), p, dtype=object),
            "baseline": np.full(n_groups * len(names), baseline, dtype=object),
            "metric": np.tile(np.array(names, dtype=object), n_groups),
            "n": n,
            "mean_diff": m,
            "ci_low": m - half,
            "ci_high": m + half,
            "half_width": half,
            "_group": np.repeat(np.arange(n_groups), len(names)),
            "_proto": others.index(p),
            "_metric": np.tile(np.arange(len(names)), n_groups),
        })
        if by_cols:
            body = pd.concat([key_frame(index, by_cols, df, len(names)), body], axis=1)
        parts.append(body)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["_group", "_proto", "_metric"], kind="stable")
    out = out.drop(columns=["_group", "_proto", "_metric"]).reset_index(drop=True)
    if isinstance(df["protocol"].dtype, pd.CategoricalDtype):
        out["protocol"] = out["protocol"].astype(df["protocol"].dtype)
    out.attrs["level"] = level
    return out
