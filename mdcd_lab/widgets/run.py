"""The run explorer: one run's space-time diagram and metrics in a notebook.

[`run_explorer`][mdcd_lab.widgets.run_explorer] takes a scenario, a seed and a run index (or a row
of a result table), replays the run on the reference engine
([`mdcd_lab.run_events`][mdcd_lab.api.run_events]) and shows its space-time diagram
([`mdcd_lab.plots.plot_spacetime`][mdcd_lab.plots.plot_spacetime]) and its metrics; the time window
opens on [`default_window`][mdcd_lab.widgets.default_window] and is re-drawn without re-simulating.
The controls come from ``mdcd_lab.widgets.common``; see [`mdcd_lab.widgets`][mdcd_lab.widgets].
"""

from __future__ import annotations

import html
import math
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..metrics import METRICS
from ..protocols import protocol_names
from ..scenario import FIELDS, Scenario
from .common import (
    _DESCRIPTION,
    _ROW,
    _controls_box,
    _Explorer,
    _png_output,
    _set_control,
    scenario_controls,
    scenario_from_controls,
    seed_value,
    seed_widget,
)

__all__ = ["RunExplorer", "run_explorer", "default_window"]


# --------------------------------------------------------------------------- one run
#: How the metrics table spells the schema's short units (``time`` is the scenario's
#: time unit; ``rows`` counts rows of the run's trace and event log).
_UNIT_TEXT = {"time": "time units", "rows": "trace rows"}


def _metrics_html(metrics: dict[str, Any]) -> str:
    units = {m.name: _UNIT_TEXT.get(m.unit, m.unit) for m in METRICS}
    rows = []
    for name, value in metrics.items():
        if isinstance(value, (float, np.floating)):
            text = "NaN" if math.isnan(value) else f"{float(value):.4g}"
        else:
            text = str(value)
        rows.append(f"<tr><td style='text-align:left'>{html.escape(name)}</td>"
                    f"<td style='text-align:right'>{html.escape(text)}</td>"
                    f"<td style='text-align:left;color:#666'>"
                    f"{html.escape(units.get(name, ''))}</td></tr>")
    return ("<div style='max-height:22em;overflow:auto'><table style='font-size:90%'>"
            "<tr><th>metric</th><th>value</th><th>unit</th></tr>" + "".join(rows)
            + "</table></div>")


def default_window(events: pd.DataFrame, t_end: float, max_messages: int = 40
                   ) -> tuple[float, float]:
    """A readable time window of a run: its end, with at most ``max_messages`` messages.

    The end of a run is where its story is (the fault, the failed AT, the
    recovery or the failure); a whole horizon of a busy scenario is a mass of
    lines.  The window ends at ``t_end`` and starts just before the earliest of
    the last ``max_messages`` deliveries (or at 0 when the run has fewer).

    Parameters
    ----------
    events : DataFrame
        The event log of [`mdcd_lab.run_events`][mdcd_lab.api.run_events] (its ``deliver`` and
        ``discard`` rows count; deliveries at one time are kept or left out together).
    t_end : float
        End of the run.
    max_messages : int
        Largest number of delivered messages in the window.

    Returns
    -------
    (float, float)
    """
    t_end = float(t_end)
    # a message dropped on arrival (executed recovery's "discard") is drawn as well
    arrived = events["event"].isin(("deliver", "discard"))
    deliver = events.loc[arrived, "t"].to_numpy(dtype=float)
    deliver = np.sort(deliver[deliver <= t_end])
    if deliver.size <= max_messages:
        return 0.0, t_end
    cut = float(deliver[-max_messages - 1])   # the latest delivery left out ...
    later = deliver[deliver > cut]            # ... with every delivery at its time
    if later.size == 0:
        return cut, t_end
    start = (float(later[0]) + cut) / 2.0     # halfway to the previous delivery
    return max(0.0, start), t_end


class RunExplorer(_Explorer):
    """Widgets of [`run_explorer`][mdcd_lab.widgets.run_explorer]; display the object to show them.

    Attributes
    ----------
    controls : dict
        Scenario control per field.
    seed, run, protocol : widgets
        Which run to replay (run ``r`` of seed ``s`` is the same in every
        engine and study).  ``seed`` is a text box ([`seed_widget`][mdcd_lab.widgets.seed_widget]),
        exact for seeds above 2**53.
    row : BoundedIntText or None
        Row (position) of the ``results`` table; changing it copies the row's
        scenario fields, seed, run and protocol into the controls.
    zoom : FloatRangeSlider
        Time window of the diagram (re-drawn without re-simulating).  A new run
        opens on [`default_window`][mdcd_lab.widgets.default_window]: the end of the run with at
        most ``max_messages`` messages; widen it to the whole run at will.
    max_messages : int
        Messages in the default window (default 40).
    run_button : Button
        Replay the run and draw it.
    metrics_html : HTML
        The run's metrics.
    status : HTML
    output : Output
        The space-time diagram.
    figure : Figure or None
    trace, events, metrics :
        The last run's trace, event log and metrics (``run_events``).
    widget : Widget
    """

    def __init__(self, scenario: Scenario | None = None, *, seed: int = 2026, run: int = 0,
                 protocol: str = "mdcd", results: pd.DataFrame | None = None,
                 width: str | float = "double", max_messages: int = 40) -> None:
        scenario = Scenario() if scenario is None else scenario
        self.width = width
        if isinstance(max_messages, bool) or not isinstance(max_messages, int) \
                or max_messages < 1:
            raise ValueError(f"max_messages must be an integer >= 1, got {max_messages!r}")
        self.max_messages = max_messages
        self._drawn_window: tuple[float, float] | None = None
        self.controls = scenario_controls(scenario)
        self.seed = seed_widget(seed)
        self.run = widgets.BoundedIntText(min=0, max=2**31 - 1, value=run, description="run",
                                    style=_DESCRIPTION, layout=_ROW)
        names = list(protocol_names())
        self.protocol = widgets.Dropdown(options=names, value=protocol, description="protocol",
                                   style=_DESCRIPTION, layout=_ROW)
        self.zoom = widgets.FloatRangeSlider(min=0.0, max=float(scenario.horizon),
                                       value=(0.0, float(scenario.horizon)),
                                       step=float(scenario.horizon) / 1000.0,
                                       description="time window", readout_format=".4g",
                                       continuous_update=False, style=_DESCRIPTION,
                                       layout=widgets.Layout(width="36em"))
        self.run_button = widgets.Button(description="Show run", button_style="primary",
                                   icon="play", tooltip="replay the run on the reference engine")
        self.metrics_html = widgets.HTML()
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.figure: Figure | None = None
        self.trace: pd.DataFrame | None = None
        self.events: pd.DataFrame | None = None
        self.metrics: dict[str, Any] | None = None
        self._scenario: Scenario | None = None
        self.results = results
        self.row: widgets.BoundedIntText | None = None
        extra: list[widgets.Widget] = []
        if results is not None:
            if not isinstance(results, pd.DataFrame) or results.empty:
                raise ValueError("results must be a non-empty per-run DataFrame")
            missing = [c for c in ("run", "seed") if c not in results.columns]
            if missing:
                raise ValueError(f"results lacks column(s) {missing}")
            self.row = widgets.BoundedIntText(min=0, max=len(results) - 1, value=0,
                                        description="result row", style=_DESCRIPTION,
                                        layout=_ROW)
            self.row_info = widgets.HTML()
            self._loading = False
            self.row.observe(lambda _change: self.load_row(), names="value")
            for w in (self.seed, self.run, self.protocol, *self.controls.values()):
                w.observe(self._off_row, names="value")
            extra = [widgets.HBox([self.row, self.row_info])]
            self.load_row()
        self.run_button.on_click(self._on_run)
        self.zoom.observe(lambda _change: self._redraw(), names="value")
        pick = widgets.VBox([*extra, self.seed, self.run, self.protocol, self.run_button])
        scen = widgets.Accordion(children=[_controls_box(self.controls)], selected_index=None)
        scen.set_title(0, "scenario")
        self.widget = widgets.VBox([widgets.HBox([pick, self.metrics_html]), scen, self.zoom,
                                    self.output, self.status])

    def load_row(self) -> None:
        """Copy the selected result row into the controls (scenario, seed, run, protocol)."""
        if self.results is None or self.row is None:
            return
        row = self.results.iloc[int(self.row.value)]
        self._loading = True
        try:
            for name in FIELDS:
                if name in row.index and not pd.isna(row[name]):
                    info = FIELDS[name]
                    v = row[name]
                    v = int(v) if info.kind == "int" else float(v) if info.kind == "float" \
                        else str(v)
                    _set_control(self.controls[name], v)
            if int(row["seed"]) < 0:
                raise ValueError("this row comes from a replayed trace (seed -1); replay its "
                                 "trace with mdcd_lab.run_events(..., trace=...) instead")
            self.seed.value = str(int(row["seed"]))
            self.run.value = int(row["run"])
            if "protocol" in row.index and str(row["protocol"]) in self.protocol.options:
                self.protocol.value = str(row["protocol"])
        except Exception as exc:
            self._fail(exc)
            return
        finally:
            self._loading = False
        outcome = f", {row['outcome']}" if "outcome" in row.index else ""
        self.row_info.value = (f"<small>seed {int(row['seed'])}, run {int(row['run'])}"
                               f"{html.escape(outcome)}</small>")

    def _off_row(self, _change: Any = None) -> None:
        """A control changed by hand: the controls no longer show the selected row."""
        if self._loading:
            return
        self.row_info.value = (f"<small>the controls changed: no longer row "
                               f"{int(self.row.value)} (pick a row to load it again)</small>")

    def scenario(self) -> Scenario:
        """The scenario of the controls."""
        return scenario_from_controls(self.controls)

    def _on_run(self, _button: Any = None) -> None:
        from ..api import run_events

        self.last_error = None
        try:
            sc = self.scenario()
            trace, events, metrics = run_events(sc, seed_value(self.seed), int(self.run.value),
                                                self.protocol.value)
        except Exception as exc:
            self._fail(exc)
            return
        self.trace, self.events, self.metrics, self._scenario = trace, events, metrics, sc
        self.metrics_html.value = _metrics_html(metrics)
        t_end = float(metrics["t_end"]) if math.isfinite(float(metrics["t_end"])) \
            else sc.horizon
        t_end = max(t_end, 1e-9)
        window = default_window(events, t_end, self.max_messages)
        self._drawn_window = None
        with self.zoom.hold_trait_notifications():
            self.zoom.max = max(t_end, self.zoom.min + 1e-9)
            self.zoom.step = t_end / 1000.0
            self.zoom.value = window
        shown = ("the whole run" if window[0] <= 0.0 else
                 f"t = {window[0]:.4g} .. {window[1]:.4g} (the last {self.max_messages} "
                 f"messages at most); widen the time window to see more")
        self.status.value = (f"{html.escape(str(metrics['outcome']))} at t = {t_end:.4g}; "
                             f"{int(metrics['n_events'])} events (n_events), "
                             f"{int(metrics['ckpt_total'])} checkpoints. Showing {shown}.")
        self._redraw()

    def _redraw(self) -> None:
        if self.events is None:
            return
        from ..plots import plot_spacetime

        lo, hi = self.zoom.value
        if self._drawn_window == (lo, hi) and self.figure is not None:
            return
        self._drawn_window = (lo, hi)
        full = lo <= self.zoom.min and hi >= self.zoom.max
        try:
            fig = plot_spacetime(self.trace, self.events, self._scenario,
                                 t_range=None if full or hi <= lo else (lo, hi),
                                 width=self.width)
        except Exception as exc:
            self._fail(exc)
            return
        self.figure = fig
        _png_output(self.output, fig)


def run_explorer(scenario: Scenario | None = None, **kwargs: Any) -> RunExplorer:
    """An explorer of single runs: space-time diagram and metrics.

    Parameters
    ----------
    scenario : Scenario, optional
        Initial scenario.
    **kwargs
        ``seed`` (2026), ``run`` (0), ``protocol`` ("mdcd"), ``width``
        ("double", the diagram's width), ``max_messages`` (40, messages in
        the default time window), and ``results``: a per-run table
        (from [`mdcd_lab.simulate`][mdcd_lab.api.simulate] or a sweep) whose rows can be picked
        with the ``row`` control; a row sets the scenario fields it has,
        the seed, the run and the protocol.

    Returns
    -------
    RunExplorer
        Display it in a notebook; drive it through ``.controls``, ``.seed``,
        ``.run``, ``.protocol``, ``.row``, ``.zoom``, ``.run_button``; read
        ``.figure``, ``.metrics``, ``.metrics_html``, ``.output``.

    Examples
    --------
    >>> df = mdcd_lab.simulate(sc, 1000, 7)                           # doctest: +SKIP
    >>> run_explorer(sc, results=df[df.outcome == "recovered"])       # doctest: +SKIP
    """
    return RunExplorer(scenario, **kwargs)
