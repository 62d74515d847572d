"""What every notebook explorer shares: scenario controls, the seed box, PNG output.

The scenario controls are built from [`mdcd_lab.scenario.FIELDS`][mdcd_lab.scenario.FIELDS] (kind,
range, unit, help, ``widget_max``), so a field added there appears in every
explorer without editing this module ([`field_widget`][mdcd_lab.widgets.field_widget],
[`scenario_controls`][mdcd_lab.widgets.scenario_controls],
[`scenario_from_controls`][mdcd_lab.widgets.scenario_from_controls]).  Seeds go through a text box
([`seed_widget`][mdcd_lab.widgets.seed_widget], [`seed_value`][mdcd_lab.widgets.seed_value]), exact
for any integer up to 2**63 - 1.  The explorer base class ``_Explorer`` (status line, notebook
display) and ``_png_output`` (a figure as a PNG in an ``Output`` widget, which needs no running
kernel) serve ``mdcd_lab.widgets.sweep``, ``mdcd_lab.widgets.run`` and
``mdcd_lab.widgets.duration``.  The explorers are listed in [`mdcd_lab.widgets`][mdcd_lab.widgets].
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..scenario import FIELDS, FieldInfo, Scenario

__all__ = ["field_widget", "scenario_controls", "scenario_from_controls", "seed_widget",
           "seed_value"]

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
    """The control of one Scenario field, from its [`FIELDS`][mdcd_lab.scenario.FIELDS] entry.

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
    slider = widgets.FloatSlider(min=lo, max=hi, value=float(value), step=step,
                                 readout=False, continuous_update=False, **common)
    _attach_entry(slider)
    return slider


def _attach_entry(slider: widgets.FloatSlider) -> widgets.FloatText:
    """A text box beside a float slider, in place of its readout, that takes any value.

    A slider's own readout clamps a typed value to the slider's range without a
    word (``fault_rate=0.2`` became 0.05); the box passes it on, widening the
    slider (``_set_control``), and the scenario's validation then accepts it
    or names the problem.  The box is ``slider.entry``.
    """
    entry = widgets.FloatText(value=slider.value, continuous_update=False,
                              tooltip=f"type any value of {slider.description}",
                              layout=widgets.Layout(width="7em"))

    def typed(change: dict[str, Any]) -> None:
        if change["new"] != slider.value:
            _set_control(slider, float(change["new"]))

    def moved(change: dict[str, Any]) -> None:
        if change["new"] != entry.value:
            entry.value = change["new"]

    entry.observe(typed, names="value")
    slider.observe(moved, names="value")
    slider.entry = entry
    return entry


def scenario_controls(base: Scenario | None = None) -> dict[str, widgets.ValueWidget]:
    """One control per Scenario field (in [`FIELDS`][mdcd_lab.scenario.FIELDS] order), set to
    ``base``."""
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
        entry = [w.entry] if hasattr(w, "entry") else []
        rows.append(widgets.HBox([w, *entry,
                                  widgets.HTML(f"<small>{html.escape(unit)}</small>")]))
    half = (len(rows) + 1) // 2
    return widgets.HBox([widgets.VBox(rows[:half]), widgets.VBox(rows[half:])])


def seed_widget(value: int, description: str = "seed") -> widgets.Text:
    """A text box for a study seed: exact for any integer up to 2**63 - 1.

    A numeric widget would hold the seed as a JavaScript number in the browser
    (a double: integers above 2**53 are rounded, so the box would show, and send
    back, another seed); a text box keeps every digit.  Read it with
    [`seed_value`][mdcd_lab.widgets.seed_value].
    """
    return widgets.Text(value=str(int(value)), description=description,
                        tooltip="integer seed, 0 .. 2**63 - 1 (run r uses "
                                "SeedSequence(seed, spawn_key=(r,)))",
                        continuous_update=False, style=_DESCRIPTION, layout=_ROW)


def seed_value(widget: widgets.Text) -> int:
    """The seed in a [`seed_widget`][mdcd_lab.widgets.seed_widget]; ``ValueError`` naming the
    problem if it is not one."""
    text = str(widget.value).strip().replace("_", "")
    if not text.isdigit():
        raise ValueError(f"seed must be a non-negative integer, got {widget.value!r}")
    seed = int(text)
    if seed > _SEED_MAX:
        raise ValueError(f"seed must be at most 2**63 - 1 = {_SEED_MAX}, got {seed}")
    return seed


def _png_output(output: widgets.Output, fig: Figure) -> None:
    """Show a figure in an Output widget as a PNG (works without a kernel)."""
    from ..plots.figure import figure_png

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
