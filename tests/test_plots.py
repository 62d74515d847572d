"""mdcd_lab.plots: figures carry the data they claim, with labels, units and legends
that never cover the data area."""

import io
import warnings
from pathlib import Path

import matplotlib
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

import mdcd_lab as m
from mdcd_lab.plots import labels as lab
from mdcd_lab.plots import (
    plot_distribution,
    plot_outcomes,
    plot_spacetime,
    plot_sweep,
    spacetime_data,
    style,
)
from mdcd_lab.stats.summary import summarize

# mdcd_lab.plots never imports pyplot, so the backend can be chosen here
matplotlib.use("Agg")

REF = Path(__file__).parent.parent / "data" / "counterexamples"


# --------------------------------------------------------------------------- fixtures
def _fake_sweep(values, protocols=("mdcd", "mdcd-paper"), runs=40, field="at_coverage",
                base=None):
    """A small per-run sweep table built with simulate (the shape of studies.sweep)."""
    base = base or m.Scenario(horizon=30.0, fault_rate=0.03)
    parts = []
    for i, v in enumerate(values):
        sc = base.replace(**{field: v})
        for proto in protocols:
            df = m.simulate(sc, runs, 100 + i, proto)
            for k, val in sc.to_dict().items():
                df[k] = val
            df["point"] = i
            df["protocol"] = proto
            parts.append(df)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def sweep_df():
    return _fake_sweep([0.5, 0.8, 1.0])


@pytest.fixture(scope="module")
def recovered_run():
    sc = m.Scenario(fault_rate=0.05, horizon=30, latency=0.3)
    trace, events, res = m.run_events(sc, 1, 0)
    assert res["outcome"] == "recovered"
    return sc, trace, events, res


def _renderer(fig):
    return fig._get_renderer()


def _legend_clear_of_axes(fig):
    """Every legend's box is disjoint from the data area of every axes."""
    fig.draw_without_rendering()
    r = _renderer(fig)
    legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None] + fig.legends
    assert legends, "no legend drawn"
    for leg in legends:
        lb = leg.get_window_extent(r)
        for a in fig.axes:
            ab = a.get_window_extent(r)
            assert not lb.overlaps(ab), f"legend {lb} overlaps axes {ab}"


def _texts_inside_figure(fig, tol=0.01):
    """Nothing drawn (ticks, labels, legend, title) is cut by the figure border."""
    fig.draw_without_rendering()
    tight = fig.get_tightbbox(_renderer(fig))     # inches, drawn artists only
    w, h = fig.get_size_inches()
    assert tight.x0 >= -tol and tight.y0 >= -tol, tight
    assert tight.x1 <= w + tol and tight.y1 <= h + tol, (tight, w, h)


def _gid(ax, gid, kind="lines"):
    items = ax.get_lines() if kind == "lines" else ax.patches
    return [a for a in items if a.get_gid() == gid]


# --------------------------------------------------------------------------- style
def test_protocol_colours_are_fixed_and_distinct():
    names = ["mdcd", "mdcd-paper", "mdcd-unclustered", "every-receive", "coordinated", "static"]
    colours = [style.protocol_color(n) for n in names]
    assert len(set(colours)) == len(names)
    assert set(colours) <= set(style.OKABE_ITO.values())
    assert style.protocol_color("mdcd") == style.OKABE_ITO["blue"]
    # unknown names: deterministic (a hash, not the order of appearance)
    assert style.protocol_style("my-variant") == style.protocol_style("my-variant")
    assert style.protocol_style("my-variant")["color"].startswith("#")


def test_style_context_restores_rcparams_and_apply_style_sets_them():
    before = mpl.rcParams["font.size"]
    with style.style_context():
        assert mpl.rcParams["font.size"] == style.RC_PARAMS["font.size"]
    assert mpl.rcParams["font.size"] == before
    with mpl.rc_context():
        style.apply_style()
        assert mpl.rcParams["legend.fontsize"] == style.RC_PARAMS["legend.fontsize"]


def test_figure_sizes_are_column_widths():
    assert style.figsize("single")[0] == pytest.approx(3.5)
    assert style.figsize("double")[0] == pytest.approx(7.16)
    with pytest.raises(ValueError, match="width"):
        style.figsize("triple")
    fig, ax = style.new_figure("single")
    assert isinstance(fig, Figure) and fig.get_figwidth() == pytest.approx(3.5)


def test_labels_are_readable_and_carry_units():
    assert lab.field_label("latency") == "mean L of the exponential channel delay (time units)"
    assert lab.field_label("at_coverage") == "AT coverage"
    assert lab.field_label("rate_low_act") == "G_low \u2192 G_act message rate (1/time unit)"
    assert lab.metric_label("ckpt_total") == "checkpoints per run"
    assert lab.metric_label("rollback_dist_max") == "largest rollback distance (time units)"
    assert lab.metric_label("log_bytes_peak") == "peak log memory (bytes)"
    assert lab.metric_label("p_failed") == "P(failed)"
    assert lab.metric_label("not_a_metric") == "not_a_metric"


def test_every_metric_and_field_has_a_human_label():
    from mdcd_lab.metrics import METRIC_LABELS, METRICS
    from mdcd_lab.scenario import FIELDS
    assert {metric.name for metric in METRICS} <= set(METRIC_LABELS)
    assert set(FIELDS) <= set(lab.FIELD_LABELS)
    labels = [lab.metric_label(metric.name) for metric in METRICS]
    assert len(set(labels)) == len(labels)     # explorers offer them by label
    for metric in METRICS:                     # no raw column name on an axis
        if metric.name not in ("run", "seed", "outcome"):
            assert lab.metric_label(metric.name) != metric.name


# --------------------------------------------------------------------------- sweeps
def test_plot_sweep_lines_bands_labels(sweep_df):
    fig = plot_sweep(sweep_df, "at_coverage", "ckpt_total")
    ax = fig.axes[0]
    means = _gid(ax, "mean")
    assert len(means) == 2                       # one line per protocol
    assert {ln.get_color() for ln in means} == {style.protocol_color("mdcd"),
                                                style.protocol_color("mdcd-paper")}
    s = summarize(sweep_df, by=["at_coverage", "protocol"], metrics="ckpt_total")
    for ln, proto in zip(means, ["mdcd", "mdcd-paper"], strict=True):
        part = s[s.protocol == proto].sort_values("at_coverage")
        np.testing.assert_allclose(ln.get_xdata(), part.at_coverage)
        np.testing.assert_allclose(ln.get_ydata(), part["mean"])
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    assert ax.get_xlabel() == "AT coverage"
    assert ax.get_ylabel() == "checkpoints per run"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["mdcd", "mdcd-paper", "95% CI (skew-corrected t)"]  # a count
    _legend_clear_of_axes(fig)
    _texts_inside_figure(fig)


def test_plot_sweep_probability_uses_exact_band(sweep_df):
    fig = plot_sweep(sweep_df, "at_coverage", "p_failed", level=0.9)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "P(failed)"
    # the legend names the method of the data's `method` column
    assert "90% CI (Clopper-Pearson)" in [t.get_text() for t in ax.get_legend().get_texts()]
    s = summarize(sweep_df, by=["at_coverage", "protocol"], metrics="p_failed", level=0.9)
    part = s[s.protocol == "mdcd"].sort_values("at_coverage")
    band = [c for c in ax.collections if isinstance(c, PolyCollection)][0]
    ys = band.get_paths()[0].vertices[:, 1]
    for lo, hi in zip(part.ci_low, part.ci_high, strict=True):   # the bounds are vertices
        assert np.isclose(ys, lo).any() and np.isclose(ys, hi).any()
    assert ax.get_ylim()[0] >= -0.02 and ax.get_ylim()[1] <= 1.02


def test_plot_sweep_colour_does_not_depend_on_other_protocols(sweep_df):
    only_paper = sweep_df[sweep_df.protocol == "mdcd-paper"]
    fig = plot_sweep(only_paper, "at_coverage", "ckpt_total")
    (ln,) = _gid(fig.axes[0], "mean")
    assert ln.get_color() == style.protocol_color("mdcd-paper")


def test_plot_sweep_into_given_axes_keeps_legend_outside(sweep_df):
    fig = Figure(figsize=(3.5, 3.2), layout="constrained")
    ax = fig.add_subplot()
    out = plot_sweep(sweep_df, "at_coverage", "n_at", ax=ax)
    assert out is fig and len(_gid(ax, "mean")) == 2
    _legend_clear_of_axes(fig)


def test_plot_sweep_refuses_to_pool_a_second_varying_field(sweep_df):
    other = sweep_df.copy()
    other["latency"] = 0.5
    both = pd.concat([sweep_df, other], ignore_index=True)
    with pytest.raises(ValueError, match="latency"):
        plot_sweep(both, "at_coverage", "ckpt_total")
    fig = plot_sweep(both[both.latency == 0.5], "at_coverage", "ckpt_total")
    assert len(_gid(fig.axes[0], "mean")) == 2


def test_plot_sweep_errors():
    df = _fake_sweep([0.9], runs=3, protocols=("mdcd",))
    with pytest.raises(ValueError, match="x column"):
        plot_sweep(df, "nope", "ckpt_total")
    with pytest.raises(ValueError):
        plot_sweep(df, "at_coverage", "not_a_metric")
    with pytest.raises(ValueError, match="empty"):
        plot_sweep(df.iloc[:0], "at_coverage", "ckpt_total")


def test_plot_sweep_categorical_x_uses_error_bars():
    df = _fake_sweep(["cluster", "process"], field="fault_scope", runs=15)
    fig = plot_sweep(df, "fault_scope", "p_failed")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cluster", "process"]
    means = _gid(ax, "mean")
    assert len(means) == 2 and all(ln.get_linestyle() == "None" for ln in means)
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]   # no bands


def test_plot_outcomes_panels(sweep_df):
    fig = plot_outcomes(sweep_df, "at_coverage")
    axes = fig.axes
    assert [a.get_ylabel() for a in axes] == ["P(failed)", "P(recovered)", "P(completed)"]
    assert axes[-1].get_xlabel() == "AT coverage"
    for a, outcome in zip(axes, ["failed", "recovered", "completed"], strict=True):
        lines = _gid(a, "mean")
        assert len(lines) == 2
        sub = sweep_df[sweep_df.protocol == "mdcd"]
        freq = (sub.outcome == outcome).groupby(sub.at_coverage).mean()
        np.testing.assert_allclose(lines[0].get_ydata(), freq.to_numpy())
    # the three probabilities of a point sum to one
    total = sum(_gid(a, "mean")[0].get_ydata() for a in axes)
    np.testing.assert_allclose(total, 1.0)
    _legend_clear_of_axes(fig)
    _texts_inside_figure(fig)
    with pytest.raises(ValueError, match="outcomes"):
        plot_outcomes(sweep_df, "at_coverage", outcomes=("exploded",))


# --------------------------------------------------------------------------- distributions
def test_ecdf_reaches_one_and_counts_missing(sweep_df):
    df = sweep_df[sweep_df.at_coverage == 0.8]
    fig = plot_distribution(df, "rollback_dist_max")
    ax = fig.axes[0]
    lines = _gid(ax, "ecdf")
    assert len(lines) == 2
    for ln in lines:
        y = np.asarray(ln.get_ydata())
        assert y[0] == 0.0 and y[-1] == pytest.approx(1.0)
        assert np.all(np.diff(y) >= 0)
    mdcd = df[df.protocol == "mdcd"].rollback_dist_max
    x = np.asarray(lines[0].get_xdata())
    assert x[-1] == pytest.approx(mdcd.max())
    label = ax.get_legend().get_texts()[0].get_text()
    n_ok = int(mdcd.notna().sum())
    expected = f"mdcd (n={n_ok}" + (f" of {len(mdcd)})" if n_ok < len(mdcd) else ")")
    assert label == expected
    assert ax.get_xlabel() == "largest rollback distance (time units)"
    _legend_clear_of_axes(fig)


def test_histogram_fractions_sum_to_one_with_integer_bins(sweep_df):
    df = sweep_df[sweep_df.at_coverage == 0.8]
    fig = plot_distribution(df, "rollback_procs", kind="hist")
    ax = fig.axes[0]
    polys = [p for p in ax.patches if p.get_gid() == "hist"]
    assert len(polys) == 2
    assert ax.get_ylabel() == "fraction of runs per bin"
    # recompute with the plot's rule: one bin per integer value, weights 1/n
    for proto in ("mdcd", "mdcd-paper"):
        v = df[df.protocol == proto].rollback_procs.to_numpy(float)
        lo, hi = df.rollback_procs.min(), df.rollback_procs.max()
        counts, _ = np.histogram(v, bins=np.arange(lo - 0.5, hi + 1.5))
        assert counts.sum() / len(v) == pytest.approx(1.0)
        top = polys[0 if proto == "mdcd" else 1].get_xy()[:, 1].max()
        assert top == pytest.approx((counts / len(v)).max())
    with pytest.raises(ValueError, match="kind"):
        plot_distribution(df, "ckpt_total", kind="violin")
    with pytest.raises(ValueError, match="not numeric"):
        plot_distribution(df, "outcome")


# --------------------------------------------------------------------------- space-time
def test_spacetime_one_arrow_per_delivery(recovered_run):
    sc, trace, events, res = recovered_run
    fig = plot_spacetime(trace, events, sc)
    ax = fig.axes[0]
    arrows = _gid(ax, "message", kind="patches")
    # a message a recovered process drops (executed recovery, D4) arrives too
    n_deliver = int(events.event.isin(["deliver", "discard"]).sum())
    assert n_deliver > 10 and len(arrows) == n_deliver
    assert all(isinstance(a, FancyArrowPatch) for a in arrows)
    # every arrow starts at a send and ends at its delivery (FIFO channel matching)
    d = spacetime_data(trace, events, sc)
    ends = sorted((round(a._posA_posB[1][0], 9)) for a in arrows)
    assert ends == sorted(round(t, 9) for t in events[events.event.isin(["deliver",
                                                                           "discard"])].t)
    # colour by piggybacked dirty bit, red halo iff erroneous
    delivered = d.messages[d.messages.delivered]
    n_dirty = int((delivered.dirty == 1).sum())
    orange = mpl.colors.to_rgba(style.OKABE_ITO["orange"])
    assert sum(1 for a in arrows if a.get_edgecolor() == orange) == n_dirty
    assert sum(1 for a in arrows if a.get_path_effects()) == int((delivered.err == 1).sum()) > 0
    # in-transit messages and the suppressed twins are drawn too
    assert len(_gid(ax, "in_transit")) == int((~d.messages.delivered).sum()) > 0
    assert len(_gid(ax, "twin")) == int((events.event == "log_sdr").sum())


def test_spacetime_layout_labels_and_legend(recovered_run):
    sc, trace, events, _ = recovered_run
    fig = plot_spacetime(trace, events, sc, width="single")
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["low0", "low1", "sdw0", "sdw1", "act0", "act1", "act2"]
    assert ax.get_xlabel() == "time (time units)"
    children = [ax, *ax.child_axes]           # secondary axes: groups right, times on top
    groups = [t.get_text() for a in children for t in a.get_yticklabels()
              if "G_" in t.get_text()]
    assert groups == [r"$G_\mathrm{low}$", r"$G_\mathrm{sdw}$", r"$G_\mathrm{act}$"]
    top = [t.get_text() for a in children for t in a.get_xticklabels() if t.get_text()
           in ("fault", "detection")]
    assert top == ["fault", "detection"]
    _legend_clear_of_axes(fig)
    _texts_inside_figure(fig)


def test_spacetime_recovery_line_and_rollbacks(recovered_run):
    sc, trace, events, res = recovered_run
    fig = plot_spacetime(trace, events, sc)
    ax = fig.axes[0]
    (line,) = _gid(ax, "recovery_line")
    rb = events[events.event == "rollback"]
    restore = dict(zip(rb["proc"], rb["t_restore"], strict=True))
    y = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks(), strict=True))
    pts = dict(zip(line.get_ydata(), line.get_xdata(), strict=True))
    assert len(pts) == sc.n_act + sc.n_low               # every G_act and G_sdw process
    # a process that does not roll back is drawn where it acted on the recovery: its
    # notice, or the release of the two-phase recovery (executed recovery)
    back = events[events.event.isin(["recovery", "notice", "release"])]
    acted = dict(zip(back["proc"], back["t"], strict=True))
    for p in [f"act{j}" for j in range(sc.n_act)] + [f"sdw{i}" for i in range(sc.n_low)]:
        assert pts[y[p]] == pytest.approx(restore.get(p, acted[p]), abs=1e-4)
    rings = _gid(ax, "restored")
    assert len(rings) == len(rb) == res["rollback_procs"]
    assert len(_gid(ax, "rollback", kind="patches")) == len(rb)
    (discarded,) = _gid(ax, "discarded")
    assert len(discarded.get_xdata()) == sc.n_low
    # the restored checkpoints are the ones the rings circle
    d = spacetime_data(trace, events, sc)
    ck = d.checkpoints[d.checkpoints.restored]
    assert sorted(ck.proc) == sorted(restore)


def test_spacetime_checkpoints_logs_and_markers_match_the_log(recovered_run):
    sc, trace, events, res = recovered_run
    fig = plot_spacetime(trace, events, sc)
    ax = fig.axes[0]
    n_ckpt = int(events.event.isin(["ckpt_s1", "ckpt_s2"]).sum())
    drawn = sum(len(ln.get_xdata()) for ln in ax.get_lines()
                if ln.get_gid() in ("ckpt_S1", "ckpt_S2", "ckpt_reclaimed"))
    assert drawn == n_ckpt == res["ckpt_total"]
    for event in ("fault", "at_pass", "at_fail"):
        (ln,) = _gid(ax, event)
        assert len(ln.get_xdata()) == int((events.event == event).sum())
    notif = _gid(ax, "notification")
    origins = events[events.event == "notify"].proc
    # a "passed AT" reaches G_act u G_sdw, minus the G_act process whose AT passed
    expected = sum(sc.n_act + sc.n_low - p.startswith("act") for p in origins)
    assert len(notif) == expected > 0
    assert [c for c in ax.collections if c.get_gid() == "log"]


def _peak(steps):
    times = np.unique(np.concatenate([t for t, _ in steps.values()]))
    return max(sum(v[np.searchsorted(t, x, side="right") - 1] for t, v in steps.values())
               for x in times)


@pytest.mark.parametrize("protocol", ["mdcd", "mdcd-paper"])
def test_spacetime_log_and_checkpoint_counts_agree_with_metrics(protocol):
    sc = m.Scenario(fault_rate=0.02, horizon=40, latency=0.2, compensation=0.3, shadow_lag=0.3)
    for run in range(6):
        trace, events, res = m.run_events(sc, 11, run, protocol)
        d = spacetime_data(trace, events, sc)
        assert _peak(d.logs) == res["log_entries_peak"]
        assert _peak(d.ckpts_held) == res["ckpt_array_peak"]
        assert int(d.messages.delivered.sum()) == int(
            events.event.isin(["deliver", "discard"]).sum())
        assert len(d.rollbacks) == res["rollback_procs"]
        assert d.outcome == res["outcome"] and d.t_end == pytest.approx(res["t_end"])


def test_spacetime_zoom(recovered_run):
    sc, trace, events, res = recovered_run
    full = plot_spacetime(trace, events, sc)
    zoom = plot_spacetime(trace, events, sc, t_range=(4.8, 5.45))
    ax = zoom.axes[0]
    lo, hi = ax.get_xlim()
    assert 4.79 < lo < 4.8 and 5.45 < hi < 5.46
    arrows = _gid(ax, "message", kind="patches")
    assert 0 < len(arrows) < len(_gid(full.axes[0], "message", kind="patches"))
    for a in arrows:                                     # only arrows in the window
        (x0, _), (x1, _) = a._posA_posB
        assert x1 >= 4.8 and x0 <= 5.45
    assert _gid(ax, "recovery_line")
    _legend_clear_of_axes(zoom)
    # a window before G_low stopped: no cross drawn (they are not clipped), and the
    # layout holds (a cross outside the window stretched it: "axes sizes collapsed")
    (stopped,) = _gid(full.axes[0], "discarded")
    t_stop = float(min(stopped.get_xdata()))
    early = plot_spacetime(trace, events, sc, t_range=(t_stop / 4, t_stop / 2))
    assert _gid(early.axes[0], "discarded") == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # constrained_layout's UserWarning fails here
        early.savefig(io.BytesIO(), format="png")
    assert early.axes[0].get_tightbbox().x1 <= early.bbox.x1
    with pytest.raises(ValueError, match="t_range"):
        plot_spacetime(trace, events, sc, t_range=(3.0, 1.0))


def test_spacetime_failed_and_completed_runs_have_no_recovery_line():
    sc = m.Scenario(fault_rate=0.02, horizon=60, latency=0.2, compensation=0.5,
                    at_coverage=0.8, shadow_lag=0.3)
    df = m.simulate(sc, 40, 5)
    for outcome in ("failed", "completed"):
        run = int(df[df.outcome == outcome].run.iloc[0])
        trace, events, res = m.run_events(sc, 5, run)
        fig = plot_spacetime(trace, events, sc, t_range=(0.0, 5.0))
        ax = fig.axes[0]
        assert not _gid(ax, "recovery_line") and not _gid(ax, "rollback", kind="patches")
        if outcome == "failed":
            full = plot_spacetime(trace, events, sc).axes[0]
            (f,) = _gid(full, "failure")
            assert f.get_xdata()[0] == pytest.approx(res["t_end"])


def test_spacetime_shows_unsafe_clean_of_the_literal_reading():
    """The S2-skip finding: act0 absorbs level 3 (erroneous) without a checkpoint;
    act1's passed AT at level 2 deletes act0's index-1 checkpoint and declares it
    clean.  The diagram shows the red band on a process line that is no longer
    dirty."""
    sc = m.Scenario(n_low=1, n_act=2, rate_low_low=0.0, rate_sdw_sdw=0.0, at_coverage=1.0,
                    horizon=30.0)
    trace = m.trace_from_rows([("send", 1.0, "low0", "act0"), ("send", 2.0, "low0", "act1"),
                               ("fault", 3.0, "low0"), ("send", 4.0, "low0", "act0"),
                               ("output", 5.0, "act1")])
    trace, events, res = m.run_events(sc, 0, 0, "mdcd-paper", trace=trace)
    assert res["unsafe_clean"] == 1
    d = spacetime_data(trace, events, sc)
    t_notify = float(events[events.event == "notify"].t.iloc[0])
    assert d.erroneous_from["act0"] < t_notify
    assert d.dirty["act0"] and d.dirty["act0"][-1][1] == pytest.approx(t_notify)
    fig = plot_spacetime(trace, events, sc)
    ax = fig.axes[0]
    y_act0 = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks(),
                      strict=True))["act0"]
    bands = [ln for ln in _gid(ax, "erroneous") if ln.get_ydata()[0] == y_act0]
    assert bands and bands[0].get_xdata()[1] == pytest.approx(sc.horizon)


def test_spacetime_without_scenario_and_trace_checks(recovered_run):
    sc, trace, events, _ = recovered_run
    d = spacetime_data(trace, events)            # names inferred from the log
    assert d.procs == ["low0", "low1", "sdw0", "sdw1", "act0", "act1", "act2"]
    d_none = spacetime_data(None, events, sc)    # no trace: in-transit times unknown
    assert d_none.messages.delivered.sum() == d.messages.delivered.sum()
    two = pd.concat([trace, trace.assign(run=1)], ignore_index=True)
    with pytest.raises(ValueError, match="run="):
        spacetime_data(two, events, sc)
    assert len(spacetime_data(two, events, sc, run=0).messages) == len(d.messages)
    with pytest.raises(ValueError, match="events lacks"):
        spacetime_data(trace, events.drop(columns="t_restore"), sc)


def test_spacetime_every_protocol_draws():
    sc = m.Scenario(fault_rate=0.03, horizon=20, latency=0.2, coord_period=2.0)
    for protocol in m.protocol_names():
        trace, events, res = m.run_events(sc, 3, 1, protocol)
        fig = plot_spacetime(trace, events, sc)
        assert len(_gid(fig.axes[0], "message", kind="patches")) == int(
            events.event.isin(["deliver", "discard"]).sum()), protocol


def test_saved_png_is_not_empty(tmp_path, recovered_run):
    sc, trace, events, _ = recovered_run
    path = tmp_path / "st.png"
    plot_spacetime(trace, events, sc, width="single").savefig(path, dpi=120)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_style_is_applied_to_an_axes_made_elsewhere(sweep_df):
    with mpl.rc_context({"xtick.labelsize": 20, "ytick.labelsize": 20, "axes.labelsize": 20}):
        fig = Figure(figsize=(3.5, 3.0), layout="constrained")
        ax = fig.add_subplot()
    plot_sweep(sweep_df, "at_coverage", "ckpt_total", ax=ax)
    fig.draw_without_rendering()
    sizes = {t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()}
    assert sizes == {style.RC_PARAMS["xtick.labelsize"]}
    assert ax.xaxis.label.get_fontsize() == style.RC_PARAMS["axes.labelsize"]


# --------------------------------------------------------------------------- issue 24, item 6/11

def test_plot_sweep_draws_a_summary_as_it_draws_the_runs(sweep_df):
    """A summary table (what the figure CSVs hold) gives the same lines, bands and legend
    as the per-run table it summarises."""
    s = summarize(sweep_df, by=["at_coverage", "protocol"], metrics=["ckpt_total", "p_failed"])
    for metric in ("ckpt_total", "p_failed"):
        from_runs = plot_sweep(sweep_df, "at_coverage", metric).axes[0]
        from_summary = plot_sweep(s, "at_coverage", metric).axes[0]
        for a, b in zip(_gid(from_runs, "mean"), _gid(from_summary, "mean"), strict=True):
            assert a.get_color() == b.get_color()
            np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())
        bands = [[c.get_paths()[0].vertices for c in ax.collections
                  if isinstance(c, PolyCollection)] for ax in (from_runs, from_summary)]
        for va, vb in zip(*bands, strict=True):
            np.testing.assert_array_equal(va, vb)
        assert [t.get_text() for t in from_runs.get_legend().get_texts()] == \
            [t.get_text() for t in from_summary.get_legend().get_texts()]
    fig = plot_outcomes(s.assign(metric=s["metric"].replace({"ckpt_total": "p_recovered"})),
                        "at_coverage", outcomes=("failed",))
    assert len(_gid(fig.axes[0], "mean")) == 2
    with pytest.raises(ValueError, match="not in the summary"):
        plot_sweep(s, "at_coverage", "log_entries_peak")


def test_plot_sweep_by_protocol_and_another_column_keeps_protocol_colours():
    df = pd.concat([_fake_sweep([0.5, 1.0], runs=10, base=m.Scenario(horizon=h,
                                                                      fault_rate=0.03))
                    for h in (20.0, 40.0)], ignore_index=True)
    fig = plot_sweep(df, "at_coverage", "ckpt_total", by=["protocol", "horizon"])
    lines = _gid(fig.axes[0], "mean")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:-1]
    assert len(lines) == 4 and len(labels) == 4
    for ln, text in zip(lines, labels, strict=True):
        proto = text.split(",")[0].split("=")[1]
        assert ln.get_color() == style.protocol_color(proto), text
    by_horizon = {}
    for ln, text in zip(lines, labels, strict=True):   # one line style per horizon
        by_horizon.setdefault(text.split("horizon=")[1], set()).add(
            (str(ln.get_linestyle()), ln.get_marker()))
    assert all(len(v) == 1 for v in by_horizon.values())
    assert len(set().union(*by_horizon.values())) == 2


def test_an_integer_axis_has_integer_ticks():
    df = _fake_sweep([2, 3, 4, 6], protocols=("mdcd",), runs=5, field="n_low")
    ax = plot_sweep(df, "n_low", "ckpt_total").axes[0]
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_a_zero_bar_label_sits_above_its_interval():
    from mdcd_lab.plots.bars import plot_bars
    s = pd.DataFrame({"protocol": ["mdcd", "mdcd-paper"], "metric": ["p_failed"] * 2,
                      "mean": [0.0, 0.02], "ci_low": [0.0, 0.01], "ci_high": [0.004, 0.03],
                      "method": ["clopper-pearson"] * 2})
    fig = plot_bars(s, ["p_failed"])
    (ax,) = fig.axes
    (label,) = [t for t in ax.texts if t.get_gid() == "zero_label"]
    assert label.get_text() == "0" and label.get_position()[1] > 0.004
    assert ax.get_ylim()[1] > label.get_position()[1]
    assert "95% CI (Clopper-Pearson)" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_every_plot_has_one_frame_and_one_legend_size(sweep_df, recovered_run):
    """Issue 24: left and bottom spines only, and the legend at the style's size, in the
    figures drawn inside and outside style_context (plot_duration was not)."""
    from mdcd_lab.plots.duration import plot_duration
    table = pd.DataFrame({"protocol": ["mdcd"] * 3, "phi": [0.0, 1.0, 2.0],
                          "worth_mean": [1.0, 2.0, 1.5], "worth_low": [0.5, 1.5, 1.0],
                          "worth_high": [1.5, 2.5, 2.0], "Y": [0.0, 0.2, 0.1],
                          "Y_low": [0.0, 0.1, 0.0], "Y_high": [0.0, 0.3, 0.2]})
    sc, trace, events, _ = recovered_run
    for fig in (plot_sweep(sweep_df, "at_coverage", "ckpt_total"), plot_duration(table),
                plot_distribution(sweep_df, "ckpt_total")):
        for ax in fig.axes:
            assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
        legends = [a.get_legend() for a in fig.axes if a.get_legend()] + fig.legends
        assert legends and all(t.get_fontsize() == style.RC_PARAMS["legend.fontsize"]
                               for leg in legends for t in leg.get_texts())
        assert all(not leg.get_frame_on() for leg in legends)


def test_duration_bands_have_edges_in_each_protocol_style():
    from mdcd_lab.plots.duration import plot_duration
    rows = [{"protocol": p, "phi": x, "worth_mean": 2.0, "worth_low": 1.0, "worth_high": 3.0,
             "Y": 0.2, "Y_low": 0.1, "Y_high": 0.3} for p in ("mdcd", "coordinated")
            for x in (0.0, 1.0, 2.0)]
    fig = plot_duration(pd.DataFrame(rows))
    top = fig.axes[0]
    edges = [ln for ln in top.get_lines() if ln.get_gid() == "band_edge"]
    means = {ln.get_label(): ln for ln in top.get_lines() if ln.get_label() in
             ("mdcd", "coordinated")}
    assert len(edges) == 4 and {ln.get_color() for ln in edges} == {
        style.protocol_color(p) for p in ("mdcd", "coordinated")}
    for ln in edges:     # each band's bounds in its protocol's line style (dashes differ)
        mean = means["mdcd" if ln.get_color() == style.protocol_color("mdcd")
                     else "coordinated"]
        assert ln.get_linestyle() == mean.get_linestyle()
    assert means["mdcd"].get_linestyle() != means["coordinated"].get_linestyle()
    texts = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert any(t.startswith("95% CI") for t in texts)
