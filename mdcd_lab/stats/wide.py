"""A summary as a paper prints it: "mean [lo, hi]" per protocol and point, and as LaTeX.

[`summary_table`][mdcd_lab.stats.summary_table] turns the long table of
[`mdcd_lab.summarize`][mdcd_lab.stats.summarize] into one row per study point and metric and one
column per protocol, each cell ``"mean [lo, hi]"`` with as many decimals as its interval supports;
[`summary_latex`][mdcd_lab.stats.summary_latex] writes that table as a LaTeX ``tabular``
(``booktabs`` rules), which ``mdcd-lab summarize --latex`` prints.  The numbers are the
summary's; nothing is recomputed (docs/results-and-summaries.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

__all__ = ["summary_table", "summary_latex", "format_interval", "method_names", "METHOD_NAMES"]

#: How tables and legends name the interval methods of a summary's ``method`` column.
METHOD_NAMES = {"t": "Student t", "wilson": "Wilson", "quasi-poisson": "quasi-Poisson",
                "bca": "BCa bootstrap", "hurdle": "hurdle", "hall": "skew-corrected t",
                "clopper-pearson": "Clopper-Pearson"}


def method_names(methods: Iterable[str]) -> str:
    """The interval methods of a summary's ``method`` column, as legends and tables name
    them (``"Clopper-Pearson"``, ``"skew-corrected t"``, ...), in order, without repeats."""
    return ", ".join(METHOD_NAMES.get(m, m) for m in pd.unique(pd.Series(list(methods))))

_NEED = ("metric", "mean", "ci_low", "ci_high")
#: The columns of a summary that describe its numbers rather than name its group.
_STAT_COLUMNS = ("metric", "n", "mean", "std", "ci_low", "ci_high", "half_width", "method",
                 "ci_reliable", "level", "n_missing", "ci_note")


def _level(summary: pd.DataFrame) -> float:
    """The confidence level of a summary: its ``level`` column, else ``attrs["level"]``
    (``summarize`` sets it), else 0.95."""
    if "level" in summary.columns and len(summary):
        return float(summary["level"].iloc[0])
    return float(summary.attrs.get("level", 0.95))


def format_interval(mean: float, lo: float, hi: float, ci_digits: int = 2) -> str:
    """``"mean [lo, hi]"`` with the decimals that give the interval's half width
    ``ci_digits`` significant digits (the digits the interval supports), at most 6.

    >>> format_interval(69.3455, 67.6102, 71.0744)
    '69.3 [67.6, 71.1]'
    >>> format_interval(0.0075, 0.0035, 0.0123)
    '0.0075 [0.0035, 0.0123]'

    A missing or zero-width interval shows the mean with 4 significant digits and
    ``[lo, hi]`` alike (``"-"`` for a missing bound).
    """
    def fin(v: float) -> bool:
        return v is not None and not pd.isna(v) and math.isfinite(v)

    half = (hi - lo) / 2 if fin(lo) and fin(hi) else math.nan
    if fin(half) and half > 0:
        decimals = min(6, max(0, ci_digits - 1 - math.floor(math.log10(half))))

        def fmt(v: float) -> str:
            return f"{v:.{decimals}f}" if fin(v) else "-"
    else:
        def fmt(v: float) -> str:
            return f"{v:.4g}" if fin(v) else "-"
    return f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]"


def summary_table(summary: pd.DataFrame, columns: str | None = "protocol",
                  wide: bool = True, ci_digits: int = 2) -> pd.DataFrame:
    """The cells ``"mean [lo, hi]"`` of a summary, one column per protocol.

    Parameters
    ----------
    summary : DataFrame
        [`mdcd_lab.summarize`][mdcd_lab.stats.summarize]'s table (or a figure CSV of
        ``data/figures`` holding one): its group columns, ``metric``, ``mean``, ``ci_low``,
        ``ci_high``.
    columns : str or None, default "protocol"
        The group column whose values become the table's columns (in order of
        appearance).  ``None``, or a summary without it: one column ``value``.
    wide : bool, default True
        One row per study point (the other group columns) and metric, one
        column per value of ``columns``.  ``False``: the summary's rows with one
        more column, ``cell``.
    ci_digits : int, default 2
        Significant digits of each interval's half width; the mean and bounds
        get the same decimals (``format_interval``).

    Returns
    -------
    DataFrame
        Wide: indexed by the study point's columns and ``metric``.

    Raises
    ------
    ValueError
        A column the summary lacks, or several rows for one cell.
    """
    if not isinstance(summary, pd.DataFrame):
        raise ValueError(f"summary must be a DataFrame, got {type(summary).__name__}")
    missing = [c for c in _NEED if c not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks the column(s) {', '.join(missing)}; pass "
                         f"summarize(...)'s table")
    if isinstance(ci_digits, bool) or not isinstance(ci_digits, int) or ci_digits < 1:
        raise ValueError(f"ci_digits must be an integer >= 1, got {ci_digits!r}")
    cells = [format_interval(m, lo, hi, ci_digits) for m, lo, hi in
             zip(summary["mean"], summary["ci_low"], summary["ci_high"], strict=True)]
    long = summary.assign(cell=cells)
    if not wide:
        return long
    if columns is not None and columns not in summary.columns:
        if columns != "protocol":
            raise ValueError(f"columns {columns!r} is not a column of the summary")
        columns = None
    keys = [c for c in summary.columns if c not in _STAT_COLUMNS and c != columns
            and summary[c].notna().any()]
    index = [*keys, "metric"]
    if columns is None:
        long = long.assign(_col="value")
        columns = "_col"
    if long.duplicated([*index, columns]).any():
        raise ValueError(f"the summary has several rows per {[*index, columns]}")
    order = list(dict.fromkeys(long[columns].astype(str)))
    long = long.assign(**{columns: long[columns].astype(str)})
    table = long.pivot(index=index, columns=columns, values="cell")
    rows = pd.MultiIndex.from_frame(long[index].drop_duplicates()) if len(index) > 1 \
        else pd.Index(long[index[0]].drop_duplicates(), name=index[0])
    table = table.reindex(index=rows, columns=order)
    table.columns.name = None
    return table


def summary_latex(summary: pd.DataFrame, columns: str | None = "protocol",
                  ci_digits: int = 2, caption: str | None = None,
                  label: str | None = None, level_note: bool = True) -> str:
    """[`summary_table`][mdcd_lab.stats.summary_table] as a LaTeX ``tabular`` (``booktabs``:
    ``\\toprule`` ...).

    Parameters
    ----------
    summary, columns, ci_digits
        As for [`summary_table`][mdcd_lab.stats.summary_table].
    caption, label : str, optional
        Wrap the tabular in a ``table`` environment with this caption and label.
    level_note : bool, default True
        A first comment line naming the confidence level (``summarize``'s
        ``attrs["level"]`` or a ``level`` column) and the intervals' methods
        (the ``method`` column).

    Returns
    -------
    str
        Text to ``\\input`` in a paper (needs ``\\usepackage{booktabs}``);
        names and cells are escaped (``_`` as ``\\_``).
    """
    table = summary_table(summary, columns=columns, ci_digits=ci_digits)
    names = list(table.index.names)
    flat = table.reset_index()
    for c in names:     # the study point as written in a grid: 25, 0.5, not 25.000000
        if pd.api.types.is_float_dtype(flat[c]):
            flat[c] = [f"{v:g}" for v in flat[c]]
    table = flat.set_index(names)
    text = table.to_latex(escape=True, caption=caption, label=label,
                          multirow=False, column_format="l" * table.index.nlevels
                          + "r" * len(table.columns))
    if level_note:
        level = _level(summary)
        methods = method_names(summary["method"]) if "method" in summary.columns else ""
        text = (f"% mean [lo, hi]: {level:.0%} confidence intervals"
                + (f" ({methods})" if methods else "") + "\n" + text)
    return text
