"""``reference/families.py``: the protocol family, chosen in one place.

A run plugs in the hooks of one protocol family (``reference/state.py``'s
``Family``): confidence-driven checkpointing (Section 3.1, Figures 3 and 4;
``confidence`` and ``recovery``) or periodic coordinated checkpointing (the
``"coordinated"`` protocol, ``coordinated``).  numba has no cheap function
objects, so each hook (below: confidence-driven | coordinated)
is one function here that branches on the family; this
module is the only kernel code that reads the switch ``IP_COORDINATED_CKPT``
(``tests/test_imports.py`` checks it), and the roles and the event loop call
these hooks and never ask which family runs.

- ``start``: nothing | ``coordinated.schedule_lines``
- ``on_timer``: (no timer events) | ``coordinated.take_line``
- ``receive``: ``confidence.receive_application_msg`` | ``coordinated.receive``
- ``validate``: ``confidence.memory_reclamation`` | ``coordinated.validate``
- ``on_passed_at``: nothing | ``coordinated.validate_lines``
- ``recover``: ``recovery.error_recovery`` | ``coordinated.recover``
"""

from __future__ import annotations

from numba import njit

from .._config import JIT_NORC
from .confidence import memory_reclamation, receive_application_msg
from .coordinated import receive as coordinated_receive
from .coordinated import recover as coordinated_recover
from .coordinated import schedule_lines, take_line, validate_lines
from .coordinated import validate as coordinated_validate
from .layout import IP_COORDINATED_CKPT, rd
from .recovery import error_recovery


@njit(**JIT_NORC)
def coordinated_family(I):
    """True if the run plays the ``"coordinated"`` family (``family_of``)."""
    # reads IP_COORDINATED_CKPT
    return rd(I, IP_COORDINATED_CKPT) != 0


@njit(**JIT_NORC)
def start(I, D):
    """``Family.start``: before the first row (t = 0)."""
    # writes what coordinated.schedule_lines writes
    if coordinated_family(I):
        schedule_lines(I, D)


@njit(**JIT_NORC)
def on_timer(I, D, k):
    """``Family.on_timer``: timer event ``k`` fires (only ``"coordinated"`` schedules any)."""
    # writes what coordinated.take_line writes
    take_line(I, D, k)


@njit(**JIT_NORC)
def receive(I, D, p, role, mid):
    """``Family.receive``: G_act or G_sdw process ``p`` receives message ``mid``."""
    # writes what the family's reception rule writes
    if coordinated_family(I):
        coordinated_receive(I, p, role, mid)
    else:
        receive_application_msg(I, D, p, role, mid)


@njit(**JIT_NORC)
def validate(I, D, p, role, v_int, v_ext):
    """``Family.validate``: ``p`` learns that level ``v_int`` (and cluster output
    ``v_ext``, or -1) passed an AT."""
    # writes what the family's validation writes
    if coordinated_family(I):
        coordinated_validate(I, D, p, role, v_int, v_ext)
    else:
        memory_reclamation(I, D, p, role, v_int, v_ext)


@njit(**JIT_NORC)
def on_passed_at(I, D):
    """``Family.on_passed_at``: an AT passed (``common.notify``); run by ``engine.after_output``
    right after the output row that passed it, before anything else happens."""
    # writes what coordinated.validate_lines writes
    if coordinated_family(I):
        validate_lines(I, D)


@njit(**JIT_NORC)
def recover(I, D):
    """``Family.recover``: a failed AT starts error recovery now (the run ends)."""
    # writes what the family's recovery writes
    if coordinated_family(I):
        coordinated_recover(I, D)
    else:
        error_recovery(I, D)
