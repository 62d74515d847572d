"""Comparison protocols on common traces (docs/protocols.md)."""

import pandas as pd
from helpers import examples, safety_scenarios
from hypothesis import given, settings
from hypothesis import strategies as st

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS
from mdcd_lab.stats.summary import paired_differences, summarize

SOUND = ("mdcd", "every-receive", "static", "coordinated", "mdcd-vector")


@settings(max_examples=examples(80))
@given(sc=safety_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_sound_protocols_have_no_violation(sc, seed):
    trace = m.generate_traces(sc, 3, seed)
    for protocol in SOUND:
        df = m.replay(trace, sc, protocol)
        assert not (df["outcome"] == "failed").any(), protocol
        assert df[list(VIOLATIONS)].to_numpy().sum() == 0, protocol
        assert df["dup_outputs"].sum() == 0, protocol


def common(sc, runs, seed, protocols):
    trace = m.generate_traces(sc, runs, seed)
    frames = [m.replay(trace, sc, p).assign(protocol=p) for p in protocols]
    return pd.concat(frames, ignore_index=True)


def test_unclustered_loses_recoverability_where_mdcd_does_not():
    sc = m.Scenario(n_low=2, n_act=3, rate_low_low=1.0, fault_rate=0.02, at_coverage=1.0,
                    horizon=60.0)
    df = common(sc, 200, 4, ["mdcd", "mdcd-unclustered"])
    fixed = df[df["protocol"] == "mdcd"].reset_index(drop=True)
    naive = df[df["protocol"] == "mdcd-unclustered"].reset_index(drop=True)
    assert fixed[list(VIOLATIONS)].to_numpy().sum() == 0
    rec = naive["outcome"] == "recovered"
    # after new-interface traffic, recovery by the old version cannot be consistent:
    # partners keep messages the old version never sent (orphans) and lose the
    # ones they sent to the new version (lost)
    assert (naive.loc[rec, "orphans"] > 0).mean() > 0.5
    assert (naive.loc[rec, "lost"] > 0).mean() > 0.5
    # the interface partners are trusted although they are new code: their
    # errors escape as unsafe clean states and failures
    assert (naive["unsafe_clean"] > 0).any()


def test_unclustered_equals_mdcd_without_interface_partners():
    # with one cluster member there are no partners: the naive extension is MDCD
    sc = m.Scenario(n_low=1, n_act=3, rate_low_low=0.0, rate_sdw_sdw=0.0, fault_rate=0.02,
                    at_coverage=0.9, latency=0.2, shadow_lag=0.3, horizon=60.0)
    tr = m.generate_traces(sc, 60, 2)
    pd.testing.assert_frame_equal(m.replay(tr, sc, "mdcd").drop(columns="protocol"),
                                  m.replay(tr, sc, "mdcd-unclustered").drop(columns="protocol"))


def test_every_receive_bounds_and_static_costs():
    sc = m.Scenario(n_low=2, n_act=3, fault_rate=0.02, at_coverage=1.0, horizon=60.0,
                    latency=0.3, shadow_lag=0.5)
    df = common(sc, 300, 9, ["mdcd", "every-receive", "static"])
    a, e, s = (df[df["protocol"] == p].reset_index(drop=True) for p in
               ("mdcd", "every-receive", "static"))
    same = (a["t_end"] == e["t_end"]) & (a["t_end"] == s["t_end"])
    assert same.mean() > 0.95
    rec = same & (a["outcome"] == "recovered")
    # every-receive: the checkpoint-cost upper bound and the smallest rollback
    assert (e.loc[same, "ckpt_total"] >= a.loc[same, "ckpt_total"]).all()
    assert (e.loc[rec, "rollback_dist_max"] <= a.loc[rec, "rollback_dist_max"] + 1e-12).all()
    # static: coarser checkpoints, so rollbacks reach at least as far back
    assert (s.loc[rec, "rollback_dist_max"] >= a.loc[rec, "rollback_dist_max"] - 1e-12).all()
    assert s["ckpt_total"].mean() < a["ckpt_total"].mean() < e["ckpt_total"].mean()
    # paired comparisons on common traces come out of the summary layer
    d = paired_differences(df, ["ckpt_total", "rollback_dist_max"], baseline="mdcd")
    er = d[(d["protocol"] == "every-receive") & (d["metric"] == "ckpt_total")].iloc[0]
    assert er["ci_low"] > 0
    summ = summarize(df, by="protocol", metrics=["p_failed", "p_recovered"])
    assert set(summ["protocol"]) == {"mdcd", "every-receive", "static"}


def test_coordinated_lines_and_rollback():
    # Lines at coord_period, 2 coord_period, ... each checkpoint every G_act and
    # G_sdw process: ckpt_total = floor(t / period) * (n_act + n_low), t the end of
    # the run or the detection.  At recovery every one of them rolls back to the same
    # line (at the two-phase release, all at the same time).
    sc = m.Scenario(n_low=2, n_act=3, fault_rate=0.02, at_coverage=1.0, horizon=60.0,
                    latency=0.3, coord_period=7.0)
    df = m.simulate(sc, 120, 3, protocol="coordinated")
    # no line after a detection (executed recovery: the run goes on until quiet)
    lines = (df["t_detect"].fillna(df["t_end"]) // 7.0).astype(int)
    assert (df["ckpt_total"] == lines * 5).all()
    assert (df["ckpt_s1"] + df["ckpt_s2"] == 0).all()
    rec = df["outcome"] == "recovered"
    assert rec.any() and (df.loc[rec, "rollback_procs"] == 5).all()
    assert (df.loc[rec, "rollback_dist_sum"] == 5 * df.loc[rec, "rollback_dist_max"]).all()
    assert df[list(VIOLATIONS)].to_numpy().sum() == 0
