"""Levels: what ``int_mSN_G_low`` is under each protocol (one place for the algebra).

Every MDCD rule compares or combines *levels*: the piggybacked ``int_mSN_G_low``
of a message (Figure 2), the local ``int_mSN_G_low`` of a G_act or G_sdw
process (Figure 3: the highest level absorbed), the index of a checkpoint, the
level a "passed AT" validates, a shadow's ``ivr_low`` (Figure 4).  The rules
use only three operations, so the algebra is plugged into a run once
(``state.Run.lv``) and the rules never ask which one runs:

* ``leq(a, b)``: level ``a`` is covered by ``b`` (``a <= b``); "validated by
  ``V``" is ``leq(level, V)``, S1/S2's "``m.int_mSN_G_low > int_mSN_G_low``" is
  ``not leq(m.level, local)``;
* ``join(a, b)``: the level of a state that absorbed both (``max``);
* ``excess(a, b)``: how many numbered messages ``a`` covers that ``b`` does not
  (Section 3.2's suppression count ``ivr_low - int_mSN_G_sdw`` when positive).

``SCALAR`` is the paper's: one counter shared by the whole cluster, so a
level is an ``int`` and the order is total.  ``VectorLevels`` is
``"mdcd-vector"``'s (docs/protocol.md, section 8): each cluster member ``low_i``
numbers its own messages to G_act, and a level is a tuple with one entry per
member, ``level[i]`` = the number of ``low_i``'s messages it covers; the order
is componentwise (partial) and ``join`` is the componentwise maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..constants import PIGGYBACK_COUNTER_BYTES, PIGGYBACK_FLAG_BYTES


@dataclass(frozen=True)
class ScalarLevels:
    """The paper's levels: ``int_mSN_G_low`` is one integer (Figure 2's shared counter)."""

    zero: int = 0
    vector: bool = False

    @staticmethod
    def leq(a: int, b: int) -> bool:
        """``a <= b``."""
        return a <= b

    @staticmethod
    def join(a: int, b: int) -> int:
        """``max(a, b)``."""
        return a if a >= b else b

    @staticmethod
    def excess(a: int, b: int) -> int:
        """``max(0, a - b)``."""
        return a - b if a > b else 0

    @staticmethod
    def piggyback_bytes(numbered: bool = False) -> int:
        """Bytes a message piggybacks: its ``dirty_bit`` and one counter (docs/metrics.md)."""
        return PIGGYBACK_FLAG_BYTES + PIGGYBACK_COUNTER_BYTES


@dataclass(frozen=True)
class VectorLevels:
    """Per-member levels of ``"mdcd-vector"``: one counter per cluster member.

    Parameters
    ----------
    n : int
        Number of cluster members (``Scenario.n_low``).
    """

    n: int
    vector: bool = True

    @property
    def zero(self) -> tuple[int, ...]:
        """The level of a state that absorbed no cluster message."""
        return (0,) * self.n

    def unit(self, i: int, c: int) -> tuple[int, ...]:
        """The level of ``low_i``'s ``c``-th message to G_act: ``c`` at ``i``, 0 elsewhere."""
        return tuple(c if j == i else 0 for j in range(self.n))

    @staticmethod
    def leq(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
        """Componentwise ``a <= b``."""
        return all(x <= y for x, y in zip(a, b, strict=True))

    @staticmethod
    def join(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
        """Componentwise maximum."""
        return tuple(x if x >= y else y for x, y in zip(a, b, strict=True))

    @staticmethod
    def excess(a: tuple[int, ...], b: tuple[int, ...]) -> int:
        """``sum_i max(0, a[i] - b[i])``."""
        return sum(x - y for x, y in zip(a, b, strict=True) if x > y)

    def piggyback_bytes(self, numbered: bool = False) -> int:
        """Bytes a message piggybacks: its ``dirty_bit`` and, for a ``low_i -> G_act``
        message (``numbered``), the member and its number, else ``n`` counters."""
        return PIGGYBACK_FLAG_BYTES + PIGGYBACK_COUNTER_BYTES * (2 if numbered else self.n)


#: The paper's scalar levels (every protocol except ``"mdcd-vector"``).
SCALAR = ScalarLevels()
