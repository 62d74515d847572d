"""Mission worth and the performability index against the guarded-operation duration.

Draws :func:`mdcd_lab.duration_study`'s table (docs/performability.md): the mean
worth ``E[W](phi)`` and ``Y(phi)`` per protocol, with their confidence bands,
and the optimal phi with its bootstrap interval.  Nothing is simulated.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .axes import legend_below, style_axes
from .style import new_figure, protocol_style

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
        ``DurationStudy.optimum``: the optimal phi of each protocol is marked on
        the worth curve, its bootstrap interval drawn as a bar under it.
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
    if ax is None:
        fig, axes = new_figure("single", height=4.2, nrows=2, sharex=True)
    else:
        axes = list(ax)
        if len(axes) != 2:
            raise ValueError(f"ax must be two Axes (worth, Y), got {len(axes)}")
        fig = axes[0].figure
    top, bottom = axes
    handles, labels = [], []
    span = float(table["worth_high"].max() - table["worth_low"].min()) or 1.0
    for k, (proto, sub) in enumerate(table.groupby("protocol", observed=True, sort=False)):
        sub = sub.sort_values("phi")
        st = protocol_style(proto)
        x = sub["phi"].to_numpy()
        (line,) = top.plot(x, sub["worth_mean"], color=st["color"], linestyle=st["linestyle"],
                           marker=st["marker"], markersize=3, label=str(proto))
        top.fill_between(x, sub["worth_low"], sub["worth_high"], color=st["color"], alpha=0.2,
                         linewidth=0)
        bottom.plot(x, sub["Y"], color=st["color"], linestyle=st["linestyle"],
                    marker=st["marker"], markersize=3)
        bottom.fill_between(x, sub["Y_low"], sub["Y_high"], color=st["color"], alpha=0.2,
                            linewidth=0)
        handles.append(line)
        labels.append(str(proto))
        if optimum is not None:
            opt = optimum[optimum["protocol"].astype(str) == str(proto)]
            if len(opt):
                o = opt.iloc[0]
                top.plot([o["phi_opt"]], [o["worth_opt"]], marker="*", markersize=11 - 3 * k,
                         color=st["color"], markeredgecolor="black", markeredgewidth=0.5,
                         linestyle="none", zorder=5)
                lo = table["worth_low"].min() + 0.04 * (k + 1) * span   # one row each
                top.errorbar([o["phi_opt"]], [lo], xerr=[[o["phi_opt"] - o["phi_low"]],
                                                         [o["phi_high"] - o["phi_opt"]]],
                             color=st["color"], capsize=3, linewidth=1, fmt="none")
    top.set_ylabel("mean worth E[W]")
    bottom.set_ylabel("performability index Y")
    bottom.set_xlabel("guarded-operation duration phi (time units)")
    for a in axes:
        style_axes(a)
    if optimum is not None and len(optimum):
        from matplotlib.lines import Line2D
        handles.append(Line2D([], [], marker="*", color="grey", markeredgecolor="black",
                              linestyle="none", markersize=9))
        labels.append("optimal phi (bar: its interval)")
    if legend and handles:
        legend_below(bottom, handles, labels)
    return fig
