"""mdcd_lab.widgets, driven without a browser: set values, click, check outputs and files."""

import base64
import importlib
import math
import re
import types

import ipywidgets as widgets
import matplotlib
import pandas as pd
import pytest

import mdcd_lab as m
from mdcd_lab import widgets as mw
from mdcd_lab.io import load_results, read_provenance
from mdcd_lab.scenario import FIELDS, FieldInfo

matplotlib.use("Agg")

BASE = m.Scenario(horizon=30.0, fault_rate=0.03)


def _png(output):
    (item,) = output.outputs
    data = base64.b64decode(item["data"]["image/png"])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def _stand_in_sweep(calls):
    """A stand-in for studies.sweep with the same contract (used before it existed)."""
    def sweep(base, grid, runs, seed, protocols=("mdcd",), engine="numba", progress=True):
        calls.append(dict(base=base, grid=grid, runs=runs, seed=seed, protocols=protocols,
                          engine=engine, progress=progress))
        (field, values), = grid.items()
        parts = []
        for i, v in enumerate(values):
            sc = base.replace(**{field: v})
            for proto in protocols:
                df = m.simulate(sc, runs, seed + i, proto)
                for k, val in sc.to_dict().items():
                    df[k] = val
                df["point"], df["protocol"] = i, proto
                parts.append(df)
        return pd.concat(parts, ignore_index=True)
    return sweep


# --------------------------------------------------------------------------- controls
def test_controls_are_generated_from_field_metadata():
    controls = mw.scenario_controls(BASE)
    assert list(controls) == list(FIELDS)
    for name, w in controls.items():
        info = FIELDS[name]
        assert w.value == getattr(BASE, name)
        assert w.description == name and info.help in w.tooltip
        if info.kind == "choice":
            assert isinstance(w, widgets.Dropdown) and list(w.options) == list(info.choices)
            continue
        assert w.continuous_update is False
        assert w.max == max(min(info.hi, info.widget_max), getattr(BASE, name))
        assert w.min >= info.lo and (w.min > info.lo or not info.lo_open)
        expected = widgets.FloatSlider if info.kind == "float" else (
            widgets.IntSlider, widgets.BoundedIntText)
        assert isinstance(w, expected)
    assert mw.scenario_from_controls(controls) == BASE


def test_a_new_field_gets_a_control_without_code_changes(monkeypatch):
    monkeypatch.setitem(FIELDS, "zz_knob", FieldInfo("float", 0.0, math.inf, False, "widgets",
                                                    "a knob added later", (), 8.0))
    w = mw.field_widget("zz_knob", 2.5)
    assert isinstance(w, widgets.FloatSlider)
    assert (w.min, w.max, w.value) == (0.0, 8.0, 2.5) and "a knob added later" in w.tooltip
    monkeypatch.setitem(FIELDS, "zz_mode", FieldInfo("choice", choices=("a", "b")))
    assert list(mw.field_widget("zz_mode", "b").options) == ["a", "b"]


def test_bad_control_values_raise_naming_the_field():
    controls = mw.scenario_controls(BASE)
    controls["n_low"].value = 1          # a lone cluster member is valid with any rates
    assert mw.scenario_from_controls(controls).n_low == 1
    controls["horizon"] = widgets.FloatText(value=0.0)   # a control outside the range
    with pytest.raises(ValueError, match="horizon"):
        mw.scenario_from_controls(controls)


# --------------------------------------------------------------------------- sweep explorer
def test_sweep_explorer_run_plot_and_replot(monkeypatch):
    studies = importlib.import_module("mdcd_lab.studies")
    calls = []
    monkeypatch.setattr(studies, "sweep", _stand_in_sweep(calls))
    ex = mw.sweep_explorer(BASE, runs=12, engine="reference")
    assert ex.figure is None and ex.output.outputs == ()
    ex.field.value = "latency"
    assert (ex.start.value, ex.stop.value) == (0.0, FIELDS["latency"].widget_max)
    ex.stop.value, ex.points.value = 1.0, 3
    ex.protocols.value = ("mdcd", "mdcd-paper")
    ex.metric.value = "ckpt_total"
    ex.run_button.click()
    assert ex.last_error is None, ex.status.value
    assert len(calls) == 1
    assert calls[0]["grid"] == {"latency": [0.0, 0.5, 1.0]} and calls[0]["runs"] == 12
    assert calls[0]["protocols"] == ("mdcd", "mdcd-paper") and calls[0]["progress"] is False
    ax = ex.figure.axes[0]
    assert ax.get_xlabel() == "mean L of the exponential channel delay (time units)"
    assert ax.get_ylabel() == "checkpoints per run"
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "mean"]) == 2
    first = _png(ex.output)
    # another metric re-plots from the stored result, without simulating again
    ex.metric.value = "p_failed"
    assert len(calls) == 1
    assert ex.figure.axes[0].get_ylabel() == "P(failed)"
    assert _png(ex.output) != first


def test_sweep_explorer_reports_errors_without_running(monkeypatch):
    studies = importlib.import_module("mdcd_lab.studies")
    calls = []
    monkeypatch.setattr(studies, "sweep", _stand_in_sweep(calls))
    ex = mw.sweep_explorer(BASE, runs=5, engine="reference")
    ex.protocols.value = ()
    ex.run_button.click()
    assert calls == [] and isinstance(ex.last_error, ValueError)
    assert "protocol" in ex.status.value
    ex.protocols.value = ("mdcd",)
    ex.controls["horizon"] = widgets.FloatText(value=0.0)
    ex.run_button.click()
    assert calls == [] and "horizon" in ex.status.value
    ex.export_button.click()                   # nothing to export yet
    assert "run a sweep first" in ex.status.value


def test_sweep_explorer_integer_and_choice_fields():
    ex = mw.sweep_explorer(BASE)
    ex.field.value = "n_act"
    ex.start.value, ex.stop.value, ex.points.value = 1, 4, 7
    assert ex.values() == [1, 2, 3, 4]          # rounded, no duplicates
    ex.field.value = "fault_scope"
    assert ex.values() == ["cluster", "process"] and ex.start.disabled


def test_sweep_explorer_with_the_real_sweep_and_export(tmp_path):
    pytest.importorskip("mdcd_lab.studies")
    ex = mw.sweep_explorer(BASE, runs=15, engine="reference", seed=7,
                           protocols=("mdcd", "mdcd-paper"))
    ex.field.value = "at_coverage"
    ex.start.value, ex.stop.value, ex.points.value = 0.6, 1.0, 3
    ex.metric.value = "p_recovered"
    ex.run_button.click()
    assert ex.last_error is None, ex.status.value
    df = ex.result
    assert len(df) == 3 * 2 * 15 and sorted(df.at_coverage.unique()) == [0.6, 0.8, 1.0]
    ax = ex.figure.axes[0]
    assert ax.get_ylabel() == "P(recovered)"
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "mean"]) == 2
    _png(ex.output)
    path = tmp_path / "study.csv"
    ex.export_path.value = str(path)
    ex.export_button.click()
    assert ex.last_error is None, ex.status.value
    assert path.exists() and (tmp_path / "study.csv.meta.json").exists()
    back = load_results(path)
    assert len(back) == len(df) and list(back.columns) == list(df.columns)
    meta = read_provenance(path)
    assert meta["explorer"] == "mdcd_lab.widgets.sweep_explorer"
    assert meta["seed"] == 7 and meta["protocols"] == ["mdcd", "mdcd-paper"]
    ex.export_path.value = str(tmp_path / "study.txt")      # bad suffix: reported
    ex.export_button.click()
    assert isinstance(ex.last_error, ValueError) and ".csv" in ex.status.value


def test_sweep_explorer_displays_as_a_widget():
    ex = mw.sweep_explorer(BASE)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert ex.widget.model_id == bundle["application/vnd.jupyter.widget-view+json"]["model_id"]


# --------------------------------------------------------------------------- run explorer
def test_run_explorer_draws_the_run_and_its_metrics():
    sc = m.Scenario(fault_rate=0.05, horizon=30, latency=0.3)
    ex = mw.run_explorer(sc, seed=1, run=0)
    ex.run_button.click()
    assert ex.last_error is None, ex.status.value
    _, events, metrics = m.run_events(sc, 1, 0)
    # the default window shows at most max_messages messages and ends at t_end
    lo, hi = ex.zoom.value
    assert hi == pytest.approx(metrics["t_end"])
    shown = [p for p in ex.figure.axes[0].patches if p.get_gid() == "message"]
    assert 0 < len(shown) <= 40
    # the whole run: one arrow per message that arrived (delivered, or dropped on
    # arrival by a recovered process under executed recovery)
    ex.zoom.value = (ex.zoom.min, ex.zoom.max)
    ax = ex.figure.axes[0]
    arrows = [p for p in ax.patches if p.get_gid() == "message"]
    arrived = int(events.event.isin(("deliver", "discard")).sum())
    assert (events.event == "discard").any()
    assert len(arrows) == arrived > len(shown)
    assert [ln for ln in ax.get_lines() if ln.get_gid() == "recovery_line"]
    assert "ckpt_total" in ex.metrics_html.value and "recovered" in ex.metrics_html.value
    assert ex.metrics == metrics
    _png(ex.output)
    # zooming re-draws from the stored log
    ex.zoom.value = (2.0, 2.7)
    lo, hi = ex.figure.axes[0].get_xlim()
    assert 1.9 < lo < 2.0 and 2.7 < hi < 2.8


def test_run_explorer_reports_a_bad_scenario():
    ex = mw.run_explorer(BASE)
    ex.controls["horizon"] = widgets.FloatText(value=-1.0)   # outside the field's range
    ex.run_button.click()
    assert isinstance(ex.last_error, ValueError) and "horizon" in ex.status.value
    assert ex.figure is None


def test_run_explorer_picks_a_row_of_a_result_table():
    base = m.Scenario(horizon=20.0, fault_rate=0.04)
    parts = []
    for i, n_act in enumerate([2, 4]):       # a sweep-like table with Scenario columns
        sc = base.replace(n_act=n_act)
        df = m.simulate(sc, 4, 50 + i, "mdcd-paper")
        for k, v in sc.to_dict().items():
            df[k] = v
        df["protocol"] = "mdcd-paper"
        parts.append(df)
    results = pd.concat(parts, ignore_index=True)
    ex = mw.run_explorer(base, results=results)
    ex.row.value = 6
    row = results.iloc[6]
    assert ex.controls["n_act"].value == 4 and ex.seed.value == str(int(row.seed))
    assert ex.run.value == int(row.run) and ex.protocol.value == "mdcd-paper"
    ex.run_button.click()
    assert ex.last_error is None, ex.status.value
    for name in ("outcome", "ckpt_total", "log_entries_peak", "n_at"):   # same run, same numbers
        assert ex.metrics[name] == row[name]
    names = [t.get_text() for t in ex.figure.axes[0].get_yticklabels()]
    assert names.count("act3") == 1 and "act4" not in names


def test_a_typed_value_beyond_a_slider_is_taken_not_clamped():
    """Issue 24 item 10: fault_rate=0.2 typed into the run explorer was clamped to 0.05."""
    ex = mw.run_explorer(BASE)
    slider = ex.controls["fault_rate"]
    assert slider.max < 0.2 and slider.readout is False     # no readout that clamps
    slider.entry.value = 0.2                                  # typed into the box beside it
    assert slider.value == 0.2 and slider.max >= 0.2
    assert ex.scenario().fault_rate == 0.2
    slider.value = 0.01                                       # the slider moves the box
    assert slider.entry.value == 0.01
    box = ex.widget.children[1].children[0]                   # the scenario accordion's rows
    assert any(slider.entry in row.children for col in box.children for row in col.children)


def test_the_row_status_says_when_the_controls_left_the_row():
    base = m.Scenario(horizon=10.0, fault_rate=0.04)
    results = m.simulate(base, 3, 5, "mdcd")
    ex = mw.run_explorer(base, results=results)
    ex.row.value = 2
    assert ex.row_info.value.startswith("<small>seed 5, run 2")
    ex.run.value = 0                                          # by hand: no longer row 2
    assert "no longer row 2" in ex.row_info.value and "run 2" not in ex.row_info.value
    ex.row.value = 1
    assert ex.row_info.value.startswith("<small>seed 5, run 1")
    ex.controls["latency"].value = 0.2
    assert "no longer row 1" in ex.row_info.value


def test_the_metrics_table_names_its_units():
    from mdcd_lab.widgets.run import _metrics_html
    _, _, metrics = m.run_events(m.Scenario(horizon=10.0), 1, 0)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", _metrics_html(metrics))
    units = dict(zip(cells[0::3], cells[2::3], strict=True))
    assert units["t_end"] == "time units" and units["n_events"] == "trace rows"
    assert "time" not in units.values() and "rows" not in units.values()


def test_run_explorer_rejects_rows_of_replayed_traces():
    results = pd.DataFrame({"run": [0], "seed": [-1]})
    ex = mw.run_explorer(BASE, results=results)
    assert isinstance(ex.last_error, ValueError) and "replayed" in ex.status.value


def test_lazy_sweep_import_uses_a_module_installed_later(monkeypatch):
    """The callback imports mdcd_lab.studies when pressed, so a replacement is picked up."""
    calls = []
    fake = types.ModuleType("mdcd_lab.studies")
    fake.sweep = _stand_in_sweep(calls)
    monkeypatch.setitem(__import__("sys").modules, "mdcd_lab.studies", fake)
    ex = mw.sweep_explorer(BASE, runs=3, engine="reference", protocols=("mdcd",))
    ex.points.value = 2
    ex.run_button.click()
    assert len(calls) == 1 and ex.figure is not None


# --------------------------------------------------------------------------- seeds, status, window
BIG_SEED = 119020656076467254          # > 2**53: a float (a JavaScript number) rounds it


def test_a_seed_above_2_53_round_trips_exactly_through_the_run_explorer():
    assert BIG_SEED > 2**53 and int(float(BIG_SEED)) != BIG_SEED
    sc = m.Scenario(horizon=10.0, fault_rate=0.05)
    ex = mw.run_explorer(sc, seed=BIG_SEED, run=3)
    assert isinstance(ex.seed, widgets.Text)           # a string in the browser, every digit
    assert ex.seed.value == "119020656076467254"
    assert mw.seed_value(ex.seed) == BIG_SEED
    ex.run_button.click()
    assert ex.last_error is None, ex.status.value
    assert ex.metrics == m.run_events(sc, BIG_SEED, 3)[2]
    assert ex.metrics != m.run_events(sc, int(float(BIG_SEED)), 3)[2]
    # a result row with such a seed is copied into the box digit for digit
    df = m.simulate(sc, 2, BIG_SEED, "mdcd")
    ex2 = mw.run_explorer(sc, results=df)
    ex2.row.value = 1
    assert ex2.seed.value == str(BIG_SEED) and mw.seed_value(ex2.seed) == BIG_SEED


def test_sweep_explorer_seed_is_exact_too(monkeypatch):
    studies = importlib.import_module("mdcd_lab.studies")
    calls = []
    monkeypatch.setattr(studies, "sweep", _stand_in_sweep(calls))
    ex = mw.sweep_explorer(BASE, runs=2, engine="reference", protocols=("mdcd",))
    assert isinstance(ex.seed, widgets.Text)
    ex.seed.value = str(BIG_SEED)
    ex.points.value = 2
    ex.run_button.click()
    assert calls and calls[0]["seed"] == BIG_SEED


@pytest.mark.parametrize("text,needle", [("12.5", "non-negative integer"),
                                         ("-3", "non-negative integer"),
                                         ("abc", "non-negative integer"),
                                         (str(2**63), "at most 2**63 - 1")])
def test_bad_seeds_are_reported_before_any_work(text, needle):
    ex = mw.run_explorer(BASE)
    ex.seed.value = text
    ex.run_button.click()
    assert isinstance(ex.last_error, ValueError) and needle in ex.status.value
    assert ex.figure is None


def test_status_line_and_metrics_table_agree_on_the_number_of_events():
    import re
    sc = m.Scenario(fault_rate=0.02)                   # a busy default-size run
    ex = mw.run_explorer(sc, seed=2026, run=0)
    ex.run_button.click()
    assert ex.last_error is None, ex.status.value
    n_events = int(ex.metrics["n_events"])
    assert len(ex.events) != n_events                  # the log has more records than events
    said = [int(v) for v in re.findall(r"(\d+) events", ex.status.value)]
    assert said == [n_events]
    assert re.search(rf"n_events</td><td[^>]*>{n_events}</td>", ex.metrics_html.value)


def test_default_diagram_shows_the_end_of_the_run_with_few_messages():
    sc = m.Scenario(fault_rate=0.0)                     # runs to t = 100: hundreds of messages
    ex = mw.run_explorer(sc, seed=2026, run=1, max_messages=30)
    ex.run_button.click()
    assert ex.last_error is None, ex.status.value
    t_end = float(ex.metrics["t_end"])
    lo, hi = ex.zoom.value
    assert hi == pytest.approx(t_end) and 0.0 < lo < t_end
    delivered = ex.events[(ex.events.event == "deliver") & (ex.events.t <= t_end)]
    assert len(delivered) > 100
    assert 0 < int((delivered.t >= lo).sum()) <= 30
    ax = ex.figure.axes[0]
    xlo, xhi = ax.get_xlim()
    assert xlo > 0.0 and xlo == pytest.approx(lo, abs=0.05 * (t_end - lo))
    arrows = [p for p in ax.patches if p.get_gid() == "message"]
    assert 0 < len(arrows) <= 40                        # the window's, not the horizon's mass
    # widening the window to the whole run shows everything
    ex.zoom.value = (0.0, ex.zoom.max)
    whole = [p for p in ex.figure.axes[0].patches if p.get_gid() == "message"]
    assert len(whole) > 100


def test_default_window_is_the_whole_run_when_it_is_short():
    import pandas as pd
    events = pd.DataFrame({"t": [1.0, 2.0, 3.0], "event": ["deliver"] * 3})
    assert mw.default_window(events, 5.0, max_messages=3) == (0.0, 5.0)
    lo, hi = mw.default_window(events, 5.0, max_messages=2)
    assert (lo, hi) == (1.5, 5.0)


def test_default_window_keeps_simultaneous_deliveries_together_and_counts_drops():
    # a message to low_i and its copy to sdw_i arrive at one time: both in or both out,
    # so the window never holds more than max_messages arrivals; a dropped message
    # (executed recovery's "discard") is drawn and counted like a delivery
    import pandas as pd
    events = pd.DataFrame({"t": [1.0, 2.0, 2.0, 3.0, 4.0],
                           "event": ["deliver", "deliver", "deliver", "discard", "send"]})
    assert mw.default_window(events, 5.0, max_messages=3) == (1.5, 5.0)
    assert mw.default_window(events, 5.0, max_messages=2) == (2.5, 5.0)
