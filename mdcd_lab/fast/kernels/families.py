"""``reference/families.py``: the protocol family, chosen in one place.

A run plugs in the hooks of one protocol family (``reference/state.py``'s
``Family``): confidence-driven checkpointing (Section 3.1, Figures 3 and 4;
``confidence`` and ``recovery``) or periodic coordinated checkpointing (the
``"coordinated"`` protocol, ``coordinated``).  numba has no cheap function
objects, so each hook (below: confidence-driven | coordinated)
is one function here that branches on the family; this
module is the only kernel code that reads the switch ``IP_COORDINATED_CKPT``
(``tests/test_imports.py`` checks it), and the roles and the event loop call
these hooks and never ask which family runs.  The ``"coordinated"`` family's rules
are compiled apart, on a coordinated run's first use (``kernels/cold.py``), and the
hooks call them through their addresses (``layout.call_rule``, ``FAMILY_RULES``); the
confidence-driven family's stay inlined.

- ``start``: nothing | ``coordinated.schedule_lines``
- ``on_timer``: (no timer events) | ``coordinated.take_line``
- ``receive``: ``confidence.receive_application_msg`` | ``coordinated.receive``
- ``validate``: ``confidence.memory_reclamation`` | ``coordinated.validate``
- ``on_passed_at``: nothing | ``coordinated.validate_lines``
- ``recover``: ``recovery.error_recovery`` | ``coordinated.recover`` (atomic recovery)
- ``restore_point``, ``suppresses``, ``discards`` (executed recovery): ``recovery.*`` |
  ``coordinated.*``
- ``drains_at_recovery``: ``True`` | ``False``: atomic recovery first applies the notes
  in flight (``Rules.drain_notifications``) only in ``recovery.error_recovery``

The "passed AT" notes of ``common.notify`` are applied here too
(``reference/common.py``'s ``apply_notification``, ``fifo_before``,
``drain_notifications``): they call the ``validate`` hook, and the modules
before this one cannot.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...constants import SDW
from .._config import JIT_HOT, JIT_NORC
from .confidence import memory_reclamation, receive_application_msg
from .coordinated import discards as coordinated_discards
from .coordinated import receive as coordinated_receive
from .coordinated import recover as coordinated_recover
from .coordinated import restore_point as coordinated_restore_point
from .coordinated import schedule_lines, take_line, validate_lines
from .coordinated import suppresses as coordinated_suppresses
from .coordinated import validate as coordinated_validate
from .layout import (
    H_DNT,
    H_NPN,
    H_NPROCS,
    H_NT,
    IP_ADDR_COORDINATED_RECEIVE,
    IP_ADDR_COORDINATED_VALIDATE,
    IP_ADDR_SCHEDULE_LINES,
    IP_ADDR_TAKE_LINE,
    IP_ADDR_VALIDATE_LINES,
    IP_COORDINATED_CKPT,
    MODE_RUN,
    N_NT,
    NT_DONE,
    NT_DST,
    NT_FIRST,
    NT_GROUP,
    NT_MID,
    NT_NEXT,
    NT_ORIGIN,
    NT_VEXT,
    NT_VINT,
    P_EXT_IVR,
    P_IVR,
    P_MODE,
    P_NT_HEAD,
    P_NT_TAIL,
    R0,
    R_NNT,
    call_rule,
    pp,
    rd,
    wr,
)
from .levels import lv_join
from .recovery import discards as confidence_discards
from .recovery import error_recovery
from .recovery import restore_point as confidence_restore_point
from .recovery import suppresses as confidence_suppresses
from .state import role_of


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
        call_rule(I, IP_ADDR_SCHEDULE_LINES, (I, D))


@njit(**JIT_NORC)
def on_timer(I, D, k):
    """``Family.on_timer``: timer event ``k`` fires (only ``"coordinated"`` schedules any)."""
    # writes what coordinated.take_line writes
    call_rule(I, IP_ADDR_TAKE_LINE, (I, D, k))


@njit(**JIT_HOT)
def receive(I, D, p, role, mid):
    """``Family.receive``: G_act or G_sdw process ``p`` receives message ``mid``."""
    # writes what the family's reception rule writes
    if coordinated_family(I):
        call_rule(I, IP_ADDR_COORDINATED_RECEIVE, (I, D, p, role, mid))
    else:
        receive_application_msg(I, D, p, role, mid)


@njit(**JIT_NORC)
def validate(I, D, p, role, v_int, v_ext):
    """``Family.validate``: ``p`` learns that level ``v_int`` (and cluster output
    ``v_ext``, or -1) passed an AT."""
    # writes what the family's validation writes
    if coordinated_family(I):
        call_rule(I, IP_ADDR_COORDINATED_VALIDATE, (I, D, p, role, v_int, v_ext))
    else:
        memory_reclamation(I, D, p, role, v_int, v_ext)


@njit(**JIT_NORC)
def on_passed_at(I, D):
    """``Family.on_passed_at``: an AT passed (``common.notify``); run by ``engine.after_output``
    right after the output row that passed it, before anything else happens."""
    # writes what coordinated.validate_lines writes
    if coordinated_family(I):
        call_rule(I, IP_ADDR_VALIDATE_LINES, (I, D))


@njit(**JIT_NORC)
def recover(I, D):
    """``Family.recover``: a failed AT starts error recovery now (the run ends)."""
    # writes what the family's recovery writes
    if coordinated_family(I):
        coordinated_recover(I, D)
    else:
        error_recovery(I, D)


@njit(**JIT_NORC)
def drains_at_recovery(I):
    """Whether atomic recovery applies the notes in flight first (R3): the confidence
    family's ``error_recovery`` does, ``coordinated.recover`` does not."""
    # reads IP_COORDINATED_CKPT
    return not coordinated_family(I)


@njit(**JIT_NORC)
def restore_point(I, D, p):
    """``Family.restore_point``: ``(checkpoint or -1, replayed, sends kept, twins kept)``
    of ``p``'s rollback under executed recovery (replayed messages in ``RL``)."""
    # writes what the family's restore_point writes
    if coordinated_family(I):
        return coordinated_restore_point(I, D, p)
    return confidence_restore_point(I, D, p)


@njit(**JIT_NORC)
def suppresses(I, q, k, index):
    """``Family.suppresses``: taken-over shadow ``q`` suppresses its twin ``k``."""
    # reads what the family's rule reads
    if coordinated_family(I):
        return coordinated_suppresses(I, k)
    return confidence_suppresses(I, q, index)


@njit(**JIT_NORC)
def discards(I, q, mid):
    """``Family.discards``: recovered process ``q`` drops message ``mid``."""
    # reads what the family's rule reads
    if coordinated_family(I):
        return coordinated_discards(I, mid)
    return confidence_discards(I, q, mid)


# -- the coordinated family's rules compiled apart (kernels/cold.py) ----------------------
def schedule_lines_c(I, D):
    """``coordinated.schedule_lines(I, D)``."""
    # writes what coordinated.schedule_lines writes
    schedule_lines(I, D)


def take_line_c(I, D, k):
    """``coordinated.take_line(I, D, k)``."""
    # writes what coordinated.take_line writes
    take_line(I, D, k)


def validate_lines_c(I, D):
    """``coordinated.validate_lines(I, D)``."""
    # writes what coordinated.validate_lines writes
    validate_lines(I, D)


def coordinated_receive_c(I, D, p, role, mid):
    """``coordinated.receive(I, p, role, mid)``."""
    # writes what coordinated.receive writes
    coordinated_receive(I, p, role, mid)


def coordinated_validate_c(I, D, p, role, v_int, v_ext):
    """``coordinated.validate(I, D, p, role, v_int, v_ext)``."""
    # writes what coordinated.validate writes
    coordinated_validate(I, D, p, role, v_int, v_ext)


#: The family's rules that ``kernels/cold.py`` compiles apart: name -> (address slot,
#: number of int64 arguments after ``(I, D)``, function).
FAMILY_RULES = {
    "schedule_lines": (IP_ADDR_SCHEDULE_LINES, 0, schedule_lines_c),
    "take_line": (IP_ADDR_TAKE_LINE, 1, take_line_c),
    "validate_lines": (IP_ADDR_VALIDATE_LINES, 0, validate_lines_c),
    "coordinated_receive": (IP_ADDR_COORDINATED_RECEIVE, 3, coordinated_receive_c),
    "coordinated_validate": (IP_ADDR_COORDINATED_VALIDATE, 4, coordinated_validate_c),
}


def family_rules(ip) -> list[str]:
    """The rules of ``FAMILY_RULES`` a run with int parameters ``ip`` may call: the
    ``"coordinated"`` family's five, none for the confidence-driven family (its rules
    are inlined in the event loop)."""
    return list(FAMILY_RULES) if ip[IP_COORDINATED_CKPT] != 0 else []


# -- "passed AT" notes ----------------------------------------------------------------------
@njit(**JIT_HOT)
def apply_notification(I, D, nt):
    """``common.apply_notification``: note ``nt`` reaches its recipient (once): Figure 3's
    or Figure 4's "passed AT" branch; a stopped or recovered recipient ignores it."""
    # reads NT[nt], P[p] mode; writes NT[nt].done, NPN, what families.validate writes,
    # P[p] ivr_low, ext_ivr
    row = rd(I, H_NT) + nt * N_NT
    if rd(I, row + NT_DONE) != 0:
        return
    wr(I, row + NT_DONE, np.int64(1))
    p = rd(I, row + NT_DST)
    npn = rd(I, H_NPN) + rd(I, row + NT_ORIGIN) * rd(I, H_NPROCS) + p
    wr(I, npn, rd(I, npn) - 1)
    if rd(I, pp(p, P_MODE)) != MODE_RUN:
        return
    v_int = rd(I, row + NT_VINT)
    v_ext = rd(I, row + NT_VEXT)
    role = role_of(I, p)
    validate(I, D, p, role, v_int, v_ext)
    if role == SDW:   # Figure 4: ivr_low = max(m.int_mSN_G_low, ivr_low)
        wr(I, pp(p, P_IVR), lv_join(I, rd(I, pp(p, P_IVR)), v_int))
        if v_ext >= 0 and v_ext > rd(I, pp(p, P_EXT_IVR)):
            wr(I, pp(p, P_EXT_IVR), v_ext)


@njit(**JIT_HOT)
def notification(I, D, payload):
    """A ``HEAP_NOTIFY`` item: one note (``payload = nt << 1``), or the notes of one
    notification due at its base time, in recipient order (``first << 1 | 1``,
    ``common.notify``)."""
    # reads NT; writes what apply_notification writes
    if payload & 1 == 0:
        apply_notification(I, D, payload >> 1)
        return
    first = payload >> 1
    base = rd(I, H_NT)
    nt = first
    while nt < rd(I, R0 + R_NNT) and rd(I, base + nt * N_NT + NT_FIRST) == first:
        if rd(I, base + nt * N_NT + NT_GROUP) != 0:
            apply_notification(I, D, nt)
        nt += 1


@njit(**JIT_NORC)
def pending_head(I, p):
    """The first note of ``p``'s pending list that is not applied (applied ones are
    unlinked from the head here), or -1."""
    # reads NT; writes P[p] pending notes
    base = rd(I, H_NT)
    h = rd(I, pp(p, P_NT_HEAD))
    while h >= 0 and rd(I, base + h * N_NT + NT_DONE) != 0:
        h = rd(I, base + h * N_NT + NT_NEXT)
    wr(I, pp(p, P_NT_HEAD), h)
    if h < 0:
        wr(I, pp(p, P_NT_TAIL), np.int64(-1))
    return h


@njit(**JIT_NORC)
def fifo_before(I, D, src, dst, mid):
    """``common.fifo_before`` (notes FIFO on a FIFO channel): before message ``mid`` from
    ``src`` is delivered, the notes ``src`` sent to ``dst`` before it apply, in order."""
    # reads NT, P[dst] pending notes; writes what apply_notification writes
    h = pending_head(I, dst)
    base = rd(I, H_NT)
    while h >= 0:
        row = base + h * N_NT
        if rd(I, row + NT_MID) > mid:   # notes are created in order: none later is before
            return
        if rd(I, row + NT_ORIGIN) == src:
            apply_notification(I, D, h)
        h = rd(I, row + NT_NEXT)


@njit(**JIT_NORC)
def drain_notifications(I, D, p, t):
    """``common.drain_notifications`` (``Rules.drain_notifications``): ``p`` applies the
    notes sent to it by ``t``, in the order they were sent."""
    # reads NT, D_NT, P[p] pending notes; writes what apply_notification writes
    h = pending_head(I, p)
    base = rd(I, H_NT)
    while h >= 0 and rd(D, rd(I, H_DNT) + h) <= t:
        apply_notification(I, D, h)
        h = rd(I, base + h * N_NT + NT_NEXT)
