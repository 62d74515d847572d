"""Every code shared by the two engines, defined once.

Process roles, trace row kinds, the event categories the generator draws from,
the fill values of missing trace draws, the kinds of the items on the event heap,
run outcomes and the kinds of the reference engine's event log.  Both engines
import these names (the numba kernels read them as compile-time constants; their
cache key covers this file, docs/scaling.md), and the tables built from them
(the trace's ``kind`` categories, the ``outcome`` categories, the event log's
``event`` categories) take their order from the tuples here.
"""

from __future__ import annotations

import math
from enum import StrEnum

__all__ = [
    "LOW", "ACT", "SDW", "ABSENT", "ROLES",
    "KIND_SEND", "KIND_OUTPUT", "KIND_FAULT", "KINDS",
    "CAT_LOW_ACT", "CAT_LOW_LOW", "CAT_EXT_LOW", "CAT_FAULT", "CAT_ACT_LOW", "CAT_ACT_ACT",
    "CAT_EXT_ACT", "CAT_SDW_SDW", "N_CATEGORIES",
    "U_AT_MISSING", "U_COMP_MISSING",
    "HEAP_DELIVER", "HEAP_NOTIFY", "HEAP_TIMER", "HEAP_NOTICE", "HEAP_RELEASE", "HEAP_KINDS",
    "OUT_COMPLETED", "OUT_FAILED", "OUT_RECOVERED", "OUTCOMES",
    "PIGGYBACK_FLAG_BYTES", "PIGGYBACK_COUNTER_BYTES",
    "Event", "EVENT_KINDS",
]

# -- process roles (under a protocol; docs/protocols.md) ------------------------------
#: ``ABSENT``: a shadow that does not exist under ``mdcd-unclustered``.
LOW, ACT, SDW, ABSENT = 0, 1, 2, 3
ROLES = ("low", "act", "sdw", "absent")

# -- trace rows (docs/trace-format.md) ------------------------------------------------
KIND_SEND, KIND_OUTPUT, KIND_FAULT = 0, 1, 2
KINDS = ("send", "output", "fault")

#: Event categories, in the fixed order in which the generator splits the total rate.
CAT_LOW_ACT, CAT_LOW_LOW, CAT_EXT_LOW, CAT_FAULT = 0, 1, 2, 3
CAT_ACT_LOW, CAT_ACT_ACT, CAT_EXT_ACT, CAT_SDW_SDW = 4, 5, 6, 7
N_CATEGORIES = 8

#: Fill value of a missing ``u_at``: detected iff ``u_at < at_coverage`` then means
#: "detected iff at_coverage == 1".
U_AT_MISSING = math.nextafter(1.0, 0.0)
#: Fill value of a missing ``u_comp``: compensation succeeds iff ``u_comp < compensation``,
#: i.e. fails iff ``compensation == 0``.
U_COMP_MISSING = 0.0

# -- the event heap of a run (docs/protocol.md, D7) -------------------------------------
#: What an item scheduled on a run's heap is: the delivery of an application message,
#: the arrival of a "passed AT" notification, a timer event of the protocol family
#: (``"coordinated"``: a checkpoint line), and under executed recovery
#: (``Scenario.recovery``, docs/protocol.md, section 9) the arrival of the recovery
#: notice and of the two-phase release.  Items fire in (time, scheduling order).
HEAP_DELIVER, HEAP_NOTIFY, HEAP_TIMER, HEAP_NOTICE, HEAP_RELEASE = 0, 1, 2, 3, 4
HEAP_KINDS = ("deliver", "notify", "timer", "notice", "release")

# -- piggyback size model (docs/metrics.md, "Piggyback size model") ---------------------
#: Bytes of the piggybacked ``dirty_bit`` of every application message.
PIGGYBACK_FLAG_BYTES = 1
#: Bytes of one counter: the scalar ``int_mSN_G_low``, one entry of a per-member level
#: vector, or a member number.
PIGGYBACK_COUNTER_BYTES = 4

# -- run outcomes (the ``outcome`` column; codes are the kernel's) --------------------
OUT_COMPLETED, OUT_FAILED, OUT_RECOVERED = 0, 1, 2
#: The values of the ``outcome`` column, by code.
OUTCOMES = ("completed", "failed", "recovered")

# -- the event log of the reference engine (docs/trace-format.md, "Event log") -------
class Event(StrEnum):
    """Kinds of event-log rows; ``EVENT_KINDS`` (their values, in this order) are the
    ``event`` column's categories.  docs/trace-format.md lists the columns each
    kind fills."""

    SEND = "send"                 # an application message is sent
    DELIVER = "deliver"           # ... and consumed by its receiver
    CONTAMINATED = "contaminated"  # ground truth: the receiver became erroneous
    CKPT_S1 = "ckpt_s1"           # checkpoint by rule S1 (clean process)
    CKPT_S2 = "ckpt_s2"           # checkpoint by rule S2 (already dirty)
    LOG_RCV = "log_rcv"           # receiver-side logging
    RECLAIM = "reclaim"           # memory reclamation after a validation
    OUTPUT = "output"             # an external message sent without AT
    AT_PASS = "at_pass"
    AT_FAIL = "at_fail"
    COMPENSATED = "compensated"   # error compensation of a failed AT succeeded
    FAILURE = "failure"           # an erroneous external message reached the device
    NOTIFY = "notify"             # "passed AT" broadcast
    NOTIFIED = "notified"         # ... received
    LOG_SDR = "log_sdr"           # a shadow's suppressed send, logged
    LOG_EXT = "log_ext"           # a shadow's suppressed output, logged
    FAULT = "fault"               # design-fault activation
    COORD_CKPT = "coord_ckpt"     # "coordinated": a checkpoint line
    RECOVERY = "recovery"         # error_recovery invoked
    ROLLBACK = "rollback"         # a process restores a checkpoint
    REPLAY = "replay"             # ... and replays a logged message
    RESEND = "resend"             # a shadow re-sends a logged message or output
    SUPPRESS = "suppress"         # shadows will suppress regenerated messages
    VIOLATION = "violation"       # the oracle found a violation (one row per metric)
    NOTICE = "notice"             # executed recovery: the recovery notice reaches a process
    RELEASE = "release"           # ... two-phase: the release reaches a stopped process
    TAKEOVER = "takeover"         # ... a shadow takes over from its member
    DISCARD = "discard"           # ... a recovered process drops a message (D4)
    QUIET = "quiet"               # ... the system is quiet: the oracle judges it


EVENT_KINDS: tuple[str, ...] = tuple(e.value for e in Event)
