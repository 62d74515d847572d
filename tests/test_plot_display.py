"""What a user sees: figures display as PNG in IPython, log axes label their end points,
bar charts show zeros and explain their hatching with neutral swatches."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from mdcd_lab.plots import plot_distribution, plot_outcomes, plot_sweep, style  # noqa: E402
from mdcd_lab.plots.bars import plot_bars  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _sweep_table(xs, field="horizon", protocols=("mdcd", "mdcd-paper"), runs=30):
    rng = np.random.default_rng(1)
    rows = []
    for x in xs:
        for p in protocols:
            for r in range(runs):
                rows.append({field: x, "protocol": p, "run": r,
                             "outcome": rng.choice(["failed", "recovered", "completed"]),
                             "ckpt_total": int(rng.integers(0, 20))})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- display
def test_plot_figures_have_a_png_repr_with_their_size():
    fig = plot_sweep(_sweep_table([25.0, 50.0, 100.0]), "horizon", "ckpt_total")
    assert isinstance(fig, style.LabFigure)
    data, meta = fig._repr_png_()
    assert data[:8] == PNG
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert meta == {"width": width, "height": height}          # shown pixel for pixel
    assert width == pytest.approx(fig.get_figwidth() * style.NOTEBOOK_DPI, abs=1)


def test_ipython_formats_a_figure_as_image_png_once():
    """The display path of a notebook cell: IPython's formatter, with pyplot never imported."""
    pytest.importorskip("IPython")
    from IPython.core.formatters import DisplayFormatter

    fig = plot_distribution(pd.DataFrame({"protocol": ["mdcd"] * 5,
                                          "log_entries_peak": [1, 2, 3, 4, 5]}),
                            "log_entries_peak")
    data, meta = DisplayFormatter().format(fig)
    assert data["image/png"][:8] == PNG
    assert meta["image/png"]["width"] == round(fig.get_figwidth() * style.NOTEBOOK_DPI)
    assert "text/html" not in data          # one picture, nothing rendered twice


def test_figures_are_not_registered_with_pyplot():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    plot_sweep(_sweep_table([1.0, 2.0], field="latency"), "latency", "ckpt_total")
    assert plt.get_fignums() == before


# --------------------------------------------------------------------------- log axes
def _tick_labels(ax):
    fig = ax.figure
    fig.canvas.draw()
    lo, hi = ax.get_xlim()
    return [t.get_text() for t in ax.get_xticklabels()
            if t.get_text() and lo <= t.get_position()[0] <= hi]


def test_log_x_labels_the_first_and_last_points():
    df = _sweep_table([25.0, 50.0, 100.0, 200.0, 400.0])
    fig = plot_outcomes(df, "horizon", outcomes=("failed", "recovered"), logx=True)
    labels = _tick_labels(fig.axes[-1])
    assert labels == ["25", "50", "100", "200", "400"]
    fig = plot_sweep(_sweep_table([0.05, 0.1, 0.2, 0.4, 0.8, 1.6], field="rate_ext_act"),
                     "rate_ext_act", "ckpt_total", logx=True)
    assert _tick_labels(fig.axes[0])[0] == "0.05" and _tick_labels(fig.axes[0])[-1] == "1.6"


def test_log_axis_with_many_points_keeps_the_end_values():
    xs = np.geomspace(3.0, 700.0, 20)
    fig = plot_sweep(_sweep_table(list(xs), field="horizon", runs=3), "horizon", "ckpt_total",
                     logx=True)
    labels = _tick_labels(fig.axes[0])
    assert labels[0] == f"{xs[0]:g}" and labels[-1] == f"{xs[-1]:g}"
    assert len(labels) < 20


# --------------------------------------------------------------------------- bars
def _summary():
    rows = []
    for p, scope, v in [("mdcd", "cluster", 0.0), ("mdcd", "process", 0.1),
                        ("mdcd-paper", "cluster", 0.4), ("mdcd-paper", "process", 0.6)]:
        rows.append({"protocol": p, "fault_scope": scope, "metric": "p_violation", "mean": v,
                     "ci_low": max(0.0, v - 0.05), "ci_high": v + 0.05})
    return pd.DataFrame(rows)


def test_bars_take_protocol_colours_and_zeros_are_visible():
    fig = plot_bars(_summary(), ["p_violation"], hue="fault_scope",
                    hue_order=["cluster", "process"])
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_gid() == "bar"]
    assert len(bars) == 4
    colours = {to_hex(b.get_facecolor()[:3]) for b in bars}
    assert colours == {style.protocol_color("mdcd").lower(),
                       style.protocol_color("mdcd-paper").lower()}
    zeros = [ln for ln in ax.get_lines() if ln.get_gid() == "zero_bar"]
    assert len(zeros) == 1                                 # mdcd, cluster scope
    (x0, x1), (y0, y1) = zeros[0].get_xdata(), zeros[0].get_ydata()
    assert y0 == y1 == 0.0 and x0 < 0 < x1 + 0.3
    assert to_hex(zeros[0].get_color()) == style.protocol_color("mdcd").lower()
    assert zeros[0].get_linewidth() >= 2


def test_bar_legend_explains_the_hue_without_a_protocol_colour():
    fig = plot_bars(_summary(), ["p_violation"], hue="fault_scope",
                    hue_order=["cluster", "process"],
                    hue_labels={"cluster": "fault scope: cluster"})
    (leg,) = fig.legends
    assert [t.get_text() for t in leg.get_texts()] == ["fault scope: cluster", "process"]
    protocol_colours = {to_hex(c).lower() for c in
                        (style.protocol_color(p) for p in style.PROTOCOL_STYLES)}
    patches = leg.get_patches()
    for patch in patches:
        assert to_hex(patch.get_facecolor()[:3]) not in protocol_colours
    assert patches[0].get_hatch() in (None, "") and patches[1].get_hatch()


def test_bars_reject_missing_metrics():
    with pytest.raises(ValueError, match="not in the summary"):
        plot_bars(_summary(), ["ckpt_total"])


def test_bars_draw_into_given_axes():
    from matplotlib.figure import Figure
    fig = Figure(layout="constrained")
    a, b = fig.subplots(1, 2)
    s = pd.concat([_summary(), _summary().assign(metric="p_failed")])
    out = plot_bars(s, ["p_violation", "p_failed"], hue="fault_scope", ax=[a, b])
    assert out is fig and a.get_ylabel() == "P(oracle violation)"
    assert len([p for p in b.patches if p.get_gid() == "bar"]) == 4
    assert a.get_legend() is not None and not fig.legends
    with pytest.raises(ValueError, match="one axes per panel"):
        plot_bars(s, ["p_violation", "p_failed"], ax=a)
