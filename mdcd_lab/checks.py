"""Argument checks shared by the entry points (one definition each).

Every public function checks its arguments before any work starts and raises a
``ValueError`` naming the argument; these are the checks more than one module
needs.
"""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["ENGINES", "check_int", "check_runs_seed"]

#: The engines ``engine=`` accepts.
ENGINES = ("reference", "numba")


def check_int(name: str, value: Any, minimum: int) -> int:
    """``value`` as an ``int`` if it is an integer (not a bool) ``>= minimum``.

    Raises
    ------
    ValueError
        Naming ``name``, the bound and the value.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_runs_seed(runs: Any, seed: Any, first_run: Any = 0) -> None:
    """Check the run count (>= 1), the study seed and the first run index (>= 0).

    All three must also stay below 2**63: the result tables store seeds and runs
    as int64.
    """
    for name, v, lo in (("runs", runs, 1), ("seed", seed, 0), ("first_run", first_run, 0)):
        check_int(name, v, lo)
        if v >= 2**63:
            raise ValueError(f"{name} must be < 2**63, got {v!r}")
