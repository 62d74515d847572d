"""The special cases the paper builds on: (1, n) and the two-component MDCD."""

import pandas as pd

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS


def one_n(n_act):
    return m.Scenario(n_low=1, n_act=n_act, rate_low_low=0.0, rate_sdw_sdw=0.0,
                      rate_act_act=0.5 if n_act > 1 else 0.0, at_coverage=1.0,
                      fault_rate=0.02, horizon=60.0)


def test_one_n_architecture_levels_are_consecutive():
    # (1, n) [7]: one low-confidence component; every message it sends to G_act
    # carries the next int_mSN_G_low, and the shadow's twins reuse the numbering.
    sc = one_n(4)
    _, events, res = m.run_events(sc, 1, 0, "mdcd")
    sends = events[(events["proc"] == "low0") & (events["event"] == "send")]
    assert list(sends["index"]) == list(range(1, len(sends) + 1))
    twins = events[events["event"] == "log_sdr"]
    assert list(twins["index"]) == list(range(1, len(twins) + 1))
    df = m.simulate(sc, 200, 4)
    assert df[list(VIOLATIONS)].to_numpy().sum() == 0 and not (df["outcome"] == "failed").any()


def test_two_component_mdcd():
    # n_low = n_act = 1 is the original MDCD [2]: one high-confidence process.  It
    # never receives from another G_act process, so "propagating in" never sets
    # prgt_bit, and an S2 checkpoint needs a send to G_low since the last one.
    sc = one_n(1)
    df = m.simulate(sc, 300, 8)
    assert df[list(VIOLATIONS)].to_numpy().sum() == 0 and not (df["outcome"] == "failed").any()
    no_send = sc.replace(rate_act_low=0.0)
    assert (m.simulate(no_send, 100, 8)["ckpt_s2"] == 0).all()
    assert (df["ckpt_s2"] > 0).any()


def test_clustering_hides_interface_changes():
    # More cluster members and heavy new-interface traffic leave G_act's
    # checkpointing unchanged: the same trace with low<->low rows removed gives
    # the same G_act checkpoints (the cluster is one virtual component).
    sc = m.Scenario(n_low=3, n_act=3, rate_low_low=3.0, fault_rate=0.0, horizon=50.0)
    tr = m.generate_traces(sc, 20, 2)
    inner = tr["src"].str.startswith("low") & tr["dst"].str.startswith("low")
    a = m.replay(tr, sc)
    b = m.replay(tr[~inner].reset_index(drop=True), sc)
    pd.testing.assert_series_equal(a["ckpt_act"], b["ckpt_act"])
    assert (a["n_events"] > b["n_events"]).all()
