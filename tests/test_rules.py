"""Hand-worked traces, one per protocol rule (Figures 2-4, Sections 3.1 and 3.2).

Each test states the expected values and derives them in comments.  Unless a
test says otherwise, both readings of the paper give the same numbers.
"""

import math
from dataclasses import replace

import numpy as np
import pytest
from engines import engines_agree

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS
from mdcd_lab.protocols import PROTOCOLS, VARIANTS
from mdcd_lab.reference.oracle import ORACLE_METRICS

# one cluster member, two high-confidence processes, perfect ATs
SC = m.Scenario(n_low=1, n_act=2, rate_low_low=0.0, rate_sdw_sdw=0.0, at_coverage=1.0)
BOTH = ["mdcd", "mdcd-paper"]
# two cluster members (under mdcd-unclustered: low0 and its partner low1), no compensation
SC2 = SC.replace(n_low=2, compensation=0.0)


def play(rows, protocol="mdcd", scenario=SC):
    trace = m.trace_from_rows(rows)
    _, events, res = m.run_events(scenario, 0, 0, protocol, trace=trace)
    return res, events


def ev(events, proc, event):
    return events[(events["proc"] == proc) & (events["event"] == event)]


def no_violations(res):
    return sum(res[c] for c in VIOLATIONS) == 0


@pytest.mark.parametrize("protocol", BOTH)
def test_s1_checkpoint_before_first_contamination(protocol):
    # act0 is clean (dirty_bit 0, local int_mSN_G_low 0).  low0's message to G_act
    # increments the shared counter to 1 and piggybacks (dirty_bit=1, 1).  Since
    # 1 > 0 and act0 is clean, rule S1 fires: one checkpoint with index 1 (the
    # level of the triggering message, D1), then dirty_bit = 1.
    res, events = play([("send", 1.0, "low0", "act0")], protocol)
    assert (res["ckpt_s1"], res["ckpt_s2"], res["ckpt_act"]) == (1, 0, 1)
    ck = ev(events, "act0", "ckpt_s1")
    assert list(ck["index"]) == [1] and list(ck["level"]) == [1]
    assert res["outcome"] == "completed" and res["ckpt_array_peak"] == 1


@pytest.mark.parametrize("protocol", BOTH)
def test_no_s2_without_propagation(protocol):
    # A second cluster message (level 2 > local 1) reaches dirty act0, which has
    # sent nothing and was contaminated by G_low (prgt_bit 0): no S2 checkpoint.
    res, _ = play([("send", 1.0, "low0", "act0"), ("send", 2.0, "low0", "act0")], protocol)
    assert (res["ckpt_s1"], res["ckpt_s2"]) == (1, 0)


@pytest.mark.parametrize("protocol", BOTH)
def test_s2_propagating_out(protocol):
    # t=1 low0 -> act0 (level 1): S1 at act0.  t=2 act0 -> act1: "propagating out"
    # sets act0.prgt_bit = dirty_bit = 1; act1 receives (dirty 1, level 1 > 0): S1 at
    # act1.  t=3 low0 -> act0 (level 2 > 1) with prgt_bit 1: S2 at act0.
    res, events = play([("send", 1.0, "low0", "act0"), ("send", 2.0, "act0", "act1"),
                        ("send", 3.0, "low0", "act0")], protocol)
    assert (res["ckpt_s1"], res["ckpt_s2"]) == (2, 1)
    assert list(ev(events, "act0", "ckpt_s2")["level"]) == [2]


@pytest.mark.parametrize("protocol", BOTH)
def test_s2_propagating_in(protocol):
    # act1's S1 checkpoint is triggered by act0, a contaminated process not in
    # G_low, so "propagating in" sets act1.prgt_bit = 1; then low0 -> act1 with
    # level 2 > 1 takes an S2 checkpoint at act1 (act1 never sent anything).
    res, events = play([("send", 1.0, "low0", "act0"), ("send", 2.0, "act0", "act1"),
                        ("send", 3.0, "low0", "act1")], protocol)
    assert (res["ckpt_s1"], res["ckpt_s2"]) == (2, 1)
    assert len(ev(events, "act1", "ckpt_s2")) == 1


def test_propagating_out_on_send_to_g_low_reaches_the_shadow():
    # act0 -> low0 is also delivered to sdw0 (G_high).  Both readings count it as
    # propagating out (S2's "a process in G_high"), so the next higher level takes
    # an S2 checkpoint; the G_act-receivers-only variant does not.
    # sdw0 makes twin 1 (t=1.5) before it consumes act0's message, in its member's
    # order (R4: without the twin row it would keep act0's message until twin 1).
    rows = [("send", 1.0, "low0", "act0"), ("send", 1.5, "sdw0", "act0"),
            ("send", 2.0, "act0", "low0"), ("send", 3.0, "low0", "act0")]
    fixed, _ = play(rows, "mdcd")
    paper, _ = play(rows, "mdcd-paper")
    literal, _ = play(rows, VARIANTS["paper-prgt-act-only"])
    assert fixed["ckpt_s2"] == paper["ckpt_s2"] == 1 and literal["ckpt_s2"] == 0
    # the shadow took an S1 checkpoint (Figure 4) on the dirty message in both
    assert fixed["ckpt_sdw"] == literal["ckpt_sdw"] == 1


def test_receiver_side_logging_and_replay():
    # t=1 low0 -> act0 (level 1): S1 at act0.  t=2 clean act1 -> dirty act0: logged
    # (Section 3.1: a dirty process logs what a clean one sends).  t=3 fault,
    # t=4 low0's output fails its AT (coverage 1), compensation 0: recovery.
    # act0 rolls back to t=1 (distance 3, two receptions undone) and replays
    # act1's message; the shadow re-sends twin 1 (ivr_low 0 < int_mSN_G_sdw 1).
    rows = [("send", 1.0, "low0", "act0"), ("send", 1.0, "sdw0", "act0"),
            ("send", 2.0, "act1", "act0"), ("fault", 3.0, "low0"), ("output", 4.0, "low0")]
    for protocol in BOTH:
        res, events = play(rows, protocol)
        assert res["outcome"] == "recovered" and res["t_detect"] == 4.0
        assert res["rollback_procs"] == 1
        assert res["rollback_dist_max"] == 3.0 and res["rollback_events_max"] == 2
        assert res["n_replayed"] == 1 and res["n_resent"] == 1 and res["n_suppressed"] == 0
        assert list(ev(events, "act0", "replay")["peer"]) == ["act1"]
        assert no_violations(res)
    # mdcd also logs the triggering message (D4), the literal reading does not
    assert play(rows, "mdcd")[0]["log_receiver_peak"] == 2
    assert play(rows, "mdcd-paper")[0]["log_receiver_peak"] == 1


@pytest.mark.parametrize("protocol", BOTH)
def test_reclamation_on_own_passed_at(protocol):
    # Dirty act0 passes an AT on its output at t=2: every checkpoint and log entry
    # is deleted, dirty_bit = 0, and "passed AT" (level 1) is broadcast.  A new
    # cluster message at t=3 finds act0 clean again: a second S1, not an S2.
    res, events = play([("send", 1.0, "low0", "act0"), ("output", 2.0, "act0"),
                        ("send", 3.0, "low0", "act0")], protocol)
    assert (res["n_at"], res["n_at_passed"], res["n_notifications"]) == (1, 1, 1)
    assert (res["ckpt_s1"], res["ckpt_s2"]) == (2, 0)
    assert list(ev(events, "act0", "notify")["level"]) == [1]


@pytest.mark.parametrize("protocol", BOTH)
def test_reclamation_on_notification(protocol):
    # act0 absorbs level 1, act1 level 2.  act1 passes an AT at level 2; the
    # notification validates act0's whole interval (level 1 <= 2): act0 is clean,
    # so the recovery at t=5 rolls back nobody and replays nothing.
    rows = [("send", 1.0, "low0", "act0"), ("send", 2.0, "low0", "act1"),
            ("output", 3.0, "act1"), ("fault", 4.0, "low0"), ("output", 5.0, "low0")]
    res, events = play(rows, protocol)
    assert len(ev(events, "act0", "reclaim")) >= 1
    assert res["outcome"] == "recovered" and res["rollback_procs"] == 0
    assert no_violations(res)


def test_partial_validation_keeps_the_checkpoint():
    # The S2-skip case: act0 absorbs level 1 (S1, index 1) and then level 3 without
    # a checkpoint (no propagation); act1 absorbs level 2 and passes an AT.  The
    # notification (level 2) is below the level 3 act0 already absorbed.  Literal
    # reclamation deletes the index-1 checkpoint (1 <= 2) and declares act0 clean;
    # mdcd keeps it because its interval reached level 3 > 2.
    rows = [("send", 1.0, "low0", "act0"), ("send", 2.0, "low0", "act1"),
            ("send", 3.0, "low0", "act0"), ("output", 4.0, "act1")]
    fixed, _ = play(rows, "mdcd")
    literal, events = play(rows, "mdcd-paper")
    assert fixed["ckpt_array_peak"] == 2 and literal["ckpt_array_peak"] == 2
    # after the notification: mdcd act0 still dirty, literal act0 clean
    assert ev(events, "act0", "reclaim")["n"].sum() == 1     # checkpoints deleted
    _, fixed_events = play(rows, "mdcd")
    assert ev(fixed_events, "act0", "reclaim")["n"].sum() == 0


def test_resend_path_ivr_below_int_mSN_G_sdw():
    # Twin 1 is logged at t=1; low0's output passes at t=2 ("passed AT" level 1,
    # one cluster output): sdw0 reclaims twin 1 and its ext twin, ivr_low = 1.
    # Twin 2 is logged at t=3.  The fault (t=4) makes the next output fail (t=5):
    # ivr_low 1 < int_mSN_G_sdw 2, so the shadow re-sends twin 2.
    # The twin of the validated output is generated at t=2 right *after* the
    # notification was applied (ext_ivr = 1, ivr_low = 1): it is validated when it
    # is generated, so both readings reclaim it at once (reclaim_validated_twins)
    # and only twin 2 is re-sent.  With that reading and Figure 4's output counter
    # both switched back, the twin output indexed by int_mSN_G_sdw = 1 stays in the
    # log and is re-sent: the device gets that output twice.
    rows = [("send", 1.0, "low0", "act0"), ("send", 1.0, "sdw0", "act0"),
            ("output", 2.0, "low0"), ("output", 2.0, "sdw0"),
            ("send", 3.0, "low0", "act1"), ("send", 3.0, "sdw0", "act1"),
            ("fault", 4.0, "low0"), ("output", 5.0, "low0")]
    res, events = play(rows, "mdcd")
    assert res["outcome"] == "recovered"
    assert res["n_resent"] == 1 and res["n_suppressed"] == 0
    assert list(ev(events, "sdw0", "resend")["index"]) == [2]
    assert no_violations(res) and res["dup_outputs"] == 0
    res, events = play(rows, "mdcd-paper")
    assert res["n_resent"] == 1 and list(ev(events, "sdw0", "resend")["index"]) == [2]
    assert res["dup_outputs"] == 0 and no_violations(res)
    old = replace(PROTOCOLS["mdcd-paper"], name="x", outputs_by_count=False,
                  reclaim_validated_twins=False)
    res, events = play(rows, old)
    assert res["n_resent"] == 2 and list(ev(events, "sdw0", "resend")["index"]) == [2, 1]
    assert res["dup_outputs"] == 1 and no_violations(res)


def test_suppress_path_ivr_above_int_mSN_G_sdw():
    # The shadow lags: no twin has been generated yet (int_mSN_G_sdw = 0) when
    # the cluster's messages 1 and 2 were validated (ivr_low = 2).  At takeover the
    # shadow must suppress its first two messages: under atomic recovery
    # n_suppressed counts them (2 - 0, "will still suppress"); executed, the run is
    # quiet at once (every twin still due is suppressed, none is sent), nothing is
    # re-sent, and the oracle finds nothing lost or doubled.
    rows = [("send", 1.0, "low0", "act0"), ("send", 2.0, "low0", "act1"),
            ("output", 3.0, "low0"), ("fault", 4.0, "low0"), ("output", 5.0, "low0")]
    for protocol in BOTH:
        res, _ = play(rows, protocol, SC.replace(recovery="atomic"))
        assert res["n_suppressed"] == 2 and res["n_resent"] == 0
        assert res["rollback_procs"] == 0
        res, _ = play(rows, protocol)
        assert res["outcome"] == "recovered" and res["n_resent"] == 0
        assert res["rollback_procs"] == 0 and no_violations(res) and res["dup_outputs"] == 0


def test_compensation_of_a_g_act_output():
    # act0 consumes low0's erroneous message (level 1: S1 checkpoint, dirty_bit 1);
    # its output at t=2 fails its AT (u_at 0.5 < coverage 1) and compensation
    # succeeds (u_comp 0 < 1): the corrected output reaches the device, no recovery.
    rows = [("fault", 1.0, "low0"), ("send", 1.2, "low0", "act0"),
            ("output", 2.0, "act0", 0.5, 0.0, 0.0)]
    sc = SC.replace(compensation=1.0)
    res, events = play(rows, scenario=sc)
    assert res["outcome"] == "completed" and res["n_compensated"] == 1
    comp = ev(events, "act0", "compensated")
    assert [tuple(r) for r in comp[["t", "peer", "level", "index"]].to_numpy().tolist()] \
        == [(2.0, "", 1, -1)]
    assert list(ev(events, "act0", "at_fail")["level"]) == [1]
    fast = engines_agree(sc, "mdcd", trace=m.trace_from_rows(rows)).iloc[0]
    assert fast["outcome"] == "completed" and fast["n_compensated"] == 1


def test_compensation():
    # The erroneous output at t=2 fails its AT; with compensation probability 1
    # (u_comp = 0 < 1) the corrected message goes out and the run goes on to the
    # horizon; with compensation 0 the same trace invokes recovery.
    rows = [("fault", 1.0, "low0"), ("output", 2.0, "low0", 0.5, 0.0, 0.0)]
    ok, _ = play(rows, scenario=SC.replace(compensation=1.0))
    assert ok["outcome"] == "completed" and ok["n_compensated"] == 1
    assert ok["t_end"] == SC.horizon
    bad, _ = play(rows, scenario=SC.replace(compensation=0.0))
    assert bad["outcome"] == "recovered" and bad["n_compensated"] == 0


@pytest.mark.parametrize("coverage, u_at", [(0.5, 0.7), (0.5, 0.5), (0.0, 0.0)])
@pytest.mark.parametrize("proc, failure_row", [("low0", ("", 2, 1, 1)), ("act0", ("", 1, -1, 1))])
def test_at_misses_error_run_fails(coverage, u_at, proc, failure_row):
    # An AT detects an error iff u_at < at_coverage (u_at uniform on [0, 1): the
    # detection probability is at_coverage, and coverage 0 never detects, even at
    # u_at = 0).  Here u_at >= coverage: the erroneous output passes its AT and
    # reaches the device; the run fails at t=2.  Two cluster messages to G_act came
    # first (levels 1 and 2; the first one contaminated act0, which took its S1
    # checkpoint: dirty_bit 1).  low0's failure row names the cluster's level 2 and
    # the output's number 1; act0's names the level it consumed, 1, and no number.
    rows = [("fault", 1.0, "low0"), ("send", 1.2, "low0", "act0"),
            ("send", 1.4, "low0", "act1"), ("output", 2.0, proc, u_at, 0.0, 0.0)]
    res, events = play(rows, scenario=SC.replace(at_coverage=coverage))
    assert res["outcome"] == "failed" and res["t_end"] == 2.0
    assert math.isnan(res["t_detect"])
    fail = ev(events, proc, "failure")
    assert [tuple(r) for r in fail[["peer", "level", "index", "dirty"]].to_numpy().tolist()] \
        == [failure_row]
    fast = engines_agree(SC.replace(at_coverage=coverage), "mdcd",
                         trace=m.trace_from_rows(rows)).iloc[0]
    assert fast["outcome"] == "failed" and fast["t_end"] == 2.0


def test_section_3_1_scenario_clustered():
    # Section 3.1: low0 is upgraded and changes how it talks to low1, so low1's
    # new version is in the cluster.  The new-interface messages low0 <-> low1 are
    # invisible outside: nobody checkpoints on them.  low1 contaminates act0
    # (level 1), the error is detected at t=6 and the shadows take over: act0
    # rolls back, twin 1 is re-sent, and the recovered state is consistent.
    sc = m.Scenario(n_low=2, n_act=1, rate_act_act=0.0, at_coverage=1.0)
    rows = [("send", 1.0, "low0", "low1"), ("send", 2.0, "low1", "low0"),
            ("send", 2.5, "sdw0", "sdw1"), ("fault", 3.0, "low0"),
            ("send", 4.0, "low1", "act0"), ("send", 4.0, "sdw1", "act0"),
            ("send", 5.0, "act0", "low0"), ("output", 6.0, "low1")]
    for protocol in BOTH:
        res, events = play(rows, protocol, sc)
        assert res["outcome"] == "recovered"
        # only act0's S1 (level 1) and sdw0's S1 (act0's dirty message) are taken
        assert (res["ckpt_act"], res["ckpt_sdw"]) == (1, 1)
        assert res["rollback_procs"] == 2 and res["n_resent"] == 1
        assert no_violations(res)


# Atomic recovery's rollback (recovery.rollback) writes its own rows of the event log;
# executed recovery (the default) writes them in executed.py.
ATOMIC = m.Scenario(fault_rate=0.05, horizon=30, latency=0.3, coord_period=2.0,
                    recovery="atomic")


@pytest.mark.parametrize("protocol", [p for p in m.protocol_names()
                                      if p not in ("coordinated", "unguarded")])
def test_atomic_rollback_rows_name_the_restored_checkpoint_and_the_replays(protocol):
    """Each ``rollback`` row of an atomic recovery names the checkpoint it restores
    (the process's own ``ckpt_s1``/``ckpt_s2`` row of that ordinal: its index as
    ``level``, its ordinal as ``index`` and ``ckpt``, its time as ``t_restore``) and
    the deliveries undone (``n``: the process's deliveries after that checkpoint);
    each ``replay`` row that follows it names a message the process received after
    the checkpoint (its ``deliver`` row: sender, level, ``k``); and the rows agree
    with the run's metrics (``rollback_procs``, ``rollback_events_max``,
    ``rollback_dist_max``, ``n_replayed``); a ``suppress`` row names the shadows'
    validated level (``level``) and int_mSN_G_sdw (``index``), and its ``n`` counts at
    least the twins between them."""
    rollbacks = replays = suppress_rows = violations = 0
    for run in range(6):
        _, events, res = m.run_events(ATOMIC, 1, run, protocol)
        rows = events.reset_index(drop=True)
        rb = rows[rows.event == "rollback"]
        assert len(rb) == res["rollback_procs"], run
        # one violation row per oracle count that is not zero, when any but the
        # duplicate outputs is (oracle.record_verdicts)
        vio = rows[rows.event == "violation"]
        if any(res[c] for c in ORACLE_METRICS if c != "dup_outputs"):
            assert dict(zip(vio.metric, vio.n, strict=True)) == {
                c: res[c] for c in ORACLE_METRICS if res[c]}, run
            violations += 1
        else:
            assert vio.empty, run
        for _, r in rows[rows.event == "suppress"].iterrows():
            # level: the shadows' validated level ivr, index: int_mSN_G_sdw; the
            # twins not made yet up to ivr are among the suppressed ones
            assert r.n == res["n_suppressed"] > 0
            if protocol != "mdcd-vector":
                assert isinstance(r.level, (int, np.integer)), r
                assert r.n >= max(r.level - r["index"], 0), r
                suppress_rows += 1
        assert (rows.event == "replay").sum() == res["n_replayed"], run
        if rb.empty:
            continue
        assert rb["n"].max() == res["rollback_events_max"]
        assert (rb["t"] - rb["t_restore"]).max() == res["rollback_dist_max"]
        for i, r in rb.iterrows():
            assert r.peer == "", r
            mine = rows.iloc[:i][rows.iloc[:i].proc == r.proc]
            ck = mine[mine.event.isin(["ckpt_s1", "ckpt_s2"]) & (mine.ckpt == r.ckpt)]
            assert len(ck) >= 1, r
            ck, at = ck.iloc[-1], ck.index[-1]
            assert (r.level, r["index"], r.t_restore) == (ck["index"], ck.ckpt, ck.t), r
            after = mine.loc[at:]
            delivered = after[after.event == "deliver"]
            assert r.n == len(delivered), r
            rollbacks += 1
            j = i + 1
            while j < len(rows) and rows.event[j] == "replay" and rows.proc[j] == r.proc:
                rp = rows.iloc[j]
                assert rp.k == rp["index"]
                same = delivered[(delivered.peer == rp.peer) & (delivered.level == rp.level)
                                 & (delivered.k == rp.k)]
                assert len(same) >= 1, rp
                replays += 1
                j += 1
    assert rollbacks >= 3 and replays >= 1
    assert suppress_rows >= (protocol == "mdcd-unclustered")
    assert violations >= (protocol == "mdcd-unclustered")


def test_a_shadow_stopped_before_its_member_makes_its_ahead_twin_after_the_release():
    # mdcd-unclustered, n_low 2: low1 is low0's interface partner with G_act's role,
    # and its messages to low0 are not copied to sdw0 (the old version does not speak
    # the new interface).  The fault (cluster scope) makes low0 and low1 erroneous;
    # low0's message to low1 at 0.6 (level 1) is twin 1, and sdw0's second twin row
    # (2.1) runs ahead of low0, which made one message to G_act: it waits (R4).
    # low1's output fails its AT at 3: the recovery notice reaches sdw0 at once, which
    # stops (two-phase recovery), but reaches low0 only at 5, behind low1's message of
    # t=1 on the FIFO channel.  When G_low stops, sdw0's waiting twin is kept for after
    # the release (``sdw._release_ahead`` on a stopped shadow): at 5 sdw0 takes over,
    # re-sends twin 1 (logged, not validated) and makes twin 2, both delivered to act0.
    rows = [("fault", 0.5, "low0"), ("send", 0.6, "low0", "low1"),
            ("send", 1.0, "low1", "low0", 5.0),
            ("send", 2.0, "sdw0", "act0"), ("send", 2.1, "sdw0", "act0"),
            ("output", 3.0, "low1", 0.5, 0.5, 0.0)]
    res, events = play(rows, "mdcd-unclustered", SC2)
    assert list(ev(events, "sdw0", "notice")["t"]) == [3.0]
    assert list(ev(events, "low0", "notice")["t"]) == [5.0]
    sends = ev(events, "sdw0", "send")
    assert [tuple(r) for r in sends[["t", "peer", "k"]].to_numpy().tolist()] == \
        [(5.0, "act0", 1), (5.0, "act0", 2)]
    got = ev(events, "act0", "deliver")
    assert list(got[got.peer == "sdw0"]["k"]) == [1, 2]
    assert res["outcome"] == "recovered" and res["n_resent"] == 1
    fast = engines_agree(SC2, "mdcd-unclustered", trace=m.trace_from_rows(rows)).iloc[0]
    assert fast["n_resent"] == 1


def test_mdcd_unclustered_an_erroneous_shadow_re_sends_an_erroneous_output():
    # mdcd-unclustered, n_low 2: low1, low0's interface partner, runs as a G_act
    # process.  The fault (cluster scope) makes low0 and low1 erroneous; low1's message
    # to act0 is clean-looking (dirty_bit 0), so act0 is contaminated without a
    # checkpoint, and act0's message to low0 contaminates low0's shadow sdw0 (its copy)
    # the same way.  sdw0's twin of low0's output (waiting for low0, R4) is logged when
    # low0 makes it at t=2 -- erroneous -- and low0's output fails its AT: at the
    # takeover sdw0 re-sends its logged output, which reaches the device erroneous:
    # the run fails (what clustering low1 with low0 prevents, Section 3.1).
    rows = [("fault", 1.0, "low0"), ("send", 1.1, "low1", "act0"),
            ("send", 1.2, "act0", "low0"), ("output", 1.9, "sdw0"),
            ("output", 2.0, "low0", 0.5, 0.5, 0.0)]
    res, events = play(rows, "mdcd-unclustered", SC2)
    assert list(ev(events, "sdw0", "contaminated")["peer"]) == ["act0"]
    assert ev(events, "sdw0", "ckpt_s1").empty and ev(events, "sdw0", "rollback").empty
    assert list(ev(events, "sdw0", "resend")["e"]) == [1]
    assert res["outcome"] == "failed" and res["t_end"] == 2.0
    fast = engines_agree(SC2, "mdcd-unclustered", trace=m.trace_from_rows(rows)).iloc[0]
    assert fast["outcome"] == "failed"
