"""Performability: the worth of a mission and the duration of the guarded operation.

- :mod:`~mdcd_lab.performability.worth`: :class:`Costs` and :func:`worth`, a
  mission's worth from its per-run table;
- :mod:`~mdcd_lab.performability.duration`: :func:`duration_study`, the index
  ``Y`` against the guarded-operation duration ``phi``.

See ``docs/performability.md``.
"""

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
