"""Notebook explorers (ipywidgets) generated from the Scenario field metadata.

- :func:`sweep_explorer`: choose a swept field and its range, a metric, the
  protocols and the runs per point; *Run* calls :func:`mdcd_lab.studies.sweep`
  and shows the metric with its confidence bands; *Export* writes the per-run
  table as CSV with its provenance sidecar (:func:`mdcd_lab.io.to_csv`).
- :func:`run_explorer`: a scenario, a seed and a run index (or a row of a
  result table) -> the run's space-time diagram and its metrics.

The scenario controls are built from :data:`mdcd_lab.scenario.FIELDS` (kind,
range, unit, help, ``widget_max``), so a field added there appears here without
editing this module.  Sliders use ``continuous_update=False``; costly work only
runs when a button is pressed.  Both explorers expose their child widgets as
attributes (``.controls[field]``, ``.run_button``, ``.output``, ``.figure``
...), so they can be driven from code and tested without a browser; figures
are rendered to PNG into the ``Output`` widget, which needs no running kernel.
"""

from __future__ import annotations

import base64
import html
import importlib
import math
import time
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .metrics import METRICS
from .protocols import protocol_names
from .scenario import FIELDS, FieldInfo, Scenario

__all__ = ["field_widget", "scenario_controls", "scenario_from_controls", "SweepExplorer",
           "RunExplorer", "sweep_explorer", "run_explorer", "sweep_metric_options",
           "seed_widget", "seed_value", "default_window"]

_INT_SLIDER_SPAN = 1000     # wider integer ranges get a text box instead of a slider
_SEED_MAX = 2**63 - 1
_DESCRIPTION = {"description_width": "9em"}
_ROW = widgets.Layout(width="24em")


# --------------------------------------------------------------------------- controls
def _nice_step(span: float) -> float:
    if not span > 0 or not math.isfinite(span):
        return 0.01
    return 10.0 ** math.floor(math.log10(span / 200.0))


def _float_bounds(info: FieldInfo, value: float) -> tuple[float, float, float]:
    hi = info.hi if math.isfinite(info.hi) else info.widget_max
    hi = min(hi, info.widget_max)
    step = _nice_step(hi - info.lo)
    lo = info.lo + step if info.lo_open else info.lo
    return lo, max(hi, float(value)), step


def _int_bounds(info: FieldInfo, value: int) -> tuple[int, int]:
    lo = math.ceil(info.lo)
    if info.lo_open and lo == info.lo:
        lo += 1
    hi = info.hi if math.isfinite(info.hi) else info.widget_max
    hi = int(min(hi, info.widget_max))
    return int(lo), max(hi, int(value))


def field_widget(name: str, value: Any = None) -> widgets.ValueWidget:
    """The control of one Scenario field, from its :data:`~mdcd_lab.scenario.FIELDS` entry.

    Parameters
    ----------
    name : str
        A Scenario field.
    value : optional
        Initial value (default: the Scenario default).

    Returns
    -------
    ipywidgets widget
        ``IntSlider`` (or ``BoundedIntText`` for wide integer ranges),
        ``FloatSlider`` or ``Dropdown``; range from ``lo``/``hi`` capped at
        ``widget_max`` (extended to hold ``value``), ``continuous_update=False``,
        the help text and unit as tooltip.
    """
    info = FIELDS[name]
    if value is None:
        value = getattr(Scenario(), name)
    tip = f"{info.help} [{info.unit}]" if info.unit else info.help
    common = dict(description=name, tooltip=tip, style=_DESCRIPTION, layout=_ROW)
    if info.kind == "choice":
        return widgets.Dropdown(options=list(info.choices), value=value, **common)
    if info.kind == "int":
        lo, hi = _int_bounds(info, int(value))
        if hi - lo <= _INT_SLIDER_SPAN:
            return widgets.IntSlider(min=lo, max=hi, value=int(value), step=1,
                               continuous_update=False, **common)
        return widgets.BoundedIntText(min=lo, max=hi, value=int(value), continuous_update=False,
                                **common)
    lo, hi, step = _float_bounds(info, float(value))
    return widgets.FloatSlider(min=lo, max=hi, value=float(value), step=step,
                         readout_format=".4g", continuous_update=False, **common)


def scenario_controls(base: Scenario | None = None) -> dict[str, widgets.ValueWidget]:
    """One control per Scenario field (in :data:`FIELDS` order), set to ``base``."""
    base = Scenario() if base is None else base
    return {name: field_widget(name, getattr(base, name)) for name in FIELDS}


def scenario_from_controls(controls: dict[str, widgets.ValueWidget]) -> Scenario:
    """The Scenario the controls describe (validated: ``ValueError`` names a bad field)."""
    values = {}
    for name, info in FIELDS.items():
        v = controls[name].value
        values[name] = int(v) if info.kind == "int" else float(v) if info.kind == "float" \
            else v
    return Scenario(**values)


def _set_control(widget: widgets.ValueWidget, value: Any) -> None:
    """Set a control, widening a numeric range if the value lies outside it."""
    if isinstance(widget, widgets.Dropdown):
        widget.value = value
        return
    if hasattr(widget, "max") and value > widget.max:
        widget.max = value
    if hasattr(widget, "min") and value < widget.min:
        widget.min = value
    widget.value = value


def _controls_box(controls: dict[str, widgets.ValueWidget]) -> widgets.Widget:
    rows = []
    for name, w in controls.items():
        unit = FIELDS[name].unit
        rows.append(widgets.HBox([w, widgets.HTML(f"<small>{html.escape(unit)}</small>")]))
    half = (len(rows) + 1) // 2
    return widgets.HBox([widgets.VBox(rows[:half]), widgets.VBox(rows[half:])])


def sweep_metric_options() -> list[tuple[str, str]]:
    """``(label, metric)`` pairs offered by the sweep explorer: probabilities first."""
    from .plots.style import metric_label

    probs = ["p_failed", "p_recovered", "p_completed", "p_violation"]
    numeric = [m.name for m in METRICS if m.name not in ("run", "seed", "outcome")]
    return [(metric_label(m), m) for m in [*probs, *numeric]]


def seed_widget(value: int, description: str = "seed") -> widgets.Text:
    """A text box for a study seed: exact for any integer up to 2**63 - 1.

    A numeric widget would hold the seed as a JavaScript number in the browser
    (a double: integers above 2**53 are rounded, so the box would show, and send
    back, another seed); a text box keeps every digit.  Read it with
    :func:`seed_value`.
    """
    return widgets.Text(value=str(int(value)), description=description,
                        tooltip="integer seed, 0 .. 2**63 - 1 (run r uses "
                                "SeedSequence(seed, spawn_key=(r,)))",
                        continuous_update=False, style=_DESCRIPTION, layout=_ROW)


def seed_value(widget: widgets.Text) -> int:
    """The seed in a :func:`seed_widget`; ``ValueError`` naming the problem if it is not one."""
    text = str(widget.value).strip().replace("_", "")
    if not text.isdigit():
        raise ValueError(f"seed must be a non-negative integer, got {widget.value!r}")
    seed = int(text)
    if seed > _SEED_MAX:
        raise ValueError(f"seed must be at most 2**63 - 1 = {_SEED_MAX}, got {seed}")
    return seed


def _png_output(output: widgets.Output, fig: Figure) -> None:
    """Show a figure in an Output widget as a PNG (works without a kernel)."""
    from .plots.style import figure_png

    png, size = figure_png(fig)
    data = base64.b64encode(png).decode("ascii")
    output.outputs = ({"output_type": "display_data",
                       "data": {"image/png": data, "text/plain": repr(fig)},
                       "metadata": {"image/png": {"width": size["width"]}}},)


def _error_html(exc: BaseException) -> str:
    return (f"<span style='color:#D55E00'><b>{type(exc).__name__}</b>: "
            f"{html.escape(str(exc))}</span>")


class _Explorer:
    """Shared bits: the top-level widget and notebook display."""

    widget: widgets.Widget
    status: widgets.HTML
    last_error: BaseException | None = None

    def _fail(self, exc: BaseException) -> None:
        self.last_error = exc
        self.status.value = _error_html(exc)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


# --------------------------------------------------------------------------- sweep
class SweepExplorer(_Explorer):
    """Widgets of :func:`sweep_explorer`; display the object to show them.

    Attributes
    ----------
    controls : dict
        Base-scenario control per Scenario field.
    field, start, stop, points : widgets
        The swept field and its range (``points`` values from ``start`` to
        ``stop``; integer fields are rounded; a choice field sweeps all its
        choices).
    metric, protocols, runs, seed, engine : widgets
        What to plot and how to simulate.
    run_button, export_button, export_path : widgets
        Run the sweep; write the result as CSV (+ sidecar) to the path.
    status : HTML
        Progress and error messages.
    output : Output
        The figure.
    figure : Figure or None
        The last figure drawn.
    result : DataFrame or None
        The last sweep's per-run table.
    widget : Widget
        The whole explorer.
    """

    def __init__(self, base: Scenario | None = None, *, field: str = "at_coverage",
                 metric: str = "p_failed", protocols: Sequence[str] = ("mdcd", "mdcd-paper"),
                 runs: int = 100, seed: int = 2026, engine: str = "numba",
                 level: float = 0.95, points: int = 5) -> None:
        from .api import ENGINES

        base = Scenario() if base is None else base
        self.level = level
        self.controls = scenario_controls(base)
        sweepable = list(FIELDS)
        if field not in sweepable:
            raise ValueError(f"unknown Scenario field {field!r}; fields: {', '.join(FIELDS)}")
        self.field = widgets.Dropdown(options=sweepable, value=field, description="swept field",
                                style=_DESCRIPTION, layout=_ROW)
        self.start = widgets.FloatText(description="from", style=_DESCRIPTION, layout=_ROW)
        self.stop = widgets.FloatText(description="to", style=_DESCRIPTION, layout=_ROW)
        self.points = widgets.IntSlider(min=2, max=25, value=points, description="points",
                                  continuous_update=False, style=_DESCRIPTION, layout=_ROW)
        options = sweep_metric_options()
        if metric not in [m for _, m in options]:
            raise ValueError(f"unknown metric {metric!r}")
        self.metric = widgets.Dropdown(options=options, value=metric, description="metric",
                                 style=_DESCRIPTION, layout=_ROW)
        available = list(protocol_names())
        self.protocols = widgets.SelectMultiple(options=available,
                                          value=[p for p in protocols if p in available],
                                          description="protocols", rows=min(6, len(available)),
                                          style=_DESCRIPTION, layout=_ROW)
        self.runs = widgets.BoundedIntText(min=1, max=1_000_000, value=runs,
                                     description="runs per point", style=_DESCRIPTION,
                                     layout=_ROW)
        self.seed = seed_widget(seed)
        self.engine = widgets.Dropdown(options=list(ENGINES), value=engine, description="engine",
                                 style=_DESCRIPTION, layout=_ROW)
        self.run_button = widgets.Button(description="Run sweep", button_style="primary",
                                   icon="play", tooltip="simulate every point (may take time)")
        self.export_path = widgets.Text(value="sweep.csv", description="CSV path",
                                  style=_DESCRIPTION, layout=_ROW)
        self.export_button = widgets.Button(description="Export CSV", icon="save",
                                      tooltip="write the last sweep's per-run table and its "
                                              ".meta.json sidecar")
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.figure: Figure | None = None
        self.result: pd.DataFrame | None = None
        self._swept: str | None = None
        self._on_field()
        self.field.observe(lambda _change: self._on_field(), names="value")
        self.metric.observe(lambda _change: self._redraw(), names="value")
        self.run_button.on_click(self._on_run)
        self.export_button.on_click(self._on_export)
        study = widgets.VBox([self.field, self.start, self.stop, self.points, self.metric,
                        self.protocols, self.runs, self.seed, self.engine,
                        widgets.HBox([self.run_button]),
                        widgets.HBox([self.export_path, self.export_button])])
        base_box = widgets.Accordion(children=[_controls_box(self.controls)], selected_index=None)
        base_box.set_title(0, "base scenario")
        self.widget = widgets.VBox([widgets.HBox([study, self.output]), base_box, self.status])

    # -- callbacks -----------------------------------------------------------------
    def _on_field(self) -> None:
        info = FIELDS[self.field.value]
        choice = info.kind == "choice"
        for w in (self.start, self.stop, self.points):
            w.disabled = choice
        if choice:
            return
        if info.kind == "int":
            lo, hi = _int_bounds(info, int(self.controls[self.field.value].value))
        else:
            lo, hi, _ = _float_bounds(info, float(self.controls[self.field.value].value))
        self.start.value, self.stop.value = float(lo), float(hi)

    def values(self) -> list[Any]:
        """The values of the swept field the next run will use."""
        info = FIELDS[self.field.value]
        if info.kind == "choice":
            return list(info.choices)
        a, b = float(self.start.value), float(self.stop.value)
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError("the range of the swept field must be finite")
        grid = np.linspace(a, b, int(self.points.value))
        if info.kind == "int":
            return sorted({int(round(v)) for v in grid})
        return [float(v) for v in dict.fromkeys(np.round(grid, 12))]

    def scenario(self) -> Scenario:
        """The base scenario of the controls."""
        return scenario_from_controls(self.controls)

    def _on_run(self, _button: Any = None) -> None:
        self.last_error = None
        try:
            base = self.scenario()
            protocols = tuple(self.protocols.value)
            if not protocols:
                raise ValueError("choose at least one protocol")
            grid = {self.field.value: self.values()}
            studies = importlib.import_module("mdcd_lab.studies")
            n = len(grid[self.field.value])
            self.status.value = (f"running {n} points \u00d7 {len(protocols)} protocol(s) "
                                 f"\u00d7 {self.runs.value} runs \u2026")
            t0 = time.perf_counter()
            df = studies.sweep(base, grid, runs=int(self.runs.value), seed=seed_value(self.seed),
                               protocols=protocols, engine=self.engine.value, progress=False)
        except Exception as exc:   # shown to the user, kept for inspection
            self._fail(exc)
            return
        self.result = df
        self._swept = self.field.value
        self._grid, self._base, self._protocols = grid, base, protocols
        self.status.value = (f"{len(df)} runs in {time.perf_counter() - t0:.1f} s; change the "
                             f"metric to re-plot without re-running")
        self._redraw()

    def _redraw(self) -> None:
        if self.result is None or self._swept is None:
            return
        from .plots import plot_sweep

        try:
            fig = plot_sweep(self.result, self._swept, self.metric.value, by="protocol",
                             level=self.level)
        except Exception as exc:
            self._fail(exc)
            return
        self.figure = fig
        _png_output(self.output, fig)

    def _on_export(self, _button: Any = None) -> None:
        from .io import to_csv

        self.last_error = None
        if self.result is None:
            self._fail(ValueError("nothing to export yet: run a sweep first"))
            return
        provenance = dict(self.result.attrs.get("provenance") or {})
        if not provenance:
            provenance = {"base": self._base.to_dict(), "grid": self._grid,
                          "protocols": list(self._protocols), "runs": int(self.runs.value),
                          "seed": seed_value(self.seed), "engine": self.engine.value}
        provenance.setdefault("explorer", "mdcd_lab.widgets.sweep_explorer")
        try:
            path = to_csv(self.result, self.export_path.value.strip(), provenance=provenance)
        except Exception as exc:
            self._fail(exc)
            return
        self.status.value = f"wrote {html.escape(str(path))} and its .meta.json sidecar"


def sweep_explorer(base: Scenario | None = None, **kwargs: Any) -> SweepExplorer:
    """An explorer of one-parameter sweeps.

    Parameters
    ----------
    base : Scenario, optional
        Initial base scenario (every field stays editable).
    **kwargs
        Initial values: ``field`` ("at_coverage"), ``metric`` ("p_failed"),
        ``protocols`` (("mdcd", "mdcd-paper")), ``runs`` (100), ``seed``
        (2026), ``engine`` ("numba"), ``level`` (0.95, the CI level),
        ``points`` (5).

    Returns
    -------
    SweepExplorer
        Display it in a notebook; drive it from code through its attributes
        (``.field``, ``.start``, ``.stop``, ``.points``, ``.metric``,
        ``.protocols``, ``.runs``, ``.run_button``, ``.export_path``,
        ``.export_button``, ``.output``, ``.figure``, ``.result``).

    Examples
    --------
    >>> ex = sweep_explorer(field="latency", runs=200)   # doctest: +SKIP
    >>> ex                                               # doctest: +SKIP
    """
    return SweepExplorer(base, **kwargs)


# --------------------------------------------------------------------------- one run
def _metrics_html(metrics: dict[str, Any]) -> str:
    units = {m.name: m.unit for m in METRICS}
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
        The event log of :func:`mdcd_lab.run_events` (its ``deliver`` rows count).
    t_end : float
        End of the run.
    max_messages : int
        Largest number of delivered messages in the window.

    Returns
    -------
    (float, float)
    """
    t_end = float(t_end)
    deliver = events.loc[events["event"] == "deliver", "t"].to_numpy(dtype=float)
    deliver = np.sort(deliver[deliver <= t_end])
    if deliver.size <= max_messages:
        return 0.0, t_end
    first = float(deliver[-max_messages])
    before = float(deliver[-max_messages - 1])
    start = (first + before) / 2.0          # halfway to the previous delivery
    return max(0.0, start), t_end


class RunExplorer(_Explorer):
    """Widgets of :func:`run_explorer`; display the object to show them.

    Attributes
    ----------
    controls : dict
        Scenario control per field.
    seed, run, protocol : widgets
        Which run to replay (run ``r`` of seed ``s`` is the same in every
        engine and study).  ``seed`` is a text box (:func:`seed_widget`), exact
        for seeds above 2**53.
    row : BoundedIntText or None
        Row (position) of the ``results`` table; changing it copies the row's
        scenario fields, seed, run and protocol into the controls.
    zoom : FloatRangeSlider
        Time window of the diagram (re-drawn without re-simulating).  A new run
        opens on :func:`default_window`: the end of the run with at most
        ``max_messages`` messages; widen it to the whole run at will.
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
            self.row.observe(lambda _change: self.load_row(), names="value")
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
        outcome = f", {row['outcome']}" if "outcome" in row.index else ""
        self.row_info.value = (f"<small>seed {int(row['seed'])}, run {int(row['run'])}"
                               f"{html.escape(outcome)}</small>")

    def scenario(self) -> Scenario:
        """The scenario of the controls."""
        return scenario_from_controls(self.controls)

    def _on_run(self, _button: Any = None) -> None:
        from .api import run_events

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
        from .plots import plot_spacetime

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
        (from :func:`mdcd_lab.simulate` or a sweep) whose rows can be picked
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
