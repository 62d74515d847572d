"""The figures a reviewer asks for, beyond the paper's own (part of the figure set).

Memory in bytes, checkpoints by rule and by group, P(failed | a fault occurred)
against AT coverage, the types of oracle violation per protocol, the
sensitivity to channel latency and shadow lag, the cost against the sizes
of ``G_low`` and ``G_act``, the correction space (docs/protocol.md,
section 6), and executed recovery against the channel latency (section 9).  Each builder returns a
[`FigureResult`][mdcd_lab.figures.FigureResult] like those of
[`mdcd_lab.figures`][mdcd_lab.figures], which registers them; the studies they share with the
paper figures (same scenario, grid and protocols) are simulated once per
[`make_figures`][mdcd_lab.figures.make_figures] call.  Captions: docs/figures.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import VIOLATIONS
from ..protocols import DEFAULT_PAIR
from ..scenario import Scenario
from ..stats.summary import summarize, wilson_interval
from .studies import ALL, BASE, SEED, FigureResult, FigureSpec, study_record, sweep

__all__ = ["FIGURES"]


def _result(fig, data: pd.DataFrame, *frames: pd.DataFrame) -> FigureResult:
    return FigureResult(fig, data, [f.attrs["study"] for f in frames])


def fig_memory_bytes(runs: int, engine: str, progress: bool) -> FigureResult:
    """Peak log memory and peak checkpoint memory per run, in bytes, per protocol."""
    from matplotlib.ticker import EngFormatter

    from ..plots.bars import plot_bars
    df = sweep(BASE, {}, runs, SEED, protocols=ALL, engine=engine, progress=progress)
    df = df.assign(ckpt_bytes_peak=df["ckpt_array_peak"] * df["ckpt_bytes"])
    metrics = ["log_bytes_peak", "ckpt_bytes_peak"]
    summary = summarize(df, by="protocol", metrics=metrics)
    fig = plot_bars(summary, metrics, ylabels=["peak log memory (bytes)",
                                               "peak checkpoint memory (bytes)"], height=2.6)
    for ax in fig.axes:
        ax.yaxis.set_major_formatter(EngFormatter(unit="B", sep=" "))
    return _result(fig, summary, df)


def fig_ckpt_by_rule_and_group(runs: int, engine: str, progress: bool) -> FigureResult:
    """Checkpoints per run by rule (S1, S2) and by group (G_act, G_sdw), per protocol."""
    from ..plots.bars import plot_bars
    df = sweep(BASE, {}, runs, SEED, protocols=ALL, engine=engine, progress=progress)
    metrics = ["ckpt_s1", "ckpt_s2", "ckpt_act", "ckpt_sdw"]
    summary = summarize(df, by="protocol", metrics=metrics)
    fig = plot_bars(summary, [("ckpt_s1", "ckpt_s2"), ("ckpt_act", "ckpt_sdw")],
                    hue_labels={"ckpt_s1": "rule S1", "ckpt_s2": "rule S2",
                                "ckpt_act": "G_act", "ckpt_sdw": "G_sdw"},
                    ylabels=["checkpoints per run, by rule", "checkpoints per run, by group"],
                    height=2.8)
    return _result(fig, summary, df)


def fig_failed_given_fault_vs_coverage(runs: int, engine: str, progress: bool) -> FigureResult:
    """P(failed | a fault occurred) against AT coverage (the study of outcomes_vs_coverage)."""
    from ..plots import plot_sweep
    df = sweep(BASE.replace(fault_rate=0.02),
               {"at_coverage": [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0]}, runs, SEED,
               protocols=DEFAULT_PAIR, engine=engine, progress=progress)
    faulty = df[df["t_fault"].notna()]
    fig = plot_sweep(faulty, "at_coverage", "p_failed")
    fig.axes[0].set_ylabel("P(failed | a fault occurred)")
    summary = summarize(faulty, by=["protocol", "at_coverage"], metrics=["p_failed"])
    return _result(fig, summary, df)


def violation_breakdown(df: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Share of runs with at least one violation of each oracle type, per protocol.

    Returns
    -------
    DataFrame
        ``protocol, violation, n, runs_with, mean, ci_low, ci_high`` (Wilson).
    """
    rows = []
    for proto, part in df.groupby("protocol", observed=True, sort=False):
        n = len(part)
        for v in VIOLATIONS:
            k = int((part[v] > 0).sum())
            lo, hi = wilson_interval(k, n, level)
            rows.append({"protocol": str(proto), "violation": v, "n": n, "runs_with": k,
                         "mean": k / n if n else np.nan, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def _violation_bars(table: pd.DataFrame):
    from ..plots.axes import style_axes
    from ..plots.style import new_figure, protocol_color, style_context
    protos = list(dict.fromkeys(table["protocol"]))
    kinds = list(VIOLATIONS)
    w = 0.8 / len(protos)
    top = float(np.nanmax(table["ci_high"].to_numpy(dtype=float), initial=0.0))
    with style_context():
        fig, ax = new_figure("double", height=2.6)
        for pi, p in enumerate(protos):
            part = table[table["protocol"] == p].set_index("violation")
            xs = np.arange(len(kinds)) + (pi - (len(protos) - 1) / 2) * w
            means = part.loc[kinds, "mean"].to_numpy(dtype=float)
            bars = ax.bar(xs, means, width=w, color=protocol_color(p), edgecolor="black",
                          linewidth=0.4, label=p)
            for b in bars:
                b.set_gid("bar")
            err = np.vstack([means - part.loc[kinds, "ci_low"].to_numpy(dtype=float),
                             part.loc[kinds, "ci_high"].to_numpy(dtype=float) - means])
            ax.errorbar(xs, means, yerr=err, fmt="none", ecolor="black", elinewidth=0.6,
                        capsize=1.5)
            for x, m in zip(xs, means, strict=True):
                if m == 0.0:
                    (z,) = ax.plot([x - 0.42 * w, x + 0.42 * w], [0.0, 0.0],
                                   color=protocol_color(p), linewidth=2.2,
                                   solid_capstyle="butt", clip_on=False, zorder=4)
                    z.set_gid("zero_bar")
        ax.set_xticks(range(len(kinds)), [k.replace("_", " ") for k in kinds])
        ax.set_xlim(-0.6, len(kinds) - 0.4)
        ax.set_ylim(0.0, max(top * 1.08, 0.01))
        ax.set_ylabel("share of runs with this violation")
        ax.grid(False, axis="x")
        style_axes(ax)
        ax.legend(loc="upper right", ncols=len(protos), frameon=False)
    return fig


def fig_violation_types(runs: int, engine: str, progress: bool) -> FigureResult:
    """Share of runs with each type of oracle violation, per protocol (the study of
    cost_by_protocol)."""
    df = sweep(BASE.replace(fault_rate=0.01), {}, runs, SEED, protocols=ALL, engine=engine,
               progress=progress)
    table = violation_breakdown(df)
    return _result(_violation_bars(table), table, df)


def _two_sweeps(frames: list[tuple[pd.DataFrame, str, bool]], metrics: list[str]):
    """One row of panels per swept field, one column per metric."""
    from ..plots import plot_sweep
    from ..plots.style import new_figure
    fig, axes = new_figure("double", height=2.3 * len(frames) + 0.3, nrows=len(frames),
                           ncols=len(metrics))
    axes = np.atleast_2d(axes)
    for i, (df, x, logx) in enumerate(frames):
        for j, metric in enumerate(metrics):
            last = i == len(frames) - 1 and j == len(metrics) - 1
            plot_sweep(df, x, metric, ax=axes[i, j], legend=last, logx=logx)
    if any(m.startswith("p_") for m in metrics) and not all(m.startswith("p_") for m in metrics):
        # the legend covers every panel: name the methods of every panel's summary
        from ..plots.sweeps import method_names
        used: dict[bool, list[str]] = {True: [], False: []}
        for df, x, _ in frames:
            s = summarize(df, by=[x, "protocol"], metrics=metrics)
            for metric, method in zip(s["metric"], s["method"], strict=True):
                used[str(metric).startswith("p_")].append(method)
        for text in axes[-1, -1].get_legend().get_texts():
            if "% CI" in text.get_text():
                text.set_text(text.get_text().split("(")[0]
                              + f"({method_names(used[True])} for probabilities, "
                              f"{method_names(used[False])} for means)")
    return fig


def fig_sensitivity_latency_lag(runs: int, engine: str, progress: bool) -> FigureResult:
    """P(oracle violation) and peak log against the channel latency and the shadow lag."""
    lat = sweep(BASE, {"latency": [0.0, 0.05, 0.1, 0.2, 0.5, 1.0]}, runs, SEED,
                protocols=ALL, engine=engine, progress=progress)
    lag = sweep(BASE, {"shadow_lag": [0.0, 0.1, 0.2, 0.5, 1.0]}, runs, SEED,
                protocols=ALL, engine=engine, progress=progress)
    metrics = ["p_violation", "log_entries_peak"]
    fig = _two_sweeps([(lat, "latency", False), (lag, "shadow_lag", False)], metrics)
    data = pd.concat([summarize(lat, by=["protocol", "latency"], metrics=metrics)
                      .assign(swept="latency"),
                      summarize(lag, by=["protocol", "shadow_lag"], metrics=metrics)
                      .assign(swept="shadow_lag")], ignore_index=True)
    return _result(fig, data, lat, lag)


def fig_cost_vs_size(runs: int, engine: str, progress: bool) -> FigureResult:
    """Checkpoints and peak log entries against the number of G_low and G_act processes."""
    low = sweep(BASE, {"n_low": [2, 3, 4, 6]}, runs, SEED, protocols=ALL, engine=engine,
                progress=progress)
    act = sweep(BASE, {"n_act": [2, 4, 8, 16]}, runs, SEED, protocols=ALL, engine=engine,
                progress=progress)
    metrics = ["ckpt_total", "log_entries_peak"]
    fig = _two_sweeps([(low, "n_low", False), (act, "n_act", True)], metrics)
    data = pd.concat([summarize(low, by=["protocol", "n_low"], metrics=metrics)
                      .assign(swept="n_low"),
                      summarize(act, by=["protocol", "n_act"], metrics=metrics)
                      .assign(swept="n_act")], ignore_index=True)
    return _result(fig, data, low, act)


#: The scenarios of ``correction_space``: those of the cost table of docs/protocol.md,
#: section 6 (``benchmarks/cost_of_correction.py --combinations``), as (title, scenario).
CORRECTION_SCENARIOS = (
    ("default scenario, perfect ATs", Scenario(at_coverage=1.0)),
    ("latency 0.5, shadow lag 0.5, compensation 0.5",
     Scenario(at_coverage=1.0, latency=0.5, shadow_lag=0.5, compensation=0.5)),
)


def fig_correction_space(runs: int, engine: str, progress: bool) -> FigureResult:
    """Mean checkpoints against mean peak log entries of the 32 combinations of
    corrections on common traces, sound ones and their Pareto frontier marked."""
    from ..plots.correction import plot_correction_space
    from ..plots.style import style_context
    from ..studies.correction_space import correction_study, correction_table
    tables, studies = [], []
    for title, sc in CORRECTION_SCENARIOS:
        df = correction_study(sc, runs, SEED, engine=engine, progress=progress)
        engines = df.attrs["engines"]
        studies.append(study_record(sc, {}, runs, SEED, list(engines), engines,
                                    [sc.to_dict()]))
        table = correction_table(df)
        for i, col in enumerate(("scenario", "latency", "shadow_lag", "compensation")):
            table.insert(i, col, title if col == "scenario" else getattr(sc, col))
        tables.append(table)
    data = pd.concat(tables, ignore_index=True)
    with style_context():
        fig = plot_correction_space(data, panel="scenario",
                                    titles=[t for t, _ in CORRECTION_SCENARIOS])
    return FigureResult(fig, data, studies)


#: ``recovery``: the sound protocols whose recovery differs (the two-phase recovery of C,
#: per-member validation, coordinated lines) and the scenario the window is measured on
RECOVERY_PROTOCOLS = ("mdcd", "mdcd-vector", "static", "coordinated")
RECOVERY_BASE = BASE.replace(fault_rate=0.02, at_coverage=1.0)


def fig_recovery(runs: int, engine: str, progress: bool) -> FigureResult:
    """Executed recovery against the channel latency: the time from the detection to a
    quiet system, the messages the shadows re-send, and the messages recovered processes
    drop (recovered runs only; docs/protocol.md, section 9)."""
    from ..plots.labels import field_label

    df = sweep(RECOVERY_BASE, {"latency": [0.0, 0.1, 0.25, 0.5, 1.0, 2.0]}, runs, SEED,
               protocols=RECOVERY_PROTOCOLS, engine=engine, progress=progress)
    rec = df[df["outcome"] == "recovered"]
    rec.attrs.update(df.attrs)
    metrics = ["recovery_latency", "n_resent", "n_discarded"]
    fig = _two_sweeps([(rec, "latency", False)], metrics)
    left, middle, right = fig.axes[:3]
    for ax in (left, right):      # one x label under the three panels' common axis
        ax.set_xlabel("")
    middle.set_xlabel(field_label("latency"))
    left.set_ylabel("recovery latency\n(time units)")   # longer than the panel is high
    return _result(fig, summarize(rec, by=["protocol", "latency"], metrics=metrics), df)


def _specs() -> tuple[FigureSpec, ...]:
    return (
        FigureSpec("memory_bytes", "Peak log memory and peak checkpoint memory per run, in "
                   "bytes, per protocol", fig_memory_bytes),
        FigureSpec("ckpt_by_rule_and_group", "Checkpoints per run by rule (S1, S2) and by "
                   "group (G_act, G_sdw), per protocol", fig_ckpt_by_rule_and_group),
        FigureSpec("failed_given_fault_vs_coverage", "P(failed | a fault occurred) against "
                   "AT coverage", fig_failed_given_fault_vs_coverage),
        FigureSpec("violation_types", "Share of runs with each type of oracle violation, "
                   "per protocol", fig_violation_types),
        FigureSpec("sensitivity_latency_lag", "P(oracle violation) and peak log entries "
                   "against the channel latency and the shadow lag",
                   fig_sensitivity_latency_lag),
        FigureSpec("cost_vs_size", "Checkpoints and peak log entries against the sizes of "
                   "G_low and G_act", fig_cost_vs_size),
        FigureSpec("correction_space", "Checkpoints against peak log entries of every "
                   "combination of the corrections R L C S E on common traces: sound ones "
                   "filled, their Pareto frontier drawn", fig_correction_space),
        FigureSpec("recovery", "Executed recovery against the channel latency: recovery "
                   "latency (detection to quiet), messages re-sent by the shadows, messages "
                   "dropped by recovered processes (recovered runs)", fig_recovery),
    )


FIGURES = _specs()
