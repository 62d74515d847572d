"""Bounded exhaustive exploration: every trace of a small scope, under every protocol.

[`explore`][mdcd_lab.exploration.explore] walks all traces of a
[`Scope`][mdcd_lab.exploration.Scope], replays each under every protocol with perfect ATs, and
counts the traces that fail or show an oracle violation, with the smallest counterexample of each
class (docs/explore.md).

- ``scopes``: the scopes, the named ones and their scenario;
- ``walk``: the enumeration of a scope's traces;
- ``estimate``: their number, estimated beforehand (the
  progress bar's total);
- ``verdicts``: the replay of the traces and the verdicts
  per protocol.
"""

from .scopes import ACTIONS, INTERNAL, LARGE_SCOPES, SCOPES, Scope, scope_scenario
from .verdicts import CLASSES, explore, summary_columns
from .walk import walk

__all__ = ["explore", "Scope", "SCOPES", "LARGE_SCOPES", "CLASSES", "ACTIONS", "INTERNAL",
           "scope_scenario", "summary_columns", "walk"]
