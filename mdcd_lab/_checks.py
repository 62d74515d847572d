"""Argument checks shared by the public functions, in one place.

Every public entry point validates its arguments before any work starts and
raises a ``ValueError`` (or ``TypeError``) naming the argument and the value it
got.  The checks that several modules need live here so that a rule (what an
integer argument accepts, which engines exist, what a confidence level is) is
written once.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["ENGINES", "ENGINE_CHOICES", "check_int", "check_nonnegative_real", "check_runs_seed",
           "check_level", "check_positive_real"]

#: Simulation engines; both give identical numbers.
ENGINES = ("reference", "numba")
#: Values accepted for ``engine``: ``"auto"`` is numba where it implements the protocol.
ENGINE_CHOICES = ("auto", *ENGINES)


def check_int(name: str, value: Any, minimum: int) -> int:
    """An integer ``>= minimum`` (``bool`` is refused), as a Python ``int``.

    Raises
    ------
    ValueError
        ``"{name} must be an integer >= {minimum}, got {value!r}"``.
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


def check_level(level: Any) -> float:
    """A confidence level strictly between 0 and 1, as a ``float``.

    Raises
    ------
    ValueError
        ``"level must be a number in (0, 1), e.g. 0.95; got ..."``.
    """
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1), e.g. 0.95; got {level!r}")
    return float(level)


def _check_real(name: str, value: Any, zero_ok: bool) -> float:
    """A finite real number ``> 0`` (``>= 0`` if ``zero_ok``), as a ``float``."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok)):
        raise ValueError(f"{name} must be a finite number {'>=' if zero_ok else '>'} 0, "
                         f"got {value!r}")
    return float(value)


def check_positive_real(name: str, value: Any) -> float:
    """A finite real number ``> 0``, as a ``float``.

    Raises
    ------
    ValueError
        ``"{name} must be a finite number > 0, got ..."``.
    """
    return _check_real(name, value, zero_ok=False)


def check_nonnegative_real(name: str, value: Any) -> float:
    """A finite real number ``>= 0``, as a ``float``.

    Raises
    ------
    ValueError
        ``"{name} must be a finite number >= 0, got ..."``.
    """
    return _check_real(name, value, zero_ok=True)
