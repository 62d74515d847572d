"""The paper's own figures: the builder (simulates, returns the table) and the drawer
(draws from that table, as its CSV gives it back) of each.

Registered in [`mdcd_lab.figures.paper.FIGURES`][mdcd_lab.figures.FIGURES] with the review figures
of ``mdcd_lab.figures.review``; captions in docs/figures.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import api
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
    on_base,
    one_run_study,
    sweep,
)

__all__ = ["PER_MEMBER", "SPACETIME_SCENARIO"]


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
