"""The paper figure set: one command regenerates every figure and the CSV behind it.

``mdcd-lab figures --out DIR`` (or [`make_figures`][mdcd_lab.figures.make_figures]) runs each study
from a fixed seed, writes ``NAME.pdf``, ``NAME.png`` and ``NAME.csv`` (the plotted
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

from .. import api
from ..io.results import to_csv
from ..scenario import Scenario
from .studies import (
    BASE,
    SEED,
    FigureResult,
    FigureSpec,
    round_floats,
    scenario_diff,
    study_cache,
)

__all__ = ["FIGURES", "FigureSpec", "FigureResult", "make_figures", "draw_figure",
           "figure_complete", "BASE", "SEED", "figure_provenance"]


def _figures() -> tuple[FigureSpec, ...]:
    from . import review as rv
    from .paper_figures import (
        draw_ckpt_log_vs_at_rate,
        draw_ckpt_log_vs_msg_rate,
        draw_cost_by_protocol,
        draw_duration,
        draw_outcomes_vs_coverage,
        draw_outcomes_vs_horizon,
        draw_per_member,
        draw_rollback_distance,
        draw_spacetime,
        draw_violations_by_scope,
        fig_ckpt_log_vs_at_rate,
        fig_ckpt_log_vs_msg_rate,
        fig_cost_by_protocol,
        fig_duration,
        fig_outcomes_vs_coverage,
        fig_outcomes_vs_horizon,
        fig_per_member,
        fig_rollback_distance,
        fig_spacetime,
        fig_violations_by_scope,
    )
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


#: Every figure of the set, in the order they are drawn (docs/figures.md).
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

    Each figure's numbers are rounded (``round_floats``)
    and written as its CSV, and the figure is drawn from that CSV
    ([`draw_figure`][mdcd_lab.figures.draw_figure]), so the committed images are what the committed
    CSVs give. One line redoes a paper figure with other parameters::

        make_figures("out", only=["outcomes_vs_coverage"], base=BASE.replace(n_low=4),
                     seed=7)

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
    base : Scenario, optional
        Replaces [`BASE`][mdcd_lab.figures.BASE]: every field in which it differs from ``BASE`` is
        set in every scenario of every figure made (also those with scenarios
        of their own: ``spacetime``, ``correction_space``, ``duration``), except
        the field a figure sweeps (``on_base``).
        The sidecars record the scenarios simulated.
    seed : int, default [`SEED`][mdcd_lab.figures.SEED] (2026)
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
    """Draw figure ``name`` of [`FIGURES`][mdcd_lab.figures.FIGURES] from ``folder/NAME.csv`` and
    its sidecar, simulating nothing (except the one run whose trace ``spacetime`` draws).

    This is how [`make_figures`][mdcd_lab.figures.make_figures] draws every figure, and how the
    figure-regression test (``tests/test_figure_baselines.py``) redraws the committed set.

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
