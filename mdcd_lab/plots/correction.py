"""The correction space: cost of every combination of corrections, sound ones marked.

Draws ``mdcd_lab.studies.correction_space.correction_table`` (docs/protocol.md,
section 6): one point per combination of the corrections R L C S E at (mean
checkpoints, mean peak log entries) with 95% intervals, sound combinations
filled and labelled, unsound ones hollow and grey, the Pareto frontier of the
sound ones as a step line.  Nothing is simulated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .axes import style_axes
from .labels import metric_label
from .style import new_figure, protocol_style

__all__ = ["plot_correction_space"]

_X, _Y = "ckpt_total", "log_entries_peak"
_NEED = ("combination", "protocol", "sound", "pareto", *(f"{m}_{s}" for m in (_X, _Y)
                                                          for s in ("mean", "ci_low", "ci_high")))
_GREY = "#7F7F7F"


def _label(row: pd.Series) -> str:
    letters = row["combination"] or "none"
    proto = str(row["protocol"])
    return letters if proto.startswith("paper+") else f"{letters} = {proto}"


def _y_break(table: pd.DataFrame) -> float | None:
    """A y value in the widest empty band of the intervals, if it spans over half the range."""
    lo = table[f"{_Y}_ci_low"].to_numpy(float)
    hi = table[f"{_Y}_ci_high"].to_numpy(float)
    means = table[f"{_Y}_mean"].to_numpy(float)
    if len(means) < 2:
        return None
    span = hi.max() - lo.min()
    best, at = 0.0, None
    for m in np.unique(means)[:-1]:
        below = hi[means <= m].max()
        above = lo[means > m].min()
        if above - below > best:
            best, at = above - below, (above + below) / 2
    return at if span > 0 and best > 0.5 * span else None


def _draw_points(ax: Axes, table: pd.DataFrame, xmid: float) -> None:
    x, y = table[f"{_X}_mean"].to_numpy(float), table[f"{_Y}_mean"].to_numpy(float)
    xerr = np.vstack([x - table[f"{_X}_ci_low"], table[f"{_X}_ci_high"] - x])
    yerr = np.vstack([y - table[f"{_Y}_ci_low"], table[f"{_Y}_ci_high"] - y])
    sound = table["sound"].to_numpy(bool)
    ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="none", ecolor=_GREY, elinewidth=0.5,
                capsize=0, zorder=1)
    ax.plot(x[~sound], y[~sound], linestyle="none", marker="o", markersize=4.5,
            markerfacecolor="none", markeredgecolor=_GREY, markeredgewidth=0.7, zorder=2,
            gid="unsound")
    front = table[table["pareto"]].sort_values(f"{_X}_mean")
    if len(front):
        fx, fy = front[f"{_X}_mean"].to_numpy(float), front[f"{_Y}_mean"].to_numpy(float)
        ax.step(fx, fy, where="post", color="black", linewidth=0.9, zorder=3, gid="frontier")
    ranked = table[sound].sort_values([f"{_Y}_mean", f"{_X}_mean"])
    k_right = 0
    for _, row in ranked.iterrows():
        st = protocol_style(str(row["protocol"]))
        px, py = row[f"{_X}_mean"], row[f"{_Y}_mean"]
        ax.plot([px], [py], linestyle="none", marker=st["marker"], markersize=6,
                color=st["color"], markeredgecolor="black", markeredgewidth=0.5, zorder=4,
                gid="sound")
        # labels point inwards; on the right, from the bottom up, alternately below-left
        # and to the right, so that points at almost the same place stay readable
        if px <= xmid:
            xy, ha = (6, 7), "left"
        else:
            xy, ha = ((-6, -8), "right") if k_right % 2 == 0 else ((7, 0), "left")
            k_right += 1
        ann = ax.annotate(_label(row), (px, py), xytext=xy, textcoords="offset points",
                          ha=ha, va="center", fontsize=7, zorder=5)
        ann.set_in_layout(False)
    paper = table[table["combination"] == ""]
    if len(paper):     # the uncorrected reading, for reference
        r = paper.iloc[0]
        left = r[f"{_X}_mean"] > xmid
        ann = ax.annotate(f"none = {r['protocol']}", (r[f"{_X}_mean"], r[f"{_Y}_mean"]),
                          xytext=(-7 if left else 7, -8), textcoords="offset points",
                          ha="right" if left else "left", va="center", fontsize=7,
                          color=_GREY)
        ann.set_in_layout(False)


def _draw_panel(axes: list[Axes], table: pd.DataFrame) -> None:
    """One panel: one Axes, or two (upper and lower band of a broken y axis)."""
    x = table[[f"{_X}_ci_low", f"{_X}_ci_high"]].to_numpy(float)
    xmid = (x.min() + x.max()) / 2
    for a in axes:
        _draw_points(a, table, xmid)
        a.margins(x=0.15, y=0.12)
        style_axes(a)
    if len(axes) == 2:
        top, bottom = axes
        cut = _y_break(table)
        y = table[[f"{_Y}_ci_low", f"{_Y}_ci_high"]].to_numpy(float)
        for a, band in ((top, y[y[:, 0] > cut]), (bottom, y[y[:, 1] < cut])):
            pad = max(0.15 * (band.max() - band.min()), 0.5)
            a.set_ylim(band.min() - pad, band.max() + pad)
        top.spines["bottom"].set_visible(False)
        top.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
        bottom.spines["top"].set_visible(False)
        for a, yy in ((top, 0.0), (bottom, 1.0)):     # the break marks on the y axis
            a.plot([-0.02, 0.02], [yy - 0.02, yy + 0.02], transform=a.transAxes,
                   color="black", linewidth=0.6, clip_on=False, gid="axis_break")
        top.set_ylabel(metric_label(_Y))
        top.yaxis.set_label_coords(-0.13, 0.2)
    else:
        axes[0].set_ylabel(metric_label(_Y))
    axes[-1].set_xlabel(metric_label(_X))


def plot_correction_space(table: pd.DataFrame, panel: str | None = None,
                          titles: Sequence[str] | None = None,
                          ax: Sequence[Axes] | Axes | None = None,
                          legend: bool = True,
                          ci_text: str | None = None) -> Figure:
    """Mean checkpoints against mean peak log entries of every combination of corrections.

    Parameters
    ----------
    table : DataFrame
        ``mdcd_lab.studies.correction_space.correction_table``.
    panel : str, optional
        A column whose values get one panel each (in order of appearance).
    titles : sequence of str, optional
        One title per panel.
    ax : Axes or sequence of Axes, optional
        One Axes per panel.  Default: a new figure (double width for two or
        more panels) in which a panel whose points fall in two bands far apart
        in y (the combinations with and without ``log_all_when_dirty``) gets a
        broken y axis (if every panel's do), so that the sound ones stay apart.
    legend : bool
        A legend under the panels: one entry per sound combination (its marker),
        the unsound ones, the frontier and the intervals.
    ci_text : str, optional
        The legend's text for the intervals; default: named from the table's
        ``ckpt_total_method`` and ``log_entries_peak_method`` columns
        (``correction_table`` writes them), else "95% CI of each mean".
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a DataFrame, got {type(table).__name__}")
    missing = [c for c in _NEED if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the column(s) {', '.join(missing)}; pass "
                         "correction_table(...)")
    parts = ([table] if panel is None
             else [g for _, g in table.groupby(panel, sort=False, observed=True)])
    if titles is not None and len(titles) != len(parts):
        raise ValueError(f"titles gives {len(titles)} title(s) for {len(parts)} panel(s)")
    if ax is None:
        broken = all(_y_break(p) is not None for p in parts)
        nrows = 2 if broken else 1
        fig, grid = new_figure("double" if len(parts) > 1 else "single", height=3.2,
                               nrows=nrows, ncols=len(parts), sharex="col",
                               gridspec_kw={"height_ratios": [2, 1]} if broken else {})
        grid = np.asarray(grid, dtype=object).reshape(nrows, len(parts))
        panels = [list(grid[:, c]) for c in range(len(parts))]
    else:
        panels = [[a] for a in np.atleast_1d(ax)]
        if len(panels) != len(parts):
            raise ValueError(f"ax gives {len(panels)} Axes for {len(parts)} panel(s)")
        fig = panels[0][0].figure
    for i, (axes, part) in enumerate(zip(panels, parts, strict=True)):
        _draw_panel(axes, part)
        if titles is not None:
            axes[0].set_title(titles[i])
    if legend and ci_text is None:
        from .sweeps import method_names
        cols = [f"{m}_method" for m in (_X, _Y) if f"{m}_method" in table.columns]
        methods = method_names(pd.concat([table[c] for c in cols])) if cols else ""
        ci_text = "95% CI of each mean" + (f" ({methods})" if methods else "")
    if legend:
        # one entry per sound combination drawn, with its own marker and colour (the
        # same in every panel), then the unsound ones, the frontier and the intervals
        sound = table[table["sound"].astype(bool)].drop_duplicates("protocol")
        sound = sound.sort_values([f"{_X}_mean", f"{_Y}_mean"], ascending=[True, False])
        handles, labels = [], []
        for _, row in sound.iterrows():
            st = protocol_style(str(row["protocol"]))
            handles.append(Line2D([], [], linestyle="none", marker=st["marker"], markersize=6,
                                  color=st["color"], markeredgecolor="black",
                                  markeredgewidth=0.5))
            labels.append(f"sound: {_label(row)}")
        handles += [
            Line2D([], [], linestyle="none", marker="o", markersize=4.5,
                   markerfacecolor="none", markeredgecolor=_GREY),
            Line2D([], [], color="black", linewidth=0.9, drawstyle="steps-post"),
            Line2D([], [], color=_GREY, linewidth=0.5)]
        labels += ["unsound combination (letters: corrections R L C S E)",
                   "Pareto frontier of the sound combinations", ci_text]
        fig.legend(handles, labels, loc="outside lower center", ncols=3)
    return fig
