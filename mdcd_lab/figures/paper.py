"""The paper figure set: one command regenerates every figure and the CSV behind it.

``mdcd-lab figures --out DIR`` (or :func:`make_figures`) runs each study from a
fixed seed, writes ``NAME.pdf``, ``NAME.png`` and ``NAME.csv`` (the plotted
numbers: means and confidence intervals per point and protocol, or the per-run
values of a distribution) with a ``.meta.json`` sidecar.  Rerunning gives
byte-identical CSVs (the sidecars carry a timestamp).  The CSVs behind the
committed figures live in ``data/figures/``.
"""

from __future__ import annotations

import json
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
    on_base,
    one_run_study,
    round_floats,
    scenario_diff,
    study_cache,
    sweep,
)

__all__ = ["FIGURES", "FigureSpec", "FigureResult", "make_figures", "draw_figure",
           "figure_complete", "BASE", "SEED", "figure_provenance"]


def _summary(df: pd.DataFrame, x: str | None, metrics: Sequence[str]) -> pd.DataFrame:
    by = ["protocol"] + ([x] if x else [])
    return summarize(df, by=by, metrics=list(metrics))


def _panels(data: pd.DataFrame, x: str, metrics: Sequence[str], logx: bool = False,
            nrows: int = 1):
    """One panel per metric of a summary table, against ``x``; one legend, in the last."""
    from ..plots import plot_sweep
    from ..plots.style import new_figure, style_context
    with style_context():
        fig, axes = new_figure("double", nrows=nrows, ncols=-(-len(metrics) // nrows))
        for i, (ax, metric) in enumerate(zip(np.atleast_1d(axes).ravel(), metrics,
                                             strict=True)):
            plot_sweep(data, x, metric, ax=ax, legend=i == len(metrics) - 1, logx=logx)
    return fig


def _result(data: pd.DataFrame, *frames: pd.DataFrame) -> FigureResult:
    return FigureResult(data, [f.attrs["study"] for f in frames])


def _metrics(data: pd.DataFrame) -> list[str]:
    return [str(m) for m in dict.fromkeys(data["metric"])]


def fig_ckpt_log_vs_msg_rate(runs: int, engine: str, progress: bool, seed: int = SEED,
                             base: Scenario = BASE) -> FigureResult:
    df = sweep(on_base(BASE, base), {"rate_low_act": [0.25, 0.5, 1.0, 1.5, 2.0, 3.0]}, runs,
               seed, protocols=ALL, engine=engine, progress=progress)
    return _result(_summary(df, "rate_low_act", ["ckpt_total", "log_entries_peak"]), df)


def draw_ckpt_log_vs_msg_rate(data: pd.DataFrame, meta: dict):
    return _panels(data, "rate_low_act", _metrics(data))


def fig_ckpt_log_vs_at_rate(runs: int, engine: str, progress: bool, seed: int = SEED,
                            base: Scenario = BASE) -> FigureResult:
    df = sweep(on_base(BASE, base), {"rate_ext_act": [0.05, 0.1, 0.2, 0.4, 0.8, 1.6]}, runs,
               seed, protocols=ALL, engine=engine, progress=progress)
    return _result(_summary(df, "rate_ext_act", ["ckpt_total", "log_entries_peak"]), df)


def draw_ckpt_log_vs_at_rate(data: pd.DataFrame, meta: dict):
    return _panels(data, "rate_ext_act", _metrics(data), logx=True)


def fig_rollback_distance(runs: int, engine: str, progress: bool, seed: int = SEED,
                          base: Scenario = BASE) -> FigureResult:
    sc = on_base(BASE.replace(fault_rate=0.02, at_coverage=1.0), base)
    df = sweep(sc, {}, runs, seed, protocols=SOUND, engine=engine, progress=progress)
    rec = df[df["outcome"] == "recovered"]
    data = rec[["protocol", "run", "rollback_dist_max", "rollback_procs",
                "rollback_events_max"]].reset_index(drop=True)
    return _result(data, df)


def draw_rollback_distance(data: pd.DataFrame, meta: dict):
    from ..plots import plot_distribution
    return plot_distribution(data, "rollback_dist_max", kind="ecdf")


def fig_outcomes_vs_coverage(runs: int, engine: str, progress: bool, seed: int = SEED,
                             base: Scenario = BASE) -> FigureResult:
    df = sweep(on_base(BASE.replace(fault_rate=0.02), base),
               {"at_coverage": [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0]}, runs, seed,
               protocols=DEFAULT_PAIR, engine=engine, progress=progress)
    return _result(_summary(df, "at_coverage", ["p_failed", "p_recovered", "p_completed"]),
                   df)


def draw_outcomes_vs_coverage(data: pd.DataFrame, meta: dict):
    from ..plots import plot_outcomes
    return plot_outcomes(data, "at_coverage", outcomes=("failed", "recovered"))


def fig_outcomes_vs_horizon(runs: int, engine: str, progress: bool, seed: int = SEED,
                            base: Scenario = BASE) -> FigureResult:
    df = sweep(on_base(BASE.replace(at_coverage=0.9), base),
               {"horizon": [25.0, 50.0, 100.0, 200.0, 400.0]}, runs, seed,
               protocols=DEFAULT_PAIR, engine=engine, progress=progress)
    return _result(_summary(df, "horizon", ["p_failed", "p_recovered", "p_completed"]), df)


def draw_outcomes_vs_horizon(data: pd.DataFrame, meta: dict):
    from ..plots import plot_outcomes
    return plot_outcomes(data, "horizon", outcomes=("failed", "recovered"), logx=True)


def fig_cost_by_protocol(runs: int, engine: str, progress: bool, seed: int = SEED,
                         base: Scenario = BASE) -> FigureResult:
    sc = on_base(BASE.replace(fault_rate=0.01), base)
    df = sweep(sc, {}, runs, seed, protocols=ALL, engine=engine, progress=progress)
    metrics = ["ckpt_total", "log_entries_peak", "rollback_dist_max", "p_violation"]
    return _result(summarize(df, by="protocol", metrics=metrics), df)


def draw_cost_by_protocol(data: pd.DataFrame, meta: dict):
    from ..plots.bars import plot_bars
    return plot_bars(data, _metrics(data), nrows=2)


_SCOPE_LABELS = {"cluster": "fault scope: cluster", "process": "fault scope: process"}


def fig_violations_by_scope(runs: int, engine: str, progress: bool, seed: int = SEED,
                            base: Scenario = BASE) -> FigureResult:
    sc = on_base(BASE.replace(fault_rate=0.01, at_coverage=1.0), base)
    df = sweep(sc, {"fault_scope": ["cluster", "process"]}, runs, seed, protocols=ALL6,
               engine=engine, progress=progress)
    summary = summarize(df, by=["protocol", "fault_scope"], metrics=["p_violation", "p_failed"])
    return _result(summary, df)


def draw_violations_by_scope(data: pd.DataFrame, meta: dict):
    from ..plots.bars import plot_bars
    return plot_bars(data, _metrics(data), hue="fault_scope", hue_order=["cluster", "process"],
                     hue_labels=_SCOPE_LABELS)


#: ``per_member``: mdcd, the paper's reading and per-member validation (docs/protocol.md, 8)
PER_MEMBER = (*DEFAULT_PAIR, "mdcd-vector")


def fig_per_member(runs: int, engine: str, progress: bool, seed: int = SEED,
                   base: Scenario = BASE) -> FigureResult:
    """Failures, violations and costs of ``mdcd-vector`` under both fault scopes."""
    sc = on_base(BASE.replace(fault_rate=0.01, at_coverage=1.0), base)
    df = sweep(sc, {"fault_scope": ["cluster", "process"]}, runs, seed, protocols=PER_MEMBER,
               engine=engine, progress=progress)
    metrics = ["p_failed", "p_violation", "ckpt_total", "log_entries_peak",
               "piggyback_bytes", "rollback_dist_max"]
    return _result(summarize(df, by=["protocol", "fault_scope"], metrics=metrics), df)


def draw_per_member(data: pd.DataFrame, meta: dict):
    from ..plots.bars import plot_bars
    return plot_bars(data, _metrics(data), hue="fault_scope", hue_order=["cluster", "process"],
                     hue_labels=_SCOPE_LABELS, nrows=2)


SPACETIME_SCENARIO = Scenario(n_low=2, n_act=3, horizon=30.0, rate_low_act=0.6,
                              rate_low_low=0.3, rate_sdw_sdw=0.3, rate_act_low=0.3,
                              rate_act_act=0.4, rate_ext_low=0.15, rate_ext_act=0.25,
                              fault_rate=0.03, at_coverage=1.0, latency=0.2, shadow_lag=0.3)


def fig_spacetime(runs: int, engine: str, progress: bool, seed: int = SEED,
                  base: Scenario = BASE) -> FigureResult:
    sc = on_base(SPACETIME_SCENARIO, base)
    res = api.simulate(sc, 200, seed, protocol="mdcd", engine="reference")
    pick = res[(res["outcome"] == "recovered") & (res["rollback_procs"] >= 2)]
    run = int(pick["run"].iloc[0]) if len(pick) else 0
    _, events, _ = api.run_events(sc, seed, run, "mdcd")
    t_end = float(res.loc[res["run"] == run, "t_end"].iloc[0])
    study = one_run_study(sc, 200, seed, "mdcd", "reference")
    study["run_shown"] = run
    study["t_range"] = [max(0.0, t_end - 12.0), t_end + 0.5]
    return FigureResult(events.assign(run=run), [study])


def draw_spacetime(data: pd.DataFrame, meta: dict):
    """The run's event log from the CSV; its trace (the delivery times of messages in
    transit, the notification delays) simulated again: one run, from the sidecar's
    scenario, seed and run."""
    from ..plots import plot_spacetime
    (study,) = meta["studies"]
    sc = Scenario.from_dict(study["base"])
    trace, _, _ = api.run_events(sc, study["seed"], study["run_shown"], "mdcd")
    events = data.drop(columns="run")
    if "t_range" in study:
        t_range = tuple(study["t_range"])
    else:       # a sidecar written before the window was recorded: the run's last 12 units
        from ..plots.spacetime_tables import spacetime_data
        t_end = spacetime_data(trace, events, sc).t_end
        t_range = (max(0.0, t_end - 12.0), t_end + 0.5)
    return plot_spacetime(trace, events, sc, t_range=t_range)


def fig_duration(runs: int, engine: str, progress: bool, seed: int = SEED,
                 base: Scenario = BASE) -> FigureResult:
    """Mean worth and Y against the guarded-operation duration, optimum marked
    (docs/performability.md, "A realistic setting")."""
    from ..performability.duration import (
        REALISTIC_BASE,
        REALISTIC_COSTS,
        REALISTIC_MISSION,
        duration_study,
        fresh_seed_of,
    )
    from .studies import study_record
    phis = [REALISTIC_MISSION * k / 10 for k in range(11)]
    protocols = ("mdcd", "coordinated")
    eng = "numba" if engine == "auto" else engine
    realistic = on_base(REALISTIC_BASE, base)
    st = duration_study(realistic, phis, REALISTIC_MISSION, runs, seed,
                        protocols=protocols, costs=REALISTIC_COSTS, engine=eng,
                        progress=progress, refine=True)
    data = st.table.merge(st.optimum, on="protocol", how="left")
    # the scenarios the engines get: horizon = phi for phi > 0 (the grid and its
    # refinement); "unguarded" (phi = 0) runs the base, whose horizon is the mission's
    sc0 = realistic.replace(horizon=REALISTIC_MISSION, mission=REALISTIC_MISSION)
    grid = {"horizon": sorted(float(p) for p in set(st.table["phi"]) if p > 0)}
    scenarios = [sc0.replace(horizon=phi).to_dict() for phi in grid["horizon"]]
    study = study_record(sc0, grid, runs, seed, [*protocols, "unguarded"],
                         dict.fromkeys([*protocols, "unguarded"], eng), scenarios)
    study["costs"] = REALISTIC_COSTS.to_dict()
    study["refine"] = True
    study["fresh_seed"] = fresh_seed_of(seed)   # fresh runs at each protocol's best phi
    study["fresh_runs"] = runs
    return FigureResult(data, [study])


#: The columns of ``duration.csv`` that come from ``DurationStudy.optimum`` (one value
#: per protocol, repeated on its rows).
_OPTIMUM_COLUMNS = ("phi_opt", "worth_opt", "set_low", "set_high", "n_set", "phi_smooth",
                    "phi_smooth_low", "phi_smooth_high", "fresh_phi", "fresh_runs",
                    "worth_fresh", "worth_fresh_low", "worth_fresh_high")


def draw_duration(data: pd.DataFrame, meta: dict):
    from ..plots.duration import plot_duration
    opt_cols = [c for c in _OPTIMUM_COLUMNS if c in data.columns]
    table = data.drop(columns=opt_cols)
    optimum = data[["protocol", *opt_cols]].drop_duplicates("protocol").reset_index(drop=True)
    return plot_duration(table, optimum)


def _figures() -> tuple[FigureSpec, ...]:
    from . import review as rv
    return (
        FigureSpec("ckpt_log_vs_msg_rate", "Checkpoints and peak log entries per run against "
                   "the G_low -> G_act message rate", fig_ckpt_log_vs_msg_rate,
                   draw_ckpt_log_vs_msg_rate),
        FigureSpec("ckpt_log_vs_at_rate", "Checkpoints and peak log entries per run against "
                   "the G_act external-message rate", fig_ckpt_log_vs_at_rate,
                   draw_ckpt_log_vs_at_rate),
        FigureSpec("rollback_distance", "Distribution of the rollback distance of recovered "
                   "runs", fig_rollback_distance, draw_rollback_distance),
        FigureSpec("outcomes_vs_coverage", "P(failed) and P(recovered) against AT coverage",
                   fig_outcomes_vs_coverage, draw_outcomes_vs_coverage),
        FigureSpec("outcomes_vs_horizon", "P(failed) and P(recovered) against the "
                   "guarded-operation duration", fig_outcomes_vs_horizon,
                   draw_outcomes_vs_horizon),
        FigureSpec("cost_by_protocol", "Cost and soundness of every protocol on common traces",
                   fig_cost_by_protocol, draw_cost_by_protocol),
        FigureSpec("violations_by_scope", "Runs with an oracle violation or a failure, by "
                   "fault scope and protocol (perfect ATs)", fig_violations_by_scope,
                   draw_violations_by_scope),
        FigureSpec("per_member", "Per-member validation: failures, violations and costs of "
                   "mdcd-vector, mdcd and mdcd-paper under both fault scopes (perfect ATs)",
                   fig_per_member, draw_per_member),
        FigureSpec("spacetime", "Space-time diagram of a recovered mdcd run", fig_spacetime,
                   draw_spacetime, digits=12),
        *rv.FIGURES,
        FigureSpec("duration", "Mission worth and performability index Y against the "
                   "guarded-operation duration phi: the set of phi not below the best, the "
                   "smooth optimum with its interval, the worth of fresh runs there",
                   fig_duration, draw_duration),
    )


FIGURES: tuple[FigureSpec, ...] = _figures()


def figure_provenance(spec: FigureSpec, result: FigureResult, runs: int,
                      engine: str, seed: int = SEED) -> dict:
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
    return {"figure": spec.name, "caption": spec.caption, "runs": runs, "seed": seed,
            "csv_digits": spec.digits,
            "engine": engine, "engine_per_protocol": engines, "scenarios": scenarios,
            "differs_from_default": differs, "studies": result.studies}


def figure_complete(out: str | Path, name: str, runs: int, engine: str,
                    formats: Sequence[str] = ("pdf", "png"), seed: int = SEED,
                    base: Scenario | None = None) -> bool:
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
        (name, runs, engine, seed) and meta.get("base_overrides", {}) == \
        json.loads(json.dumps(scenario_diff(base or BASE, BASE)))


def make_figures(out: str | Path, runs: int = 2000, engine: str = "auto",
                 progress: bool = False, only: Sequence[str] | None = None,
                 formats: Sequence[str] = ("pdf", "png"),
                 resume: bool = False, *, base: Scenario | None = None,
                 seed: int = SEED) -> dict[str, list[Path]]:
    """Regenerate the figure set into ``out``; return the files written per figure.

    Each figure's numbers are rounded (:func:`~mdcd_lab.figures.studies.round_floats`)
    and written as its CSV, and the figure is drawn from that CSV
    (:func:`draw_figure`), so the committed images are what the committed CSVs give.
    One line redoes a paper figure with other parameters::

        make_figures("out", only=["outcomes_vs_coverage"], base=BASE.replace(n_low=4),
                     seed=7)

    Each figure is saved with TrueType fonts (no Type 3 font in any PDF) and
    its CSV gets a sidecar recording the exact scenarios it simulated
    (:func:`figure_provenance`).  Every file is written to a temporary file and
    renamed into place (:func:`mdcd_lab.io.atomic_files`): a killed process leaves
    whole files or none, and the CSV comes last.  One writer at a time holds
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
        Names of the figures to make (default: all of :data:`FIGURES`).
    progress : bool
        One ``tqdm`` bar over the figures ("figure k of N: name"); the studies
        inside a figure show none.
    formats : sequence of str
        Image formats among ``pdf``, ``png``, ``svg``.
    resume : bool, default False
        Keep the figures ``out`` already holds complete with the same ``runs``
        and ``engine`` (:func:`figure_complete`), and make only the others: an
        interrupted ``make_figures`` finishes the missing ones.  They are not in
        the returned dict.
    base : Scenario, optional
        Replaces :data:`BASE`: every field in which it differs from ``BASE`` is
        set in every scenario of every figure made (also those with scenarios
        of their own: ``spacetime``, ``correction_space``, ``duration``), except
        the field a figure sweeps (:func:`~mdcd_lab.figures.studies.on_base`).
        The sidecars record the scenarios simulated.
    seed : int, default :data:`SEED` (2026)
        Seed of every study.
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
    if base is None:
        base = BASE
    elif not isinstance(base, Scenario):
        raise ValueError(f"base must be a Scenario, got {type(base).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    seed = int(seed)
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
            resume and figure_complete(out, spec.name, runs, engine, formats, seed, base))]
        bar = None
        if progress:      # one bar over the figures ("figure k of N"), none per inner study
            from tqdm.auto import tqdm
            bar = tqdm(total=len(todo), desc="figures", unit="figure")
        try:
            with study_cache():
                for k, spec in enumerate(todo, 1):
                    if bar is not None:
                        bar.set_description(f"figure {k} of {len(todo)}: {spec.name}")
                    written[spec.name] = _make_one(spec, out, runs, engine, formats, seed,
                                                   base)
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
    return written


def _make_one(spec: FigureSpec, out: Path, runs: int, engine: str,
              formats: Sequence[str], seed: int = SEED,
              base: Scenario = BASE) -> list[Path]:
    """Build one figure of the set (no inner progress bars) and write its files: the
    numbers rounded, the figure drawn from them as the CSV gives them back."""
    import tempfile

    from ..io.provenance import read_provenance
    from ..io.results import load_results
    result = spec.build(runs, engine, False, seed, base)
    data = round_floats(result.data.reset_index(drop=True), spec.digits)
    provenance = figure_provenance(spec, result, runs, engine, seed)
    provenance["base_overrides"] = scenario_diff(base, BASE)
    with tempfile.TemporaryDirectory() as tmp:   # the table exactly as its CSV reads back
        csv = to_csv(data, Path(tmp) / f"{spec.name}.csv", provenance=provenance)
        fig = spec.draw(load_results(csv), read_provenance(csv))
    files = [out / f"{spec.name}.{fmt}" for fmt in formats]
    save_figure(fig, files, formats)
    files.append(to_csv(data, out / f"{spec.name}.csv", provenance=provenance))
    return files


#: Resolution of the PNGs of the figure set (the PDFs are vector graphics).
FIGURE_DPI = 200


def save_figure(fig, files: Sequence[Path], formats: Sequence[str],
                dpi: int = FIGURE_DPI) -> None:
    """Save ``fig`` once per format, whole files or none (written to temporary files and
    renamed), with the style's TrueType fonts and fixed metadata (no creation date: a
    PDF or PNG drawn twice from the same CSV is byte-identical on one machine)."""
    from ..io.results import atomic_files
    from ..plots.style import style_context
    with style_context(), atomic_files(*files) as tmps:
        for fmt, tmp in zip(formats, tmps, strict=True):
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fmt))


def draw_figure(name: str, folder: str | Path = "data/figures"):
    """Draw figure ``name`` of :data:`FIGURES` from ``folder/NAME.csv`` and its sidecar,
    simulating nothing (except the one run whose trace ``spacetime`` draws).

    This is how :func:`make_figures` draws every figure, and how the figure-regression
    test (``tests/test_figure_baselines.py``) redraws the committed set.

    Returns
    -------
    LabFigure
    """
    from ..io.provenance import read_provenance
    from ..io.results import load_results
    specs = {f.name: f for f in FIGURES}
    if name not in specs:
        raise ValueError(f"unknown figure {name!r}; known: {list(specs)}")
    csv = Path(folder) / f"{name}.csv"
    return specs[name].draw(load_results(csv), read_provenance(csv))


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
