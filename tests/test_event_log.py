"""The reference engine's event log: structured columns, and a diagram that reads only them."""

import ast
import dataclasses
import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import shared_scope

import mdcd_lab as m
from mdcd_lab.constants import EVENT_KINDS
from mdcd_lab.plots import spacetime_data
from mdcd_lab.protocols import PROTOCOLS
from mdcd_lab.reference.events import EVENT_COLUMNS, EVENT_FIELDS

SC = m.Scenario(fault_rate=0.05, horizon=30, latency=0.3, coord_period=2.0)
#: mutmut (``make mutation``) runs the tests in its rewritten copy of the package
#: (``mutants/``, no docs/): the tests that read the source as written and the docs skip
#: there (they cover no rule, so they never judge a mutant)
AS_WRITTEN = pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ,
                                reason="reads the source and docs as written (not under mutmut)")
ORACLE = ("orphans", "lost", "duplicates", "lost_outputs", "dup_outputs",
          "contaminated_restore", "cascade")


@pytest.fixture(scope=shared_scope)
def logs():
    """(protocol, run) -> (trace, events, metrics); run 4 of mdcd-paper has violations."""
    out = {}
    for protocol in m.protocol_names():
        for run in (0, 4):
            out[protocol, run] = m.run_events(SC, 1, run, protocol)
    return out


def test_columns_dtypes_and_kinds(logs):
    for (protocol, run), (_trace, ev, _res) in logs.items():
        assert list(ev.columns) == list(EVENT_COLUMNS), protocol
        assert list(ev["event"].cat.categories) == list(EVENT_KINDS)
        assert ev["event"].notna().all()
        for f, (dtype, _missing, _doc) in EVENT_FIELDS.items():
            assert ev[f].dtype == dtype, (protocol, run, f)


def test_fields_agree_with_the_metrics(logs):
    for (protocol, run), (_trace, ev, res) in logs.items():
        rb = ev[ev.event == "rollback"]
        assert len(rb) == res["rollback_procs"], (protocol, run)
        if len(rb):
            assert rb["n"].max() == res["rollback_events_max"]
            assert (rb["t"] - rb["t_restore"]).max() == res["rollback_dist_max"]
        sup = ev[ev.event == "suppress"]
        assert (int(sup["n"].iloc[0]) if len(sup) else 0) == res["n_suppressed"]
        vio = ev[ev.event == "violation"]
        logged = dict(zip(vio["metric"], vio["n"], strict=True))
        if any(res[c] for c in ORACLE if c != "dup_outputs"):
            assert logged == {c: res[c] for c in ORACLE if res[c]}, (protocol, run)
        else:
            assert logged == {}
        if protocol == "coordinated":
            lines = ev[ev.event == "coord_ckpt"]
            assert list(lines["ckpt"]) == list(range(1, len(lines) + 1))
    assert any(len(ev[ev.event == "violation"]) for _t, ev, _r in logs.values())


def test_rollbacks_restore_the_logged_checkpoint(logs):
    """The diagram finds a restored checkpoint by its ordinal, not by its time."""
    n = 0
    for (protocol, _run), (trace, ev, _res) in logs.items():
        d = spacetime_data(trace, ev, SC)
        for proc, ckpt, t_restore in zip(*(ev.loc[ev.event == "rollback", c]
                                           for c in ("proc", "ckpt", "t_restore")),
                                         strict=True):
            restored = d.checkpoints[(d.checkpoints.proc == proc) & d.checkpoints.restored]
            if protocol == "coordinated" and ckpt == 0:
                assert restored.empty and t_restore == 0.0   # line 0: the initial state
                continue
            assert list(restored["ckpt"]) == [ckpt], (protocol, proc)
            assert list(restored["t"]) == [t_restore]
            n += 1
    assert n > 5


def _assert_same(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x.drop(columns="info", errors="ignore"),
                                          y.drop(columns="info", errors="ignore"))
        elif isinstance(x, dict) and x and isinstance(next(iter(x.values())), tuple):
            assert x.keys() == y.keys(), f.name
            for k in x:
                for u, v in zip(x[k], y[k], strict=True):
                    np.testing.assert_array_equal(u, v)
        elif isinstance(x, float) and math.isnan(x):
            assert math.isnan(y), f.name
        else:
            assert x == y, f.name


def test_the_diagram_never_reads_the_text(logs):
    for trace, ev, _res in logs.values():
        ref = spacetime_data(trace, ev, SC)
        reworded = ev.assign(info=[f"reworded {i}: to t=99, deleted 7 ckpt, dirty=1 err=1"
                                   for i in range(len(ev))])
        _assert_same(ref, spacetime_data(trace, reworded, SC))
        _assert_same(ref, spacetime_data(trace, ev.drop(columns="info"), SC))
    # and the marks it draws still carry the text for people
    assert "info" in ref.marks.columns


@AS_WRITTEN
def test_protocol_code_logs_named_kinds_only():
    """Every ``run.log(...)`` in the reference names its kind by an ``Event`` member and
    passes structured fields, never prose."""
    ref = Path(m.__file__).parent / "reference"
    calls = 0
    for path in ref.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "log"):
                calls += 1
                kind = node.args[1]
                assert not isinstance(kind, ast.Constant), f"{path.name}:{node.lineno}"
                for a in [*node.args, *(k.value for k in node.keywords)]:
                    assert not (isinstance(a, ast.Constant) and isinstance(a.value, str)), \
                        f"{path.name}:{node.lineno}: text in the event log"
                    assert not isinstance(a, ast.JoinedStr), f"{path.name}:{node.lineno}"
                assert {k.arg for k in node.keywords} <= set(EVENT_FIELDS), path.name
    assert calls > 30


@AS_WRITTEN
def test_every_column_is_documented():
    doc = (Path(m.__file__).parent.parent / "docs" / "trace-format.md").read_text()
    section = doc.split("## The event log of one run", 1)[1]
    for c in EVENT_COLUMNS:
        assert f"| `{c}` |" in section, c
    for kind in EVENT_KINDS:
        assert f"`{kind}`" in section, kind


# Runs drawn for the column rules below: every protocol, weak ATs (at_coverage 0.3),
# both fault scopes, seeds 0-7, run 0, horizon 150 (128 runs; among them G_act
# processes that fail while clean, dirty_bit 0, under "process" fault scope).
DRAWN = [(protocol, m.Scenario(at_coverage=0.3, fault_scope=scope, horizon=150), seed)
         for protocol in m.protocol_names() for scope in ("cluster", "process")
         for seed in range(8)]
ACT_OUTPUT_ROWS = ("output", "at_pass", "at_fail", "compensated", "failure")
AFTER_RECOVERY = ("recovery", "rollback", "notice", "release", "takeover")


@pytest.fixture(scope=shared_scope)
def drawn_logs():
    return [(protocol, sc, seed, *m.run_events(sc, seed, 0, protocol)[1:])
            for protocol, sc, seed in DRAWN]


def _groups(protocol: str, sc) -> dict[str, list[str]]:
    """The processes of G_low, G_act and G_sdw by name: under mdcd-unclustered only
    ``low0`` is low (and shadowed); its partners ``low1 ...`` are G_act processes."""
    low = [f"low{i}" for i in range(sc.n_low)]
    act = [f"act{i}" for i in range(sc.n_act)]
    if PROTOCOLS[protocol].unclustered:
        low, act = low[:1], act + low[1:]
    return {"low": low, "act": act, "sdw": [f"sdw{name[3:]}" for name in low]}


def _twin_member(name: str) -> str:
    """A send to ``low_i`` is delivered to ``low_i`` and to its shadow ``sdw_i``."""
    return "low" + name[3:] if name.startswith("sdw") else name


def test_every_delivery_matches_its_send_row(drawn_logs):
    # docs/trace-format.md: send and deliver rows carry what the message piggybacks
    # (level, dirty) and its ground truth (err) and number (k); a message of a G_act,
    # G_sdw or G_low process is delivered with the values its send row logged, at the
    # receiver or, for a send of G_act to low_i, also at sdw_i.  Deliveries are a
    # sub-multiset of the sends (a message can be discarded or still in flight at the
    # end).  A send row's index is its k if it is a (shadow's) twin, else -1, and a
    # G_low send's its k (0 for a message within G_low).
    key = ["proc", "peer", "level", "dirty", "err", "k"]
    checked = Counter()
    for protocol, sc, seed, ev, _res in drawn_logs:
        where = (protocol, sc.fault_scope, seed)
        group = _groups(protocol, sc)
        for sender in ("act", "sdw", "low"):
            sends = ev[(ev.event == "send") & ev.proc.isin(group[sender])]
            number = sends["k"] if sender == "low" else sends["k"].where(sends["k"] > 0, -1)
            assert (sends["index"] == number).all(), where
            if protocol == "mdcd-vector":   # levels are tuples there (object column)
                continue
            dels = ev[(ev.event == "deliver") & ev.peer.isin(group[sender])]
            sent = Counter(map(tuple, sends[key].to_numpy().tolist()))
            # at the receiver; for G_act's sends to low_i, at the shadow sdw_i too
            for at_shadow in ((False, True) if sender == "act" else (False,)):
                rows = dels[dels.proc.isin(group["sdw"]) == at_shadow] \
                    if sender == "act" else dels
                got = Counter((peer, _twin_member(proc) if at_shadow else proc, lvl, d, e, k)
                              for proc, peer, lvl, d, e, k in rows[key].to_numpy().tolist())
                assert not got - sent, (where, sender, got - sent)
            checked[sender] += len(dels)
    assert checked["act"] > 1000 and checked["sdw"] > 100 and checked["low"] > 1000, checked


def test_g_act_rows_fill_index_and_number_as_documented(drawn_logs):
    # A G_act process's send rows: index -1 and k 0 (its messages are not cluster
    # messages); its output rows: no peer, index -1 and e -1 (not cluster outputs),
    # dirty -1 but on a failure row, which names the process's dirty_bit.  And the
    # level its state carries: the largest level it has consumed.  Under the
    # confidence-driven rules (Figure 3) dirty_bit is 1 from a checkpoint (ckpt_s1,
    # ckpt_s2) until a reclamation leaves no checkpoint (its index: those remaining).
    # Both are checked up to the process's first recovery row (a rollback may restore
    # a lower level).  Scalar levels are int64 columns.
    kinds_seen = Counter()
    for protocol, sc, seed, ev, _res in drawn_logs:
        where = (protocol, sc.fault_scope, seed)
        if protocol != "mdcd-vector":
            assert ev["level"].dtype == "int64" and ev["index"].dtype == "int64", where
        act = _groups(protocol, sc)["act"]
        sends = ev[(ev.event == "send") & ev.proc.isin(act)]
        assert (sends["index"] == -1).all() and (sends["k"] == 0).all(), where
        outs = ev[ev.event.isin(ACT_OUTPUT_ROWS) & ev.proc.isin(act)]
        assert (outs["peer"] == "").all(), where
        assert (outs["index"] == -1).all() and (outs["e"] == -1).all(), where
        not_failure = outs[outs.event != "failure"]
        assert (not_failure["dirty"] == -1).all(), where
        # "passed AT" carries v_ext, the cluster outputs validated: none (-1) from G_act
        notes = ev[ev.event.isin(["notify", "notified"])]
        assert (notes["index"] >= -1).all(), where
        assert (notes[(notes.event == "notify") & notes.proc.isin(act)]["index"]
                == -1).all(), where
        if protocol in ("mdcd-vector", "unguarded"):
            continue
        confidence = protocol not in ("coordinated",)
        for proc, rows in ev[ev.proc.isin(act)].groupby("proc", sort=False):
            level, dirty = 0, 0
            for kind, lvl, idx, d in rows[["event", "level", "index", "dirty"]].itertuples(
                    index=False):
                if kind in AFTER_RECOVERY:
                    break
                if kind == "deliver":
                    level = max(level, lvl)
                elif kind in ("ckpt_s1", "ckpt_s2"):
                    dirty = 1
                elif kind == "reclaim":
                    dirty = int(idx > 0)
                elif kind in ACT_OUTPUT_ROWS or kind == "send":
                    assert lvl == level, (where, proc, kind)
                    if confidence and kind in ("send", "failure"):
                        assert d == dirty, (where, proc, kind)
                    kinds_seen[kind, d] += 1
    assert kinds_seen["failure", 0] and kinds_seen["failure", 1], kinds_seen
    assert kinds_seen["output", -1] and kinds_seen["send", 0] and kinds_seen["send", 1]


def test_a_row_naming_a_process_by_an_index_out_of_range_is_refused():
    from mdcd_lab.reference.events import event_frame
    ok = event_frame([(0.0, 0, "output", -1, 0, -1, {})], ["act0"])
    assert list(ok["peer"]) == [""]
    for peer in (-2, 1):
        with pytest.raises(ValueError, match=f"peer {peer} is neither a process index"):
            event_frame([(0.0, 0, "output", peer, 0, -1, {})], ["act0"])
    assert list(event_frame([(0.0, -1, "violation", -1, 0, -1, {})], ["act0"])["proc"]) \
        == ["system"]
    for proc in (-2, 1):
        with pytest.raises(ValueError, match=f"process {proc} is neither a process index"):
            event_frame([(0.0, proc, "violation", -1, 0, -1, {})], ["act0"])


def test_g_act_and_g_sdw_rows_follow_the_process_state(drawn_logs):
    # docs/trace-format.md, followed per G_act and G_sdw process of the
    # confidence-driven protocols up to its first recovery row.  A delivery is
    # preceded at the same instant by what it triggered: a checkpoint (ckpt_s1 iff the
    # process is clean, its ordinal the number of checkpoints made before, its index
    # the triggering message's level, Section 3.1 and D1), a receiver-side log entry
    # (log_rcv, its index the process's level before the message) and the ground
    # truth (contaminated); each names the message's sender and level.  The delivery's
    # index is the message's k.  A reclamation's index is the checkpoints remaining
    # (checkpoints made minus those deleted), and dirty_bit is 1 iff one remains.
    checked = Counter()
    for protocol, sc, seed, ev, _res in drawn_logs:
        if protocol in ("mdcd-vector", "unguarded", "coordinated"):
            continue
        rules = PROTOCOLS[protocol]
        group = _groups(protocol, sc)
        procs = ev[ev.proc.isin(group["act"] + group["sdw"])]
        for proc, rows in procs.groupby("proc", sort=False):
            where = (protocol, sc.fault_scope, seed, proc)
            level = dirty = made = remaining = 0
            pending = []
            for r in rows.itertuples(index=False):
                kind = r.event
                if kind in AFTER_RECOVERY:
                    break
                if kind in ("ckpt_s1", "ckpt_s2"):
                    assert kind == ("ckpt_s1" if dirty == 0 else "ckpt_s2"), where
                    assert r.ckpt == made, where
                    assert r.index == (r.level if rules.ckpt_index_by_trigger else level)
                    made, remaining, dirty = made + 1, remaining + 1, 1
                    pending.append(r)
                elif kind == "log_rcv":
                    assert r.index == level, where
                    pending.append(r)
                elif kind == "contaminated":
                    pending.append(r)
                elif kind == "deliver":
                    assert r.index == r.k, where
                    for before in pending:
                        assert (before.t, before.peer, before.level) == (r.t, r.peer, r.level)
                        checked[before.event] += 1
                    pending = []
                    level = max(level, r.level)
                elif kind == "reclaim":
                    remaining -= r.n
                    assert r.index == remaining, where
                    assert min(r.n, r.n_rcv_log, r.n_sender_log) >= 0, where   # deleted
                    dirty = int(remaining > 0)
                    checked[kind] += 1
                elif kind in ("send", "failure"):
                    assert (r.level, r.dirty) == (level, dirty), where
                elif kind in ("log_sdr", "log_ext"):   # a shadow's suppressed twin
                    assert r.level == level and (r.peer != "") == (kind == "log_sdr")
                    assert (r.k >= 1, r.e) == (True, -1) if kind == "log_sdr" else \
                        (r.k, r.e >= 1) == (-1, True), where
                    if kind == "log_sdr":
                        assert r.index == r.k, where   # scalar: indexed by int_mSN_G_sdw = k
                    else:   # indexed by int_mSN_G_sdw, the twin messages numbered before
                        assert r.index >= 0, where
                    checked[kind] += 1
            assert not pending, where
        twins = ev[ev.event == "log_sdr"]
        assert twins["k"].is_unique, (protocol, sc.fault_scope, seed)
    assert all(checked[k] for k in ("ckpt_s1", "ckpt_s2", "log_rcv", "contaminated",
                                    "reclaim", "log_sdr", "log_ext")), checked


def test_log_rows_integrate_to_the_log_metrics(drawn_logs):
    # The receiver-side and sender-side logs grow by one entry per log_rcv, log_sdr and
    # log_ext row and shrink by a reclamation's n_rcv_log and n_sender_log (whose
    # peer is empty).  On a run without recovery (the whole run is guarded, to the
    # horizon) the logs' size integrated over time is the metric log_entries_mean
    # times the horizon (docs/metrics.md).
    checked = 0
    for protocol, sc, seed, ev, res in drawn_logs:
        where = (protocol, sc.fault_scope, seed)
        reclaims = ev[ev.event == "reclaim"]
        assert (reclaims["peer"] == "").all(), where
        if protocol in ("coordinated", "unguarded") or res["outcome"] != "completed":
            continue
        size, t_last, area = 0, 0.0, 0.0
        for t, kind, n_rcv, n_sdr in ev[["t", "event", "n_rcv_log", "n_sender_log"]] \
                .itertuples(index=False):
            if kind in ("log_rcv", "log_sdr", "log_ext", "reclaim"):
                area += size * (t - t_last)
                t_last = t
                size += 1 if kind != "reclaim" else -(n_rcv + n_sdr)
                assert size >= 0, where
        area += size * (sc.horizon - t_last)
        assert area / sc.horizon == pytest.approx(res["log_entries_mean"], rel=1e-12,
                                                  abs=1e-12), where
        checked += 1
    assert checked >= 20, checked


def test_mdcd_vector_shadows_index_their_twins_by_their_own_numbers(drawn_logs):
    # docs/protocol.md, section 8: under "mdcd-vector" sdw_i numbers its own twins of
    # messages (mSN_own) and logs a twin by the level with that number at member i and
    # 0 elsewhere; an output twin carries the number of its message twins so far.
    checked = 0
    for protocol, sc, seed, ev, _res in drawn_logs:
        if protocol != "mdcd-vector":
            continue
        twins = ev[ev.proc.str.startswith("sdw") & ev.event.isin(["log_sdr", "log_ext"])]
        for proc, rows in twins.groupby("proc", sort=False):
            i, own = int(proc[3:]), 0
            for kind, index in rows[["event", "index"]].itertuples(index=False):
                own += kind == "log_sdr"
                assert isinstance(index, tuple) and len(index) == sc.n_low, (seed, proc, index)
                assert index == tuple(own if j == i else 0 for j in range(sc.n_low)), \
                    (sc.fault_scope, seed, proc, kind, index)
                checked += kind == "log_ext"
    assert checked > 10, checked


LOW_OUTPUT_ROWS = ("at_pass", "at_fail", "compensated", "failure")


def _check_g_low_rows(protocol, sc, seed, ev) -> Counter:
    """Check the G_low rows of one log (the test below); count its output rows by kind."""
    where = (protocol, sc.fault_scope, seed)
    low = ev[ev.proc.isin(_groups(protocol, sc)["low"])]
    dels = low[low.event == "deliver"]
    assert (dels["index"] == dels["k"]).all() and (dels["peer"] != "").all(), where
    sends, faults = low[low.event == "send"], low[low.event == "fault"]
    assert (sends["dirty"] == 1).all() and (sends["peer"] != "").all(), where
    assert (faults["peer"] == "").all() and (faults["index"] == -1).all(), where
    rows = low[low.event.isin(LOW_OUTPUT_ROWS)]
    firsts = rows[rows.event != "compensated"]       # one row per output, then its fate
    assert list(firsts["e"]) == list(range(1, len(firsts) + 1)), where
    assert (rows["index"] == rows["e"]).all() and (rows["peer"] == "").all(), where
    assert (rows.loc[rows.event == "failure", "dirty"] == 1).all(), where
    comp, before = rows.index[rows.event == "compensated"], rows.shift(1)
    assert (before.loc[comp, "event"] == "at_fail").all(), where
    assert (before.loc[comp, "e"] == rows.loc[comp, "e"]).all(), where
    assert (before.loc[comp, "level"] == rows.loc[comp, "level"]).all(), where
    for i in rows.index[rows.event == "at_pass"]:
        note = ev.loc[i + 1]
        assert (note.event, note.proc, note.t) == ("notify", ev.loc[i, "proc"],
                                                   ev.loc[i, "t"]), where
        assert (note.level, note["index"]) == (ev.loc[i, "level"], ev.loc[i, "e"]), where
    if protocol == "mdcd-vector":   # levels are tuples there
        return Counter(rows["event"].astype(str))
    assert firsts["level"].is_monotonic_increasing, where
    assert (firsts["level"] >= 0).all() and (faults["level"] >= 0).all(), where
    if not PROTOCOLS[protocol].unclustered:
        # a shadow's twin of output e is logged at the level G_low's output e had (the
        # shadows' shared int_mSN_G_sdw mirrors int_mSN_G_low, sdw.number_twin); not
        # under mdcd-unclustered, whose one shadow counts only low0's messages
        level_of = dict(zip(firsts["e"], firsts["level"], strict=True))
        twins = ev[ev.event == "log_ext"]
        assert [level_of.get(e) for e in twins["e"]] == list(twins["index"]), where
    return Counter(rows["event"].astype(str))


def test_g_low_rows_number_the_cluster_outputs_and_messages(drawn_logs):
    # docs/trace-format.md: an external message of G_low logs `at_pass`, `at_fail`
    # (then `compensated`, or the recovery), or `failure` (an AT missed the error), with
    # its cluster output number e = ext_mSN_G_low in `e` and `index` (1, 2, ... in the
    # order of the run) and G_low's level; a passed AT is followed by the `notify` row
    # of the same process carrying that level and e (v_int, v_ext).  A delivery to G_low
    # names its sender and, in `index`, the message's k; a G_low send piggybacks
    # dirty_bit 1; a fault row carries G_low's level and no peer; a shadow's twin of
    # output e (`log_ext`) is indexed by the level of G_low's output e (scalar levels,
    # clustered).  Only `low0` is in G_low under mdcd-unclustered; `unguarded` has no
    # AT and numbers no output.  The drawn runs compensate nothing: eight more runs
    # compensate half the failed ATs.
    comp = m.Scenario(at_coverage=0.3, compensation=0.5, horizon=150)
    more = [(p, comp, seed, *m.run_events(comp, seed, 0, p)[1:])
            for p in ("mdcd", "mdcd-paper") for seed in range(4)]
    seen = Counter()
    for protocol, sc, seed, ev, _res in [*drawn_logs, *more]:
        if not PROTOCOLS[protocol].unguarded:
            seen += _check_g_low_rows(protocol, sc, seed, ev)
    assert all(seen[k] for k in LOW_OUTPUT_ROWS), seen
