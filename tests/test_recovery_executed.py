"""Executed recovery and the readings of issue 21 (docs/protocol.md, sections 3 and 9).

Each test is a hand-written trace of a few rows whose outcome under a reading or a
recovery mode is derived in its docstring, replayed on both engines.
"""

import dataclasses
import math

import pandas as pd
import pytest

import mdcd_lab as m
from mdcd_lab.protocols import PROTOCOLS, READINGS, VARIANTS

ENGINES = ["reference", "numba"]
VIOLS = ["orphans", "lost", "duplicates", "lost_outputs", "dup_outputs",
         "contaminated_restore", "unsafe_clean", "cascade"]


def trace(*rows):
    out = []
    for r in rows:
        t, kind, src, dst = r[:4]
        extra = r[4] if len(r) > 4 else {}
        out.append({"run": 0, "t": float(t), "kind": kind, "src": src, "dst": dst,
                    "t_deliver": extra.get("td", math.nan if kind != "send" else float(t)),
                    "u_at": 0.5 if kind == "output" else math.nan,
                    "u_comp": 0.75 if kind == "output" else math.nan,
                    "d_notify": extra.get("dn", 0.0) if kind == "output" else math.nan})
    return pd.DataFrame(out)


def sc1(n_act=1, **kw):
    return m.Scenario(n_low=1, n_act=n_act, horizon=1000.0, rate_low_low=0.0,
                      rate_sdw_sdw=0.0, at_coverage=1.0, **kw)


def bad(row):
    return {c: int(row[c]) for c in VIOLS if row[c]}


def play(tr, sc, protocol, engine):
    return m.replay(tr, sc, protocol, engine=engine).iloc[0]


#: the window race: low0's output fails at t=5, the notice takes 3; at t=7 act0
#: passes an AT (its level 1 is validated, it reclaims its checkpoint and is clean);
#: its notification (2) reaches sdw0 after sdw0 took over at t=8 with ivr_low = 0,
#: so sdw0 re-sends twin 1, which act0 already holds.
NO_TD = {"td": math.nan}   # a shadow twin to G_act is suppressed: no delivery
WINDOW_RACE = trace((1, "send", "low0", "act0", {"td": 2.0}), (3, "send", "sdw0", "act0", NO_TD),
                    (4, "fault", "low0", ""), (5, "output", "low0", "", {"dn": 3.0}),
                    (6, "output", "sdw0", ""), (7, "output", "act0", "", {"dn": 2.0}))


@pytest.mark.parametrize("engine", ENGINES)
def test_window_race_needs_two_phase_recovery(engine):
    sc = sc1()
    assert bad(play(WINDOW_RACE, sc, "mdcd-paper", engine)) == {"duplicates": 1}
    assert bad(play(WINDOW_RACE, sc, "mdcd-oneshot", engine)) == {"duplicates": 1}
    fixed = play(WINDOW_RACE, sc, "mdcd", engine)
    assert bad(fixed) == {}
    assert fixed["outcome"] == "recovered"
    # two-phase: stopped at 8 (notice), released two notice delays later (14)
    assert fixed["recovery_latency"] == pytest.approx(9.0)
    # atomic recovery at t=5: act0's AT at 7 never happens, nothing breaks
    assert bad(play(WINDOW_RACE, sc.replace(recovery="atomic"), "mdcd-paper", engine)) == {}


@pytest.mark.parametrize("engine", ENGINES)
def test_dirty_sender_loss(engine):
    """G2: act1 does not log act0's message (dirty sender), act0 is validated later (t=6),
    act1 rolls back past it at the recovery: lost under the paper and R, RC, RCS (no
    delay at all), kept by L (every message a dirty process consumes is logged)."""
    tr = trace((1, "send", "low0", "act0"), (2, "send", "sdw0", "act0", NO_TD),
               (3, "send", "low0", "act1"), (4, "send", "sdw0", "act1", NO_TD),
               (5, "send", "act0", "act1"), (6, "output", "act0", ""), (7, "fault", "low0", ""),
               (8, "send", "low0", "act1"), (9, "send", "sdw0", "act1", NO_TD),
               (10, "send", "act1", "act0"), (11, "output", "act0", ""))
    for mode in ("executed", "atomic"):
        sc = sc1(2, recovery=mode)
        for letters in ("", "R", "RC", "RCS"):
            rules = m.protocols.correction_combinations()[letters]
            assert bad(play(tr, sc, rules, engine)) == {"lost": 1}, (mode, letters)
        assert bad(play(tr, sc, "mdcd", engine)) == {}


#: The old G2 trace: low0's notification (sent at 3, delay 1) reaches act0 before
#: low0's message 1 (sent at 1, delivered at 5).
OLD_G2 = trace((1, "send", "low0", "act0", {"td": 5.0}), (2, "send", "sdw0", "act0", NO_TD),
               (3, "output", "low0", "", {"dn": 1.0}), (6, "fault", "low0", ""),
               (7, "output", "low0", "", {"dn": 1000.0}))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", ["executed", "atomic"])
def test_old_g2_needs_notifications_to_overtake_and_an_unaware_receiver(engine, mode):
    """Under the issue-9 reading the notification overtakes message 1 (D10): act0 then
    takes an S1 checkpoint for level 1, which nothing reclaims, and its rollback loses
    message 1.  Either reading removes the break: with notifications FIFO (R1) act0
    absorbs level 1 first and the notification reclaims that checkpoint; aware of the
    validated level 1 (R2), message 1 triggers no checkpoint."""
    sc = sc1(recovery=mode)
    issue9 = VARIANTS["paper-issue9"]
    assert bad(play(OLD_G2, sc, issue9, engine)) == {"lost": 1}
    for reading in ("notify_fifo", "aware_of_validated"):
        one = dataclasses.replace(issue9, name=reading, **{reading: True})
        assert bad(play(OLD_G2, sc, one, engine)) == {}, reading
    assert bad(play(OLD_G2, sc, "mdcd-paper", engine)) == {}


@pytest.mark.parametrize("engine", ENGINES)
def test_atomic_recovery_drains_notifications(engine):
    """R3: act0 passes an AT at level 1 (notification delay 1000); low0 fails at 6.  With
    the notifications in flight drained first, sdw0 knows level 1 is validated and
    does not re-send twin 1, which act0 holds; without, it does (the old G3 trace)."""
    tr = trace((1, "send", "low0", "act0"), (2, "send", "sdw0", "act0", NO_TD),
               (3, "output", "act0", "", {"dn": 1000.0}), (5, "fault", "low0", ""),
               (6, "output", "low0", "", {"dn": 1000.0}))
    sc = sc1(recovery="atomic")
    assert bad(play(tr, sc, "mdcd-paper", engine)) == {}
    assert bad(play(tr, sc, "paper-no-drain", engine)) == {"duplicates": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_twins_in_member_order(engine):
    """R4: sdw0's twin 1 comes (t=5) after act0's reply to message 1 reached sdw0 (t=4),
    out of low0's order: under the issue-9 reading sdw0's checkpoint on the reply undoes
    twin 1, which act0 keeps (an orphan).  In order, sdw0 consumes the reply after making
    twin 1; what remains is the notification in flight (the old G3: lost and duplicate),
    which R3 removes (mdcd-paper is clean)."""
    tr = trace((1, "send", "low0", "act0", {"td": 2.0}), (3, "send", "act0", "low0", {"td": 4.0}),
               (5, "send", "sdw0", "act0", NO_TD), (6, "fault", "low0", ""),
               (7, "output", "act0", "", {"dn": 1000.0}), (8, "output", "low0", "", {"dn": 1000.0}))
    sc = sc1(recovery="atomic")
    issue9 = VARIANTS["paper-issue9"]
    assert bad(play(tr, sc, issue9, engine)) == {"orphans": 1, "lost": 1, "cascade": 1}
    ordered = dataclasses.replace(issue9, name="r4", twins_in_member_order=True)
    assert bad(play(tr, sc, ordered, engine)) == {"lost": 1, "duplicates": 1}
    assert bad(play(tr, sc, "mdcd-paper", engine)) == {}


@pytest.mark.parametrize("engine", ENGINES)
def test_recovery_latency_and_quiet(engine):
    """With no delay at all the recovery is quiet at the detection; with delays the run
    ends later, when nothing of the old epoch is in flight."""
    gen = m.Scenario(n_low=2, n_act=2, horizon=40.0, fault_rate=0.08, at_coverage=1.0)
    tr = m.generate_traces(gen, 40, 5)
    df = m.replay(tr, gen, "mdcd", engine=engine)
    rec = df[df.outcome == "recovered"]
    assert len(rec) > 5
    assert (rec["recovery_latency"] == 0).all() and (rec["t_end"] == rec["t_detect"]).all()
    lag = gen.replace(latency=1.0)
    tr = m.generate_traces(lag, 40, 5)
    df = m.replay(tr, lag, "mdcd", engine=engine)
    rec = df[df.outcome == "recovered"]
    assert (rec["recovery_latency"] > 0).all()
    quiet = (rec["t_detect"] + rec["recovery_latency"]).to_numpy()
    assert rec["t_end"].to_numpy() == pytest.approx(quiet)
    assert df[VIOLS].sum().sum() == 0
    atomic = m.replay(tr, lag.replace(recovery="atomic"), "mdcd", engine=engine)
    assert (atomic.loc[atomic.outcome == "recovered", "recovery_latency"] == 0).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_window_cap(engine):
    """A cap of a tiny fraction of the longest delay ends the window before quiet: no
    latency is reported, and what is outstanding is still judged."""
    sc = sc1(latency=0.5, after_recovery=1e-9)
    row = play(WINDOW_RACE, sc, "mdcd", engine)
    assert row["outcome"] == "recovered"
    assert math.isnan(row["recovery_latency"])


def test_readings_are_on_in_every_protocol_and_off_alone_in_their_variants():
    for rules in PROTOCOLS.values():
        assert all(getattr(rules, r) for r in READINGS), rules.name
    for name, r in (("paper-notify-overtakes", "notify_fifo"),
                    ("paper-unaware", "aware_of_validated"),
                    ("paper-no-drain", "drain_notifications"),
                    ("paper-twins-unordered", "twins_in_member_order")):
        v = VARIANTS[name]
        assert dataclasses.replace(v, name="mdcd-paper", **{r: True}) == PROTOCOLS["mdcd-paper"]


def test_summarize_reports_recovery_latency():
    """summarize gives the recovery latency a row: over the runs that recovered and
    became quiet (NaN elsewhere), with an interval that holds its mean."""
    sc = m.Scenario(n_low=2, n_act=2, horizon=40.0, fault_rate=0.08, at_coverage=1.0,
                    latency=1.0)
    df = m.simulate(sc, runs=200, seed=3, protocol="mdcd", engine="numba")
    row = m.summarize(df).set_index("metric").loc["recovery_latency"]
    quiet = df.loc[df.outcome == "recovered", "recovery_latency"].dropna()
    assert len(quiet) > 100 and row["n"] == len(quiet)
    assert row["mean"] == pytest.approx(quiet.mean())
    assert row["ci_low"] < row["mean"] < row["ci_high"]
