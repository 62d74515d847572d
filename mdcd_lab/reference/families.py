"""The protocol families: the handlers a run plugs in once (docs/protocol.md, section 2).

A run plays one family's handlers (``Family``): confidence-driven
checkpointing (Section 3.1, Figures 3 and 4; ``confidence`` and
``recovery``: every protocol but one) or periodic coordinated checkpointing
(the ``"coordinated"`` protocol, ``coordinated``).  ``family_of`` picks
it when the run is built; the role modules (``low``, ``act``,
``sdw``) and the event loop call the handlers and never ask which family
runs.  The numba kernels mirror this module in ``fast/kernels/families.py``.
"""

from __future__ import annotations

from ..protocols import Rules
from . import confidence, coordinated, recovery
from .state import Family, Run

__all__ = ["CONFIDENCE_DRIVEN", "COORDINATED", "family_of"]


def _nothing(run: Run) -> None:
    """A family hook with nothing to do."""


def _no_timer(run: Run, payload: object) -> None:
    raise AssertionError("the confidence-driven family schedules no timer events")


#: Confidence-driven checkpointing (Section 3.1, Figures 3 and 4): every protocol but one.
CONFIDENCE_DRIVEN = Family(
    name="confidence-driven",
    start=_nothing,
    on_timer=_no_timer,
    receive=confidence.receive_application_msg,
    validate=confidence.memory_reclamation,
    on_passed_at=_nothing,
    recover=recovery.error_recovery,
    restore_point=recovery.restore_point,
    suppresses=recovery.suppresses,
    discards=recovery.discards,
)

#: Periodic coordinated checkpointing (``"coordinated"``, docs/protocols.md).
COORDINATED = Family(
    name="coordinated",
    start=coordinated.schedule_lines,
    on_timer=coordinated.take_line,
    receive=coordinated.receive,
    validate=coordinated.validate,
    on_passed_at=coordinated.validate_lines,
    recover=coordinated.recover,
    restore_point=coordinated.restore_point,
    suppresses=coordinated.suppresses,
    discards=coordinated.discards,
)


def family_of(rules: Rules) -> Family:
    """The protocol family whose handlers a run of ``rules`` plugs in (chosen once)."""
    return COORDINATED if rules.coordinated_ckpt else CONFIDENCE_DRIVEN
