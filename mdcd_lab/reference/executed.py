"""Executed recovery: Section 3.2 played as events (``Scenario.recovery == "executed"``).

``error_recovery({G_act, G_sdw, G_low})`` is not one atomic step here.  The process
whose acceptance test failed broadcasts a recovery notice; it travels with the
failing output's notification delay (``d_notify``, FIFO on the channel with the
sender's messages under ``Rules.notify_fifo``), and each process acts when it
arrives: a G_low process stops (with a G_low trigger the whole cluster stops at
once: Figure 2's ``exit(error)`` of the virtual component, whose members share
their counters atomically, D6); a G_act or G_sdw process rolls back or forward and
a shadow takes over from its member, re-sending its logs on the channels.  The
processes that have not heard of the recovery yet go on as before (G_low stops as
one when any member hears of it); the run goes on
until the system is quiet, and the oracle (``quiet.check_quiet``) then judges
what the processes actually hold.

With ``coordinated_recovery`` (correction C) the recovery is two-phase
(``Rules.recovery_barrier``): at the notice a process stops (it buffers what
arrives and defers its own trace rows); when every process has stopped, the
release, carrying the highest level any passed AT validated and the cluster
outputs the device has, reaches every process two notice delays later, and each
recovers with it.  docs/protocol.md, section 9, gives every rule and its reason.
"""

from __future__ import annotations

from ..constants import ACT, HEAP_DELIVER, HEAP_NOTICE, HEAP_RELEASE, LOW, SDW, Event
from .common import application_msg_reception, drain_notifications, end_failed
from .quiet import check_quiet
from .state import Checkpoint, Msg, Proc, Run, Twin


# -- detection, the notice, the two phases ---------------------------------------------
def invoke(run: Run, trigger: Proc, d_notice: float) -> None:
    """``error_recovery({G_act, G_sdw, G_low})`` invoked by ``trigger`` at ``run.now``.

    ``d_notice``: the failing output's ``d_notify``, the delay of the recovery notice.
    A detection while a recovery is under way makes its process join at once.
    """
    if not run.recovering:
        _start(run, trigger, d_notice)
    notice(run, trigger)


def _start(run: Run, trigger: Proc, d_notice: float) -> None:
    """The first detection: the notice leaves for every other process."""
    lv = run.lv
    run.recovering = True
    run.t_detect = run.now
    run.outcome = "recovered"
    run.d_notice = d_notice
    run.delay_max = max(run.delay_max, d_notice, run.s.shadow_lag)
    run.log(trigger.idx, Event.RECOVERY, -1, run.int_mSN_G_low, run.int_mSN_G_sdw)
    if not (run.rules.coordinated_recovery and run.rules.recovery_barrier):
        run.v_star = lv.zero   # a one-shot distribution: what is validated at detection
        for v in run.passed_levels:
            run.v_star = lv.join(run.v_star, v)
        run.ext_star = sum(1 for _e, _lvl, ok in run.cluster_outputs if ok)
    for q in run.procs:
        if q.idx != trigger.idx and q.role in (LOW, ACT, SDW) and not q.recovered:
            run.notices[q.idx] = (run.next_mid, trigger.idx)
            run.push(run.fifo_arrival(trigger.idx, q.idx, run.now + d_notice), HEAP_NOTICE,
                     q.idx)


def notice(run: Run, q: Proc) -> None:
    """The recovery notice reaches ``q`` (or ``q`` detected the error itself)."""
    if q.recovered or q.stopped or run.ended:
        return
    run.notices.pop(q.idx, None)
    run.log(q.idx, Event.NOTICE, -1, q.int_mSN_G_low, -1)
    if q.role == LOW:   # Figure 2's exit(error): the virtual component G_low stops as one
        for p in run.procs:   # (its members share their state atomically, D6)
            if p.role == LOW and not p.recovered:
                p.recovered = True
                run.notices.pop(p.idx, None)
                run.member_stopped(p)
    elif run.rules.coordinated_recovery and run.rules.recovery_barrier:
        q.stopped = True
    else:
        recover_process(run, q)
    if run.rules.coordinated_recovery and run.rules.recovery_barrier and not run.notices \
            and not run.release_sent:
        run.release_sent = True   # every process has stopped: phase two
        t = run.now + 2 * run.d_notice
        for p in run.procs:
            if p.stopped:
                run.push(t, HEAP_RELEASE, p.idx)


def release(run: Run, q: Proc) -> None:
    """Two-phase recovery: the release reaches ``q``; it recovers and catches up."""
    if not run.released:   # the validation the release carries: every passed AT so far
        run.released = True
        lv = run.lv
        run.v_star = lv.zero
        for v in run.passed_levels:
            run.v_star = lv.join(run.v_star, v)
        run.ext_star = sum(1 for _e, _lvl, ok in run.cluster_outputs if ok)
    run.log(q.idx, Event.RELEASE, -1, run.v_star, run.ext_star)
    q.stopped = False
    recover_process(run, q)
    buffered, q.buffer = q.buffer, []
    for m in buffered:
        receive_recovered(run, q, m)
    rows, q.deferred = q.deferred, []
    for row in rows:
        run.play_deferred(q, row)


def recover_process(run: Run, q: Proc) -> None:
    """``q`` rolls back or forward (Section 3.2); a shadow then takes over.

    In order: the notifications in flight at detection (``Rules.drain_notifications``),
    the distributed validation (``coordinated_recovery``), the rollback to the
    family's restore point if there is one, and for a shadow the takeover.  A
    recovered process is clean for good: G_low is gone, nothing can contaminate it
    any more, so it takes no checkpoint and logs nothing.
    """
    rules, lv = run.rules, run.lv
    if rules.drain_notifications:
        drain_notifications(run, q, run.t_detect)
    q.recovered = True
    if rules.coordinated_recovery:
        run.family.validate(run, q, run.v_star, run.ext_star)
        if q.role == SDW:
            q.ivr_low = lv.join(q.ivr_low, run.v_star)
            q.ext_ivr = max(q.ext_ivr, run.ext_star)
    point = run.family.restore_point(run, q)
    regenerated = rollback(run, q, *point) if point is not None else []
    run.change_ckpts(-len(q.ckpt_array))
    run.change_logs(0, -len(q.rcv_msg_log))
    q.ckpt_array, q.rcv_msg_log = [], []
    q.dirty_bit = q.prgt_bit = 0
    if rules.coordinated_recovery:
        q.V = lv.join(run.v_star, q.ivr_low) if q.role == SDW else run.v_star
    else:
        q.V = q.ivr_low if q.role == SDW else q.v_known
    if q.role == SDW:
        takeover(run, q, regenerated)


def rollback(run: Run, q: Proc, c: Checkpoint, replayed: list[Msg], n_sent: int,
             n_twins: int) -> list[Twin]:
    """Restore ``c``, replay ``replayed``, undo what came after.

    Sends from ``n_sent`` on are undone (a receiver that keeps one holds an
    orphan); a G_act process's outputs after ``c`` are emitted again by the
    re-execution unless ``suppress_redone_outputs`` finds the device has them; a
    shadow's twins from ``n_twins`` on are undone and returned: the re-execution
    makes them again (``takeover``).
    """
    run.log(q.idx, Event.ROLLBACK, -1, c.index, c.ord, ckpt=c.ord, t_restore=c.t,
            n=q.n_recv - c.n_recv)
    run.m["rollback_procs"] += 1
    dist = run.m["rollback_dist_max"]
    run.m["rollback_dist_max"] = run.now - c.t if dist != dist else max(dist, run.now - c.t)
    run.m["rollback_dist_sum"] += run.now - c.t
    run.m["rollback_events_max"] = max(run.m["rollback_events_max"], q.n_recv - c.n_recv)
    run.m["n_replayed"] += len(replayed)
    q.consumed = q.consumed[:c.n_recv]
    q.n_recv = c.n_recv
    q.erroneous = c.erroneous
    q.int_mSN_G_low = c.level_before
    for m in run.messages:
        if m.src == q.idx and m.send_ord >= n_sent:
            m.undone = True
    for m in replayed:
        run.log(q.idx, Event.REPLAY, m.src, m.int_mSN_G_low, m.k, k=m.k)
        consume(run, q, m)
    if q.role == ACT:
        for o in range(c.n_out, q.n_out):
            if not (run.rules.suppress_redone_outputs and run.device_act.get((q.idx, o))):
                act_output_copy(run, q, o)
    if q.role != SDW:
        return []
    undone = [w for w in run.twins if w.sdw == q.idx and w.twin_ord >= n_twins
              and not w.undone]
    for w in undone:
        w.undone = True
    keep_i = [w for w in q.int_msg_log if w.twin_ord < n_twins]
    keep_e = [w for w in q.ext_msg_log if w.twin_ord < n_twins]
    run.change_logs(len(keep_i) + len(keep_e) - len(q.int_msg_log) - len(q.ext_msg_log), 0)
    q.int_msg_log, q.ext_msg_log = keep_i, keep_e
    return undone


def takeover(run: Run, q: Proc, regenerated: list[Twin]) -> None:
    """Shadow ``q`` takes over from its member: re-send its logs, then the re-executed twins.

    "The shadows re-send or further suppress their outgoing messages if ivr_low is
    less or greater than int_mSN_G_sdw": the logs hold what no passed AT validated
    (D18), so they are re-sent, messages to their G_act process with the delay
    their cluster message had, outputs to the device; twins made again by the
    re-execution, and every later twin row, are sent unless the family suppresses
    them (``twin_send``, ``twin_output``).
    """
    run.log(q.idx, Event.TAKEOVER, -1, q.V, run.int_mSN_G_sdw)
    for w in q.int_msg_log:
        run.log(q.idx, Event.RESEND, w.dst, w.index, w.k, k=w.k)
        send_twin(run, q, w.dst, w.k, w.erroneous)
        run.m["n_resent"] += 1
    for w in q.ext_msg_log:
        run.log(q.idx, Event.RESEND, -1, w.index, w.e, e=w.e)
        twin_output_copy(run, w.e, w.erroneous)
        run.m["n_resent"] += 1
    run.change_logs(-len(q.int_msg_log) - len(q.ext_msg_log), 0)
    q.int_msg_log, q.ext_msg_log = [], []
    for w in regenerated:   # made again from the restored state
        if w.k:
            twin_send(run, q, w.dst, w.k, w.index)
        else:
            twin_output(run, q, w.e, w.index)


# -- what a recovered process does --------------------------------------------------------
def twin_send(run: Run, q: Proc, dst: int, k: int, index: object) -> None:
    """A taken-over shadow's twin ``k``: suppressed if the family says the original is
    held ("suppress ... until int_mSN_G_sdw reaches ivr_low"), else sent."""
    if run.family.suppresses(run, q, k, index):
        run.m["n_suppressed"] += 1
        run.log(q.idx, Event.SUPPRESS, dst, index, k, n=1)
        return
    send_twin(run, q, dst, k, q.erroneous)


def twin_output(run: Run, q: Proc, e: int, index: object) -> None:
    """A taken-over shadow's twin output ``e``: suppressed if the device has output ``e``."""
    done = e <= q.ext_ivr if run.rules.outputs_by_count else run.lv.leq(index, q.V)
    if done:
        run.m["n_suppressed"] += 1
        run.log(q.idx, Event.SUPPRESS, -1, index, e, n=1)
        return
    twin_output_copy(run, e, q.erroneous)


def send_twin(run: Run, q: Proc, dst: int, k: int, erroneous: bool) -> None:
    """Send twin ``k`` to ``dst`` with its cluster message's delay (FIFO on the channel)."""
    orig = run.originals.get(k)
    delay = orig.t_deliver - orig.t_send if orig is not None else 0.0
    t = run.now + delay
    if run.s.channel == "fifo":
        t = max(t, run.last_delivery.get((q.idx, dst), t))
    m = run.new_msg(q.idx, dst, t, 0, q.int_mSN_G_low, erroneous, q.n_sent, k)
    m.twin_no = k
    m.resend = True
    q.n_sent += 1
    run.push(t, HEAP_DELIVER, m)
    run.log(q.idx, Event.SEND, dst, q.int_mSN_G_low, k, dirty=0, err=int(erroneous), k=k)


def twin_output_copy(run: Run, e: int, erroneous: bool) -> None:
    """The device gets twin output ``e`` (an erroneous one fails the run)."""
    run.device_twin[e] = run.device_twin.get(e, 0) + 1
    if erroneous:
        end_failed(run)


def act_output_copy(run: Run, q: Proc, o: int) -> None:
    """The device gets output ``o`` of G_act process ``q`` (once more)."""
    run.device_act[(q.idx, o)] = run.device_act.get((q.idx, o), 0) + 1


def consume(run: Run, q: Proc, m: Msg) -> None:
    """``q`` consumes ``m`` outside Figures 3 and 4 (a replay, or after recovery)."""
    application_msg_reception(run, q, m)
    q.int_mSN_G_low = run.lv.join(q.int_mSN_G_low, m.int_mSN_G_low)


def receive_recovered(run: Run, q: Proc, m: Msg) -> None:
    """A recovered process receives ``m``: D4 made local.

    The family decides what to drop (``discards``): under MDCD a
    message that piggybacks ``dirty_bit = 1`` and a level the recovery did not
    validate (its sender rolls back past it, or the shadows send its twin);
    under ``"coordinated"`` every message sent before its sender recovered (the
    restored line's channel state replays what is needed).
    """
    if run.family.discards(run, q, m):
        run.m["n_discarded"] += 1
        run.log(q.idx, Event.DISCARD, m.src, m.int_mSN_G_low, m.k, k=m.k)
        return
    consume(run, q, m)
    if m.erroneous:
        run.post_erroneous += 1
    run.log(q.idx, Event.DELIVER, m.src, m.int_mSN_G_low, m.k, dirty=m.dirty_bit,
            err=int(m.erroneous), k=m.k)


# -- the end of the window -----------------------------------------------------------------
def is_quiet(run: Run) -> bool:
    """Every process has recovered, nothing of the old epoch or re-sent is in flight, and
    the shadows have made a twin of every cluster message and output."""
    if run.notices or any(p.stopped for p in run.procs):
        return False
    if run.int_mSN_G_sdw < max(run.originals, default=0) or run.ext_mSN_G_sdw < max(
            (e for e, _lvl, _ok in run.cluster_outputs), default=0):
        return False
    return not any(item[2] == 0 and (item[3].pre or item[3].resend)
                   and run.role(item[3].dst) != LOW for item in run.heap)


def end_window(run: Run, quiet: bool) -> None:
    """The run ends: quiet, or the window's cap (what is outstanding is counted)."""
    run.ended = True
    run.t_end = run.now
    if run.m["rollback_dist_max"] != run.m["rollback_dist_max"]:   # NaN: nobody rolled back
        run.m["rollback_dist_max"] = 0.0
    if quiet:
        run.t_quiet = run.now
        run.m["recovery_latency"] = run.now - run.t_detect
    run.log(-1, Event.QUIET, -1, -1, -1, n=int(quiet))
    check_quiet(run)
