"""Notebook explorers (ipywidgets) generated from the Scenario field metadata.

- [`sweep_explorer`][mdcd_lab.widgets.sweep_explorer]: choose a swept field and its range, a metric,
  the protocols and the runs per point; *Run* calls
  [`mdcd_lab.studies.sweep`][mdcd_lab.studies.sweep.sweep] and shows the metric with its confidence
  bands; *Export* writes the per-run table as CSV with its provenance sidecar
  ([`mdcd_lab.io.to_csv`][mdcd_lab.io.to_csv]).
- [`run_explorer`][mdcd_lab.widgets.run_explorer]: a scenario, a seed and a run index (or a row of a
  result table) -> the run's space-time diagram and its metrics.

The scenario controls are built from [`mdcd_lab.scenario.FIELDS`][mdcd_lab.scenario.FIELDS] (kind,
range, unit, help, ``widget_max``), so a field added there appears here without
editing this module.  Sliders use ``continuous_update=False``; costly work only
runs when a button is pressed.  Both explorers expose their child widgets as
attributes (``.controls[field]``, ``.run_button``, ``.output``, ``.figure``
...), so they can be driven from code and tested without a browser; figures
are rendered to PNG into the ``Output`` widget, which needs no running kernel.

This module gathers the explorers; each lives in its own module:
``mdcd_lab.widgets.sweep``, ``mdcd_lab.widgets.run`` (and
``mdcd_lab.widgets.duration``, the duration explorer), with what they share
(the scenario controls, the seed box, PNG output) in
``mdcd_lab.widgets.common``.
"""

from .common import (
    field_widget,
    scenario_controls,
    scenario_from_controls,
    seed_value,
    seed_widget,
)
from .duration import DurationExplorer, duration_explorer
from .run import RunExplorer, default_window, run_explorer
from .sweep import SweepExplorer, sweep_explorer, sweep_metric_options

__all__ = ["field_widget", "scenario_controls", "scenario_from_controls", "SweepExplorer",
           "RunExplorer", "sweep_explorer", "run_explorer", "sweep_metric_options",
           "seed_widget", "seed_value", "default_window", "DurationExplorer", "duration_explorer"]
