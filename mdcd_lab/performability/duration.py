"""How long to guard an upgrade: a sweep over the guarded-operation duration phi.

[`duration_study`][mdcd_lab.performability.duration_study] plays every phi of a grid on the same
mission traces (``Scenario.mission = theta``; run ``r`` is the same trace for every phi and
every protocol: paired comparisons), keeps the per-run columns
[`worth`][mdcd_lab.performability.worth.worth] needs, and summarizes them for a cost setting: mean
worth with a Student-t interval, the performability index ``Y(phi) = (E[D_0] - E[D_phi]) / E[D_0]``
(Tai et al., Performance Evaluation 56, 2004; ``D_0`` is the mission without
guarded operation, protocol ``"unguarded"``) with a bootstrap interval, the
outcome probabilities, and the optimum: the grid's argmax of the mean worth,
the set of phi not significantly below the best (paired multiple comparison with
the best, simultaneous bootstrap max-t bounds), a smooth estimate of the optimal
phi (a quadratic fitted to the paired curve near the top, with a bootstrap
interval), optionally a finer second grid around the coarse optimum
(``refine=True``), and the worth at the chosen phi from fresh runs of an
independent seed stream (the runs that chose the optimum overstate its worth).  A
new cost setting is summarized again from the stored runs without simulating
([`DurationStudy.with_costs`][mdcd_lab.performability.DurationStudy.with_costs]).  See
docs/performability.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_runs_seed
from ..api import simulate
from ..protocols import get_rules
from ..scenario import Scenario
from .optimum import best_set, refine_grid, smooth_optimum
from .worth import WORTH_COLUMNS, Costs, worth

__all__ = ["DurationStudy", "duration_study", "summarize_duration", "fresh_seed_of",
           "OPTIMUM_COLUMNS", "RUN_COLUMNS", "REALISTIC_BASE", "REALISTIC_MISSION",
           "REALISTIC_COSTS"]

#: Per-run columns a study keeps (its ``runs`` table adds protocol, phi and mission).
RUN_COLUMNS = ("run",) + WORTH_COLUMNS + ("t_fail", "phase")
#: Spawn key of the bootstrap stream (run ``r`` uses the 1-tuple ``(r,)``).
BOOT_KEY = (0xB007, 14)
#: Spawn key of the fresh runs' study seed (independent of every run's stream).
FRESH_KEY = (0xF7E5, 22)
#: Columns of ``DurationStudy.optimum``.
OPTIMUM_COLUMNS = ("protocol", "phi_opt", "worth_opt", "set_low", "set_high", "n_set",
                   "phi_smooth", "phi_smooth_low", "phi_smooth_high", "fresh_phi",
                   "fresh_runs", "worth_fresh", "worth_fresh_low", "worth_fresh_high")

#: The documented realistic setting (docs/performability.md, "A realistic setting"):
#: two upgraded components, three G_act processes, light traffic, a design fault
#: expected once per 5000 time units over the cluster (fault_rate 1e-4 per member),
#: 95 % AT coverage, a mission of 2000 time units.
REALISTIC_BASE = Scenario(n_low=2, n_act=3, rate_low_act=0.2, rate_low_low=0.1,
                          rate_sdw_sdw=0.1, rate_act_low=0.1, rate_act_act=0.1,
                          rate_ext_low=0.05, rate_ext_act=0.05, fault_rate=0.0001,
                          at_coverage=0.95, latency=0.5)
REALISTIC_MISSION = 2000.0
#: The shadows cost 5 % of the service while they run; the old version serves at half
#: the new version's worth after a takeover.
REALISTIC_COSTS = Costs(shadow_rate=0.05, delta=0.5)


@dataclass(frozen=True)
class DurationStudy:
    """The result of [`duration_study`][mdcd_lab.performability.duration_study].

    Attributes
    ----------
    runs : DataFrame
        One row per (protocol, phi, run): ``protocol``, ``phi``, ``mission`` and
        ``RUN_COLUMNS``.  ``phi = 0`` rows are the ``"unguarded"`` runs
        (the same for every protocol).
    table : DataFrame
        One row per (protocol, phi): see
        [`summarize_duration`][mdcd_lab.performability.summarize_duration] (its column
        ``in_best_set`` marks the multiple-comparison-with-the-best set).
    optimum : DataFrame
        One row per protocol, ``OPTIMUM_COLUMNS``: see
        [`summarize_duration`][mdcd_lab.performability.summarize_duration].
    costs : Costs
    mission, level : float
    seed, n_boot : int
    fresh : DataFrame
        Runs of an independent seed stream at each protocol's chosen phi (columns
        of ``runs``); empty when ``fresh_runs=0``.
    """

    runs: pd.DataFrame
    table: pd.DataFrame
    optimum: pd.DataFrame
    costs: Costs
    mission: float
    seed: int
    level: float
    n_boot: int
    fresh: pd.DataFrame | None = None

    def with_costs(self, costs: Costs) -> DurationStudy:
        """The same runs summarized under other costs (no simulation).

        The fresh runs were simulated at the optimum of the study's own costs: under
        other costs whose optimum is another phi, ``worth_fresh`` is NaN (and
        ``fresh_phi`` says where the fresh runs are)."""
        table, optimum = summarize_duration(self.runs, costs, self.seed, self.level,
                                            self.n_boot, fresh=self.fresh)
        return DurationStudy(self.runs, table, optimum, costs, self.mission, self.seed,
                             self.level, self.n_boot, self.fresh)


def _value_list(arr: np.ndarray) -> str:
    """``[0, 200, 0.5]``: the numbers as a reader types them (no ``np.float64(...)``;
    the shortest text that reads back to each float)."""
    texts = (repr(float(v)) for v in arr)
    return "[" + ", ".join(t[:-2] if t.endswith(".0") else t for t in texts) + "]"


def _check_phis(phis: Sequence[float], mission: float) -> np.ndarray:
    try:
        arr = np.asarray([float(p) for p in phis], dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"phis must be a sequence of numbers, got {phis!r}") from None
    if arr.size < 1:
        raise ValueError("phis needs at least one duration")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > mission):
        raise ValueError(f"every phi must lie in [0, mission={mission:g}], got "
                         f"{_value_list(arr)}")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"phis must be strictly increasing, got {_value_list(arr)}")
    return arr if arr[0] == 0 else np.concatenate([[0.0], arr])


def duration_study(base: Scenario, phis: Sequence[float], mission: float, runs: int,
                   seed: int, protocols: Sequence[str] = ("mdcd",),
                   costs: Costs | None = None, engine: str = "numba", level: float = 0.95,
                   n_boot: int = 1000, progress: bool = False, refine: bool = False,
                   refine_points: int = 8, fresh_runs: int | None = None) -> DurationStudy:
    """Sweep the guarded-operation duration phi over a mission of length ``mission``.

    Parameters
    ----------
    base : Scenario
        Every field but ``horizon`` (set to each phi) and ``mission``.
    phis : sequence of float
        Strictly increasing durations in ``[0, mission]``.  ``0`` (no guarded
        operation: protocol ``"unguarded"``, which gives ``D_0`` for ``Y``) is
        always part of the grid; it is added if missing.
    mission : float
        The mission length theta (> 0).
    runs, seed : int
        Runs per (protocol, phi); run ``r`` is ``SeedSequence(seed, spawn_key=(r,))``
        and plays the same mission trace for every phi and protocol.
    protocols : sequence of str
        Guarded protocols to compare (``mdcd_lab.protocol_names()``, not
        ``"unguarded"``).
    costs : Costs, optional
        Defaults to ``Costs()``.
    engine : str
        ``"numba"`` (default) or ``"reference"``.
    level : float
        Confidence level of every interval.
    n_boot : int
        Bootstrap resamples (over runs, common to all phi) for ``Y`` and the optimum.
    progress : bool
        Progress bars of the simulations.
    refine : bool
        After the grid, simulate ``refine_points`` equally spaced durations strictly
        between the grid neighbours of each protocol's coarse optimum (the same runs:
        still paired) and summarize the union.
    refine_points : int
        Points of the finer grid (>= 1).
    fresh_runs : int, optional
        Runs of an independent seed stream (``SeedSequence(seed, spawn_key=FRESH_KEY)``)
        played at each protocol's chosen phi (the grid argmax, after refinement) for
        an unbiased worth there; default ``runs``; 0 skips them.

    Returns
    -------
    DurationStudy
    """
    if not isinstance(base, Scenario):
        raise ValueError(f"base must be a mdcd_lab.Scenario, got {type(base).__name__}")
    if isinstance(mission, bool) or not isinstance(mission, (int, float)) \
            or not math.isfinite(mission) or mission <= 0:
        raise ValueError(f"mission must be a number > 0, got {mission!r}")
    phi_arr = _check_phis(phis, float(mission))
    check_runs_seed(runs, seed, 0)
    if isinstance(protocols, str):
        protocols = (protocols,)
    protocols = tuple(protocols)
    if not protocols:
        raise ValueError("protocols must name at least one protocol")
    for p in protocols:
        if get_rules(p).unguarded:
            raise ValueError("'unguarded' is the phi = 0 baseline of every protocol; list "
                             "guarded protocols only")
    costs = Costs() if costs is None else costs
    if not isinstance(costs, Costs):
        raise ValueError(f"costs must be a mdcd_lab.Costs, got {type(costs).__name__}")
    if not (isinstance(n_boot, int) and n_boot >= 100):
        raise ValueError(f"n_boot must be an integer >= 100, got {n_boot!r}")
    if not (isinstance(level, float) and 0.5 <= level < 1):
        raise ValueError(f"level must be a float in [0.5, 1), got {level!r}")
    if not isinstance(refine, bool):
        raise ValueError(f"refine must be True or False, got {refine!r}")
    if isinstance(refine_points, bool) or not isinstance(refine_points, int) \
            or refine_points < 1:
        raise ValueError(f"refine_points must be an integer >= 1, got {refine_points!r}")
    fresh_runs = runs if fresh_runs is None else fresh_runs
    if isinstance(fresh_runs, bool) or not isinstance(fresh_runs, int) or fresh_runs < 0 \
            or fresh_runs == 1:
        raise ValueError(f"fresh_runs must be 0 or an integer >= 2, got {fresh_runs!r}")
    mission = float(mission)
    base = base.replace(horizon=mission, mission=mission)   # validates the mission's fields

    def play(phi: float, proto: str, n: int, study_seed: int) -> pd.DataFrame:
        if phi == 0.0:
            return simulate(base, n, study_seed, protocol="unguarded", engine=engine,
                            progress=progress)
        return simulate(base.replace(horizon=float(phi)), n, study_seed, protocol=proto,
                        engine=engine, progress=progress)

    frames = []
    d0 = play(0.0, protocols[0], runs, seed)
    for proto in protocols:
        frames.append(_keep(d0, proto, 0.0, mission))
        for phi in phi_arr[phi_arr > 0]:
            frames.append(_keep(play(float(phi), proto, runs, seed), proto, float(phi),
                                mission))
    all_runs = _runs_frame(frames, protocols)
    table, optimum = summarize_duration(all_runs, costs, seed, level, n_boot)
    if refine:
        fine = refine_grid(phi_arr, optimum["phi_opt"].to_numpy(float), refine_points)
        for proto in protocols:
            for phi in fine:
                frames.append(_keep(play(float(phi), proto, runs, seed), proto, float(phi),
                                    mission))
        all_runs = _runs_frame(frames, protocols)
        table, optimum = summarize_duration(all_runs, costs, seed, level, n_boot)
    fresh = _runs_frame([], protocols)
    if fresh_runs:
        fresh_seed = fresh_seed_of(seed)
        fresh = _runs_frame([_keep(play(float(o.phi_opt), str(o.protocol), fresh_runs,
                                        fresh_seed), str(o.protocol), float(o.phi_opt),
                                   mission) for o in optimum.itertuples()], protocols)
        table, optimum = summarize_duration(all_runs, costs, seed, level, n_boot, fresh=fresh)
    return DurationStudy(all_runs, table, optimum, costs, mission, int(seed), level, n_boot,
                         fresh)


def fresh_seed_of(seed: int) -> int:
    """Study seed of the fresh runs: the first word of ``SeedSequence(seed,
    spawn_key=FRESH_KEY)``, 63 bits (a stream apart from every run ``r`` of ``seed``)."""
    word = np.random.SeedSequence(int(seed), spawn_key=FRESH_KEY).generate_state(1, np.uint64)
    return int(word[0]) & (2**63 - 1)


def _runs_frame(frames: list[pd.DataFrame], protocols: tuple[str, ...]) -> pd.DataFrame:
    if frames:
        out = pd.concat(frames, ignore_index=True)
    else:
        out = pd.DataFrame({c: pd.Series(dtype=float) for c in
                            ("protocol", "phi", "mission", *RUN_COLUMNS)})
    out["protocol"] = pd.Categorical(out["protocol"], categories=list(protocols))
    return out


def _keep(df: pd.DataFrame, protocol: str, phi: float, mission: float) -> pd.DataFrame:
    out = df[list(RUN_COLUMNS)].copy()
    out.insert(0, "mission", mission)
    out.insert(0, "phi", phi)
    out.insert(0, "protocol", protocol)
    return out


def _boot_counts(n: int, seed: int, n_boot: int) -> np.ndarray:
    """Resample counts (``n_boot x n``), one seeded stream, the same for every protocol."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=BOOT_KEY)))
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)


def summarize_duration(runs: pd.DataFrame, costs: Costs, seed: int, level: float = 0.95,
                       n_boot: int = 1000, fresh: pd.DataFrame | None = None,
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summarize a study's per-run table under ``costs``; returns ``(table, optimum)``.

    ``table`` has one row per (protocol, phi): ``n``, ``worth_mean``,
    ``worth_low``, ``worth_high`` (Student-t interval), ``degradation_mean``,
    ``Y``, ``Y_low``, ``Y_high`` (bootstrap percentile interval over runs, the
    resamples shared by every phi: paired), ``p_failed``, ``p_recovered``,
    ``p_failed_after_phi`` (failed in the unguarded phase), ``overhead_mean`` and
    ``in_best_set`` (see ``best_set``).

    ``optimum`` (``OPTIMUM_COLUMNS``), one row per protocol:

    * ``phi_opt``, ``worth_opt``: the grid's argmax of the mean worth and that mean
      (biased upwards: the same runs chose it);
    * ``set_low``, ``set_high``, ``n_set``: the smallest and largest phi of the
      multiple-comparison-with-the-best set and its size (``best_set``);
    * ``phi_smooth`` with ``phi_smooth_low``, ``phi_smooth_high``: the maximum of a
      quadratic fitted to the mean worth near the top, with a bootstrap percentile
      interval (``smooth_optimum``);
    * ``fresh_phi``, ``fresh_runs``, ``worth_fresh`` with ``worth_fresh_low``,
      ``worth_fresh_high``: the mean worth (Student-t interval) of the fresh runs at
      ``fresh_phi``, reported only where ``fresh_phi == phi_opt`` (NaN otherwise,
      and where there are no fresh runs).

    Every bootstrap uses the same resamples of runs (one stream,
    ``SeedSequence(seed, spawn_key=BOOT_KEY)``), shared by every phi: paired.
    """
    w = worth(runs, costs)
    alpha = 1.0 - level
    fresh_w = worth(fresh, costs) if fresh is not None and len(fresh) else None
    rows, opts = [], []
    for proto, sub in w.groupby("protocol", observed=True, sort=False):
        wide = sub.pivot(index="run", columns="phi", values="worth").sort_index(axis=1)
        if wide.isna().any().any():
            raise ValueError(f"protocol {proto!r}: every phi needs the same runs")
        phis = wide.columns.to_numpy(dtype=float)
        if phis[0] != 0.0:
            raise ValueError("the runs table needs the phi = 0 ('unguarded') runs for Y")
        W = wide.to_numpy()
        n = W.shape[0]
        theta = float(sub["mission"].iloc[0])
        mean = W.mean(axis=0)
        sd = W.std(axis=0, ddof=1) if n > 1 else np.zeros_like(mean)
        half = stats.t.ppf(1 - alpha / 2, n - 1) * sd / math.sqrt(n) if n > 1 else sd * np.nan
        boot = _boot_counts(n, seed, n_boot) @ W / n          # n_boot x len(phis)
        d0, d0b = theta - mean[0], theta - boot[:, :1]
        Y = (mean - mean[0]) / d0 if d0 > 0 else np.full_like(mean, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            Yb = (boot - boot[:, :1]) / d0b
        # Y is undefined (NaN) where no resample has an unguarded degradation D_0 > 0
        Y_lo, Y_hi = np.full(len(phis), np.nan), np.full(len(phis), np.nan)
        some = np.isfinite(Yb).any(axis=0)
        if some.any():
            Y_lo[some], Y_hi[some] = np.nanquantile(Yb[:, some], [alpha / 2, 1 - alpha / 2],
                                                    axis=0)
        by_phi = sub.groupby("phi")
        outcome = by_phi["outcome"]
        p_failed = outcome.apply(lambda s: float((s == "failed").mean()))
        p_rec = outcome.apply(lambda s: float((s == "recovered").mean()))
        p_after = by_phi.apply(lambda g: float(((g["outcome"] == "failed")
                                                & (g["phase"] == 1)).mean()),
                               include_groups=False)
        over = by_phi["overhead"].mean()
        in_set = best_set(W, boot, level)
        for k, phi in enumerate(phis):
            rows.append(dict(protocol=proto, phi=phi, n=n, worth_mean=mean[k],
                             worth_low=mean[k] - half[k], worth_high=mean[k] + half[k],
                             degradation_mean=theta - mean[k], Y=Y[k], Y_low=Y_lo[k],
                             Y_high=Y_hi[k], p_failed=p_failed[phi], p_recovered=p_rec[phi],
                             p_failed_after_phi=p_after[phi], overhead_mean=over[phi],
                             in_best_set=bool(in_set[k])))
        k_opt = int(np.argmax(mean))
        smooth = smooth_optimum(phis, mean, boot, in_set, level)
        opt = dict(protocol=proto, phi_opt=phis[k_opt], worth_opt=mean[k_opt],
                   set_low=float(phis[in_set].min()), set_high=float(phis[in_set].max()),
                   n_set=int(in_set.sum()), phi_smooth=smooth[0], phi_smooth_low=smooth[1],
                   phi_smooth_high=smooth[2], fresh_phi=math.nan, fresh_runs=0,
                   worth_fresh=math.nan, worth_fresh_low=math.nan, worth_fresh_high=math.nan)
        if fresh_w is not None:
            mine = fresh_w[fresh_w["protocol"].astype(str) == str(proto)]
            if len(mine):
                x = mine["worth"].to_numpy(dtype=float)
                opt["fresh_phi"] = float(mine["phi"].iloc[0])
                opt["fresh_runs"] = len(x)
                if opt["fresh_phi"] == opt["phi_opt"] and len(x) > 1:
                    h = stats.t.ppf(1 - alpha / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
                    opt.update(worth_fresh=float(x.mean()), worth_fresh_low=float(x.mean() - h),
                               worth_fresh_high=float(x.mean() + h))
        opts.append(opt)
    table = pd.DataFrame(rows)
    table["protocol"] = pd.Categorical(table["protocol"],
                                       categories=list(runs["protocol"].cat.categories)
                                       if hasattr(runs["protocol"], "cat")
                                       else list(pd.unique(runs["protocol"])))
    return table, pd.DataFrame(opts, columns=list(OPTIMUM_COLUMNS))
