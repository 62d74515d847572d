"""The sweep explorer: a one-parameter sweep run, plotted and exported from a notebook.

[`sweep_explorer`][mdcd_lab.widgets.sweep_explorer] lets one choose a swept field and its range, a
metric, the protocols and the runs per point; *Run* calls
[`mdcd_lab.studies.sweep`][mdcd_lab.studies.sweep.sweep] and shows the metric with its confidence
bands ([`mdcd_lab.plots.plot_sweep`][mdcd_lab.plots.plot_sweep]); changing the metric re-plots
without re-running; *Export* writes the per-run table as CSV with its provenance sidecar
([`mdcd_lab.io.to_csv`][mdcd_lab.io.to_csv]).  The controls come from ``mdcd_lab.widgets.common``;
see [`mdcd_lab.widgets`][mdcd_lab.widgets].
"""

from __future__ import annotations

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

from ..metrics import METRICS
from ..protocols import DEFAULT_PAIR, protocol_names
from ..scenario import FIELDS, Scenario
from .common import (
    _DESCRIPTION,
    _ROW,
    _controls_box,
    _Explorer,
    _float_bounds,
    _int_bounds,
    _png_output,
    scenario_controls,
    scenario_from_controls,
    seed_value,
    seed_widget,
)

__all__ = ["SweepExplorer", "sweep_explorer", "sweep_metric_options"]


def sweep_metric_options() -> list[tuple[str, str]]:
    """``(label, metric)`` pairs offered by the sweep explorer: probabilities first."""
    from ..plots.labels import metric_label

    probs = ["p_failed", "p_recovered", "p_completed", "p_violation"]
    numeric = [m.name for m in METRICS if m.name not in ("run", "seed", "outcome")]
    return [(metric_label(m), m) for m in [*probs, *numeric]]


# --------------------------------------------------------------------------- sweep
class SweepExplorer(_Explorer):
    """Widgets of [`sweep_explorer`][mdcd_lab.widgets.sweep_explorer]; display the object to show
    them.

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
                 metric: str = "p_failed", protocols: Sequence[str] = DEFAULT_PAIR,
                 runs: int = 100, seed: int = 2026, engine: str = "numba",
                 level: float = 0.95, points: int = 5) -> None:
        from ..api import ENGINES

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
        from ..plots import plot_sweep

        try:
            fig = plot_sweep(self.result, self._swept, self.metric.value, by="protocol",
                             level=self.level)
        except Exception as exc:
            self._fail(exc)
            return
        self.figure = fig
        _png_output(self.output, fig)

    def _on_export(self, _button: Any = None) -> None:
        from ..io.results import to_csv

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
        ``protocols`` ([`DEFAULT_PAIR`][mdcd_lab.protocols.DEFAULT_PAIR]), ``runs`` (100), ``seed``
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
