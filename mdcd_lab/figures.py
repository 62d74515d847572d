"""The paper figure set: one command regenerates every figure and the CSV behind it.

``mdcd-lab figures --out DIR`` (or :func:`make_figures`) runs each study from a
fixed seed, writes ``NAME.pdf``, ``NAME.png`` and ``NAME.csv`` (the plotted
numbers: means and confidence intervals per point and protocol, or the per-run
values of a distribution) with a ``.meta.json`` sidecar.  Rerunning gives
byte-identical CSVs (the sidecars carry a timestamp).  The CSVs behind the
committed figures live in ``data/figures/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import api
from .io import to_csv
from .scenario import Scenario
from .studies import sweep as _sweep_one_engine
from .summary import summarize

__all__ = ["FIGURES", "FigureSpec", "make_figures", "BASE", "SEED"]

#: The scenario every figure starts from (docs/figures.md).
BASE = Scenario(n_low=2, n_act=4, horizon=100.0, rate_low_act=1.0, rate_low_low=0.5,
                rate_sdw_sdw=0.5, rate_act_low=0.5, rate_act_act=0.5, rate_ext_low=0.1,
                rate_ext_act=0.2, fault_rate=0.005, at_coverage=0.99, latency=0.1,
                shadow_lag=0.2, coord_period=10.0)
SEED = 2026
SOUND = ("mdcd", "every-receive", "static", "coordinated")
ALL = ("mdcd", "mdcd-paper", "every-receive", "static", "coordinated")


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the set: its file name, a caption and its builder."""

    name: str
    caption: str
    build: Callable[[int, str, bool], tuple[object, pd.DataFrame]]


def sweep(base: Scenario, grid, runs: int, seed: int, protocols: Sequence[str], engine: str,
          progress: bool) -> pd.DataFrame:
    """:func:`mdcd_lab.studies.sweep`, with ``engine="auto"``: numba for the protocols it
    implements, the reference engine for the others (the numbers are the same either
    way; only the speed differs).  The engine of each protocol is recorded in
    ``df.attrs["engines"]``."""
    if engine != "auto":
        df = _sweep_one_engine(base, grid, runs, seed, protocols=protocols, engine=engine,
                               progress=progress)
        df.attrs["engines"] = dict.fromkeys(protocols, engine)
        return df
    engines = {p: "numba" if api.numba_supports(p) else "reference" for p in protocols}
    frames = []
    for eng in ("numba", "reference"):
        group = [p for p in protocols if engines[p] == eng]
        if group:
            frames.append(_sweep_one_engine(base, grid, runs, seed, protocols=group,
                                            engine=eng, progress=progress))
    df = pd.concat(frames, ignore_index=True)
    df["protocol"] = pd.Categorical(df["protocol"].astype(str), categories=list(protocols))
    df = df.sort_values(["point", "protocol", "run"], kind="stable").reset_index(drop=True)
    df.attrs["engines"] = engines
    return df


def _summary(df: pd.DataFrame, x: str | None, metrics: Sequence[str]) -> pd.DataFrame:
    by = ["protocol"] + ([x] if x else [])
    return summarize(df, by=by, metrics=list(metrics))


def _two_panels(df: pd.DataFrame, x: str, metrics: Sequence[str], logx: bool = False):
    from .plots import plot_sweep
    from .plots.style import new_figure
    fig, axes = new_figure("double", nrows=1, ncols=len(metrics))
    for i, (ax, metric) in enumerate(zip(np.atleast_1d(axes), metrics, strict=True)):
        plot_sweep(df, x, metric, ax=ax, legend=i == len(metrics) - 1, logx=logx)
    return fig


def fig_ckpt_log_vs_msg_rate(runs: int, engine: str, progress: bool):
    df = sweep(BASE, {"rate_low_act": [0.25, 0.5, 1.0, 1.5, 2.0, 3.0]}, runs, SEED,
               protocols=ALL, engine=engine, progress=progress)
    metrics = ["ckpt_total", "log_entries_peak"]
    return _two_panels(df, "rate_low_act", metrics), _summary(df, "rate_low_act", metrics)


def fig_ckpt_log_vs_at_rate(runs: int, engine: str, progress: bool):
    df = sweep(BASE, {"rate_ext_act": [0.05, 0.1, 0.2, 0.4, 0.8, 1.6]}, runs, SEED,
               protocols=ALL, engine=engine, progress=progress)
    metrics = ["ckpt_total", "log_entries_peak"]
    return (_two_panels(df, "rate_ext_act", metrics, logx=True),
            _summary(df, "rate_ext_act", metrics))


def fig_rollback_distance(runs: int, engine: str, progress: bool):
    from .plots import plot_distribution
    sc = BASE.replace(fault_rate=0.02, at_coverage=1.0)
    df = sweep(sc, {}, runs, SEED, protocols=SOUND, engine=engine, progress=progress)
    rec = df[df["outcome"] == "recovered"]
    fig = plot_distribution(rec, "rollback_dist_max", kind="ecdf")
    data = rec[["protocol", "run", "rollback_dist_max", "rollback_procs",
                "rollback_events_max"]].reset_index(drop=True)
    return fig, data


def fig_outcomes_vs_coverage(runs: int, engine: str, progress: bool):
    from .plots import plot_outcomes
    df = sweep(BASE.replace(fault_rate=0.02),
               {"at_coverage": [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0]}, runs, SEED,
               protocols=("mdcd", "mdcd-paper"), engine=engine, progress=progress)
    fig = plot_outcomes(df, "at_coverage", outcomes=("failed", "recovered"))
    return fig, _summary(df, "at_coverage", ["p_failed", "p_recovered", "p_completed"])


def fig_outcomes_vs_horizon(runs: int, engine: str, progress: bool):
    from .plots import plot_outcomes
    df = sweep(BASE.replace(at_coverage=0.9), {"horizon": [25.0, 50.0, 100.0, 200.0, 400.0]},
               runs, SEED, protocols=("mdcd", "mdcd-paper"), engine=engine,
               progress=progress)
    fig = plot_outcomes(df, "horizon", outcomes=("failed", "recovered"), logx=True)
    return fig, _summary(df, "horizon", ["p_failed", "p_recovered", "p_completed"])


def _bars(summary: pd.DataFrame, metrics: Sequence[str], group: str, groups: Sequence,
          width: str = "double", nrows: int = 1):
    from .plots.style import metric_label, new_figure, protocol_color, style_axes
    ncols = -(-len(metrics) // nrows)
    fig, axes = new_figure(width, height=2.9 * nrows + 0.4, nrows=nrows, ncols=ncols)
    axes = np.atleast_1d(axes).ravel()
    for ax, metric in zip(axes, metrics, strict=True):
        s = summary[summary["metric"] == metric]
        protos = list(dict.fromkeys(s["protocol"]))
        n_g = len(groups)
        w = 0.8 / n_g
        for gi, g in enumerate(groups):
            sg = s[s[group] == g] if group != "protocol" else s
            xs, ys, lo, hi = [], [], [], []
            for pi, p in enumerate(protos):
                row = sg[sg["protocol"] == p]
                if row.empty:
                    continue
                r = row.iloc[0]
                xs.append(pi + (gi - (n_g - 1) / 2) * w)
                ys.append(r["mean"])
                lo.append(r["mean"] - r["ci_low"])
                hi.append(r["ci_high"] - r["mean"])
            colors = [protocol_color(p) for p in protos if not sg[sg["protocol"] == p].empty]
            ax.bar(xs, ys, width=w, color=colors, alpha=1.0 if gi == 0 else 0.45,
                   edgecolor="black", linewidth=0.4,
                   label=str(g) if group != "protocol" else None)
            ax.errorbar(xs, ys, yerr=[np.nan_to_num(lo), np.nan_to_num(hi)], fmt="none",
                        ecolor="black", elinewidth=0.7, capsize=2)
        ax.set_xticks(range(len(protos)))
        ax.set_xticklabels(protos, rotation=40, ha="right", rotation_mode="anchor")
        ax.set_ylabel(metric_label(metric))
        style_axes(ax)
        if group != "protocol" and ax is axes[-1]:
            ax.legend(title=group.replace("_", " "), loc="upper left",
                      bbox_to_anchor=(1.02, 1.0), frameon=False)
    return fig


def fig_cost_by_protocol(runs: int, engine: str, progress: bool):
    sc = BASE.replace(fault_rate=0.01)
    df = sweep(sc, {}, runs, SEED, protocols=ALL, engine=engine, progress=progress)
    metrics = ["ckpt_total", "log_entries_peak", "rollback_dist_max", "p_violation"]
    summary = summarize(df, by="protocol", metrics=metrics)
    return _bars(summary, metrics, "protocol", [None], nrows=2), summary


def fig_violations_by_scope(runs: int, engine: str, progress: bool):
    sc = BASE.replace(fault_rate=0.01, at_coverage=1.0)
    protos = ("mdcd", "mdcd-paper", "mdcd-unclustered", "every-receive", "static",
              "coordinated")
    df = sweep(sc, {"fault_scope": ["cluster", "process"]}, runs, SEED, protocols=protos,
               engine=engine, progress=progress)
    metrics = ["p_violation", "p_failed"]
    summary = summarize(df, by=["protocol", "fault_scope"], metrics=metrics)
    return _bars(summary, metrics, "fault_scope", ["cluster", "process"]), summary


def fig_spacetime(runs: int, engine: str, progress: bool):
    from .plots import plot_spacetime
    sc = Scenario(n_low=2, n_act=3, horizon=30.0, rate_low_act=0.6, rate_low_low=0.3,
                  rate_sdw_sdw=0.3, rate_act_low=0.3, rate_act_act=0.4, rate_ext_low=0.15,
                  rate_ext_act=0.25, fault_rate=0.03, at_coverage=1.0, latency=0.2,
                  shadow_lag=0.3)
    res = api.simulate(sc, 200, SEED, protocol="mdcd", engine="reference")
    pick = res[(res["outcome"] == "recovered") & (res["rollback_procs"] >= 2)]
    run = int(pick["run"].iloc[0]) if len(pick) else 0
    trace, events, _ = api.run_events(sc, SEED, run, "mdcd")
    t_end = float(res.loc[res["run"] == run, "t_end"].iloc[0])
    fig = plot_spacetime(trace, events, sc, t_range=(max(0.0, t_end - 12.0), t_end + 0.5))
    return fig, events.assign(run=run)


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("ckpt_log_vs_msg_rate", "Checkpoints and peak log entries per run against the "
               "G_low -> G_act message rate", fig_ckpt_log_vs_msg_rate),
    FigureSpec("ckpt_log_vs_at_rate", "Checkpoints and peak log entries per run against the "
               "G_act external-message (AT) rate", fig_ckpt_log_vs_at_rate),
    FigureSpec("rollback_distance", "Distribution of the rollback distance of recovered runs",
               fig_rollback_distance),
    FigureSpec("outcomes_vs_coverage", "P(failed) and P(recovered) against AT coverage",
               fig_outcomes_vs_coverage),
    FigureSpec("outcomes_vs_horizon", "P(failed) and P(recovered) against the guarded-operation "
               "duration", fig_outcomes_vs_horizon),
    FigureSpec("cost_by_protocol", "Cost and soundness of every protocol on common traces",
               fig_cost_by_protocol),
    FigureSpec("violations_by_scope", "Runs with an oracle violation or a failure, by fault "
               "scope and protocol (perfect ATs)", fig_violations_by_scope),
    FigureSpec("spacetime", "Space-time diagram of a recovered mdcd run", fig_spacetime),
)


def make_figures(out: str | Path, runs: int = 2000, engine: str = "auto",
                 progress: bool = False, only: Sequence[str] | None = None,
                 formats: Sequence[str] = ("pdf", "png")) -> dict[str, list[Path]]:
    """Regenerate the figure set into ``out``; return the files written per figure.

    Parameters
    ----------
    out : path
        Output directory (created).
    runs : int
        Runs per study point and protocol.
    engine : str
        ``"auto"`` (numba for every protocol it implements, else the reference
        engine), ``"numba"`` or ``"reference"``.
    only : list of str, optional
        Names of the figures to make (default: all of :data:`FIGURES`).
    """
    names = [f.name for f in FIGURES]
    if only is not None:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise ValueError(f"unknown figure(s) {unknown}; known: {names}")
    if engine not in ("auto", *api.ENGINES):
        raise ValueError(f"engine must be 'auto', 'numba' or 'reference', got {engine!r}")
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be an integer >= 1, got {runs!r}")
    bad_fmt = sorted(set(formats) - {"pdf", "png", "svg"})
    if bad_fmt:
        raise ValueError(f"unknown figure format(s) {bad_fmt}; use pdf, png or svg")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    from .protocols import protocol_names
    engines = {p: (engine if engine != "auto" else
                   ("numba" if api.numba_supports(p) else "reference"))
               for p in protocol_names()}
    written: dict[str, list[Path]] = {}
    for spec in FIGURES:
        if only is not None and spec.name not in only:
            continue
        fig, data = spec.build(runs, engine, progress)
        files = []
        for fmt in formats:
            path = out / f"{spec.name}.{fmt}"
            fig.savefig(path, dpi=200, metadata=_metadata(fmt))
            files.append(path)
        files.append(to_csv(data.reset_index(drop=True), out / f"{spec.name}.csv",
                            provenance={"figure": spec.name, "caption": spec.caption,
                                        "runs": runs, "seed": SEED, "engine": engine,
                                        "engine_per_protocol": engines,
                                        "base_scenario": BASE.to_dict()}))
        written[spec.name] = files
    return written


def _metadata(fmt: str) -> dict:
    # fixed metadata so that reruns do not differ by a creation date
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": "mdcd_lab"}
    if fmt == "png":
        return {"Software": "mdcd_lab"}
    return {"Date": None} if fmt == "svg" else {}

