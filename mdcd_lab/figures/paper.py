"""The paper figure set: one command regenerates every figure and the CSV behind it.

``mdcd-lab figures --out DIR`` (or [`make_figures`][mdcd_lab.figures.make_figures]) runs each study
from a fixed seed, writes ``NAME.pdf``, ``NAME.png`` and ``NAME.csv`` (the plotted
numbers: means and confidence intervals per point and protocol, or the per-run
values of a distribution) with a ``.meta.json`` sidecar.  Rerunning gives
byte-identical CSVs (the sidecars carry a timestamp).  The CSVs behind the
committed figures live in ``data/figures/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import api
from ..io.results import to_csv
from ..protocols import DEFAULT_PAIR
from ..scenario import Scenario
from ..stats.summary import summarize
from .studies import (
    ALL,
    ALL6,
    BASE,
    SEED,
    SOUND,
    FigureResult,
    FigureSpec,
    one_run_study,
    scenario_diff,
    study_cache,
    sweep,
)

__all__ = ["FIGURES", "FigureSpec", "FigureResult", "make_figures", "figure_complete", "BASE",
           "SEED", "figure_provenance"]


def _summary(df: pd.DataFrame, x: str | None, metrics: Sequence[str]) -> pd.DataFrame:
    by = ["protocol"] + ([x] if x else [])
    return summarize(df, by=by, metrics=list(metrics))


def _panels(df: pd.DataFrame, x: str, metrics: Sequence[str], logx: bool = False,
            nrows: int = 1, fig_axes=None):
    from ..plots import plot_sweep
    from ..plots.style import new_figure
    if fig_axes is None:
        fig, axes = new_figure("double", nrows=nrows, ncols=-(-len(metrics) // nrows))
    else:
        fig, axes = fig_axes
    for i, (ax, metric) in enumerate(zip(np.atleast_1d(axes).ravel(), metrics, strict=True)):
        plot_sweep(df, x, metric, ax=ax, legend=i == len(metrics) - 1, logx=logx)
    return fig


def _result(fig, data: pd.DataFrame, *frames: pd.DataFrame) -> FigureResult:
    return FigureResult(fig, data, [f.attrs["study"] for f in frames])


def fig_ckpt_log_vs_msg_rate(runs: int, engine: str, progress: bool) -> FigureResult:
    df = sweep(BASE, {"rate_low_act": [0.25, 0.5, 1.0, 1.5, 2.0, 3.0]}, runs, SEED,
               protocols=ALL, engine=engine, progress=progress)
    metrics = ["ckpt_total", "log_entries_peak"]
    return _result(_panels(df, "rate_low_act", metrics), _summary(df, "rate_low_act", metrics),
                   df)


def fig_ckpt_log_vs_at_rate(runs: int, engine: str, progress: bool) -> FigureResult:
    df = sweep(BASE, {"rate_ext_act": [0.05, 0.1, 0.2, 0.4, 0.8, 1.6]}, runs, SEED,
               protocols=ALL, engine=engine, progress=progress)
    metrics = ["ckpt_total", "log_entries_peak"]
    return _result(_panels(df, "rate_ext_act", metrics, logx=True),
                   _summary(df, "rate_ext_act", metrics), df)


def fig_rollback_distance(runs: int, engine: str, progress: bool) -> FigureResult:
    from ..plots import plot_distribution
    sc = BASE.replace(fault_rate=0.02, at_coverage=1.0)
    df = sweep(sc, {}, runs, SEED, protocols=SOUND, engine=engine, progress=progress)
    rec = df[df["outcome"] == "recovered"]
    fig = plot_distribution(rec, "rollback_dist_max", kind="ecdf")
    data = rec[["protocol", "run", "rollback_dist_max", "rollback_procs",
                "rollback_events_max"]].reset_index(drop=True)
    return _result(fig, data, df)


def fig_outcomes_vs_coverage(runs: int, engine: str, progress: bool) -> FigureResult:
    from ..plots import plot_outcomes
    df = sweep(BASE.replace(fault_rate=0.02),
               {"at_coverage": [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0]}, runs, SEED,
               protocols=DEFAULT_PAIR, engine=engine, progress=progress)
    fig = plot_outcomes(df, "at_coverage", outcomes=("failed", "recovered"))
    return _result(fig, _summary(df, "at_coverage", ["p_failed", "p_recovered", "p_completed"]),
                   df)


def fig_outcomes_vs_horizon(runs: int, engine: str, progress: bool) -> FigureResult:
    from ..plots import plot_outcomes
    df = sweep(BASE.replace(at_coverage=0.9), {"horizon": [25.0, 50.0, 100.0, 200.0, 400.0]},
               runs, SEED, protocols=DEFAULT_PAIR, engine=engine,
               progress=progress)
    fig = plot_outcomes(df, "horizon", outcomes=("failed", "recovered"), logx=True)
    return _result(fig, _summary(df, "horizon", ["p_failed", "p_recovered", "p_completed"]), df)


def fig_cost_by_protocol(runs: int, engine: str, progress: bool) -> FigureResult:
    from ..plots.bars import plot_bars
    sc = BASE.replace(fault_rate=0.01)
    df = sweep(sc, {}, runs, SEED, protocols=ALL, engine=engine, progress=progress)
    metrics = ["ckpt_total", "log_entries_peak", "rollback_dist_max", "p_violation"]
    summary = summarize(df, by="protocol", metrics=metrics)
    return _result(plot_bars(summary, metrics, nrows=2), summary, df)


def fig_violations_by_scope(runs: int, engine: str, progress: bool) -> FigureResult:
    from ..plots.bars import plot_bars
    sc = BASE.replace(fault_rate=0.01, at_coverage=1.0)
    df = sweep(sc, {"fault_scope": ["cluster", "process"]}, runs, SEED, protocols=ALL6,
               engine=engine, progress=progress)
    metrics = ["p_violation", "p_failed"]
    summary = summarize(df, by=["protocol", "fault_scope"], metrics=metrics)
    fig = plot_bars(summary, metrics, hue="fault_scope", hue_order=["cluster", "process"],
                    hue_labels={"cluster": "fault scope: cluster",
                                "process": "fault scope: process"})
    return _result(fig, summary, df)


#: ``per_member``: mdcd, the paper's reading and per-member validation (docs/protocol.md, 8)
PER_MEMBER = (*DEFAULT_PAIR, "mdcd-vector")


def fig_per_member(runs: int, engine: str, progress: bool) -> FigureResult:
    """Failures, violations and costs of ``mdcd-vector`` under both fault scopes."""
    from ..plots.bars import plot_bars
    sc = BASE.replace(fault_rate=0.01, at_coverage=1.0)
    df = sweep(sc, {"fault_scope": ["cluster", "process"]}, runs, SEED, protocols=PER_MEMBER,
               engine=engine, progress=progress)
    metrics = ["p_failed", "p_violation", "ckpt_total", "log_entries_peak",
               "piggyback_bytes", "rollback_dist_max"]
    summary = summarize(df, by=["protocol", "fault_scope"], metrics=metrics)
    fig = plot_bars(summary, metrics, hue="fault_scope", hue_order=["cluster", "process"],
                    hue_labels={"cluster": "fault scope: cluster",
                                "process": "fault scope: process"}, nrows=2)
    return _result(fig, summary, df)


SPACETIME_SCENARIO = Scenario(n_low=2, n_act=3, horizon=30.0, rate_low_act=0.6,
                              rate_low_low=0.3, rate_sdw_sdw=0.3, rate_act_low=0.3,
                              rate_act_act=0.4, rate_ext_low=0.15, rate_ext_act=0.25,
                              fault_rate=0.03, at_coverage=1.0, latency=0.2, shadow_lag=0.3)


def fig_spacetime(runs: int, engine: str, progress: bool) -> FigureResult:
    from ..plots import plot_spacetime
    sc = SPACETIME_SCENARIO
    res = api.simulate(sc, 200, SEED, protocol="mdcd", engine="reference")
    pick = res[(res["outcome"] == "recovered") & (res["rollback_procs"] >= 2)]
    run = int(pick["run"].iloc[0]) if len(pick) else 0
    trace, events, _ = api.run_events(sc, SEED, run, "mdcd")
    t_end = float(res.loc[res["run"] == run, "t_end"].iloc[0])
    fig = plot_spacetime(trace, events, sc, t_range=(max(0.0, t_end - 12.0), t_end + 0.5))
    study = one_run_study(sc, 200, SEED, "mdcd", "reference")
    study["run_shown"] = run
    return FigureResult(fig, events.assign(run=run), [study])


def fig_duration(runs: int, engine: str, progress: bool) -> FigureResult:
    """Mean worth and Y against the guarded-operation duration, optimum marked
    (docs/performability.md, "A realistic setting")."""
    from ..performability.duration import (
        REALISTIC_BASE,
        REALISTIC_COSTS,
        REALISTIC_MISSION,
        duration_study,
        fresh_seed_of,
    )
    from ..plots.duration import plot_duration
    from .studies import study_record
    phis = [REALISTIC_MISSION * k / 10 for k in range(11)]
    protocols = ("mdcd", "coordinated")
    eng = "numba" if engine == "auto" else engine
    st = duration_study(REALISTIC_BASE, phis, REALISTIC_MISSION, runs, SEED,
                        protocols=protocols, costs=REALISTIC_COSTS, engine=eng,
                        progress=progress, refine=True)
    fig = plot_duration(st.table, st.optimum)
    data = st.table.merge(st.optimum, on="protocol", how="left")
    # the scenarios the engines get: horizon = phi for phi > 0 (the grid and its
    # refinement); "unguarded" (phi = 0) runs the base, whose horizon is the mission's
    base = REALISTIC_BASE.replace(horizon=REALISTIC_MISSION, mission=REALISTIC_MISSION)
    grid = {"horizon": sorted(float(p) for p in set(st.table["phi"]) if p > 0)}
    scenarios = [base.replace(horizon=phi).to_dict() for phi in grid["horizon"]]
    study = study_record(base, grid, runs, SEED, [*protocols, "unguarded"],
                         dict.fromkeys([*protocols, "unguarded"], eng), scenarios)
    study["costs"] = REALISTIC_COSTS.to_dict()
    study["refine"] = True
    study["fresh_seed"] = fresh_seed_of(SEED)   # fresh runs at each protocol's best phi
    study["fresh_runs"] = runs
    return FigureResult(fig, data, [study])


def _figures() -> tuple[FigureSpec, ...]:
    from . import review as rv
    return (
        FigureSpec("ckpt_log_vs_msg_rate", "Checkpoints and peak log entries per run against "
                   "the G_low -> G_act message rate", fig_ckpt_log_vs_msg_rate),
        FigureSpec("ckpt_log_vs_at_rate", "Checkpoints and peak log entries per run against "
                   "the G_act external-message rate", fig_ckpt_log_vs_at_rate),
        FigureSpec("rollback_distance", "Distribution of the rollback distance of recovered "
                   "runs", fig_rollback_distance),
        FigureSpec("outcomes_vs_coverage", "P(failed) and P(recovered) against AT coverage",
                   fig_outcomes_vs_coverage),
        FigureSpec("outcomes_vs_horizon", "P(failed) and P(recovered) against the "
                   "guarded-operation duration", fig_outcomes_vs_horizon),
        FigureSpec("cost_by_protocol", "Cost and soundness of every protocol on common traces",
                   fig_cost_by_protocol),
        FigureSpec("violations_by_scope", "Runs with an oracle violation or a failure, by "
                   "fault scope and protocol (perfect ATs)", fig_violations_by_scope),
        FigureSpec("per_member", "Per-member validation: failures, violations and costs of "
                   "mdcd-vector, mdcd and mdcd-paper under both fault scopes (perfect ATs)",
                   fig_per_member),
        FigureSpec("spacetime", "Space-time diagram of a recovered mdcd run", fig_spacetime),
        *rv.FIGURES,
        FigureSpec("duration", "Mission worth and performability index Y against the "
                   "guarded-operation duration phi: the set of phi not below the best, the "
                   "smooth optimum with its interval, the worth of fresh runs there",
                   fig_duration),
    )


#: Every figure of the set, in the order they are drawn (docs/figures.md).
FIGURES: tuple[FigureSpec, ...] = _figures()


def figure_provenance(spec: FigureSpec, result: FigureResult, runs: int,
                      engine: str) -> dict:
    """The sidecar of one figure: what it shows and exactly which scenarios it used.

    ``scenarios`` lists every scenario that was simulated for the figure (read
    back from the engine's per-run tables); ``differs_from_default`` names, per
    field, the values that differ from ``Scenario()`` in any of them;
    ``studies`` gives each study's base scenario, grid, protocols, runs, seed
    and engine per protocol.
    """
    scenarios: list[dict] = []
    for st in result.studies:
        for sc in st["scenarios"]:
            if sc not in scenarios:
                scenarios.append(sc)
    differs: dict[str, list] = {}
    for sc in scenarios:
        for k, v in scenario_diff(sc).items():
            if v not in differs.setdefault(k, []):
                differs[k].append(v)
    engines: dict[str, str] = {}
    for st in result.studies:
        engines.update(st["engine_per_protocol"])
    return {"figure": spec.name, "caption": spec.caption, "runs": runs, "seed": SEED,
            "engine": engine, "engine_per_protocol": engines, "scenarios": scenarios,
            "differs_from_default": differs, "studies": result.studies}


def figure_complete(out: str | Path, name: str, runs: int, engine: str,
                    formats: Sequence[str] = ("pdf", "png")) -> bool:
    """Whether ``out`` holds figure ``name`` made with ``runs`` and ``engine``: every image
    format, and its CSV whose sidecar records the same runs, engine and seed (the CSV is
    written last, so an interrupted figure is never complete)."""
    from ..io.provenance import read_provenance
    out = Path(out)
    csv = out / f"{name}.csv"
    if not csv.is_file() or not all((out / f"{name}.{fmt}").is_file() for fmt in formats):
        return False
    try:
        meta = read_provenance(csv)
    except (OSError, ValueError):
        return False
    return (meta.get("figure"), meta.get("runs"), meta.get("engine"), meta.get("seed")) == \
        (name, runs, engine, SEED)


def make_figures(out: str | Path, runs: int = 2000, engine: str = "auto",
                 progress: bool = False, only: Sequence[str] | None = None,
                 formats: Sequence[str] = ("pdf", "png"),
                 resume: bool = False) -> dict[str, list[Path]]:
    """Regenerate the figure set into ``out``; return the files written per figure.

    Each figure is saved with TrueType fonts (no Type 3 font in any PDF) and
    its CSV gets a sidecar recording the exact scenarios it simulated
    (``figure_provenance``).  Every file is written to a temporary file and
    renamed into place ([`mdcd_lab.io.atomic_files`][mdcd_lab.io.atomic_files]): a killed process
    leaves whole files or none, and the CSV comes last.  One writer at a time holds
    ``out/.lock``.

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
        Names of the figures to make (default: all of [`FIGURES`][mdcd_lab.figures.FIGURES]).
    progress : bool
        One ``tqdm`` bar over the figures ("figure k of N: name"); the studies
        inside a figure show none.
    formats : sequence of str
        Image formats among ``pdf``, ``png``, ``svg``.
    resume : bool, default False
        Keep the figures ``out`` already holds complete with the same ``runs``
        and ``engine`` (``figure_complete``), and make only the others: an
        interrupted ``make_figures`` finishes the missing ones.  They are not in
        the returned dict.
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
    from ..io.locks import FileLock
    from ..io.results import TMP_SUFFIX
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    with FileLock(out / ".lock", f"figure folder {str(out)!r}"):
        for tmp in out.glob(f".*{TMP_SUFFIX}"):      # left by a killed writer
            tmp.unlink(missing_ok=True)
        todo = [spec for spec in FIGURES if (only is None or spec.name in only) and not (
            resume and figure_complete(out, spec.name, runs, engine, formats))]
        bar = None
        if progress:      # one bar over the figures ("figure k of N"), none per inner study
            from tqdm.auto import tqdm
            bar = tqdm(total=len(todo), desc="figures", unit="figure")
        try:
            with study_cache():
                for k, spec in enumerate(todo, 1):
                    if bar is not None:
                        bar.set_description(f"figure {k} of {len(todo)}: {spec.name}")
                    written[spec.name] = _make_one(spec, out, runs, engine, formats)
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
    return written


def _make_one(spec: FigureSpec, out: Path, runs: int, engine: str,
              formats: Sequence[str]) -> list[Path]:
    """Build one figure of the set (no inner progress bars) and write its files."""
    from ..io.results import atomic_files
    from ..plots.style import style_context
    result = spec.build(runs, engine, False)
    files = [out / f"{spec.name}.{fmt}" for fmt in formats]
    # the style's TrueType fonts also when saving; whole files or none, the CSV last
    with style_context(), atomic_files(*files) as tmps:
        for fmt, tmp in zip(formats, tmps, strict=True):
            result.figure.savefig(tmp, format=fmt, dpi=200, metadata=_metadata(fmt))
    files.append(to_csv(result.data.reset_index(drop=True), out / f"{spec.name}.csv",
                        provenance=figure_provenance(spec, result, runs, engine)))
    return files


def scope_summary_lines(fig_dir: str | Path, scenario: Scenario,
                        figure: str = "violations_by_scope") -> list[str]:
    """Lines of the demo's summary about a figure swept over ``fault_scope``
    (``violations_by_scope`` or ``per_member``), stating its scenario.

    The figure's scenario is not the demo's: the first line names every field in
    which it differs from ``scenario`` (read from the figure's sidecar), so no
    number is shown under another scenario's heading.
    """
    from ..io.provenance import read_provenance
    from ..io.results import load_results
    path = Path(fig_dir) / f"{figure}.csv"
    meta = read_provenance(path)
    (study,) = meta["studies"]
    swept = set(study["grid"])
    diff = {k: v for k, v in scenario_diff(study["base"], scenario).items() if k not in swept}
    table = load_results(path)
    table = table[table["metric"] == "p_violation"]
    changed = ", ".join(f"{k}={v:g}" if not isinstance(v, str) else f"{k}={v}"
                        for k, v in diff.items())
    lines = [f"figure {figure} ({study['runs']} runs per point): the scenario above "
             f"with {changed}"]
    for scope_name, g in table.groupby("fault_scope", observed=True):
        lines.append(f"  P(oracle violation), fault_scope={scope_name}: " + ", ".join(
            f"{p} {v:.3f}" for p, v in zip(g["protocol"], g["mean"], strict=True)))
    return lines


def _metadata(fmt: str) -> dict:
    # fixed metadata so that reruns do not differ by a creation date
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": "mdcd_lab"}
    if fmt == "png":
        return {"Software": "mdcd_lab"}
    return {"Date": None} if fmt == "svg" else {}
