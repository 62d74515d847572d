"""The correction space: every combination of the five corrections on common traces.

docs/protocol.md, section 6: each correction of ``mdcd`` over ``mdcd-paper`` is
an independent switch of [`Rules`][mdcd_lab.protocols.Rules] (letters R L C S
E, [`CORRECTIONS`][mdcd_lab.protocols.CORRECTIONS]).  ``correction_study`` plays
all 2^5 = 32 combinations ([`correction_combinations`][mdcd_lab.protocols.correction_combinations])
on the same traces, ``correction_table`` turns the runs into one row per
combination (mean cost with its interval, runs with a failure or a violation,
soundness, Pareto frontier of the sound ones), and the figure
``correction_space`` (``mdcd_lab.figures.review``) draws it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import api
from ..metrics import VIOLATIONS
from ..protocols import SOUND_IN_SCOPES, correction_combinations
from ..scenario import Scenario
from ..stats.summary import summarize

__all__ = ["COST_AXES", "correction_study", "bad_runs", "correction_table", "pareto_frontier"]

#: The two costs of the figure: x and y.
COST_AXES = ("ckpt_total", "log_entries_peak")


def bad_runs(df: pd.DataFrame) -> pd.Series:
    """Per run: a failure, an oracle violation or a duplicate external message."""
    return (df[[*VIOLATIONS, "dup_outputs"]].sum(axis=1) > 0) | (df["outcome"] == "failed")


def correction_study(scenario: Scenario, runs: int, seed: int, engine: str = "auto",
                     progress: bool = False) -> pd.DataFrame:
    """Play every combination of corrections on the same ``runs`` runs of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
    runs : int
        Runs per combination (run ``r`` is the same trace for every combination).
    seed : int
    engine : {"auto", "numba", "reference"}
    progress : bool

    Returns
    -------
    DataFrame
        The per-run metrics of [`mdcd_lab.simulate`][mdcd_lab.api.simulate], one block per
        combination, with ``combination`` (its letters, ``""`` for
        ``mdcd-paper``) and ``protocol`` (the registered name where there is
        one: ``mdcd``, ``mdcd-every-level``, ``mdcd-paper``; else
        ``paper+LETTERS``) as strings in front.  ``df.attrs["engines"]`` maps
        each protocol name to the engine that played it.
    """
    frames = []
    engines: dict[str, str] = {}
    for letters, rules in correction_combinations().items():
        eng = api.resolve_engine(engine, [rules])
        df = api.simulate(scenario, runs, seed, protocol=rules, engine=eng, progress=progress)
        df["protocol"] = df["protocol"].astype(str)
        df.insert(0, "combination", letters)
        frames.append(df)
        engines[rules.name] = eng
    out = pd.concat(frames, ignore_index=True)
    out.attrs["engines"] = engines
    return out


def pareto_frontier(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mask of the points no other point dominates (lower or equal in both, lower in one)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.ones(len(x), dtype=bool)
    for i in range(len(x)):
        dominated = (x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i]))
        keep[i] = not dominated.any()
    return keep


def correction_table(df: pd.DataFrame, by: tuple[str, ...] = (),
                     level: float = 0.95) -> pd.DataFrame:
    """One row per combination (and ``by`` group) of a ``correction_study`` table.

    Returns
    -------
    DataFrame
        ``by`` columns, ``combination``, ``protocol``, ``n``, for each of
        ``COST_AXES`` its ``_mean``, ``_ci_low``, ``_ci_high`` and
        ``_method`` (the interval of [`mdcd_lab.summarize`][mdcd_lab.stats.summarize]), ``bad_runs``
        (runs with a failure, a violation or a duplicate output), ``sound_in_scopes``
        (sound in the exhaustive scopes of docs/protocol.md, section 6),
        ``sound`` (that, and no bad run here) and ``pareto`` (on the Pareto
        frontier of the sound combinations over the two costs' means).
    """
    keys = [*by, "combination", "protocol"]
    df = df.assign(bad=bad_runs(df))
    s = summarize(df, by=keys, metrics=list(COST_AXES), level=level)
    wide = s.pivot_table(index=keys, columns="metric", values=["mean", "ci_low", "ci_high"],
                         sort=False)
    methods = s.set_index([*keys, "metric"])["method"]
    out = df.groupby(keys, sort=False).agg(n=("run", "size"), bad_runs=("bad", "sum"))
    for metric in COST_AXES:
        for stat in ("mean", "ci_low", "ci_high"):
            out[f"{metric}_{stat}"] = wide[(stat, metric)].reindex(out.index)
        out[f"{metric}_method"] = [methods[(*k, metric)] if isinstance(k, tuple)
                                   else methods[(k, metric)] for k in out.index]
    out = out.reset_index()
    out["bad_runs"] = out["bad_runs"].astype("int64")
    out["sound_in_scopes"] = out["combination"].isin(SOUND_IN_SCOPES)
    out["sound"] = out["sound_in_scopes"] & (out["bad_runs"] == 0)
    out["pareto"] = False
    groups = out.groupby(list(by), sort=False).groups.values() if by else [out.index]
    for idx in groups:
        part = out.loc[idx]
        sound = part[part["sound"]]
        mask = pareto_frontier(sound[f"{COST_AXES[0]}_mean"], sound[f"{COST_AXES[1]}_mean"])
        out.loc[sound.index[mask], "pareto"] = True
    cols = [*keys, "n", *(f"{m}_{s}" for m in COST_AXES
                          for s in ("mean", "ci_low", "ci_high", "method")),
            "bad_runs", "sound_in_scopes", "sound", "pareto"]
    return out[cols]
