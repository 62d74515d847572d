"""The space-time diagram of one run, drawn from its trace and event log.

One horizontal line per process, grouped ``G_low`` / ``G_sdw`` / ``G_act``, time
running to the right.  Messages are arrows from (send time, sender) to
(delivery time, receiver), coloured by the dirty bit they piggyback, with a red
halo when they are erroneous in the ground truth; the process lines show when
each process believes itself dirty (orange) and when it really is erroneous
(red band).  Checkpoints (S1, S2), reclamations, acceptance tests and their
notifications, the receiver/sender log size of each process, the fault, the
detection and the recovery line complete the picture.

[`spacetime_data`][mdcd_lab.plots.spacetime_data] turns ``(trace, events)`` of
[`mdcd_lab.run_events`][mdcd_lab.api.run_events] into tidy tables (messages, checkpoints,
notifications, logs, rollbacks ...); [`plot_spacetime`][mdcd_lab.plots.plot_spacetime] draws them.
Nothing is simulated here.  The work is shared out: ``spacetime_tables`` (the tables, with
``spacetime_channels`` for messages and notifications),
``spacetime_draw`` (one function per element) and
``spacetime_style`` (colours, markers); this module lays
out the figure (process heights, group and time axes, title, legend).
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .axes import legend_below, style_axes
from .spacetime_draw import (
    _draw_checkpoints,
    _draw_logs,
    _draw_marks,
    _draw_messages,
    _draw_notifications,
    _draw_processes,
    _draw_recovery,
)
from .spacetime_style import SPACETIME_COLORS
from .spacetime_tables import _GROUPS, SpacetimeData, spacetime_data
from .style import new_figure, style_context

__all__ = ["SpacetimeData", "spacetime_data", "plot_spacetime", "SPACETIME_COLORS"]

_GAP = 0.8          # extra space between groups, in line spacings


def _y_positions(data: SpacetimeData) -> dict[str, float]:
    y, pos = {}, 0.0
    for g, label in enumerate(("G_low", "G_sdw", "G_act")):
        for p in data.groups[label]:
            y[p] = -pos
            pos += 1.0
        if data.groups[label] and g < 2:
            pos += _GAP
    return y


def _title(data: SpacetimeData) -> str:
    text = f"{data.outcome} at t = {data.t_end:.4g}"
    if data.outcome == "recovered":
        n = len(data.rollbacks)
        text += f": {n} process{'es' if n != 1 else ''} roll back"
        r = sum(data.resent.values())
        if r:
            text += f", shadows re-send {r}"
    if data.violations:
        text += "\noracle violation: " + ", ".join(f"{k}={v}" for k, v in data.violations.items())
    return text


def plot_spacetime(trace: pd.DataFrame | None, events: pd.DataFrame, scenario: Any = None,
                   t_range: tuple[float, float] | None = None, ax: Axes | None = None, *,
                   run: int | None = None, width: str | float = "double",
                   title: str | None = None, show_logs: bool = True,
                   show_notifications: bool = True, legend: bool = True) -> Figure:
    """Space-time diagram of one run.

    Parameters
    ----------
    trace : DataFrame or None
        The run's trace, as returned by [`mdcd_lab.run_events`][mdcd_lab.api.run_events] (used
        for the delivery times of messages still in transit at the end and
        for notification delays).
    events : DataFrame
        The run's event log from [`mdcd_lab.run_events`][mdcd_lab.api.run_events].
    scenario : Scenario, optional
        Process counts, horizon and fault scope (inferred from the names in
        the log otherwise; then idle processes may be missing).
    t_range : (float, float), optional
        Time window to show (zoom).  Default: the whole run, ``[0, t_end]``.
    ax : Axes, optional
        Draw here (the legend goes under it); default: a new figure.
    run : int, optional
        Which run of ``trace`` the log belongs to, if it holds several.
    width : {"single", "double"} or float, default "double"
        Width of a new figure (ignored with ``ax``).
    title : str, optional
        Axes title; default: the outcome, the rollbacks and any oracle
        violation.  ``""`` for none.
    show_logs : bool, default True
        Draw each process's log size as a grey step area above its line (all
        on one scale; the legend gives the tallest value).
    show_notifications : bool, default True
        Draw "passed AT" notifications as dotted lines to every recipient.
    legend : bool, default True
        Legend under the axes, listing only what is drawn.

    Returns
    -------
    Figure

    Notes
    -----
    What is drawn (every element has a ``gid`` so that it can be found in the
    figure): process lines (``"process"``; orange ``"dirty"`` while the
    process believes it may be contaminated, a red ``"erroneous"`` band
    from when it really is); one arrow per delivery (``"message"``; blue:
    piggybacked dirty bit 0, orange: 1, red halo: erroneous in the ground
    truth), dashed lines for messages still in transit when the run ends
    (``"in_transit"``) and for the shadows' suppressed twins to ``G_act``
    (``"twin"``); checkpoints (``"ckpt_S1"`` filled, ``"ckpt_S2"`` open,
    grey ``"ckpt_reclaimed"`` once a notification reclaimed them); the
    markers of ``spacetime_style._MARKS`` (``"fault"``, ``"at_pass"``, ...); dotted
    ``"notification"`` lines; the ``"log"`` areas; and at recovery the
    ``"recovery_line"`` through the restored states, ``"rollback"`` arrows
    from the detection back to each restored checkpoint, ``"restored"``
    rings and ``"discarded"`` crosses on ``G_low``.  The top axis marks the
    first fault and the detection (or the failure).
    """
    data = spacetime_data(trace, events, scenario, run)
    if t_range is None:
        lo, hi = 0.0, data.t_end
    else:
        lo, hi = (float(v) for v in t_range)
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            raise ValueError(f"t_range must be (start, stop) with start < stop, got {t_range!r}")
    if hi <= lo:
        hi = lo + 1.0
    y = _y_positions(data)
    entries: dict[str, Any] = {}

    own = ax is None
    with style_context():
        if ax is None:
            n = max(len(data.procs), 1)
            fig, ax = new_figure(width, height=1.05 + 0.2 * n)
        else:
            fig = ax.figure
        ax.grid(False)
        ax.grid(True, axis="x")
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)

        _draw_processes(ax, data, y, lo, hi, entries)
        if show_logs:
            _draw_logs(ax, data, y, lo, hi, entries)
        if show_notifications:
            _draw_notifications(ax, data, y, lo, hi, entries)
        _draw_messages(ax, data, y, lo, hi, entries)
        _draw_checkpoints(ax, data, y, lo, hi, entries)
        _draw_marks(ax, data, y, lo, hi, entries)
        if data.outcome == "recovered":
            _draw_recovery(ax, data, y, lo, hi, entries)

        pad = 0.015 * (hi - lo)
        ax.set_xlim(lo - pad, hi + pad)
        ys = list(y.values()) or [0.0]
        ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
        ax.set_yticks([y[p] for p in data.procs], data.procs)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("time (time units)")
        _group_axis(ax, data, y)
        _time_marks(ax, data, lo, hi)
        text = _title(data) if title is None else title
        if text:
            per_line = int(ax.get_position().width * fig.get_figwidth() * 72 / (0.55 * 7.5))
            text = "\n".join(textwrap.fill(part, max(per_line, 20))
                              for part in text.split("\n"))
            ax.set_title(text, loc="left", fontsize=7.5)
        style_axes(ax)
        if legend and entries:
            legend_below(ax, list(entries.values()), list(entries.keys()),
                         grow_figure=own)
    return fig


def _group_axis(ax: Axes, data: SpacetimeData, y: dict[str, float]) -> None:
    centers, labels, bounds = [], [], []
    for _prefix, label, tex in _GROUPS:
        members = [y[p] for p in data.groups[label]]
        if members:
            centers.append(float(np.mean(members)))
            labels.append(tex)
            bounds.append((min(members), max(members)))
    for (lo_a, _), (_, hi_b) in zip(bounds, bounds[1:], strict=False):
        ax.axhline((lo_a + hi_b) / 2, color="0.8", linewidth=0.6, zorder=0)
    sec = ax.secondary_yaxis("right")
    sec.set_yticks(centers, labels)
    sec.tick_params(length=0, labelsize=8)
    sec.spines["right"].set_visible(False)


def _time_marks(ax: Axes, data: SpacetimeData, lo: float, hi: float) -> None:
    ticks: list[tuple[float, str]] = []
    if math.isfinite(data.t_fault):
        ticks.append((data.t_fault, "fault"))
    if data.outcome == "recovered":
        ticks.append((data.t_detect, "detection"))
    elif data.outcome == "failed":
        ticks.append((data.t_end, "failure"))
    ticks = [(t, s) for t, s in ticks if lo <= t <= hi]
    for t, _ in ticks:
        ax.axvline(t, color="0.45", linewidth=0.6, linestyle=(0, (4, 2)), zorder=0.5)
    sec = ax.secondary_xaxis("top")
    sec.set_xticks([t for t, _ in ticks], [s for _, s in ticks])
    sec.tick_params(length=2, labelsize=7, pad=1)
    sec.spines["top"].set_visible(False)
    labels = sec.get_xticklabels()
    if len(labels) == 2:    # fault left of its tick, detection right: they never collide
        labels[0].set_horizontalalignment("right")
        labels[1].set_horizontalalignment("left")
