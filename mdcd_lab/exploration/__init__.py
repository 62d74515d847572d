"""Bounded exhaustive exploration: every trace of a small scope, under every protocol.

:func:`explore` walks all traces of a :class:`Scope`, replays each under every
protocol with perfect ATs, and counts the traces that fail or show an oracle
violation, with the smallest counterexample of each class (docs/explore.md).

- :mod:`~mdcd_lab.exploration.walk`: the scopes and the enumeration of their traces;
- :mod:`~mdcd_lab.exploration.verdicts`: the named scopes, the replay of the
  traces and the verdicts per protocol.
"""

from .verdicts import CLASSES, LARGE_SCOPES, SCOPES, explore, scope_scenario, summary_columns
from .walk import ACTIONS, INTERNAL, Scope, walk

__all__ = ["explore", "Scope", "SCOPES", "LARGE_SCOPES", "CLASSES", "ACTIONS", "INTERNAL",
           "scope_scenario", "summary_columns", "walk"]
