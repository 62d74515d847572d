"""State of one run: processes, messages, checkpoints and log entries.

Variable names follow the paper (Section 3.1, Figures 2-4): ``dirty_bit``,
``prgt_bit``, ``int_mSN_G_low`` (local copy), ``ckpt_array``, ``ivr_low``,
``int_msg_log`` / ``ext_msg_log`` (sender-side logs of shadows) and
``rcv_msg_log`` (receiver-side log, called ``int_msg_log`` in Figures 3 and 4;
renamed here because a shadow keeps both kinds).  Beside the protocol's beliefs
each process carries the ground truth (``erroneous``) for the oracle.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ..constants import ABSENT, ACT, LOW, SDW, Event
from ..metrics import ENGINE_METRICS
from ..protocols import Rules
from ..scenario import Scenario
from ..traces.table import proc_names
from .levels import SCALAR, VectorLevels


@dataclass
class Msg:
    """An application message and what it piggybacks (``dirty_bit``, ``int_mSN_G_low``).

    ``int_mSN_G_low`` is a level (``levels``): an ``int``, or under
    ``"mdcd-vector"`` a tuple with one counter per cluster member.
    """

    mid: int
    src: int
    dst: int
    t_send: float
    t_deliver: float
    dirty_bit: int
    int_mSN_G_low: int
    erroneous: bool
    send_ord: int          # ordinal of this send among the sender's sends
    k: int = 0             # int_mSN_G_low of a G_low -> G_high message, else 0
    twin_no: int = 0       # number of its shadow twin (G_low -> G_act messages only)
    consume_ord: int = -1  # receiver's reception ordinal once consumed
    recv_n_sent: int = -1  # receiver's send count when it consumed the message
    recv_n_twins: int = -1  # receiver's twin count when it consumed the message
    delivered: bool = False
    # executed recovery (docs/protocol.md, section 9)
    arrived: bool = False   # its delivery event has happened (consumed, waiting or dropped)
    undone: bool = False    # its sender rolled back past the send
    pre: bool = True        # sent before its sender recovered
    resend: bool = False    # a twin the shadows sent after taking over


@dataclass
class Checkpoint:
    """An entry of ``ckpt_array``: a saved state and where in the run it was taken."""

    index: object       # the level (int_mSN_G_low) the array is indexed by
    level_before: object  # local int_mSN_G_low of the saved state
    t: float
    n_recv: int
    n_sent: int
    n_twins: int
    n_out: int
    erroneous: bool
    ord: int            # ordinal of the checkpoint within its process


@dataclass
class LogEntry:
    """An entry of a receiver-side log (``rcv_msg_log``)."""

    index: object       # a level
    msg: Msg
    ckpt_ord: int       # the checkpoint interval the entry belongs to


@dataclass
class Twin:
    """A suppressed shadow message: a twin send to G_act or a twin external output."""

    sdw: int
    index: object       # level: int_mSN_G_sdw (sends) or the log index of an output
    twin_ord: int       # ordinal among the shadow's twin events
    erroneous: bool
    k: int = 0          # twin send number (= cluster message number)
    e: int = 0          # twin output number (= cluster output number)
    dst: int = -1       # the G_act process a twin send is for
    undone: bool = False  # a rollback of its shadow undid it (the re-execution makes it again)


@dataclass
class Note:
    """A "passed AT" notification on its way from ``origin`` to one recipient ``dst``.

    ``mid``: the message ids below it were sent before it (its place on a FIFO channel,
    ``Rules.notify_fifo``).
    """

    v_int: object
    v_ext: int
    origin: int
    dst: int
    mid: int
    t_sent: float
    seq: int = 0        # order of creation among the run's notes
    done: bool = False


@dataclass
class Proc:
    """One process with the protocol variables of its role and its ground truth."""

    idx: int
    name: str
    role: int
    dirty_bit: int = 0
    prgt_bit: int = 0
    int_mSN_G_low: object = 0   # a level (.levels); G_low under mdcd-vector: its view
    ivr_low: object = 0         # G_sdw only: last validated level (Figure 4)
    ext_ivr: int = 0            # G_sdw only: validated cluster outputs (mdcd)
    v_known: object = 0         # highest validated level this process has applied
    mSN_own: int = 0            # mdcd-vector: low_i's messages to G_act, sdw_i's twin sends
    ckpt_array: list[Checkpoint] = field(default_factory=list)
    rcv_msg_log: list[LogEntry] = field(default_factory=list)
    int_msg_log: list[Twin] = field(default_factory=list)   # G_sdw sender side
    ext_msg_log: list[Twin] = field(default_factory=list)   # G_sdw sender side
    n_ckpt_made: int = 0
    erroneous: bool = False
    unsafe: bool = False
    n_recv: int = 0
    n_sent: int = 0
    n_twins: int = 0
    n_out: int = 0
    consumed: list[Msg] = field(default_factory=list)
    outputs_delivered: list[int] = field(default_factory=list)  # output ordinals delivered
    # executed recovery (docs/protocol.md, section 9)
    recovered: bool = False     # it has recovered (G_low: stopped)
    stopped: bool = False       # two-phase recovery: waiting for the release
    V: object = 0               # the validated level it recovered with
    buffer: list = field(default_factory=list)     # deliveries while stopped
    deferred: list = field(default_factory=list)   # its trace rows while stopped
    # twins in the member's order (Rules.twins_in_member_order)
    boundary: int = 0           # G_low: its messages to G_act and outputs so far
    made: int = 0               # G_sdw: twins made so far
    rows_seen: int = 0          # G_sdw: twin rows of the trace so far
    waiting: list = field(default_factory=list)    # G_sdw: (need, msg): inputs after twins
    ahead: list = field(default_factory=list)      # G_sdw: twin rows ahead of the member


@dataclass(frozen=True)
class Family:
    """The handlers of a protocol family, plugged into a run once (``families.family_of``).

    The role modules (``low``, ``act``, ``sdw``) and the event loop
    call these and never ask which family runs: confidence-driven checkpointing
    (``confidence`` and ``recovery``: every protocol but one) or periodic
    coordinated checkpointing (``coordinated``).

    Attributes
    ----------
    name : str
    start : callable ``(run)``
        Before the first trace row (``"coordinated"``: schedules its lines).
    on_timer : callable ``(run, payload)``
        A family timer event (``HEAP_TIMER``) fires.
    receive : callable ``(run, p, m)``
        A G_act or G_sdw process receives application message ``m``.
    validate : callable ``(run, p, v_int, v_ext)``
        ``p`` applies a validation of level ``v_int`` (and ``v_ext`` cluster
        outputs, -1 if none): its own passed AT or a "passed AT" notification.
    on_passed_at : callable ``(run)``
        An AT passed (``run.passed_levels`` has its level); called at once.
    recover : callable ``(run, trigger, d_notice)``
        ``error_recovery`` invoked by ``trigger``: roll back, take over, judge (at
        once, or as events with the recovery notice's delay ``d_notice``).
    restore_point : callable ``(run, p)``
        Executed recovery: where ``p`` rolls back to, ``(checkpoint, replayed
        messages, sends kept, twins kept)``, or None.
    suppresses : callable ``(run, q, k, index)``
        Executed recovery: a taken-over shadow suppresses its twin ``k``.
    discards : callable ``(run, q, m)``
        Executed recovery: a recovered process drops message ``m``.
    """

    name: str
    start: Callable[[Run], None]
    on_timer: Callable[[Run, object], None]
    receive: Callable[[Run, Proc, Msg], None]
    validate: Callable[[Run, Proc, int, int], None]
    on_passed_at: Callable[[Run], None]
    recover: Callable[[Run, Proc, float], None]
    restore_point: Callable[[Run, Proc], tuple | None]
    suppresses: Callable[[Run, Proc, int, object], bool]
    discards: Callable[[Run, Proc, Msg], bool]


class Run:
    """Everything one run of one protocol on one trace needs, and its counters."""

    def __init__(self, scenario: Scenario, rules: Rules, record: bool, family: Family) -> None:
        self.s = scenario
        self.rules = rules
        self.family = family
        n_low, n_act = scenario.n_low, scenario.n_act
        self.n_low, self.n_act = n_low, n_act
        #: the level algebra (``levels``), plugged in once
        self.lv = VectorLevels(n_low) if rules.per_member_validation else SCALAR
        self.procs: list[Proc] = []
        # mdcd-unclustered: only low0 is low confidence; its interface partners run
        # as high-confidence processes without shadows (docs/protocols.md)
        partner = ACT if rules.unclustered else LOW
        roles = ([LOW if i == 0 else partner for i in range(n_low)] + [ACT] * n_act
                 + [SDW if i == 0 or not rules.unclustered else ABSENT for i in range(n_low)])
        for idx, (name, role) in enumerate(zip(proc_names(scenario), roles, strict=True)):
            self.procs.append(Proc(idx, name, role, dirty_bit=int(role == LOW)))
        for p in self.procs:   # every level starts at the algebra's zero
            p.int_mSN_G_low = p.ivr_low = p.v_known = self.lv.zero
        # shared counters (atomic inside their group: docs/protocol.md, D6)
        self.int_mSN_G_low = 0
        self.ext_mSN_G_low = 0
        self.int_mSN_G_sdw = 0
        self.ext_mSN_G_sdw = 0
        self.n_low_act = 0       # cluster messages to G_act: twin numbers
        self.now = 0.0
        self.heap: list[tuple] = []
        self.heap_seq = 0
        self.next_mid = 0
        self.messages: list[Msg] = []
        self.originals: dict[int, Msg] = {}      # k -> G_low message to G_act
        self.twins: list[Twin] = []
        self.cluster_outputs: list[tuple[int, int, bool]] = []  # (e, level, delivered)
        self.passed_levels: list = []   # levels validated by passed ATs
        self.lines: list = []   # "coordinated" only
        self.notes: dict[tuple[int, int], list[Note]] = {}   # per channel, in order
        self.n_notes = 0
        self.last_delivery: dict[tuple[int, int], float] = {}
        # executed recovery (docs/protocol.md, section 9)
        self.recovering = False
        self.released = False
        self.release_sent = False
        self.notices: dict[int, tuple[int, int]] = {}   # q -> (mid, origin) of its notice
        self.d_notice = 0.0     # delay of the recovery notice
        self.t_cap = math.inf   # end of the window after detection
        self.delay_max = 0.0    # longest delay so far (the window's unit)
        self.v_star: object = 0
        self.ext_star = 0
        self.line = None        # "coordinated": the line restored
        self.held: set = set()  # "coordinated": twins that line holds
        self.device_act: dict[tuple[int, int], int] = {}   # (p, output ordinal) -> copies
        self.device_twin: dict[int, int] = {}   # twin output e -> copies the device got
        self.post_erroneous = 0  # erroneous messages consumed after recovery
        self.t_quiet = math.nan
        # engine callbacks (set by engine.play_run)
        self.deliver = None
        self.member_stopped = None
        self.play_deferred = None
        self.ended = False
        self.outcome = "completed"
        #: end of the guarded operation: the horizon phi, 0 under ``"unguarded"``
        self.guard_end = 0.0 if rules.unguarded else scenario.horizon
        self.phase = 0          # 1 once the unguarded phase has begun
        self.t_end = self.guard_end
        self.t_fault = math.nan
        self.t_detect = math.nan
        self.events: list[tuple] | None = [] if record else None
        #: the run's metrics (docs/metrics.md), each at its schema default until the
        #: protocol code counts or sets it; the event loop adds the derived ones
        self.m: dict = {mt.name: mt.default for mt in ENGINE_METRICS}
        self.ckpt_now = 0
        self.ckpt_peak = 0
        self.log_sender = 0
        self.log_receiver = 0
        self.log_peak = 0
        self.log_sender_peak = 0
        self.log_receiver_peak = 0
        self.log_area = 0.0
        self.log_t = 0.0

    # -- bookkeeping -----------------------------------------------------------------
    def role(self, p: int) -> int:
        """Role of process index ``p`` under this protocol."""
        return self.procs[p].role

    def is_act(self, p: int) -> bool:
        """Whether ``p`` is one of the ``act{j}`` processes (not a partner)."""
        return self.n_low <= p < self.n_low + self.n_act

    def twin_of(self, low_idx: int) -> Proc:
        """The shadow ``sdw_i`` of ``low_i``."""
        return self.procs[self.n_low + self.n_act + low_idx]

    def log(self, proc: int, event: Event, peer: int = -1, level: int = -1,
            index: int = -1, **fields: object) -> None:
        """Append to the event log when recording.

        ``fields`` are the event's own columns (``events.EVENT_FIELDS``).
        """
        if self.events is not None:
            self.events.append((self.now, proc, event, peer, level, index, fields))

    def push(self, t: float, kind: int, payload: object) -> None:
        """Schedule an item of ``kind`` (``HEAP_DELIVER``: a message, ``HEAP_NOTIFY``:
        a "passed AT" notification, ``HEAP_TIMER``: a family timer event, and under
        executed recovery ``HEAP_NOTICE`` / ``HEAP_RELEASE``) at time ``t``."""
        heapq.heappush(self.heap, (t, self.heap_seq, kind, payload))
        self.heap_seq += 1

    def new_msg(self, src: int, dst: int, t_deliver: float, dirty_bit: int, level: object,
                erroneous: bool, send_ord: int, k: int = 0, numbered: bool = False) -> Msg:
        """Create and register an application message.

        ``numbered``: a ``low_i -> G_act`` message under ``"mdcd-vector"``, which
        piggybacks its member and number instead of a whole level
        (``piggyback_bytes`` of ``levels``; docs/metrics.md).
        """
        m = Msg(self.next_mid, src, dst, self.now, t_deliver, dirty_bit, level, erroneous,
                send_ord, k)
        m.pre = not self.procs[src].recovered
        self.next_mid += 1
        ch = (src, dst)
        self.last_delivery[ch] = max(self.last_delivery.get(ch, t_deliver), t_deliver)
        self.delay_max = max(self.delay_max, t_deliver - self.now)
        self.messages.append(m)
        self.m["n_app_msgs"] += 1
        self.m["piggyback_bytes"] += self.lv.piggyback_bytes(numbered)
        return m

    def fifo_arrival(self, src: int, dst: int, t: float) -> float:
        """When a control message from ``src`` sent now with delay ``t - now`` reaches
        ``dst``: not before ``src``'s earlier messages to ``dst`` on a FIFO channel
        (``Rules.notify_fifo``)."""
        if self.rules.notify_fifo and self.s.channel == "fifo":
            return max(t, self.last_delivery.get((src, dst), t))
        return t

    def member_of(self, p: Proc) -> int:
        """``i`` of ``low_i`` or of its shadow ``sdw_i``."""
        return p.idx - self.n_low - self.n_act if p.role == SDW else p.idx

    def low_level(self, p: Proc) -> object:
        """The level a G_low process ``p`` piggybacks and validates: the cluster's
        shared ``int_mSN_G_low`` (Figure 2), or ``p``'s own view under ``"mdcd-vector"``."""
        return p.int_mSN_G_low if self.lv.vector else self.int_mSN_G_low

    def _advance_log_clock(self) -> None:
        self.log_area += (self.log_sender + self.log_receiver) * (self.now - self.log_t)
        self.log_t = self.now

    def change_logs(self, d_sender: int, d_receiver: int) -> None:
        """Account for log entries added (positive) or removed (negative)."""
        self._advance_log_clock()
        self.m["n_logged"] += max(d_sender, 0) + max(d_receiver, 0)
        self.log_sender += d_sender
        self.log_receiver += d_receiver
        tot = self.log_sender + self.log_receiver
        self.log_peak = max(self.log_peak, tot)
        self.log_sender_peak = max(self.log_sender_peak, self.log_sender)
        self.log_receiver_peak = max(self.log_receiver_peak, self.log_receiver)

    def change_ckpts(self, d: int) -> None:
        """Account for checkpoints established (positive) or deleted (negative)."""
        self.ckpt_now += d
        self.ckpt_peak = max(self.ckpt_peak, self.ckpt_now)

    def check_unsafe(self, p: Proc) -> None:
        """Ground truth: an erroneous process whose dirty bit is 0 is unsafe."""
        if p.erroneous and p.dirty_bit == 0 and p.role in (ACT, SDW):
            p.unsafe = True
