"""simulate / replay / run_events: schema, engines, argument checks."""

import pandas as pd
import pytest

import mdcd_lab as m
from mdcd_lab.constants import EVENT_KINDS
from mdcd_lab.metrics import METRIC_NAMES, OUTCOMES
from mdcd_lab.reference.events import EVENT_COLUMNS

SC = m.Scenario(fault_rate=0.03, horizon=40.0, latency=0.2)


def test_schema_and_dtypes():
    df = m.simulate(SC, 6, 3, engine="reference")
    assert list(df.columns) == ["protocol", *METRIC_NAMES]
    assert isinstance(df["protocol"].dtype, pd.CategoricalDtype)
    assert (df["protocol"] == "mdcd").all()
    assert isinstance(df["outcome"].dtype, pd.CategoricalDtype)
    assert list(df["outcome"].cat.categories) == list(OUTCOMES)
    assert df["ckpt_total"].dtype == "int64" and df["t_end"].dtype == "float64"
    assert list(df["run"]) == list(range(6)) and (df["seed"] == 3).all()


def test_prefix_and_slices_are_stable():
    big = m.simulate(SC, 12, 5)
    pd.testing.assert_frame_equal(m.simulate(SC, 4, 5), big.iloc[:4].reset_index(drop=True))
    part = m.simulate(SC, 3, 5, first_run=6)
    pd.testing.assert_frame_equal(part, big.iloc[6:9].reset_index(drop=True))


def test_replay_equals_simulate():
    tr = m.generate_traces(SC, 5, 9)
    sim = m.simulate(SC, 5, 9)
    rep = m.replay(tr, SC)
    pd.testing.assert_frame_equal(sim.drop(columns="seed"), rep.drop(columns="seed"))


@pytest.mark.parametrize("engine", ["reference", "numba", "auto"])
def test_protocol_column(engine):
    tr = m.generate_traces(SC, 3, 9)
    for protocol in ("mdcd-paper", "static"):
        for df in (m.simulate(SC, 3, 9, protocol=protocol, engine=engine),
                   m.replay(tr, SC, protocol=protocol, engine=engine)):
            assert list(df.columns[:2]) == ["protocol", "run"]
            assert df["protocol"].tolist() == [protocol] * 3
    both = pd.concat([m.simulate(SC, 2, 1, protocol=p) for p in ("mdcd", "mdcd-paper")])
    assert both.groupby("protocol", observed=True).size().to_dict() == {"mdcd": 2,
                                                                         "mdcd-paper": 2}


def test_auto_engine_is_the_default_and_gives_the_reference_numbers(monkeypatch):
    from mdcd_lab import fast
    assert m.api.resolve_engine("auto", ["mdcd"]) == "numba"
    assert m.api.resolve_engine("auto", m.protocol_names()) == "numba"
    assert m.api.resolve_engine("reference", ["mdcd"]) == "reference"
    calls = []
    real = fast.simulate_numba
    monkeypatch.setattr(fast, "simulate_numba", lambda *a, **k: calls.append(a) or real(*a, **k))
    df = m.simulate(SC, 8, 4)
    assert len(calls) == 1          # the default ran on numba
    pd.testing.assert_frame_equal(df, m.simulate(SC, 8, 4, engine="reference"),
                                  check_exact=True)
    # a protocol the numba engine does not implement falls back to the reference engine
    monkeypatch.setattr(m.api, "numba_supports", lambda p: p != "static")
    assert m.api.resolve_engine("auto", ["static"]) == "reference"
    assert m.api.resolve_engine("auto", ["mdcd", "static"]) == "reference"
    m.simulate(SC, 2, 4, protocol="static")
    assert len(calls) == 1


def test_run_events_names_run_in_its_errors():
    with pytest.raises(ValueError, match=r"^run must be an integer >= 0, got -1$"):
        m.run_events(SC, 2, -1)
    with pytest.raises(ValueError, match=r"^seed must be an integer >= 0"):
        m.run_events(SC, -2, 1)


def test_run_events_matches_metrics():
    df = m.simulate(SC, 10, 2)
    rec = df.index[df["outcome"] == "recovered"]
    r = int(rec[0]) if len(rec) else 0
    trace, events, res = m.run_events(SC, 2, r)
    assert res["ckpt_total"] == df.loc[r, "ckpt_total"]
    assert (events["event"].isin(["ckpt_s1", "ckpt_s2"])).sum() == res["ckpt_total"]
    assert (events["event"] == "at_pass").sum() == res["n_at_passed"]
    assert list(events.columns) == list(EVENT_COLUMNS)
    assert list(events["event"].cat.categories) == list(EVENT_KINDS)
    assert (trace["run"] == r).all()


@pytest.mark.parametrize("kw,needle", [
    (dict(protocol="mdcd-v2"), "unknown protocol"),
    (dict(engine="gpu"), "unknown engine"),
    (dict(runs=0), "runs must be an integer >= 1"),
    (dict(seed=-1), "seed must be an integer >= 0"),
])
def test_bad_arguments(kw, needle):
    args = dict(scenario=SC, runs=2, seed=1) | kw
    with pytest.raises(ValueError, match=needle):
        m.simulate(**args)


def test_scenario_type_checked():
    with pytest.raises(ValueError, match="mdcd_lab.Scenario"):
        m.simulate({"n_low": 2}, 2, 1)


def test_metrics_doc_is_current():
    from pathlib import Path

    from mdcd_lab.metrics import metrics_markdown
    doc = (Path(__file__).parent.parent / "docs" / "metrics.md").read_text()
    assert metrics_markdown() in doc
