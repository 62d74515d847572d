"""Performability: the worth of a mission and the duration of the guarded operation.

- :mod:`~mdcd_lab.performability.worth`: :class:`Costs` and :func:`worth`, a
  mission's worth from its per-run table;
- :mod:`~mdcd_lab.performability.duration`: :func:`duration_study`, the index
  ``Y`` against the guarded-operation duration ``phi``.

See ``docs/performability.md``.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # the same names, for readers of the source and type checkers
    from .duration import (
        REALISTIC_BASE,
        REALISTIC_COSTS,
        REALISTIC_MISSION,
        DurationStudy,
        duration_study,
        summarize_duration,
    )
    from .worth import COST_FIELDS, WORTH_COLUMNS, Costs, worth

__all__ = ["Costs", "COST_FIELDS", "worth", "WORTH_COLUMNS", "DurationStudy", "duration_study",
           "summarize_duration", "REALISTIC_BASE", "REALISTIC_COSTS", "REALISTIC_MISSION"]

#: Where each public name is defined.  Imported on first use (PEP 562), so that
#: ``mdcd-lab --help`` (whose ``duration`` options name the costs) imports no scipy.
_EXPORTS = {name: "worth" for name in ("Costs", "COST_FIELDS", "worth", "WORTH_COLUMNS")} | {
    name: "duration" for name in ("DurationStudy", "duration_study", "summarize_duration",
                                  "REALISTIC_BASE", "REALISTIC_COSTS", "REALISTIC_MISSION")}


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
