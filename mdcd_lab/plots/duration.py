"""Mission worth and the performability index against the guarded-operation duration.

Draws [`mdcd_lab.duration_study`][mdcd_lab.performability.duration_study]'s table
(docs/performability.md): the mean worth ``E[W](phi)`` and ``Y(phi)`` per protocol, with their
confidence bands, the set of durations not significantly below the best (multiple comparison with
the best), the smooth optimum with its interval and the worth of fresh runs at the
chosen phi.  Nothing is simulated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .axes import legend_below, style_axes
from .style import new_figure, protocol_style, style_context

__all__ = ["plot_duration"]

_NEED = ("protocol", "phi", "worth_mean", "worth_low", "worth_high", "Y", "Y_low", "Y_high")


def plot_duration(table: pd.DataFrame, optimum: pd.DataFrame | None = None,
                  ax: Sequence[Axes] | None = None, legend: bool = True) -> Figure:
    """Worth (top) and ``Y`` (bottom) against phi, one line per protocol.

    Parameters
    ----------
    table : DataFrame
        ``DurationStudy.table`` (columns ``protocol, phi, worth_mean, worth_low,
        worth_high, Y, Y_low, Y_high``).
    optimum : DataFrame, optional
        ``DurationStudy.optimum``: the grid's best phi of each protocol is a star on
        the worth curve; under the curves, one row per protocol shows the set of phi
        not significantly below the best (``table.in_best_set``: dots joined by a
        thick bar) and the smooth optimum with its interval (diamond and whiskers);
        the fresh runs' worth at the chosen phi is an open circle with its interval.
    ax : pair of Axes, optional
        Default: a new single-column figure with two panels.
    legend : bool
        One legend under the bottom panel.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a DataFrame, got {type(table).__name__}")
    missing = [c for c in _NEED if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the column(s) {', '.join(missing)}; pass "
                         "DurationStudy.table")
    if ax is not None and len(list(ax)) != 2:
        raise ValueError(f"ax must be two Axes (worth, Y), got {len(list(ax))}")
    with style_context():
        return _plot_duration(table, optimum, ax, legend)


def _plot_duration(table: pd.DataFrame, optimum: pd.DataFrame | None,
                   ax: Sequence[Axes] | None, legend: bool) -> Figure:
    if ax is None:
        fig, axes = new_figure("single", height=4.2, nrows=2, sharex=True)
    else:
        axes = list(ax)
        fig = axes[0].figure
    top, bottom = axes
    handles, labels = [], []
    span = float(table["worth_high"].max() - table["worth_low"].min()) or 1.0
    for k, (proto, sub) in enumerate(table.groupby("protocol", observed=True, sort=False)):
        sub = sub.sort_values("phi")
        st = protocol_style(proto)
        x = sub["phi"].to_numpy()
        (line,) = top.plot(x, sub["worth_mean"], color=st["color"], linestyle=st["linestyle"],
                           marker=st["marker"], markersize=3, label=str(proto), zorder=3)
        for a, lo, hi in ((top, "worth_low", "worth_high"), (bottom, "Y_low", "Y_high")):
            _band(a, x, sub[lo].to_numpy(dtype=float), sub[hi].to_numpy(dtype=float), st)
        bottom.plot(x, sub["Y"], color=st["color"], linestyle=st["linestyle"],
                    marker=st["marker"], markersize=3, zorder=3)
        handles.append(line)
        labels.append(str(proto))
        if optimum is not None:
            opt = optimum[optimum["protocol"].astype(str) == str(proto)]
            if len(opt):
                _draw_optimum(top, opt.iloc[0], sub, st, k, table["worth_low"].min(), span)
    top.set_ylabel("mean worth E[W]")
    bottom.set_ylabel("performability index Y")
    bottom.set_xlabel("guarded-operation duration phi (time units)")
    for a in axes:
        style_axes(a)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles.append(Patch(facecolor="0.93", edgecolor="0.3", linewidth=0.6))
    labels.append("95% CI (thin lines): Student t for E[W], paired bootstrap for Y")
    if optimum is not None and len(optimum):
        handles.append(Line2D([], [], marker="*", color="grey", markeredgecolor="black",
                              linestyle="none", markersize=9))
        labels.append("best phi of the grid")
        if "in_best_set" in table.columns:
            handles.append(Line2D([], [], marker="o", color="grey", linewidth=4, alpha=0.6,
                                  markersize=3))
            labels.append("phi not below the best (MCB set)")
        if "phi_smooth" in optimum.columns:
            handles.append(Line2D([], [], marker="D", color="grey", markeredgecolor="black",
                                  linestyle="-", linewidth=1, markersize=4))
            labels.append("smooth optimum and its interval")
        if "worth_fresh" in optimum.columns and optimum["worth_fresh"].notna().any():
            handles.append(Line2D([], [], marker="o", color="grey", markerfacecolor="white",
                                  linestyle="-", linewidth=1, markersize=5))
            labels.append("worth at the chosen phi, fresh runs")
    if legend and handles:
        legend_below(bottom, handles, labels)
    return fig


def _band(ax: Axes, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, st: dict) -> None:
    """A protocol's confidence band: a faint fill and both bounds as thin lines in the
    protocol's colour and line style, so that two overlapping bands read as two
    (two pairs of coloured bounds), not as one blend of both colours."""
    ax.fill_between(x, lo, hi, facecolor=st["color"], alpha=0.08, linewidth=0, zorder=1)
    for edge in (lo, hi):
        ax.plot(x, edge, color=st["color"], linewidth=0.6, linestyle=st["linestyle"],
                alpha=0.9, zorder=2, gid="band_edge")


def _draw_optimum(top: Axes, o: pd.Series, sub: pd.DataFrame, st: dict, k: int,
                  floor: float, span: float) -> None:
    """Star at the grid's best phi; one row under the curves with the MCB set and the
    smooth optimum; the fresh runs' worth at the chosen phi."""
    top.plot([o["phi_opt"]], [o["worth_opt"]], marker="*", markersize=11 - 3 * k,
             color=st["color"], markeredgecolor="black", markeredgewidth=0.5,
             linestyle="none", zorder=5)
    y = floor + (0.05 + 0.1 * k) * span   # two rows per protocol: the set, the smooth optimum
    if "in_best_set" in sub.columns:
        xs = sub.loc[sub["in_best_set"].astype(bool), "phi"].to_numpy(dtype=float)
        if len(xs):
            top.plot([xs.min(), xs.max()], [y, y], color=st["color"], linewidth=4, alpha=0.45,
                     solid_capstyle="round")
            top.plot(xs, [y] * len(xs), color=st["color"], marker="o", markersize=3,
                     linestyle="none")
    if "phi_smooth" in o.index and np.isfinite(o["phi_smooth"]):
        top.errorbar([o["phi_smooth"]], [y + 0.045 * span],
                     xerr=[[o["phi_smooth"] - o["phi_smooth_low"]],
                           [o["phi_smooth_high"] - o["phi_smooth"]]],
                     color=st["color"], capsize=3, linewidth=1, marker="D", markersize=4,
                     markeredgecolor="black", markeredgewidth=0.5)
    if "worth_fresh" in o.index and np.isfinite(o["worth_fresh"]):
        top.errorbar([o["fresh_phi"]], [o["worth_fresh"]],
                     yerr=[[o["worth_fresh"] - o["worth_fresh_low"]],
                           [o["worth_fresh_high"] - o["worth_fresh"]]],
                     color=st["color"], capsize=3, linewidth=1, marker="o", markersize=5,
                     markerfacecolor="white", zorder=6)
