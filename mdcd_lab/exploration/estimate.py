"""How many traces a walk will emit, estimated before it starts (a progress bar's total).

``estimate_traces`` walks the tree of ``_Walk``
(the same moves and sleep sets, ``_children``)
exactly down to the first depth that holds ``frontier`` nodes, and below each node there
follows one random path (Knuth, "Estimating the efficiency of backtrack programs",
Math. Comp. 29, 1975).  Only [`mdcd_lab.explore`][mdcd_lab.exploration.explore]'s progress bar reads
it; the exploration counts every trace it replays.  docs/explore.md gives its measured error.
"""

from __future__ import annotations

import numpy as np

from .scopes import Scope
from .walk import _Walk

__all__ = ["estimate_traces", "ESTIMATE_KEY"]

#: Spawn key of the random paths of ``estimate_traces``.
ESTIMATE_KEY = (0xE57, 1)


class _EstimatingWalk(_Walk):
    """The walk's tree, walked exactly to a depth and probed below it."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.weight, self.rng = 1.0, None
        self.limit = self.depth = self.at_limit = 0
        self.probing = False

    def _probe(self, sleep: frozenset) -> None:
        """One random path from here down (Knuth 1975): each trace on it counts the
        product of the branching factors above it (``self.weight``)."""
        moves, is_trace = self._children(sleep)
        if is_trace:
            self.emit(self.seq, self.rows, False)
        if moves:
            x, comp, child = moves[int(self.rng.integers(len(moves)))]
            weight = self.weight
            self.weight = weight * len(moves)
            if comp is None:
                self._do_sched(x, child)
            else:
                self._do_action(x, comp, child)
            self.weight = weight

    def _limited(self, sleep: frozenset) -> None:
        """The walk down to depth ``self.limit`` (moves from the root): a node there is
        counted in ``self.at_limit`` and, when ``self.probing``, probed once
        (``_probe``, weight 1: it stands for its subtree); nodes above it that are
        traces count 1 (through ``emit``, when probing)."""
        if self.depth >= self.limit:
            self.at_limit += 1
            if self.probing:
                self._next, self.weight = self._probe, 1.0
                self._probe(sleep)
                self._next = self._limited
            return
        moves, is_trace = self._children(sleep)
        for x, comp, child in moves:
            self.depth += 1
            if comp is None:
                self._do_sched(x, child)
            else:
                self._do_action(x, comp, child)
            self.depth -= 1
        if is_trace:
            self.emit(self.seq, self.rows, False)

    def estimate(self, frontier: int, rng) -> float:
        """An unbiased estimate of the number of traces: the tree walked exactly down to
        the first depth holding at least ``frontier`` nodes (or to the bottom), and one
        random path (``_probe``, Knuth 1975) below each node at that depth."""
        total = [0.0]

        def count(seq, rows, ended):
            total[0] += self.weight if self.probing else 0.0

        self.emit, self.rng, self._next = count, rng, self._limited
        self.limit = 0
        while True:
            self.limit += 1
            self.depth = self.at_limit = 0
            self.probing, self.weight = False, 1.0
            self._limited(frozenset())
            if self.at_limit == 0 or self.at_limit >= frontier:
                break
        self.depth = self.at_limit = 0
        self.probing, self.weight = True, 1.0
        self._limited(frozenset())
        return total[0]


def estimate_traces(scope: Scope, fault_scope: str, compensation: bool,
                    partners: bool = False, executed: bool = False,
                    frontier: int = 4000) -> float:
    """An unbiased estimate of the number of traces [`walk`][mdcd_lab.exploration.walk.walk] emits
    (its arguments), for a progress bar's total and ETA.

    The walk's own tree (the same moves and sleep sets) is walked exactly down to the
    first depth that holds at least ``frontier`` nodes; below each node there, one
    random path estimates its subtree by Knuth's estimator (Math. Comp. 29, 1975: the
    traces on the path, each counting the product of the branching factors above it
    within the subtree).  The exact top levels tame the estimator's heavy tail; the
    cost is about ``frontier`` times the depth of the tree, not its size.
    Deterministic (``SeedSequence(0, spawn_key=ESTIMATE_KEY)``).  Only a progress bar
    reads it: the exploration counts every trace it replays.
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(0,
                                                                     spawn_key=ESTIMATE_KEY)))
    w = _EstimatingWalk(scope, fault_scope, compensation, None, True, partners, executed)
    return w.estimate(frontier, rng)
