"""Trace generation and validation (docs/trace-format.md)."""

import numpy as np
import pandas as pd
import pytest

import mdcd_lab as m

SC = m.Scenario(latency=0.4, shadow_lag=0.6, fault_rate=0.05, horizon=40.0)


def test_generated_trace_structure():
    tr = m.generate_traces(SC, 5, 1)
    assert list(tr.columns) == ["run", "t", "kind", "src", "dst", "t_deliver", "u_at",
                                "u_comp", "d_notify"]
    m.validate_trace(tr, SC)   # what we generate we accept
    for _, g in tr.groupby("run"):
        assert np.all(np.diff(g["t"].to_numpy()) >= 0)
        sends = g[g["kind"] == "send"]
        real = sends[~sends["src"].str.startswith("sdw") | sends["dst"].str.startswith("sdw")]
        assert (real["t_deliver"] >= real["t"]).all()
        # FIFO per channel
        for _, ch in real.groupby(["src", "dst"]):
            assert np.all(np.diff(ch["t_deliver"].to_numpy()) >= 0)
        # twin k mirrors cluster message k: same destinations in the same order
        low_act = sends[sends["src"].str.startswith("low") & sends["dst"].str.startswith("act")]
        twins = sends[sends["src"].str.startswith("sdw") & sends["dst"].str.startswith("act")]
        n = len(twins)
        assert list(twins["dst"]) == list(low_act["dst"])[:n]
        assert list(twins["src"].str[3:]) == list(low_act["src"].str[3:])[:n]
    outs = tr[tr["kind"] == "output"]
    cluster = outs[outs["src"].str.startswith("low") | outs["src"].str.startswith("act")]
    assert cluster["u_at"].between(0, 1).all() and (cluster["d_notify"] >= 0).all()


def test_run_r_is_the_same_whatever_runs_is():
    a = m.generate_traces(SC, 3, 7)
    b = m.generate_traces(SC, 10, 7)
    pd.testing.assert_frame_equal(a, b[b["run"] < 3].reset_index(drop=True))
    c = m.generate_traces(SC, 2, 7, first_run=1)
    pd.testing.assert_frame_equal(c, a[a["run"] >= 1].reset_index(drop=True))
    assert not a.equals(m.generate_traces(SC, 3, 8))


def bad(rows, **kw):
    tr = m.trace_from_rows(rows)
    for k, v in kw.items():
        tr[k] = v
    return tr


@pytest.mark.parametrize("trace,needle", [
    (bad([("send", 1.0, "low0", "act9")]), "unknown process 'act9'"),
    (bad([("send", 2.0, "low0", "act0", 1.0)]), "before the send"),
    (bad([("send", 2.0, "low0", "act0"), ("send", 1.0, "low0", "act0")]), "not sorted"),
    (bad([("fault", 1.0, "act0")]), "faults are activated in G_low"),
    (bad([("send", 1.0, "low0", "sdw0")]), "not part of the system model"),
    (bad([("output", 1.0, "low0")], u_at=1.5), "must lie in"),
    (bad([("send", 1.0, "low0", "act0")]).drop(columns=["t_deliver"]), "missing column"),
    (bad([("send", 1.0, "low0", "act0")], kind="sned"), "unknown value"),
    (bad([("send", 500.0, "low0", "act0")]), "beyond the horizon"),
])
def test_bad_traces_are_rejected(trace, needle):
    with pytest.raises(ValueError, match=needle):
        m.validate_trace(trace, SC)
    with pytest.raises(ValueError, match=needle):
        m.replay(trace, SC)


def test_missing_draw_columns_use_documented_fills():
    rows = [("fault", 1.0, "low0"), ("output", 2.0, "low0")]
    tr = m.trace_from_rows(rows).drop(columns=["u_at", "u_comp", "d_notify"])
    # detected iff at_coverage == 1; compensation fails iff compensation == 0
    assert m.replay(tr, SC.replace(at_coverage=1.0)).iloc[0]["outcome"] == "recovered"
    assert m.replay(tr, SC.replace(at_coverage=0.999)).iloc[0]["outcome"] == "failed"
    ok = m.replay(tr, SC.replace(at_coverage=1.0, compensation=0.01)).iloc[0]
    assert ok["outcome"] == "completed" and ok["n_compensated"] == 1
