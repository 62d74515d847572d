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
from .studies import (
    ALL,
    BASE,
    SEED,
    FigureResult,
    FigureSpec,
    on_base,
    study_record,
    sweep,
)

__all__ = ["FIGURES"]


def _result(data: pd.DataFrame, *frames: pd.DataFrame) -> FigureResult:
    return FigureResult(data, [f.attrs["study"] for f in frames])


def fig_memory_bytes(runs: int, engine: str, progress: bool, seed: int = SEED,
                     base: Scenario = BASE) -> FigureResult:
    """Peak log memory and peak checkpoint memory per run, in bytes, per protocol."""
    df = sweep(on_base(BASE, base), {}, runs, seed, protocols=ALL, engine=engine,
               progress=progress)
    df = df.assign(ckpt_bytes_peak=df["ckpt_array_peak"] * df["ckpt_bytes"])
    metrics = ["log_bytes_peak", "ckpt_bytes_peak"]
    return _result(summarize(df, by="protocol", metrics=metrics), df)


def draw_memory_bytes(data: pd.DataFrame, meta: dict):
    from matplotlib.ticker import EngFormatter

    from ..plots.bars import plot_bars
    fig = plot_bars(data, ["log_bytes_peak", "ckpt_bytes_peak"],
                    ylabels=["peak log memory (bytes)", "peak checkpoint memory (bytes)"],
                    height=2.6)
    for ax in fig.axes:
        ax.yaxis.set_major_formatter(EngFormatter(unit="B", sep=" "))
    return fig


def fig_ckpt_by_rule_and_group(runs: int, engine: str, progress: bool, seed: int = SEED,
                               base: Scenario = BASE) -> FigureResult:
    """Checkpoints per run by rule (S1, S2) and by group (G_act, G_sdw), per protocol."""
    df = sweep(on_base(BASE, base), {}, runs, seed, protocols=ALL, engine=engine,
               progress=progress)
    metrics = ["ckpt_s1", "ckpt_s2", "ckpt_act", "ckpt_sdw"]
    return _result(summarize(df, by="protocol", metrics=metrics), df)


def draw_ckpt_by_rule_and_group(data: pd.DataFrame, meta: dict):
    from ..plots.bars import plot_bars
    return plot_bars(data, [("ckpt_s1", "ckpt_s2"), ("ckpt_act", "ckpt_sdw")],
                     hue_labels={"ckpt_s1": "rule S1", "ckpt_s2": "rule S2",
                                 "ckpt_act": "G_act", "ckpt_sdw": "G_sdw"},
                     ylabels=["checkpoints per run, by rule", "checkpoints per run, by group"],
                     height=2.8)


def fig_failed_given_fault_vs_coverage(runs: int, engine: str, progress: bool,
                                       seed: int = SEED, base: Scenario = BASE) -> FigureResult:
    """P(failed | a fault occurred) against AT coverage (the study of outcomes_vs_coverage)."""
    df = sweep(on_base(BASE.replace(fault_rate=0.02), base),
               {"at_coverage": [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0]}, runs, seed,
               protocols=DEFAULT_PAIR, engine=engine, progress=progress)
    faulty = df[df["t_fault"].notna()]
    return _result(summarize(faulty, by=["protocol", "at_coverage"], metrics=["p_failed"]), df)


def draw_failed_given_fault_vs_coverage(data: pd.DataFrame, meta: dict):
    from ..plots import plot_sweep
    fig = plot_sweep(data, "at_coverage", "p_failed")
    fig.axes[0].set_ylabel("P(failed | a fault occurred)")
    return fig


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


def draw_violation_types(table: pd.DataFrame, meta: dict):
    from ..plots.axes import style_axes
    from ..plots.bars import zero_mark
    from ..plots.style import new_figure, protocol_color, style_context
    protos = list(dict.fromkeys(table["protocol"].astype(str)))
    kinds = list(dict.fromkeys(table["violation"].astype(str)))
    w = 0.8 / len(protos)
    top = float(np.nanmax(table["ci_high"].to_numpy(dtype=float), initial=0.0))
    with style_context():
        fig, ax = new_figure("double", height=2.6)
        for pi, p in enumerate(protos):
            part = table[table["protocol"].astype(str) == p].set_index("violation")
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
                    zero_mark(ax, x, w, protocol_color(p))
        ax.set_xticks(range(len(kinds)), [k.replace("_", " ") for k in kinds])
        ax.set_xlim(-0.6, len(kinds) - 0.4)
        ax.set_ylim(0.0, max(top * 1.08, 0.01))
        ax.set_ylabel("share of runs with this violation")
        ax.grid(False, axis="x")
        style_axes(ax)
        from matplotlib.lines import Line2D
        handles, labels = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], color="black", marker="_", markersize=6,
                              linestyle="-", linewidth=0.6))
        labels.append("95% CI (Wilson); a flat bar at 0: no run")
        ax.legend(handles, labels, loc="upper right", ncols=3)
    return fig


def fig_violation_types(runs: int, engine: str, progress: bool, seed: int = SEED,
                        base: Scenario = BASE) -> FigureResult:
    """Share of runs with each type of oracle violation, per protocol (the study of
    cost_by_protocol)."""
    df = sweep(on_base(BASE.replace(fault_rate=0.01), base), {}, runs, seed, protocols=ALL,
               engine=engine, progress=progress)
    return _result(violation_breakdown(df), df)


def _two_sweeps(data: pd.DataFrame, rows: list[tuple[str, bool]], metrics: list[str]):
    """One row of panels per swept field (``swept`` column of the summary ``data``), one
    column per metric; one legend, whose interval entry names the method of every panel
    from the table's ``method`` column."""
    from ..plots import plot_sweep
    from ..plots.style import new_figure, style_context
    from ..plots.sweeps import ci_label
    with style_context():
        fig, axes = new_figure("double", height=2.3 * len(rows) + 0.3, nrows=len(rows),
                               ncols=len(metrics))
        axes = np.atleast_2d(axes)
        for i, (x, logx) in enumerate(rows):
            part = data[data["swept"] == x] if "swept" in data.columns else data
            for j, metric in enumerate(metrics):
                last = i == len(rows) - 1 and j == len(metrics) - 1
                plot_sweep(part, x, metric, ax=axes[i, j], legend=last, logx=logx)
        texts = axes[-1, -1].get_legend().get_texts()
        texts[-1].set_text(ci_label(data[data["metric"].isin(metrics)]))
    return fig


def fig_sensitivity_latency_lag(runs: int, engine: str, progress: bool, seed: int = SEED,
                                base: Scenario = BASE) -> FigureResult:
    """P(oracle violation) and peak log against the channel latency and the shadow lag."""
    lat = sweep(on_base(BASE, base), {"latency": [0.0, 0.05, 0.1, 0.2, 0.5, 1.0]}, runs,
                seed, protocols=ALL, engine=engine, progress=progress)
    lag = sweep(on_base(BASE, base), {"shadow_lag": [0.0, 0.1, 0.2, 0.5, 1.0]}, runs, seed,
                protocols=ALL, engine=engine, progress=progress)
    metrics = ["p_violation", "log_entries_peak"]
    data = pd.concat([summarize(lat, by=["protocol", "latency"], metrics=metrics)
                      .assign(swept="latency"),
                      summarize(lag, by=["protocol", "shadow_lag"], metrics=metrics)
                      .assign(swept="shadow_lag")], ignore_index=True)
    return _result(data, lat, lag)


def draw_sensitivity_latency_lag(data: pd.DataFrame, meta: dict):
    return _two_sweeps(data, [("latency", False), ("shadow_lag", False)],
                       ["p_violation", "log_entries_peak"])


def fig_cost_vs_size(runs: int, engine: str, progress: bool, seed: int = SEED,
                     base: Scenario = BASE) -> FigureResult:
    """Checkpoints and peak log entries against the number of G_low and G_act processes."""
    low = sweep(on_base(BASE, base), {"n_low": [2, 3, 4, 6]}, runs, seed, protocols=ALL,
                engine=engine, progress=progress)
    act = sweep(on_base(BASE, base), {"n_act": [2, 4, 8, 16]}, runs, seed, protocols=ALL,
                engine=engine, progress=progress)
    metrics = ["ckpt_total", "log_entries_peak"]
    data = pd.concat([summarize(low, by=["protocol", "n_low"], metrics=metrics)
                      .assign(swept="n_low"),
                      summarize(act, by=["protocol", "n_act"], metrics=metrics)
                      .assign(swept="n_act")], ignore_index=True)
    return _result(data, low, act)


def draw_cost_vs_size(data: pd.DataFrame, meta: dict):
    return _two_sweeps(data, [("n_low", False), ("n_act", True)],
                       ["ckpt_total", "log_entries_peak"])


#: The scenarios of ``correction_space``: those of the cost table of docs/protocol.md,
#: section 6 (``benchmarks/cost_of_correction.py --combinations``), as (title, scenario).
CORRECTION_SCENARIOS = (
    ("default scenario, perfect ATs", Scenario(at_coverage=1.0)),
    ("latency 0.5, shadow lag 0.5, compensation 0.5",
     Scenario(at_coverage=1.0, latency=0.5, shadow_lag=0.5, compensation=0.5)),
)


def fig_correction_space(runs: int, engine: str, progress: bool, seed: int = SEED,
                         base: Scenario = BASE) -> FigureResult:
    """Mean checkpoints against mean peak log entries of the 32 combinations of
    corrections on common traces, sound ones and their Pareto frontier marked."""
    from ..studies.correction_space import correction_study, correction_table
    tables, studies = [], []
    for title, sc in CORRECTION_SCENARIOS:
        sc = on_base(sc, base)
        df = correction_study(sc, runs, seed, engine=engine, progress=progress)
        engines = df.attrs["engines"]
        studies.append(study_record(sc, {}, runs, seed, list(engines), engines,
                                    [sc.to_dict()]))
        table = correction_table(df)
        for i, col in enumerate(("scenario", "latency", "shadow_lag", "compensation")):
            table.insert(i, col, title if col == "scenario" else getattr(sc, col))
        tables.append(table)
    return FigureResult(pd.concat(tables, ignore_index=True), studies)


def draw_correction_space(data: pd.DataFrame, meta: dict):
    from ..plots.correction import plot_correction_space
    from ..plots.style import style_context
    with style_context():
        return plot_correction_space(data, panel="scenario",
                                     titles=list(dict.fromkeys(data["scenario"].astype(str))))


#: ``recovery``: the sound protocols whose recovery differs (the two-phase recovery of C,
#: per-member validation, coordinated lines) and the scenario the window is measured on
RECOVERY_PROTOCOLS = ("mdcd", "mdcd-vector", "static", "coordinated")
RECOVERY_BASE = BASE.replace(fault_rate=0.02, at_coverage=1.0)


def fig_recovery(runs: int, engine: str, progress: bool, seed: int = SEED,
                 base: Scenario = BASE) -> FigureResult:
    """Executed recovery against the channel latency: the time from the detection to a
    quiet system, the messages the shadows re-send, and the messages recovered processes
    drop (recovered runs only; docs/protocol.md, section 9)."""
    df = sweep(on_base(RECOVERY_BASE, base), {"latency": [0.0, 0.1, 0.25, 0.5, 1.0, 2.0]},
               runs, seed, protocols=RECOVERY_PROTOCOLS, engine=engine, progress=progress)
    rec = df[df["outcome"] == "recovered"]
    metrics = ["recovery_latency", "n_resent", "n_discarded"]
    return _result(summarize(rec, by=["protocol", "latency"], metrics=metrics), df)


def draw_recovery(data: pd.DataFrame, meta: dict):
    from ..plots.labels import field_label
    fig = _two_sweeps(data, [("latency", False)],
                      ["recovery_latency", "n_resent", "n_discarded"])
    left, middle, right = fig.axes[:3]
    for ax in (left, right):      # one x label under the three panels' common axis
        ax.set_xlabel("")
    middle.set_xlabel(field_label("latency"))
    left.set_ylabel("recovery latency\n(time units)")   # longer than the panel is high
    return fig


def _specs() -> tuple[FigureSpec, ...]:
    return (
        FigureSpec("memory_bytes", "Peak log memory and peak checkpoint memory per run, in "
                   "bytes, per protocol", fig_memory_bytes,
                   draw_memory_bytes),
        FigureSpec("ckpt_by_rule_and_group", "Checkpoints per run by rule (S1, S2) and by "
                   "group (G_act, G_sdw), per protocol", fig_ckpt_by_rule_and_group,
                   draw_ckpt_by_rule_and_group),
        FigureSpec("failed_given_fault_vs_coverage", "P(failed | a fault occurred) against "
                   "AT coverage", fig_failed_given_fault_vs_coverage,
                   draw_failed_given_fault_vs_coverage),
        FigureSpec("violation_types", "Share of runs with each type of oracle violation, "
                   "per protocol", fig_violation_types,
                   draw_violation_types),
        FigureSpec("sensitivity_latency_lag", "P(oracle violation) and peak log entries "
                   "against the channel latency and the shadow lag",
                   fig_sensitivity_latency_lag,
                   draw_sensitivity_latency_lag),
        FigureSpec("cost_vs_size", "Checkpoints and peak log entries against the sizes of "
                   "G_low and G_act", fig_cost_vs_size,
                   draw_cost_vs_size),
        FigureSpec("correction_space", "Checkpoints against peak log entries of every "
                   "combination of the corrections R L C S E on common traces: sound ones "
                   "filled, their Pareto frontier drawn", fig_correction_space,
                   draw_correction_space),
        FigureSpec("recovery", "Executed recovery against the channel latency: recovery "
                   "latency (detection to quiet), messages re-sent by the shadows, messages "
                   "dropped by recovered processes (recovered runs)", fig_recovery,
                   draw_recovery),
    )


FIGURES = _specs()
