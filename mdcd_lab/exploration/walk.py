"""Enumeration of the traces of a bounded scope (the walk behind
[`mdcd_lab.explore`][mdcd_lab.exploration.explore]).

A *scope* bounds the processes and the application actions; the generator walks
every interleaving of those actions with the events the application does not
choose: message deliveries (FIFO per channel), "passed AT" notification
arrivals, and shadow twins.  Each complete interleaving becomes one trace
(docs/explore.md gives the exact definition).  Two reductions keep the walk
small, neither of which loses a behaviour:

* **symmetry**: processes of one group are interchangeable, so an action may
  name ``act{j}`` (``low{i}``) only if ``act{j-1}`` (``low{i-1}``) was already
  named by an earlier action (first-occurrence canonical form);
* **sleep sets** (partial-order reduction, Godefroid 1996): two events that touch
  disjoint processes commute, so of the interleavings that differ only by such
  swaps one is generated.  Actions are never swapped with each other (each
  action word is kept), outputs, recoveries and the end of a trace are
  dependent on everything.

The walk is a depth-first search: every trace shares the construction of its
prefix with its siblings.
"""

from __future__ import annotations

from ..constants import KIND_FAULT, KIND_OUTPUT, KIND_SEND
from .scopes import HORIZON, Scope

__all__ = ["walk", "U_AT", "U_COMP_OK", "U_COMP_FAIL"]

NAN = float("nan")

#: draws written into the traces: perfect ATs detect every erroneous output
#: (``u_at < at_coverage = 1``); with compensation on (``compensation = 0.5``)
#: ``U_COMP_OK`` succeeds and ``U_COMP_FAIL`` fails.
U_AT, U_COMP_OK, U_COMP_FAIL = 0.5, 0.25, 0.75
_GLOBAL = frozenset({"*"})


class _Walk:
    """Depth-first walk with sleep sets; calls ``emit(seq, rows, ended)`` per trace."""

    def __init__(self, scope: Scope, fault_scope: str, comp: bool, emit,
                 reduce: bool = True, partners: bool = False, executed: bool = False) -> None:
        self.executed = executed
        self.notice = ()             # executed recovery: the pending recovery notice (uid,)
        self.detected = 0            # 1 once a detection happened, 2 if by G_low
        self.s = scope
        self.reduce = reduce
        self.sym_low = reduce and not partners   # are the members interchangeable?
        self.fault_scope = fault_scope
        self.comp = comp
        self.emit = emit
        nl, na = scope.n_low, scope.n_act
        self.low = list(range(nl))
        self.act = list(range(nl, nl + na))
        self.sdw = list(range(nl + na, 2 * nl + na))
        # who a "passed AT" notification reaches (and, to be safe, every member when
        # the members are interface partners of low0)
        self.high = frozenset(self.act + self.sdw + (self.low if partners else []))
        self.fp: dict = {}           # event id -> footprint (set of processes/counters)
        self.payload: dict = {}      # uid of a send -> (erroneous, maybe dirty, receivers)
        self.seq: list = []          # the interleaving so far: ("R", uid), ("D", uid), ("N", uid)
        self.rows: dict = {}         # uid -> (kind, src, dst, u_comp)
        self.next_uid = 0
        self.chan: dict = {}         # (src, dst) -> tuple of uids in transit (FIFO)
        self.notif: tuple = ()       # uids of passed outputs whose notification travels
        self.twins: tuple = ()       # pending twins, in order: (kind, sdw, dst)
        self.twin_no = 0             # twins emitted so far
        self.err = [False] * scope.n_procs          # ground truth
        self.maybe_dirty = [i < nl for i in range(scope.n_procs)]
        self.n_actions = self.n_faults = 0
        self.used_low = self.used_act = 0
        self.born: dict = {}         # scheduled event id -> action that created it
        self._next = self._visit     # what a move does next (exploration.estimate probes)

    # -- moves -----------------------------------------------------------------------
    def _symbols(self) -> list:
        """Actions allowed now, under canonical process names (symmetry)."""
        s = self.s
        if self.n_actions >= s.max_actions:
            return []
        if s.max_delay is not None and self._overdue():
            return []
        lows = range(min(self.used_low + 1, s.n_low) if self.sym_low else s.n_low)
        if self.detected == 2:   # G_low has stopped (exit(error), or the notice reached it)
            lows = range(0)
        acts = range(min(self.used_act + 1, s.n_act) if self.reduce else s.n_act)
        out = []
        for a in s.actions:
            if a == "low_act":
                out += [("low_act", i, j, False) for i in lows for j in acts]
            elif a == "act_act":
                for j in acts:
                    ks = range(min(max(self.used_act, j + 1) + 1, s.n_act) if self.reduce
                               else s.n_act)
                    out += [("act_act", j, k, False) for k in ks if k != j]
            elif a == "act_low":
                out += [("act_low", j, i, False) for j in acts for i in lows]
            elif a in ("low_low", "sdw_sdw"):   # sdw_i is named with low_i (renamed together)
                for i in lows:
                    ks = range(min(max(self.used_low, i + 1) + 1, s.n_low) if self.sym_low
                               else s.n_low)
                    out += [(a, i, k, False) for k in ks if k != i]
            elif a == "output":
                out += [("out_low", i, -1, False) for i in lows]
                # an output of a process that never received a dirty message is a
                # no-op for every protocol (no AT, nothing to validate): left out
                out += [("out_act", j, -1, False) for j in acts
                        if self.maybe_dirty[self.act[j]]]
            elif a == "fault" and self.n_faults < s.max_faults:
                out += [("fault", i, -1, False) for i in lows]
        return out

    def _overdue(self) -> bool:
        """A pending event must happen before the next action."""
        limit = self.n_actions - self.s.max_delay
        pend = [("D", q[0]) for q in self.chan.values() if q] + [("N", u) for u in self.notif]
        pend += [("V", u) for u in self.notice]
        if self.twins:
            pend.append(("T", self.twin_no))
        return any(self.born[e] <= limit for e in pend)

    def _footprint(self, sym: tuple) -> frozenset:
        kind, a, _b, _ = sym
        if kind in ("low_act", "low_low"):   # both piggyback the shared int_mSN_G_low
            return frozenset({self.low[a], "lowctr"})
        if kind == "sdw_sdw":
            return frozenset({self.sdw[a]})
        if kind in ("act_act", "act_low"):
            return frozenset({self.act[a]})
        if kind == "fault":
            return frozenset(self.low)
        return _GLOBAL

    def _indep(self, x: tuple, fp: frozenset) -> bool:
        if not self.reduce:
            return False
        fx = self.fp[x]
        return fx is not _GLOBAL and fp is not _GLOBAL and not (fx & fp)

    # -- the walk ------------------------------------------------------------------------
    def run(self) -> None:
        """Walk the whole scope."""
        self._visit(frozenset())

    def _children(self, sleep: frozenset) -> tuple[list, bool]:
        """The moves from here, in the walk's order, each ``(event or action, compensation
        choice (None for an event), the child's sleep set)``, and whether this node is a
        trace (nothing scheduled is pending and an action happened).

        The sleep sets do not depend on the children's subtrees (footprints of events
        pending here and of actions never change below), so they are computed first."""
        sched = [("D", q[0]) for q in self.chan.values() if q]
        sched += [("N", u) for u in self.notif]
        sched += [("V", u) for u in self.notice]
        if self.twins:
            sched.append(("T", self.twin_no))
        done: list = []
        moves: list = []
        for e in sched:
            if e not in sleep:
                fp = self.fp[e]
                moves.append((e, None,
                              frozenset(x for x in (*sleep, *done) if self._indep(x, fp))))
                done.append(e)
        for sym in self._symbols():
            if sym in sleep:
                continue
            fp = self._footprint(sym)
            self.fp[sym] = fp
            child = frozenset(x for x in (*sleep, *done) if x[0] in "DNTV" and self._indep(x, fp))
            for comp in self._comp_choices(sym):
                moves.append((sym, comp, child))
            done.append(sym)
        return moves, bool(not sched and self.n_actions)

    def _visit(self, sleep: frozenset) -> None:
        moves, is_trace = self._children(sleep)
        for x, comp, child in moves:
            if comp is None:
                self._do_sched(x, child)
            else:
                self._do_action(x, comp, child)
        if is_trace:
            self.emit(self.seq, self.rows, False)

    def _comp_choices(self, sym: tuple) -> tuple:
        kind, a = sym[0], sym[1]
        p = self.low[a] if kind == "out_low" else self.act[a] if kind == "out_act" else -1
        return (True, False) if p >= 0 and self.comp and self.err[p] else (False,)

    def _save(self) -> tuple:
        return (len(self.seq), self.next_uid, dict(self.chan), self.notif, self.twins,
                self.twin_no, list(self.err), list(self.maybe_dirty), self.n_actions,
                self.n_faults, self.used_low, self.used_act, self.notice, self.detected)

    def _restore(self, st: tuple) -> None:
        (n, self.next_uid, self.chan, self.notif, self.twins, self.twin_no, self.err,
         self.maybe_dirty, self.n_actions, self.n_faults, self.used_low, self.used_act,
         self.notice, self.detected) = st
        for e in self.seq[n:]:
            if e[0] == "R":
                del self.rows[e[1]]
        del self.seq[n:]

    # -- effects ---------------------------------------------------------------------------
    def _row(self, kind: int, src: int, dst: int, ucomp: float = U_COMP_FAIL) -> int:
        uid = self.next_uid
        self.next_uid += 1
        self.rows[uid] = (kind, src, dst, ucomp)
        self.seq.append(("R", uid))
        return uid

    def _send(self, src: int, dst: int) -> None:
        uid = self._row(KIND_SEND, src, dst)
        self.chan[(src, dst)] = self.chan.get((src, dst), ()) + (uid,)
        # act -> low reaches the twin shadow at the same time (D16); low -> low does not
        targets = (dst, self.sdw[dst]) if src in self.act and dst in self.low else (dst,)
        self.fp[("D", uid)] = frozenset(targets)
        self.born[("D", uid)] = self.n_actions
        self.payload[uid] = (self.err[src], self.maybe_dirty[src], targets)

    def _queue_twin(self, twin: tuple) -> None:
        tid = ("T", self.twin_no + len(self.twins))
        self.fp[tid] = frozenset({twin[1], "sdwctr"})
        self.born[tid] = self.n_actions
        self.twins = self.twins + (twin,)

    def _twin_row(self, twin: tuple) -> None:
        kind, sdw, dst = twin
        self._row(KIND_SEND if kind == "send" else KIND_OUTPUT, sdw, dst)
        self.twin_no += 1

    def _do_action(self, sym: tuple, comp: bool, sleep: frozenset) -> None:
        st = self._save()
        kind, a, b, _ = sym
        self.n_actions += 1
        ended = False
        if kind == "low_act":
            self.used_low, self.used_act = max(self.used_low, a + 1), max(self.used_act, b + 1)
            self._send(self.low[a], self.act[b])
            self._queue_twin(("send", self.sdw[a], self.act[b]))
        elif kind == "act_act":
            self.used_act = max(self.used_act, a + 1, b + 1)
            self._send(self.act[a], self.act[b])
        elif kind == "act_low":
            self.used_act, self.used_low = max(self.used_act, a + 1), max(self.used_low, b + 1)
            self._send(self.act[a], self.low[b])
        elif kind == "low_low":
            self.used_low = max(self.used_low, a + 1, b + 1)
            self._send(self.low[a], self.low[b])
        elif kind == "sdw_sdw":
            self.used_low = max(self.used_low, a + 1, b + 1)
            self._send(self.sdw[a], self.sdw[b])
        elif kind == "fault":
            self.n_faults += 1
            if self.fault_scope == "process":   # under "cluster" the member is immaterial
                self.used_low = max(self.used_low, a + 1)
            for q in (self.low if self.fault_scope == "cluster" else [self.low[a]]):
                self.err[q] = True
            self._row(KIND_FAULT, self.low[a], -1)
        elif kind == "out_low":
            self.used_low = max(self.used_low, a + 1)
            p = self.low[a]
            uid = self._row(KIND_OUTPUT, p, -1, U_COMP_OK if comp else U_COMP_FAIL)
            self._queue_twin(("output", self.sdw[a], -1))
            if self.err[p]:
                ended = not comp
                if ended and self.executed:
                    ended = self._detect(uid, 2)
            else:
                self._notify(uid)
        else:  # out_act
            self.used_act = max(self.used_act, a + 1)
            p = self.act[a]
            uid = self._row(KIND_OUTPUT, p, -1, U_COMP_OK if comp else U_COMP_FAIL)
            if self.err[p]:
                ended = not comp
                if ended and self.executed:
                    ended = self._detect(uid, 1)
            elif self.maybe_dirty[p]:
                self._notify(uid)
        if ended:   # the run ends here (recovery or failure): the rest stays in transit
            self.emit(self.seq, self.rows, True)
        else:
            self._next(sleep)
        self._restore(st)

    def _detect(self, uid: int, by: int) -> bool:
        """Executed recovery: a detection sends the recovery notice; the walk goes on."""
        if self.detected:
            if by == 2:
                self.detected = 2
            return False
        self.detected = by
        self.notice = (uid,)
        self.fp[("V", uid)] = _GLOBAL
        self.born[("V", uid)] = self.n_actions
        return False

    def _notify(self, uid: int) -> None:
        self.notif = self.notif + (uid,)
        self.fp[("N", uid)] = self.high
        self.born[("N", uid)] = self.n_actions

    def _do_sched(self, e: tuple, sleep: frozenset) -> None:
        st = self._save()
        if e[0] == "D":
            uid = e[1]
            self.seq.append(e)
            _k, src, dst, _u = self.rows[uid]
            self.chan[(src, dst)] = self.chan[(src, dst)][1:]
            err, dirty, targets = self.payload[uid]
            for q in targets:
                self.err[q] = self.err[q] or err
                self.maybe_dirty[q] = self.maybe_dirty[q] or dirty
        elif e[0] == "N":
            self.seq.append(e)
            self.notif = tuple(u for u in self.notif if u != e[1])
        elif e[0] == "V":   # the notice: G_low stops as one when it hears of the recovery
            self.seq.append(e)
            self.notice = ()
            self.detected = 2
        else:
            twin, self.twins = self.twins[0], self.twins[1:]
            self._twin_row(twin)
        self._next(sleep)
        self._restore(st)


def walk(scope: Scope, fault_scope: str, compensation: bool, emit, reduce: bool = True,
         partners: bool = False, executed: bool = False) -> None:
    """Walk every trace of ``scope`` (one fault scope, compensation on or off).

    ``emit(rows, ended)`` is called once per trace with its rows, each
    ``(t, kind, src, dst, t_deliver, u_at, u_comp, d_notify)`` with process
    indices as in [`mdcd_lab.traces.proc_names`][mdcd_lab.traces.proc_names], event ``i`` of the
    interleaving at time ``i + 1``; ``ended`` tells whether the run ends at its
    last row (an erroneous output).  A send is delivered at the time of its
    delivery event (``HORIZON`` if the run ended before); a notification's delay is
    the distance to its arrival event (``HORIZON`` if the run ended before);
    shadow twins to G_act have no delivery (NaN).  ``reduce=False`` switches the
    symmetry and sleep-set reductions off (every interleaving; for tests).
    ``partners=True`` is for protocols under which the members are not
    interchangeable (``mdcd-unclustered``: ``low1``, ... are ``low0``'s interface
    partners and receive "passed AT" notifications): no symmetry among members,
    and notifications touch the members too.
    """
    first_sdw = scope.n_low + scope.n_act

    def to_rows(seq, rows, ended):
        pos = {e: float(i + 1) for i, e in enumerate(seq)}
        out = []
        for e in seq:
            if e[0] != "R":
                continue
            kind, src, dst, ucomp = rows[e[1]]
            t = pos[e]
            td, dn = NAN, 0.0
            if kind == KIND_SEND:
                if src < first_sdw or dst >= first_sdw:   # all but the twins to G_act
                    td = pos.get(("D", e[1]), HORIZON)
            elif kind == KIND_OUTPUT and src < first_sdw:
                dn = pos[("N", e[1])] - t if ("N", e[1]) in pos else HORIZON
                if ("V", e[1]) in pos:   # the recovery notice of this detection
                    dn = pos[("V", e[1])] - t
            out.append((t, kind, src, dst, td, U_AT, ucomp, dn))
        emit(out, ended)

    _Walk(scope, fault_scope, compensation, to_rows, reduce, partners, executed).run()


