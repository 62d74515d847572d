"""The duration explorer: cost sliders re-plot a duration study without simulating.

[`duration_explorer`][mdcd_lab.widgets.duration_explorer] takes a
[`DurationStudy`][mdcd_lab.performability.DurationStudy] (its per-run table is kept) and shows one
slider per [`Costs`][mdcd_lab.performability.Costs] field, the worth / ``Y`` figure
(``plot_duration``) and the optimal phi per protocol.  Moving a slider re-summarizes the stored runs
([`DurationStudy.with_costs`][mdcd_lab.performability.DurationStudy.with_costs], milliseconds) and
redraws; nothing is simulated again.  docs/performability.md.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from ..performability.duration import DurationStudy
from ..performability.worth import COST_FIELDS, Costs
from .common import _Explorer, _png_output

__all__ = ["DurationExplorer", "duration_explorer"]

#: Slider ranges (max, step) per cost field.
#: The unit of each cost slider, shown beside it (docs/performability.md;
#: [`Costs`][mdcd_lab.performability.Costs]).
_UNITS = {"checkpoint": "time units per checkpoint", "logged": "time units per logged message",
          "at": "time units per acceptance test",
          "shadow_rate": "service lost per time unit of guarded operation",
          "delta": "service rate after recovery (0 to 1)",
          "failure_penalty": "time units per failed mission"}
_RANGES = {"checkpoint": (0.2, 0.005), "logged": (0.02, 0.0005), "at": (0.1, 0.002),
           "shadow_rate": (0.3, 0.005), "delta": (1.0, 0.05), "failure_penalty": (500.0, 10.0)}


class DurationExplorer(_Explorer):
    """Widgets of [`duration_explorer`][mdcd_lab.widgets.duration_explorer]; display the object to
    show them.

    Attributes
    ----------
    study : DurationStudy
        The study under the current slider costs (its ``table`` and ``optimum``).
    sliders : dict
        One ``FloatSlider`` per [`Costs`][mdcd_lab.performability.Costs] field.
    output : ipywidgets.Output
        The figure (PNG).
    optimum : ipywidgets.HTML
        Per protocol: the grid's best phi, the set not below the best, the smooth
        optimum with its interval, the worth of the same runs and of fresh runs.
    n_draws : int
        Figures drawn so far.
    """

    def __init__(self, study: DurationStudy) -> None:
        if not isinstance(study, DurationStudy):
            raise ValueError(f"study must be a DurationStudy (mdcd_lab.duration_study), got "
                             f"{type(study).__name__}")
        self.study = study
        self.n_draws = 0
        self.sliders = {}
        for name in COST_FIELDS:
            hi, step = _RANGES[name]
            value = getattr(study.costs, name)
            self.sliders[name] = widgets.FloatSlider(
                value=value, min=0.0, max=max(hi, value), step=step, description=name,
                continuous_update=False, readout_format=".4g", tooltip=_UNITS[name],
                style={"description_width": "8em"})
            self.sliders[name].observe(self._on_change, names="value")
        rows = [widgets.HBox([s, widgets.HTML(f"<small>{_UNITS[n]}</small>")])
                for n, s in self.sliders.items()]
        self.output = widgets.Output()
        self.optimum = widgets.HTML()
        self.status = widgets.HTML()
        self.widget = widgets.VBox([
            widgets.HTML(f"<b>Mission worth against phi</b>: {len(study.runs):,} stored runs, "
                         f"mission {study.mission:g}; the sliders re-summarize them"),
            widgets.HBox([widgets.VBox(rows), self.optimum]),
            self.status, self.output])
        self.redraw()

    def costs(self) -> Costs:
        """The costs the sliders show."""
        return Costs(**{name: s.value for name, s in self.sliders.items()})

    def _on_change(self, change: dict[str, Any]) -> None:
        try:
            self.study = self.study.with_costs(self.costs())
        except ValueError as exc:
            self._fail(exc)
            return
        self.redraw()

    def redraw(self) -> None:
        """Draw the current study's figure and optimum table."""
        from ..plots.duration import plot_duration
        try:
            fig = plot_duration(self.study.table, self.study.optimum)
        except ValueError as exc:
            self._fail(exc)
            return
        _png_output(self.output, fig)
        self.n_draws += 1
        self.last_error = None
        self.status.value = ""
        rows = "".join(
            f"<tr><td>{html.escape(str(o.protocol))}</td><td>{o.phi_opt:g}</td>"
            f"<td>{o.set_low:g} .. {o.set_high:g}</td>"
            f"<td>{o.phi_smooth:.4g} [{o.phi_smooth_low:.4g}, {o.phi_smooth_high:.4g}]</td>"
            f"<td>{o.worth_opt:.5g}</td><td>{_fresh(o)}</td></tr>"
            for o in self.study.optimum.itertuples())
        self.optimum.value = ("<table><tr><th>protocol</th><th>best phi</th>"
                              f"<th>not below the best ({self.study.level:.0%})</th>"
                              "<th>smooth optimum</th><th>E[W] (same runs)</th>"
                              "<th>E[W], fresh runs</th></tr>"
                              f"{rows}</table>")


def _fresh(o: Any) -> str:
    """The fresh runs' worth, or why there is none under these costs."""
    if o.worth_fresh == o.worth_fresh:
        return f"{o.worth_fresh:.5g} [{o.worth_fresh_low:.5g}, {o.worth_fresh_high:.5g}]"
    if o.fresh_runs:
        return f"runs at phi {o.fresh_phi:g} only"
    return "none"


def duration_explorer(study: DurationStudy) -> DurationExplorer:
    """Cost sliders over a duration study's stored runs (no re-simulation)."""
    return DurationExplorer(study)
