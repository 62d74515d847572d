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
        # (a twin of a message just past the horizon may fall before it)
        n = min(len(twins), len(low_act))
        assert list(twins["dst"])[:n] == list(low_act["dst"])[:n]
        assert list(twins["src"].str[3:])[:n] == list(low_act["src"].str[3:])[:n]
        assert len(twins) - n <= 3
        assert (twins["t"].iloc[n:] >= SC.horizon - SC.shadow_lag).all()
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
    # issue 23, item 7: nothing ignored, nothing non-finite, every message names the column
    (bad([("output", 1.0, "low0")]).rename(columns={"u_at": "u_att"}),
     "unknown column 'u_att' .did you mean 'u_at'.."),
    (bad([("output", 1.0, "low0")], note="mine"), "unknown column 'note'"),
    (bad([("send", 1.0, "low0", "act0")], t_deliver=np.inf),
     r"column 't_deliver' must be a finite time.*row 0: inf"),
    (bad([("send", 1.0, "sdw0", "act0")], t_deliver=np.inf), "column 't_deliver'"),
    (bad([("send", 1.0, "low0", "act0")], run=-2), r"column 'run' must hold integers >= 0 "
                                                  r"\(row 0: -2\)"),
    (bad([("output", 1.0, "low0")], u_at="0.5x"), "column 'u_at': row 0 holds '0.5x', which "
                                                  "is not a number"),
    (bad([("send", 1.0, "low0", "act0")], t="one"), "column 't': row 0 holds 'one'"),
    (bad([("send", 1.0, "low0", "act0")], d_notify=-1.0), "column 'd_notify'"),
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


@pytest.mark.parametrize("engine", ["reference", "numba"])
@pytest.mark.parametrize("kw", [dict(latency=0.4, shadow_lag=0.6, fault_rate=0.05),
                                dict(n_low=3, n_act=2, latency=2.0, shadow_lag=1.5,
                                     rate_ext_low=0.8, rate_low_act=2.0),
                                # twins of events just past the short horizon fall before it
                                dict(shadow_lag=3.0, rate_low_act=3.0, rate_ext_low=1.0),
                                dict(latency=1.0, shadow_lag=0.5, channel="non-fifo")])
def test_prefix_property_over_the_horizon(engine, kw):
    """A run of horizon h2 > h1 starts with the rows of the same run of horizon h1."""
    from mdcd_lab.fast import generate_traces_numba
    gen = m.generate_traces if engine == "reference" else generate_traces_numba
    short = gen(m.Scenario(horizon=15.0, **kw), 6, 3)
    long = gen(m.Scenario(horizon=40.0, **kw), 6, 3)
    assert len(long) > len(short)
    head = long[long["t"] <= 15.0].reset_index(drop=True)
    pd.testing.assert_frame_equal(short, head, check_exact=True)


def test_draws_do_not_depend_on_latency_or_lag():
    """Scenarios that differ only in latency / shadow_lag share times, kinds and endpoints."""
    a = m.generate_traces(m.Scenario(latency=0.0, shadow_lag=0.0, horizon=30.0), 3, 5)
    b = m.generate_traces(m.Scenario(latency=1.5, shadow_lag=0.0, horizon=30.0), 3, 5)
    cols = ["run", "t", "kind", "src", "dst", "u_at", "u_comp"]
    pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=True)
    sends = a["kind"] == "send"
    assert (a.loc[sends & a["t_deliver"].notna(), "t_deliver"]
            == a.loc[sends & a["t_deliver"].notna(), "t"]).all()
    assert (a.loc[a["kind"] == "output", "d_notify"].dropna() == 0.0).all()
    assert (b.loc[sends & b["t_deliver"].notna(), "t_deliver"]
            > b.loc[sends & b["t_deliver"].notna(), "t"]).mean() > 0.9


def _naive_arrays(trace, scenario):
    """What validate_trace returns, computed the obvious way: per run in order of first
    appearance, the run's rows in trace order, names looked up one by one."""
    from mdcd_lab.constants import KINDS
    from mdcd_lab.traces.table import proc_index
    index = proc_index(scenario)
    out = {}
    for r in pd.unique(trace["run"]):
        g = trace[trace["run"] == r]
        out[int(r)] = {
            "t": g["t"].to_numpy(float), "kind": np.array([KINDS.index(k) for k in g["kind"]]),
            "src": np.array([index[v] for v in g["src"]]),
            "dst": np.array([index[v] if isinstance(v, str) and v else -1 for v in g["dst"]]),
            "t_deliver": g["t_deliver"].to_numpy(float)}
    return out


STRING_STORAGES = ["object", "string[pyarrow]"]


def _stored_as(tr, storage):
    """``tr`` with its name columns stored as ``storage`` (Python objects, or pandas'
    pyarrow strings as Parquet and pandas >= 3 give them); ``dst`` empty where missing."""
    tr = tr.copy()
    for c in ("src", "dst"):
        tr[c] = tr[c].astype(object).where(tr[c].notna(), "").astype(storage)
    return tr


@pytest.mark.parametrize("storage", STRING_STORAGES)
@pytest.mark.parametrize("shuffle", [False, True])
def test_validated_arrays_equal_a_naive_split_by_run(shuffle, storage):
    """The vectorised validation gives each run its own rows in trace order: runs in
    order are cut as they are, interleaved runs are sorted by run once (stable); names
    stored as Python strings or as pyarrow strings give the same codes."""
    tr = _stored_as(m.generate_traces(SC.replace(n_low=2, n_act=2), 12, 4), storage)
    if shuffle:      # interleave the runs, keeping each run's rows in order
        tr = tr.sort_values("t", kind="stable").reset_index(drop=True)
    got = m.validate_trace(tr, SC.replace(n_low=2, n_act=2))
    want = _naive_arrays(tr, SC.replace(n_low=2, n_act=2))
    assert list(got) == list(want)
    for r in want:
        for k, v in want[r].items():
            np.testing.assert_array_equal(got[r][k], v, err_msg=f"run {r}, {k}")
    # the arrays are the engines' own: none is a view of the caller's frame
    for col in ("t", "t_deliver"):
        frame = tr[col].to_numpy()
        assert not any(np.shares_memory(got[r][col], frame) for r in got), col


@pytest.mark.parametrize("storage", STRING_STORAGES)
@pytest.mark.parametrize("src,dst,needle", [
    ("low0", "act9", r"trace row 1: unknown process 'act9' in column 'dst'"),
    ("low0", "", r"trace row 1: a send needs a destination 'dst'"),
    ("", "act0", r"trace row 1: column 'src' is empty"),
    ("lowX", "act0", r"trace row 1: unknown process 'lowX' in column 'src'"),
])
def test_bad_names_named_by_row_whatever_the_string_storage(storage, src, dst, needle):
    """The pyarrow path of the name look-up refuses what the object path refuses, with
    the same message naming the row."""
    tr = bad([("send", 1.0, "low0", "act0"), ("send", 2.0, "low0", "act0")])
    tr.loc[1, ["src", "dst"]] = [src, dst]
    with pytest.raises(ValueError, match=needle):
        m.validate_trace(_stored_as(tr, storage), SC)


def test_twin_members_checked_per_run_naming_the_first_bad_twin():
    from mdcd_lab.traces.validate import check_twin_members
    sc = m.Scenario(n_low=2, n_act=1)
    ok = m.trace_from_rows([("send", 1.0, "low0", "act0", 2.0), ("send", 1.5, "low1", "act0",
                            2.5), ("send", 1.6, "sdw0", "act0"), ("send", 1.7, "sdw1", "act0")])
    check_twin_members(ok, sc)
    swapped = ok.copy()
    swapped.loc[[2, 3], "src"] = ["sdw1", "sdw0"]
    two = pd.concat([ok, swapped.assign(run=1)], ignore_index=True)
    with pytest.raises(ValueError, match="run 1: row 6 is twin 1 from sdw1, but cluster "
                                         "message 1 .to G_act. is from low0"):
        check_twin_members(two, sc)


def test_a_categorical_kind_is_read_by_its_codes_and_checked_alike():
    """``kind`` as a categorical (what generate_traces gives) is mapped through its
    categories once; an unknown kind among them is refused as in a column of strings,
    an unused category that is not a kind changes nothing."""
    tr = bad([("send", 1.0, "low0", "act0"), ("output", 2.0, "low0")])
    want = m.validate_trace(tr, SC)
    cat = tr.assign(kind=pd.Categorical(tr["kind"], categories=["send", "output", "fault",
                                                                  "spare"]))
    got = m.validate_trace(cat, SC)
    np.testing.assert_array_equal(got[0]["kind"], want[0]["kind"])
    wrong = tr.assign(kind=pd.Categorical(["send", "sned"]))
    with pytest.raises(ValueError, match=r"unknown value\(s\) \['sned'\]"):
        m.validate_trace(wrong, SC)
