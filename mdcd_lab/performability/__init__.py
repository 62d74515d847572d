"""Performability: the worth of a mission and the duration of the guarded operation.

- ``worth``: [`Costs`][mdcd_lab.performability.Costs] and
  [`worth`][mdcd_lab.performability.worth.worth], a mission's worth from its per-run table;
- ``duration``: [`duration_study`][mdcd_lab.performability.duration_study], the index
  ``Y`` against the guarded-operation duration ``phi``;
- ``saved``: [`save_duration`][mdcd_lab.performability.save_duration] and
  [`load_duration`][mdcd_lab.performability.load_duration], a study's folder on disk (what
  ``mdcd-lab duration`` writes).

See ``docs/performability.md``.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# ``worth`` is both a module and a function of it: import it eagerly, so that the
# package's ``worth`` is the function whatever was imported first
from .worth import COST_FIELDS, WORTH_COLUMNS, Costs, worth

if TYPE_CHECKING:   # the same names, for readers of the source and type checkers
    from .duration import (
        REALISTIC_BASE,
        REALISTIC_COSTS,
        REALISTIC_MISSION,
        DurationStudy,
        duration_study,
        summarize_duration,
    )
    from .saved import load_duration, save_duration

__all__ = ["Costs", "COST_FIELDS", "worth", "WORTH_COLUMNS", "DurationStudy", "duration_study",
           "summarize_duration", "REALISTIC_BASE", "REALISTIC_COSTS", "REALISTIC_MISSION",
           "save_duration", "load_duration"]

#: The names of ``duration`` and
#: ``saved``, imported on first use (PEP 562) so that
#: ``mdcd-lab --help`` (whose ``duration`` options name the costs) imports no scipy.
_LAZY = {"DurationStudy": ".duration", "duration_study": ".duration",
         "summarize_duration": ".duration", "REALISTIC_BASE": ".duration",
         "REALISTIC_COSTS": ".duration", "REALISTIC_MISSION": ".duration",
         "save_duration": ".saved", "load_duration": ".saved"}


def __getattr__(name: str) -> Any:
    """Import a name of ``duration`` or
    ``saved`` on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
