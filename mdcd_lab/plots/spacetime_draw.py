"""The elements of the space-time diagram, each drawn on a matplotlib Axes.

One ``_draw_*`` function per kind of element (process lines, log areas,
notifications, messages and twins, checkpoints, point events, the recovery),
called by [`mdcd_lab.plots.plot_spacetime`][mdcd_lab.plots.plot_spacetime] with the diagram's
[`SpacetimeData`][mdcd_lab.plots.SpacetimeData], the process heights,
the time window and the legend entries so far (each adds its own).  Every
element gets a ``gid``; plot_spacetime's docstring lists them.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.transforms import ScaledTranslation

from .spacetime_style import _C, _CKPT_STYLE, _MARKS, _halo
from .spacetime_tables import SpacetimeData


def _overlaps(a: float, b: float, lo: float, hi: float) -> bool:
    if math.isnan(b):
        b = a
    return min(a, b) <= hi and max(a, b) >= lo


def _draw_processes(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
                    entries: dict[str, Any]) -> None:
    for p in data.procs:
        (ln,) = ax.plot([0.0, data.t_end], [y[p], y[p]], color=_C["process"], linewidth=0.7,
                        zorder=2, solid_capstyle="butt")
        ln.set_gid("process")
        for t0, t1 in data.dirty.get(p, []):
            if _overlaps(t0, t1, lo, hi):
                (d,) = ax.plot([t0, t1], [y[p], y[p]], color=_C["dirty_proc"], linewidth=1.8,
                               zorder=2.1, solid_capstyle="butt")
                d.set_gid("dirty")
                entries.setdefault("dirty (belief)", Line2D(
                    [], [], color=_C["dirty_proc"], linewidth=1.8))
        t_err = data.erroneous_from.get(p)
        if t_err is not None and _overlaps(t_err, data.t_end, lo, hi):
            (e,) = ax.plot([t_err, data.t_end], [y[p], y[p]], color=_C["error"], linewidth=5,
                           alpha=0.28, zorder=1, solid_capstyle="butt")
            e.set_gid("erroneous")
            entries.setdefault("erroneous (truth)", Line2D(
                [], [], color=_C["error"], linewidth=5, alpha=0.28))


def _draw_logs(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
               entries: dict[str, Any]) -> None:
    peak = max((float(v.max()) for _, v in data.logs.values() if len(v)), default=0.0)
    if peak <= 0:
        return
    scale = 0.38 / peak
    for p, (times, sizes) in data.logs.items():
        if sizes.max() <= 0 or p not in y:
            continue
        poly = ax.fill_between(times, y[p], y[p] + sizes * scale, step="post",
                               color=_C["log"], alpha=0.35, linewidth=0, zorder=1.5)
        poly.set_gid("log")
    entries.setdefault(f"log size (max {int(peak)})",
                       Patch(facecolor=_C["log"], alpha=0.35, linewidth=0))


def _draw_notifications(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float,
                        hi: float, entries: dict[str, Any]) -> None:
    for row in data.notifications.itertuples(index=False):
        if row.origin not in y or row.recipient not in y:
            continue
        t1 = min(row.t_arrive, data.t_end)
        if not _overlaps(row.t_send, t1, lo, hi):
            continue
        y0, y1 = y[row.origin], y[row.recipient]
        if not row.arrived and math.isfinite(row.t_arrive) and row.t_arrive > row.t_send:
            y1 = y0 + (y1 - y0) * (t1 - row.t_send) / (row.t_arrive - row.t_send)
        elif not row.arrived:
            t1, y1 = row.t_send + 0.01 * (hi - lo), y0 + 0.3 * (y1 - y0)
        (ln,) = ax.plot([row.t_send, t1], [y0, y1], color=_C["notify"], linewidth=0.6,
                        linestyle=(0, (1, 1.2)), zorder=2.5)
        ln.set_gid("notification")
        entries.setdefault("AT notification", Line2D(
            [], [], color=_C["notify"], linewidth=0.8, linestyle=(0, (1, 1.2))))


def _draw_messages(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
                   entries: dict[str, Any]) -> None:
    for m in data.messages.itertuples(index=False):
        if m.src not in y or m.dst not in y:
            continue
        color = _C["dirty_msg"] if m.dirty == 1 else _C["clean_msg"]
        effects = _halo() if m.err == 1 else None
        if m.delivered:
            if not _overlaps(m.t_send, m.t_deliver, lo, hi):
                continue
            arrow = FancyArrowPatch((m.t_send, y[m.src]), (m.t_deliver, y[m.dst]),
                                    arrowstyle="-|>", mutation_scale=5.5, linewidth=0.7,
                                    color=color, shrinkA=0, shrinkB=0, zorder=3,
                                    path_effects=effects)
            arrow.set_gid("message")
            ax.add_patch(arrow)
            key = "message, dirty=1" if m.dirty == 1 else "message, dirty=0"
            entries.setdefault(key, Line2D([], [], color=color, linewidth=0.9))
        else:
            t1 = data.t_end
            if math.isfinite(m.t_deliver) and m.t_deliver > m.t_send:
                y1 = y[m.src] + (y[m.dst] - y[m.src]) * (t1 - m.t_send) / (
                    m.t_deliver - m.t_send)
            else:
                y1 = y[m.src] + 0.3 * (y[m.dst] - y[m.src])
            if not _overlaps(m.t_send, t1, lo, hi):
                continue
            (ln,) = ax.plot([m.t_send, t1], [y[m.src], y1], color=color, linewidth=0.7,
                            linestyle=(0, (2, 1.5)), zorder=3, path_effects=effects)
            ln.set_gid("in_transit")
            entries.setdefault("in transit at end", Line2D(
                [], [], color="#4D4D4D", linewidth=0.8, linestyle=(0, (2, 1.5))))
        if m.err == 1:
            entries.setdefault("erroneous message", Line2D(
                [], [], color=_C["dirty_msg"], linewidth=0.9, path_effects=_halo()))
    stub = 0.012 * (hi - lo)
    for w in data.twins.itertuples(index=False):
        if w.sdw not in y or w.dst not in y or not (lo <= w.t <= hi):
            continue
        (ln,) = ax.plot([w.t, w.t + stub], [y[w.sdw], y[w.sdw] + 0.45 * (y[w.dst] - y[w.sdw])],
                        color=_C["twin"], linewidth=0.7, linestyle=(0, (1.5, 1)), zorder=3)
        ln.set_gid("twin")
        entries.setdefault("suppressed twin", Line2D(
            [], [], color=_C["twin"], linewidth=0.8, linestyle=(0, (1.5, 1))))


def _draw_checkpoints(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float,
                      hi: float, entries: dict[str, Any]) -> None:
    ck = data.checkpoints
    if ck.empty:
        return
    ck = ck[(ck["t"] >= lo) & (ck["t"] <= hi) & ck["proc"].isin(list(y))]
    reclaimed = ck["t_reclaimed"].notna()
    for rule, (label, style) in _CKPT_STYLE.items():
        part = ck[(ck["rule"] == rule) & ~reclaimed]
        if len(part):
            (ln,) = ax.plot(part["t"], [y[p] for p in part["proc"]], linestyle="none",
                            zorder=4, **style)
            ln.set_gid(f"ckpt_{rule}")
            entries.setdefault(label, Line2D([], [], linestyle="none", **style))
        part = ck[(ck["rule"] == rule) & reclaimed]
        if len(part):
            grey = dict(style, markeredgecolor=_C["reclaimed_ckpt"])
            if style["color"] != "white":
                grey["color"] = _C["reclaimed_ckpt"]
            (ln,) = ax.plot(part["t"], [y[p] for p in part["proc"]], linestyle="none",
                            zorder=4, **grey)
            ln.set_gid("ckpt_reclaimed")
            entries.setdefault("ckpt, reclaimed later", Line2D(
                [], [], linestyle="none", **dict(_CKPT_STYLE["S1"][1],
                                                 color=_C["reclaimed_ckpt"],
                                                 markeredgecolor=_C["reclaimed_ckpt"])))


def _draw_marks(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
                entries: dict[str, Any]) -> None:
    mk = data.marks
    mk = mk[(mk["t"] >= lo) & (mk["t"] <= hi) & mk["proc"].isin(list(y))]
    for event, (label, style) in _MARKS.items():
        part = mk[mk["event"] == event]
        if len(part):
            (ln,) = ax.plot(part["t"].to_numpy(float), [y[p] for p in part["proc"]],
                            linestyle="none", zorder=5, **style)
            ln.set_gid(event)
            entries.setdefault(label, Line2D([], [], linestyle="none", **style))


def _draw_recovery(ax: Axes, data: SpacetimeData, y: dict[str, float], lo: float, hi: float,
                   entries: dict[str, Any]) -> None:
    color = _C["recovery"]
    restore = {r.proc: r.t_restore for r in data.rollbacks.itertuples(index=False)
               if math.isfinite(r.t_restore)}
    members = [p for p in data.procs if not p.startswith("low") or p in restore]
    pts = [(restore.get(p, data.recovered_at.get(p, data.t_detect)), y[p]) for p in members]
    if pts:
        (ln,) = ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, linewidth=1.5,
                        alpha=0.9, zorder=6, solid_joinstyle="round")
        ln.set_gid("recovery_line")
        entries.setdefault("recovery line", Line2D(
            [], [], color=color, linewidth=1.5))
    t_back = {r.proc: r.t for r in data.rollbacks.itertuples(index=False)}
    for p, t_r in restore.items():
        if p not in y:
            continue
        (ring,) = ax.plot([t_r], [y[p]], linestyle="none", marker="o", markersize=7.5,
                          markerfacecolor="none", markeredgecolor=color, markeredgewidth=1.2,
                          zorder=6)
        ring.set_gid("restored")
        if t_r < t_back.get(p, data.t_detect):
            arrow = FancyArrowPatch((t_back.get(p, data.t_detect), y[p] + 0.24),
                                    (t_r, y[p] + 0.24),
                                    arrowstyle="-|>", mutation_scale=6, linewidth=0.8,
                                    linestyle=(0, (3, 1.5)), color=color, shrinkA=0,
                                    shrinkB=0, zorder=6)
            arrow.set_gid("rollback")
            ax.add_patch(arrow)
            entries.setdefault("rollback (restored ckpt)", Line2D(
                [], [], color=color, linewidth=0.8, linestyle=(0, (3, 1.5)), marker="o",
                markerfacecolor="none", markeredgecolor=color, markersize=5.5,
                markevery=[1]))
    # the crosses are not clipped (one at the window's right edge stays whole), so only
    # those in the window are drawn: one outside would stretch the figure's layout
    stopped = {p: data.recovered_at.get(p, data.t_detect) for p in data.groups["G_low"]
               if p in y and p not in restore}
    lows = [p for p, t in stopped.items() if lo <= t <= hi]
    if lows:
        shift = ScaledTranslation(5.0 / 72.0, 0.0, ax.figure.dpi_scale_trans)
        (x,) = ax.plot([stopped[p] for p in lows], [y[p] for p in lows], linestyle="none",
                       marker="x", markersize=6, markeredgewidth=1.4, color=color, zorder=6,
                       transform=ax.transData + shift, clip_on=False)
        x.set_gid("discarded")
        entries.setdefault(r"$G_\mathrm{low}$ stopped", Line2D(
            [], [], linestyle="none", marker="x", markersize=6, markeredgewidth=1.4,
            color=color))
