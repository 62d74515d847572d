"""The scopes of the bounded exhaustive exploration (docs/explore.md).

A [`Scope`][mdcd_lab.exploration.Scope] bounds the processes and the application actions of the
traces [`walk`][mdcd_lab.exploration.walk.walk] enumerates; [`SCOPES`][mdcd_lab.exploration.SCOPES]
names the scopes the docs report, and [`scope_scenario`][mdcd_lab.exploration.scope_scenario] is the
scenario their traces are replayed under (perfect ATs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import Scenario

__all__ = ["Scope", "SCOPES", "LARGE_SCOPES", "ACTIONS", "INTERNAL", "HORIZON",
           "scope_scenario"]

#: horizon of every explored trace (longer than any interleaving a scope allows)
HORIZON = 1000.0
#: every action kind a scope may use; the default of [`Scope`][mdcd_lab.exploration.Scope] leaves
#: out [`INTERNAL`][mdcd_lab.exploration.INTERNAL] (traffic inside G_low and inside G_sdw)
ACTIONS = ("low_act", "act_act", "act_low", "output", "fault", "low_low", "sdw_sdw")
#: the action kinds of traffic inside a cluster (G_low) and inside G_sdw
INTERNAL = ("low_low", "sdw_sdw")


@dataclass(frozen=True)
class Scope:
    """A bounded exploration scope.

    Attributes
    ----------
    n_low, n_act : int
        Cluster members (each with its shadow) and G_act processes.
    max_actions : int
        Application actions per trace (sends, outputs, faults), at most.
    max_faults : int
        Fault activations per trace, at most.
    actions : tuple of str
        Action kinds: ``"low_act"`` (cluster message to G_act), ``"act_act"``,
        ``"act_low"`` (delivered to ``low_i`` and ``sdw_i``), ``"output"`` (of any
        ``low`` or ``act`` process), ``"fault"`` (in a ``low`` process), and
        the internal traffic [`INTERNAL`][mdcd_lab.exploration.INTERNAL], off by default:
        ``"low_low"`` (``low_i -> low_k``, the new interface, no shadow twin) and ``"sdw_sdw"``
        (``sdw_i -> sdw_k``, the old interface between shadows).  A kind between
        members of a group of one process (``act_act`` with ``n_act = 1``, the
        internal kinds with ``n_low = 1``) is dropped.
    fault_scopes : tuple of str
        ``Scenario.fault_scope`` values to replay under.
    compensation : tuple of bool
        ``False``: no error compensation; ``True``: every erroneous output is
        explored both compensated and not.
    max_delay : int or None
        Bound on the lateness of the events the application does not choose: a
        delivery, notification or twin created by action ``a`` happens before
        action ``a + max_delay + 1``.  ``None``: unbounded (any later point).
    name : str
        Label of the scope in results.
    """

    n_low: int = 1
    n_act: int = 2
    max_actions: int = 5
    max_faults: int = 1
    actions: tuple = ("low_act", "act_act", "act_low", "output", "fault")
    fault_scopes: tuple = ("cluster",)
    compensation: tuple = (False,)
    max_delay: int | None = None
    name: str = "custom"

    def __post_init__(self) -> None:
        allowed = ACTIONS
        for f in ("n_low", "n_act", "max_actions"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Scope.{f} must be an integer >= 1, got {v!r}")
        if self.n_low > 3 or self.n_act > 3:
            raise ValueError("Scope: n_low and n_act must be at most 3 (the walk is exhaustive)")
        if isinstance(self.max_faults, bool) or not isinstance(self.max_faults, int) \
                or self.max_faults < 0:
            raise ValueError(f"Scope.max_faults must be an integer >= 0, got {self.max_faults!r}")
        bad = [a for a in self.actions if a not in allowed]
        if bad or not self.actions:
            raise ValueError(f"Scope.actions: unknown or no action kinds {bad}; allowed {allowed}")
        if len(set(self.actions)) != len(self.actions):
            raise ValueError(f"Scope.actions: an action kind is repeated in {self.actions}")
        alone = ({"act_act"} if self.n_act == 1 else set()) | (
            set(INTERNAL) if self.n_low == 1 else set())
        if alone & set(self.actions):
            object.__setattr__(self, "actions", tuple(a for a in self.actions if a not in alone))
        for fs in self.fault_scopes:
            if fs not in ("cluster", "process"):
                raise ValueError(f"Scope.fault_scopes: {fs!r} is not 'cluster' or 'process'")
        if self.max_delay is not None and (isinstance(self.max_delay, bool) or not isinstance(
                self.max_delay, int) or self.max_delay < 0):
            raise ValueError(f"Scope.max_delay must be None or an integer >= 0, "
                             f"got {self.max_delay!r}")
        if not self.fault_scopes or not self.compensation:
            raise ValueError("Scope.fault_scopes and Scope.compensation must not be empty")

    @property
    def n_procs(self) -> int:
        """Processes of the scenario (low, act, sdw)."""
        return 2 * self.n_low + self.n_act


#: named scopes (docs/explore.md): ``ci`` runs in the test suite
SCOPES: dict[str, Scope] = {
    # in the test suite: instant delivery (before the next action), two G_act processes
    "ci": Scope(n_low=1, n_act=2, max_actions=5, max_delay=0, name="ci"),
    # channel and notification latency and shadow lag of up to two actions
    "lag": Scope(n_low=1, n_act=1, max_actions=4, max_delay=2, name="lag"),
    "lag5": Scope(n_low=1, n_act=1, max_actions=5, max_delay=1, name="lag5"),
    "act2": Scope(n_low=1, n_act=2, max_actions=4, max_delay=2, name="act2"),
    "act3": Scope(n_low=1, n_act=3, max_actions=5, max_delay=0, name="act3"),
    "low2": Scope(n_low=2, n_act=1, max_actions=4, max_delay=1,
                  fault_scopes=("cluster", "process"), name="low2"),
    "comp": Scope(n_low=1, n_act=1, max_actions=4, max_delay=2, compensation=(False, True),
                  name="comp"),
    # per-member faults: two or three members, traffic inside G_low and inside G_sdw,
    # both fault scopes.  ``ci2`` runs in the test suite (numba engine).
    "ci2": Scope(n_low=2, n_act=1, max_actions=4, max_delay=1, actions=ACTIONS,
                 fault_scopes=("cluster", "process"), name="ci2"),
    "low2ll": Scope(n_low=2, n_act=1, max_actions=4, max_delay=2, actions=ACTIONS,
                    fault_scopes=("cluster", "process"), name="low2ll"),
    "low3ll": Scope(n_low=3, n_act=1, max_actions=4, max_delay=0, actions=ACTIONS,
                    fault_scopes=("cluster", "process"), name="low3ll"),
    "act2ll": Scope(n_low=2, n_act=2, max_actions=5, max_delay=0, actions=ACTIONS,
                    fault_scopes=("cluster", "process"), name="act2ll"),
    # the largest per-member scopes run (minutes each; not in the default of
    # benchmarks/explore_scopes.py): five actions
    "low2ll5": Scope(n_low=2, n_act=1, max_actions=5, max_delay=1, actions=ACTIONS,
                     fault_scopes=("cluster", "process"), name="low2ll5"),
    "low3ll5": Scope(n_low=3, n_act=1, max_actions=5, max_delay=0, actions=ACTIONS,
                     fault_scopes=("cluster", "process"), name="low3ll5"),
}
#: Scopes that take minutes (left out of ``benchmarks/explore_scopes.py``'s default).
LARGE_SCOPES = ("low2ll5", "low3ll5")


def scope_scenario(scope: Scope, fault_scope: str = "cluster",
                   compensation: bool = False, recovery: str = "executed") -> Scenario:
    """The scenario the traces of ``scope`` are replayed under (perfect ATs; executed
    or atomic recovery, docs/protocol.md, section 9)."""
    return Scenario(n_low=scope.n_low, n_act=scope.n_act, horizon=HORIZON,
                    rate_low_low=0.0 if scope.n_low == 1 else 0.5,
                    rate_sdw_sdw=0.0 if scope.n_low == 1 else 0.5,
                    rate_act_act=0.0 if scope.n_act == 1 else 0.5,
                    at_coverage=1.0, compensation=0.5 if compensation else 0.0,
                    fault_scope=fault_scope, recovery=recovery)
