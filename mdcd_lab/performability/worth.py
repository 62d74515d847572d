"""Mission worth and degradation of guarded operation (docs/performability.md).

The performability view of Tai, Sanders, Alkalai, Chau and Tso, *Performability
analysis of guarded-operation duration* (Performance Evaluation 56, 2004): over
a mission ``[0, theta]`` service accrues at rate 1 while the new version serves
without overhead, at a reduced rate during guarded operation ``[0, phi]`` (the
overhead of checkpoints, logging, acceptance tests and the shadows), at rate
``delta`` after a detected error (the old version takes over until ``theta``),
and at rate 0 after a failure (minus a penalty).  [`worth`][mdcd_lab.performability.worth.worth]
turns the engine's per-run columns into the worth ``W`` and the degradation
``D = theta - W`` of each run; pure pandas, instant.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from .._checks import check_nonnegative_real

__all__ = ["Costs", "COST_FIELDS", "worth", "WORTH_COLUMNS"]

#: Engine columns [`worth`][mdcd_lab.performability.worth.worth] reads.
WORTH_COLUMNS = ("outcome", "t_end", "t_detect", "t_guarded", "ckpt_total", "n_logged",
                 "n_at")


@dataclass(frozen=True)
class Costs:
    """Costs and rewards of a mission, in time units of lost service.

    A cost of ``c`` means "the system delivers ``c`` time units less service";
    the reward rate of the new version without overhead is 1.

    Attributes
    ----------
    checkpoint : float
        Per checkpoint established (``ckpt_total``).  Default 0.02.
    logged : float
        Per message logged (``n_logged``: receiver logs, the shadows' sender logs,
        coordinated lines).  Default 0.002.
    at : float
        Per acceptance test (``n_at``).  Default 0.01.
    shadow_rate : float
        Service lost per time unit of guarded operation by running the shadows
        (all of ``G_sdw`` together; ``t_guarded``).  Default 0.02.
    delta : float
        Service rate of the old version after a detected error and recovery,
        until ``theta`` (Section 3.2: the shadows take over).  In [0, 1].
        Default 0.8.
    failure_penalty : float
        Lump loss when an erroneous external message reaches the device, on top
        of the lost service until ``theta``.  Default 0.
    """

    checkpoint: float = 0.02
    logged: float = 0.002
    at: float = 0.01
    shadow_rate: float = 0.02
    delta: float = 0.8
    failure_penalty: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name,
                               check_nonnegative_real(f"Costs.{f.name}", getattr(self, f.name)))
        if self.delta > 1:
            raise ValueError(f"Costs.delta must lie in [0, 1], got {self.delta!r}")

    def replace(self, **changes: float) -> Costs:
        """A copy with ``changes`` applied (validated)."""
        unknown = set(changes) - set(COST_FIELDS)
        if unknown:
            raise ValueError(f"unknown Costs field(s): {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(COST_FIELDS)}")
        return Costs(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


#: Field names of [`Costs`][mdcd_lab.performability.Costs], in order.
COST_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Costs))


def _theta(results: pd.DataFrame, mission: float | None) -> np.ndarray:
    if mission is not None:
        if isinstance(mission, bool) or not isinstance(mission, (int, float)) \
                or not math.isfinite(mission) or mission <= 0:
            raise ValueError(f"mission must be a number > 0, got {mission!r}")
        theta = np.full(len(results), float(mission))
    elif "mission" in results.columns:
        theta = results["mission"].to_numpy(dtype=float)
        if "horizon" in results.columns:   # mission 0: the mission is the guarded operation
            theta = np.where(theta > 0, theta, results["horizon"].to_numpy(dtype=float))
    else:
        raise ValueError("worth needs the mission length theta: pass mission=... or a "
                         "results table with a 'mission' column (sweep and duration_study "
                         "tables have one)")
    # a recovery may end after theta (its window); the service ended at the detection
    served = np.where(results["outcome"].astype(str).to_numpy() == "recovered",
                      results["t_detect"].to_numpy(dtype=float),
                      results["t_end"].to_numpy(dtype=float))
    if np.any(served > theta * (1 + 1e-12)):
        raise ValueError("a run ends after the mission length theta: the runs were simulated "
                         "with another mission")
    return theta


def worth(results: pd.DataFrame, costs: Costs | None = None,
          mission: float | None = None) -> pd.DataFrame:
    """Per-run worth ``W``, overhead and degradation ``D = theta - W`` of a mission run.

    With ``C = checkpoint * ckpt_total + logged * n_logged + at * n_at +
    shadow_rate * t_guarded`` (the overhead of guarded operation):

    * ``completed`` (served until ``theta``): ``W = theta - C``;
    * ``recovered`` (an error detected at ``t_detect``; the recovery ends at
      ``t_end``, then the old version serves at rate ``delta`` until ``theta``): ``W =
      t_detect + delta max(0, theta - t_end) - C`` -- nothing is served during the
      recovery window (executed recovery, docs/protocol.md, section 9; under atomic
      recovery ``t_end = t_detect``);
    * ``failed`` at ``t_end`` (an erroneous external message reached the device):
      ``W = t_end - C - failure_penalty``.

    Parameters
    ----------
    results : DataFrame
        Per-run rows with the columns [`WORTH_COLUMNS`][mdcd_lab.performability.WORTH_COLUMNS]
        (``simulate``, ``replay``, ``sweep``, ``duration_study(...).runs``).
    costs : Costs, optional
        Defaults to ``Costs()``.
    mission : float, optional
        The mission length ``theta``; else the table's ``mission`` column (0 there
        means "the horizon": no unguarded phase).

    Returns
    -------
    DataFrame
        A copy of ``results`` with the columns ``overhead``, ``worth`` and
        ``degradation`` added (time units).
    """
    if not isinstance(results, pd.DataFrame):
        raise ValueError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    missing = [c for c in WORTH_COLUMNS if c not in results.columns]
    if missing:
        raise ValueError(f"results lacks the column(s) {', '.join(missing)} that worth "
                         "needs (simulate them with this version of mdcd_lab)")
    costs = Costs() if costs is None else costs
    if not isinstance(costs, Costs):
        raise ValueError(f"costs must be a mdcd_lab.Costs, got {type(costs).__name__}")
    theta = _theta(results, mission)
    out = results.copy()
    out["overhead"] = (costs.checkpoint * results["ckpt_total"].to_numpy(dtype=float)
                       + costs.logged * results["n_logged"].to_numpy(dtype=float)
                       + costs.at * results["n_at"].to_numpy(dtype=float)
                       + costs.shadow_rate * results["t_guarded"].to_numpy(dtype=float))
    t_end = results["t_end"].to_numpy(dtype=float)
    outcome = results["outcome"].astype(str).to_numpy()
    rec = outcome == "recovered"
    w = np.where(rec, results["t_detect"].to_numpy(dtype=float), t_end) - out["overhead"]
    w = np.where(rec, w + costs.delta * np.maximum(theta - t_end, 0.0), w)
    w = np.where(outcome == "failed", w - costs.failure_penalty, w)
    out["worth"] = w
    out["degradation"] = theta - w
    return out
