"""The oracle of an executed recovery: what the recovered system holds, at quiet.

``check_quiet`` is called when the run ends after a detection (docs/protocol.md,
section 9) and counts over the processes' actual consumption lists, after every
rollback and replay (``quiet_messages``, ``quiet_outputs``); the verdicts go
through ``oracle.record_verdicts`` like the atomic recovery's.
"""

from __future__ import annotations

from ..constants import ACT, LOW, SDW
from .oracle import record_verdicts
from .state import Run


def check_quiet(run: Run) -> None:
    """Executed recovery: judge what the recovered system holds (docs/protocol.md, section 9).

    Called when the run ends after a detection, at quiet (nothing of the old epoch in
    flight) or at the window's cap (then what is outstanding is counted as it will
    be: a message in flight by its receiver's rule, a twin not made yet as sent
    unless the family suppresses it).  The counts are over the processes' actual
    consumption lists, after every rollback and replay (``quiet_messages``,
    ``quiet_outputs``); ``contaminated_restore`` counts the G_act and G_sdw
    processes erroneous when the run ends, plus erroneous messages consumed after
    recovery.
    """
    orphans, lost, dups, cascade = quiet_messages(run)
    lost_out, dup_out = quiet_outputs(run)
    contaminated = run.post_erroneous + sum(
        1 for p in run.procs if p.role in (ACT, SDW) and p.erroneous)
    record_verdicts(run, orphans, lost, dups, lost_out, dup_out, contaminated, cascade)


def _holdings(run: Run) -> dict[int, int]:
    """How many times each message is held: consumed (after every rollback and replay),
    or kept for later by a stopped process or a shadow waiting for its twins."""
    holds: dict[int, int] = {}
    for p in run.procs:
        if p.role in (ACT, SDW):
            for m in p.consumed + p.buffer + [x for _need, x in p.waiting]:
                holds[m.mid] = holds.get(m.mid, 0) + 1
    return holds


def quiet_messages(run: Run) -> tuple[int, int, int, set[int]]:
    """``(orphans, lost, duplicates, cascade)`` of the messages.

    Cluster message ``k`` and every copy of its twin ``k`` are one logical message:
    held once, else lost (0) or a duplicate (2 or more); any other message whose send
    a rollback undid must be held by nobody, else an orphan (and its holder a
    cascade); one whose send survives must be held once.
    """
    rules = run.rules
    holds = _holdings(run)
    orphans = lost = dups = 0
    cascade: set[int] = set()
    logical: dict[int, int] = {}
    for m in run.messages:
        if run.role(m.dst) == LOW:
            if rules.unclustered and run.role(m.src) == ACT and m.src < run.n_low \
                    and not m.undone:
                lost += 1   # a partner's new-interface message: the old version never gets it
            continue
        held = holds.get(m.mid, 0)
        if not m.arrived:   # still in flight: its receiver's rule decides
            q = run.procs[m.dst]
            held += int(not (q.recovered and run.family.discards(run, q, m)))
        if run.role(m.src) == LOW and not m.twin_no:
            if held:   # mdcd-unclustered: low0's new-interface message to a partner
                orphans += 1
                cascade.add(m.dst)
        elif m.twin_no and run.is_act(m.dst):
            logical[m.twin_no] = logical.get(m.twin_no, 0) + held
        elif m.undone:
            if held:
                orphans += 1
                cascade.add(m.dst)
        elif held != 1:
            lost += held == 0
            dups += held > 1
    for k, orig in run.originals.items():
        n = logical.get(k, 0)
        if k > run.int_mSN_G_sdw:   # its twin is not made yet: sent unless suppressed
            sdw = run.twin_of(orig.src)
            n += int(not (sdw.recovered and run.family.suppresses(
                run, sdw, k, orig.int_mSN_G_low)))
        lost += n == 0
        dups += n > 1
    return orphans, lost, dups, cascade


def quiet_outputs(run: Run) -> tuple[int, int]:
    """``(lost_outputs, dup_outputs)``: cluster output ``e`` (the original if it reached
    the device, and the copies of twin ``e``) and every output ordinal of a G_act
    process must reach the device once."""
    lv, rules = run.lv, run.rules
    shadows = [p for p in run.procs if p.role == SDW and p.recovered]
    device = dict(run.device_twin)
    for e, lvl, ok in run.cluster_outputs:
        device[e] = device.get(e, 0) + int(ok)
        if e > run.ext_mSN_G_sdw:   # its twin is not made yet: emitted unless suppressed
            device[e] += int(not any(
                (e <= q.ext_ivr) if rules.outputs_by_count else lv.leq(lvl, q.V)
                for q in shadows))
    lost_out = dup_out = 0
    for e in range(1, max([0, *device]) + 1):
        lost_out += device.get(e, 0) == 0
        dup_out += device.get(e, 0) > 1
    for p in run.procs:
        if p.role == ACT:
            for o in range(p.n_out):
                n = run.device_act.get((p.idx, o), 0)
                lost_out += n == 0
                dup_out += n > 1
    return lost_out, dup_out
