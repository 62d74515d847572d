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

__all__ = ["ENGINES", "check_int", "check_engine", "check_level", "check_positive_real"]

#: Simulation engines; both give identical numbers.
ENGINES = ("reference", "numba")


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


def check_engine(engine: Any) -> str:
    """One of :data:`ENGINES`.

    Raises
    ------
    ValueError
        ``"unknown engine ...; choose one of ('reference', 'numba')"``.
    """
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    return engine


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


def check_positive_real(name: str, value: Any) -> float:
    """A finite real number ``> 0``, as a ``float``.

    Raises
    ------
    ValueError
        ``"{name} must be a finite number > 0, got ..."``.
    """
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value <= 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)
