"""``"coordinated"``: periodic coordinated checkpointing, the classical alternative.

Every ``coord_period`` time units all G_act and G_sdw processes take a checkpoint
together (a *line*), and the messages in transit to them at that instant are
logged with the line (its channel state).  There is no per-message
checkpointing and no receiver-side logging.  Confidence is kept only for ATs:
a process is dirty iff it has absorbed a level above what it knows to be
validated, so dirty G_act outputs are tested as in MDCD.  The checkpoint
coordinator learns of every passed AT when it passes; a line is *valid* once the
highest validated level covers every level absorbed in it, and lines older than
the newest valid line are discarded.  At recovery every G_act and G_sdw process
rolls back to the newest line whose levels are validated, its channel state is
replayed (cluster messages only if validated), every message still in transit is
discarded, and the shadows deliver exactly the twins the line does not hold.
See docs/protocols.md.

The whole protocol family is in this module; ``families.family_of`` plugs its
handlers into a run once (``start``: ``schedule_lines``, ``on_timer``:
``take_line``, ``receive``, ``validate``, ``on_passed_at``:
``validate_lines``, ``recover``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..constants import ACT, HEAP_TIMER, SDW, Event
from .common import application_msg_reception, begin_recovery, record_takeover
from .executed import invoke
from .oracle import check_recovery
from .state import Checkpoint, Msg, Proc, Run


@dataclass
class Line:
    """A coordinated checkpoint of all G_act and G_sdw processes and its channel state."""

    t: float
    level: int
    ckpts: dict[int, Checkpoint]
    channel: list[Msg] = field(default_factory=list)
    channel_ids: set[int] = field(default_factory=set)


def schedule_lines(run: Run) -> None:
    """Schedule the line events at ``coord_period, 2 coord_period, ... <= horizon``."""
    run.lines = [Line(0.0, 0, {p.idx: _ckpt(run, p, 0) for p in _members(run)})]
    k = 1
    while k * run.s.coord_period <= run.s.horizon:
        run.push(k * run.s.coord_period, HEAP_TIMER, k)
        k += 1


def _members(run: Run) -> list[Proc]:
    return [p for p in run.procs if p.role in (ACT, SDW)]


def _ckpt(run: Run, p: Proc, ordinal: int) -> Checkpoint:
    return Checkpoint(p.int_mSN_G_low, p.int_mSN_G_low, run.now, p.n_recv, p.n_sent,
                      p.n_twins, p.n_out, p.erroneous, ordinal)


def take_line(run: Run, k: int) -> None:
    """All G_act and G_sdw processes checkpoint; in-transit messages are logged."""
    if run.recovering:   # executed recovery is under way: no line any more
        return
    members = _members(run)
    ckpts = {p.idx: _ckpt(run, p, k) for p in members}
    n_act = sum(1 for p in members if p.role == ACT)
    run.m["ckpt_act"] += n_act
    run.m["ckpt_sdw"] += len(members) - n_act
    channel = [m for m in run.messages if not m.delivered and run.role(m.dst) in (ACT, SDW)]
    line = Line(run.now, max((p.int_mSN_G_low for p in members), default=0), ckpts, channel,
                {m.mid for m in channel})
    run.lines.append(line)
    run.change_ckpts(len(ckpts))
    run.change_logs(0, len(channel))
    run.log(-1, Event.COORD_CKPT, -1, line.level, k, ckpt=k, n=len(ckpts),
            n_rcv_log=len(channel))
    validate_lines(run)


def validate_lines(run: Run) -> None:
    """Discard the lines older than the newest line whose levels are all validated."""
    v = max(run.passed_levels, default=0)
    newest_valid = max(i for i, ln in enumerate(run.lines) if ln.level <= v)
    if newest_valid == 0:
        return
    gone = run.lines[:newest_valid]
    run.lines = run.lines[newest_valid:]
    run.change_ckpts(-sum(len(ln.ckpts) for ln in gone if ln.t > 0))
    run.change_logs(0, -sum(len(ln.channel) for ln in gone))
    held = held_by(run, run.lines[0], v)
    for q in run.procs:   # shadows' twins the valid line holds are never needed again
        if q.role == SDW:
            n = len(q.int_msg_log)
            q.int_msg_log = [w for w in q.int_msg_log if w.k not in held]
            run.change_logs(len(q.int_msg_log) - n, 0)


def held_by(run: Run, line: Line, v_star: int) -> set[int]:
    """Twin numbers of the cluster messages a line holds (consumed or replayed)."""
    held = set()
    for j, m in run.originals.items():
        c = line.ckpts.get(m.dst)
        if c is None:
            continue
        if m.delivered and m.consume_ord < c.n_recv:
            held.add(j)
        elif m.mid in line.channel_ids and m.k <= v_star:
            held.add(j)
    return held


def validate(run: Run, p: Proc, v_int: int, v_ext: int = -1) -> None:
    """A process learns that level ``v_int`` is validated: its dirty bit follows.

    A shadow also reclaims the twin outputs the device has (``e <= v_ext``).
    """
    p.v_known = max(p.v_known, v_int)
    p.dirty_bit = int(p.int_mSN_G_low > p.v_known)
    run.check_unsafe(p)
    if p.role == SDW and v_ext >= 0:
        n = len(p.ext_msg_log)
        p.ext_msg_log = [w for w in p.ext_msg_log if w.e > v_ext]
        run.change_logs(len(p.ext_msg_log) - n, 0)


def receive(run: Run, p: Proc, m: Msg) -> None:
    """Reception without checkpointing or logging; the dirty bit follows the level."""
    application_msg_reception(run, p, m)
    p.int_mSN_G_low = max(m.int_mSN_G_low, p.int_mSN_G_low)
    p.dirty_bit = int(p.int_mSN_G_low > p.v_known)
    run.log(p.idx, Event.DELIVER, m.src, m.int_mSN_G_low, m.k, dirty=m.dirty_bit,
            err=int(m.erroneous), k=m.k)
    run.check_unsafe(p)


def restore_point(run: Run, p: Proc) -> tuple:
    """Executed recovery: ``p`` restores its checkpoint of the newest line whose levels
    are validated and replays that line's channel state to it (cluster messages only
    if validated); its shadow log keeps the twins the line does not hold."""
    if run.line is None:
        run.line = next(ln for ln in reversed(run.lines) if ln.level <= run.v_star)
        run.held = held_by(run, run.line, run.v_star)
    c = run.line.ckpts[p.idx]
    replayed = [m for m in run.line.channel if m.dst == p.idx
                and (run.role(m.src) in (ACT, SDW) or m.k <= run.v_star)]
    if p.role == SDW:
        keep = [w for w in p.int_msg_log if w.k not in run.held]
        run.change_logs(len(keep) - len(p.int_msg_log), 0)
        p.int_msg_log = keep
    return c, replayed, c.n_sent, c.n_twins


def suppresses(run: Run, q: Proc, k: int, index: object) -> bool:
    """Executed recovery: twin ``k`` is suppressed iff the restored line holds ``k``."""
    return k in run.held


def discards(run: Run, q: Proc, m: Msg) -> bool:
    """Executed recovery: a message sent before its sender recovered is dropped (the
    line's channel state replays what is needed)."""
    return m.pre


def recover(run: Run, trigger: Proc, d_notice: float) -> None:
    """``error_recovery``: roll every G_act and G_sdw process back to the newest validated
    line; the shadows deliver exactly the twins it does not hold.  Executed recovery (the
    default): ``executed.invoke`` plays it as events, with ``restore_point``,
    ``suppresses`` and ``discards`` as this family's rules."""
    if run.s.recovery == "executed":
        invoke(run, trigger, d_notice)
        return
    v_star, ext_star = begin_recovery(run, trigger)
    line = next(ln for ln in reversed(run.lines) if ln.level <= v_star)
    restore, cut, replayed = rollback_to_line(run, line, v_star)
    held = held_by(run, line, v_star)
    resent, undone, n_suppressed = takeover_from_line(run, restore, held, ext_star)
    record_takeover(run, restore, replayed, resent, n_suppressed, v_star)
    check_recovery(run, restore, cut, replayed, resent, undone, v_star, ext_star, held=held)


def rollback_to_line(run: Run, line: Line, v_star: int) -> tuple[dict, dict, dict]:
    """Every member restores its checkpoint of ``line`` and replays the line's channel
    state (a cluster message only if validated).  Returns ``(restore, cut, replayed)``
    as ``recovery.rollback`` and ``recovery.restore_cut`` do."""
    restore = dict(line.ckpts)
    cut = {i: (c.n_sent, c.n_twins) for i, c in restore.items()}
    replayed: dict[int, list[Msg]] = {}
    for m in line.channel:
        if run.role(m.src) in (ACT, SDW) or m.k <= v_star:
            replayed.setdefault(m.dst, []).append(m)
    for i, c in restore.items():
        run.log(i, Event.ROLLBACK, -1, c.index, c.ord, ckpt=c.ord, t_restore=c.t,
                n=run.procs[i].n_recv - c.n_recv)
    for i, ms in replayed.items():
        for m in ms:
            run.log(i, Event.REPLAY, m.src, m.int_mSN_G_low, m.k, k=m.k)
    return restore, cut, replayed


def takeover_from_line(run: Run, restore: dict, held: set[int],
                       ext_star: int) -> tuple[list, list, int]:
    """The shadows take over: their twins after the line are undone, the others are
    re-sent unless the line holds them (outputs: unless the device has them).
    Returns ``(resent, undone, n_suppressed)`` as ``recovery.takeover`` does."""
    undone, resent = [], []
    for w in run.twins:
        if w.twin_ord >= restore[w.sdw].n_twins:
            undone.append(w)
        elif (w.k and w.k not in held) or (w.e and w.e > ext_star):
            resent.append(w)
    n_gen = run.int_mSN_G_sdw
    n_suppressed = sum(1 for j in held if j > n_gen) + sum(
        1 for w in undone if w.k and w.k in held)
    return resent, undone, n_suppressed
