"""sweep: tidy frames, seeds by value, stopping, stores, resume, clients."""

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import HANG_GUARD_S

from mdcd_lab import studies
from mdcd_lab.api import simulate
from mdcd_lab.io import load_results, to_csv, to_parquet
from mdcd_lab.metrics import METRIC_NAMES
from mdcd_lab.scenario import FIELDS, Scenario
from mdcd_lab.stats.summary import paired_differences, summarize
from mdcd_lab.studies import STOP_LEVEL, pools, read_manifest, sweep, sweep_status
from mdcd_lab.studies.grid import point_seed, sample
from mdcd_lab.studies.stopping import MIN_STOP_RUNS, STRUCTURAL_ZEROS, structural_zeros

ROOT = Path(__file__).resolve().parent.parent
BASE = Scenario(horizon=20.0, fault_rate=0.02)
GRID = {"at_coverage": [0.9, 1.0], "n_low": [2, 3]}
PROTOS = ["mdcd-paper", "mdcd"]  # deliberately not alphabetical
KW = dict(engine="reference", progress=False)


@pytest.fixture(scope="module")
def fixed():
    return sweep(BASE, GRID, 12, 5, protocols=PROTOS, **KW)


def _unit_files(store):
    d = Path(store) / studies.UNITS_DIR
    return sorted(p.name for p in d.glob("*.parquet")) if d.is_dir() else []


# --------------------------------------------------------------------------- the frame
def test_tidy_frame_columns_dtypes_and_order(fixed):
    df = fixed
    assert list(df.columns) == ["point", "protocol", *FIELDS, *METRIC_NAMES]
    assert len(df) == 4 * 2 * 12
    assert df["point"].dtype == "int32" and df["n_low"].dtype == "int32"
    assert df["msg_bytes"].dtype == "int64" and df["at_coverage"].dtype == "float64"
    assert isinstance(df["fault_scope"].dtype, pd.CategoricalDtype)
    assert list(df["protocol"].cat.categories) == PROTOS
    assert isinstance(df["outcome"].dtype, pd.CategoricalDtype)
    assert df["ckpt_total"].dtype == "int64"
    # ordered by point, protocol (given order), run
    keys = pd.DataFrame({"p": df["point"], "q": df["protocol"].cat.codes, "r": df["run"]})
    assert keys.equals(keys.sort_values(["p", "q", "r"]).reset_index(drop=True))
    # first key of the grid varies slowest
    first = df.drop_duplicates("point")
    assert first[["at_coverage", "n_low"]].values.tolist() == [[0.9, 2], [0.9, 3], [1.0, 2],
                                                               [1.0, 3]]
    assert (df["horizon"] == 20.0).all() and (df["fault_rate"] == 0.02).all()


def test_rows_equal_simulate_with_the_point_seed(fixed):
    for p, point in enumerate([{"at_coverage": a, "n_low": n} for a in (0.9, 1.0)
                               for n in (2, 3)]):
        s = point_seed(5, point)
        for proto in PROTOS:
            got = fixed[(fixed["point"] == p) & (fixed["protocol"] == proto)]
            want = simulate(BASE.replace(**point), 12, s, protocol=proto).drop(columns="protocol")
            pd.testing.assert_frame_equal(got[list(METRIC_NAMES)].reset_index(drop=True), want)


def test_point_alone_or_in_another_grid_gives_the_same_numbers(fixed):
    alone = sweep(BASE, {"n_low": 3, "at_coverage": 1.0}, 12, 5, protocols=["mdcd"], **KW)
    other = sweep(BASE, {"at_coverage": [1.0, 0.5], "n_low": [3]}, 12, 5,
                  protocols=["mdcd"], **KW)
    want = fixed[(fixed["at_coverage"] == 1.0) & (fixed["n_low"] == 3)
                 & (fixed["protocol"] == "mdcd")][list(METRIC_NAMES)].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone[list(METRIC_NAMES)], want)
    pd.testing.assert_frame_equal(
        other[other["point"] == 0][list(METRIC_NAMES)].reset_index(drop=True), want)
    assert (other["point"] == 1).sum() == 12


def test_protocols_share_seeds_and_pair(fixed):
    by = fixed.groupby(["point", "run"], observed=True)["seed"].nunique()
    assert (by == 1).all()
    d = paired_differences(fixed, ["ckpt_total", "p_failed"], baseline="mdcd-paper", by="point")
    assert len(d) == 4 * 2 and (d["n"] == 12).all()
    # the fault time is a property of the trace: identical across protocols on common traces
    a = fixed[fixed["protocol"] == "mdcd"].reset_index(drop=True)
    b = fixed[fixed["protocol"] == "mdcd-paper"].reset_index(drop=True)
    both = a["t_fault"].notna() & b["t_fault"].notna()
    assert both.any()
    np.testing.assert_array_equal(a.loc[both, "t_fault"], b.loc[both, "t_fault"])


def test_sampled_points_and_string_values():
    pts = sample({"at_coverage": (0.5, 1.0), "latency": (0.0, 0.5)}, 3, seed=1)
    df = sweep(BASE, pts, 4, 2, **KW)
    assert df.groupby("point").size().tolist() == [4, 4, 4]
    got = df.drop_duplicates("point")[["at_coverage", "latency"]].to_dict("records")
    assert got == pts
    assert df.attrs["provenance"]["grid"] is None
    assert df.attrs["provenance"]["points"] == pts
    sc = sweep(BASE, {"fault_scope": "process"}, 3, 2, **KW)
    assert (sc["fault_scope"] == "process").all() and sc["point"].nunique() == 1


def test_provenance_round_trip_and_status(tmp_path, fixed):
    prov = fixed.attrs["provenance"]
    assert prov["base"] == BASE.to_dict() and prov["grid"] == GRID
    assert prov["point_seeds"] == [point_seed(5, p) for p in prov["points"]]
    assert prov["runs"] == 12 and prov["seed"] == 5 and prov["protocols"] == PROTOS
    assert prov["engine"] == "reference" and prov["stopping"] is None
    for writer, name in ((to_csv, "r.csv"), (to_parquet, "r.parquet")):
        back = load_results(writer(fixed, tmp_path / name, provenance=prov))
        pd.testing.assert_frame_equal(back, fixed, check_exact=True)
        st = sweep_status(back)
        assert st["reason"].tolist() == ["fixed"] * 4 and st["runs"].tolist() == [12] * 4
        assert st["seed"].tolist() == prov["point_seeds"]
    with pytest.raises(ValueError, match="no sweep provenance"):
        sweep_status(pd.DataFrame({"x": [1]}))


def test_progress_bars_on_stderr(capsys):
    sweep(BASE, {"n_low": [2]}, 3, 1, engine="reference", progress=True)
    err = capsys.readouterr().err
    assert "sweep runs" in err and "sweep points" in err


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("kw,needle", [
    (dict(grid={"n_lwo": [2]}), "unknown Scenario field"),
    (dict(grid={"n_low": []}), "empty list"),
    (dict(grid={"at_coverage": [0.9, 1.5]}), r"grid point \{'at_coverage': 1.5\}"),
    (dict(grid={"rate_low_act": [-1.0]}), "rate_low_act"),
    (dict(grid={"n_low": [2, 2]}), "more than once"),
    (dict(grid=[]), "list of points is empty"),
    (dict(grid=[{"n_low": 2}, {"n_low": 2.0}]), "points 0 and 1 are equal"),
    (dict(grid=[{"nlow": 2}]), "point 0 has unknown Scenario field"),
    (dict(grid="n_low"), "grid must map"),
    (dict(runs=0), "runs must be an integer >= 1"),
    (dict(seed=-3), "seed must be an integer >= 0"),
    (dict(protocols=["mdcd", "nope"]), "unknown protocol"),
    (dict(protocols=["mdcd", "mdcd"]), "more than once"),
    (dict(protocols=[]), "protocols is empty"),
    (dict(engine="gpu"), "unknown engine"),
    (dict(target_rel_halfwidth=0.1), "needs max_runs"),
    (dict(target_rel_halfwidth=-0.1, max_runs=10), "target_rel_halfwidth must be"),
    (dict(target_rel_halfwidth=0.1, max_runs=2), "max_runs must be >= runs"),
    (dict(max_runs=20), "max_runs is only used"),
    (dict(metrics=["ckpt_total"]), "only used with target_rel_halfwidth"),
    (dict(target_rel_halfwidth=0.1, max_runs=9, metrics=["ckpts"]), "unknown metric 'ckpts'"),
    (dict(client=object()), "client must be"),
    (dict(chunk_runs=0), "chunk_runs must be"),
    (dict(resume=True), "resume=True needs store"),
])
def test_bad_arguments_fail_before_any_work(tmp_path, monkeypatch, kw, needle):
    calls = []
    monkeypatch.setattr(pools, "run_task", lambda payload: calls.append(payload))
    args = dict(base=BASE, grid={"n_low": [2]}, runs=3, seed=1, **KW) | kw
    store = tmp_path / "store"
    if "resume" not in kw:
        args["store"] = store
    with pytest.raises(ValueError, match=needle):
        sweep(**args)
    assert calls == [] and not store.exists()


# --------------------------------------------------------------------------- stopping
def _check_rule(df, target, metrics, protocols):
    """Recompute the stopping decisions from the returned runs."""
    st = sweep_status(df)
    runs = df.attrs["provenance"]["runs"]
    for row in st.itertuples():
        sub = df[df["point"] == row.point]
        assert (sub.groupby("protocol", observed=True).size() == row.runs).all()
        assert sorted(sub["run"].unique()) == list(range(row.runs))

        def ok(n, sub=sub):
            s = summarize(sub[sub["run"] < n], by="protocol", metrics=metrics, level=STOP_LEVEL)
            assert len(s) == len(protocols) * len(metrics)
            narrow = (s["half_width"] > 0) & (s["half_width"] <= target * s["mean"].abs())
            return n >= MIN_STOP_RUNS and bool(((s["n"] >= 2) & narrow).all())

        assert ok(row.runs) == (row.reason == "converged")
        assert row.batches == -(-row.runs // runs)
        if row.batches > 1:
            assert not ok(runs * (row.batches - 1))
    return st


def test_sequential_stopping_converges_or_hits_max_runs():
    grid = {"at_coverage": [0.9, 1.0], "horizon": [10.0, 30.0]}
    metrics = ["ckpt_total", "log_entries_peak"]
    kw = dict(KW, engine="numba")   # the stopping rule, not an engine, is under test
    df = sweep(BASE, grid, 6, 11, protocols=PROTOS, target_rel_halfwidth=0.15, max_runs=48,
               metrics=metrics, **kw)
    st = _check_rule(df, 0.15, metrics, PROTOS)
    assert set(st["reason"]) == {"converged", "max_runs"}
    assert (st["runs"] >= MIN_STOP_RUNS).all()  # never before the minimum sample
    assert (st["reason"] == "converged").any()
    assert st["max_rel_half_width"].notna().all()
    prov = df.attrs["provenance"]["stopping"]
    assert prov["max_runs"] == 48 and prov["metrics"] == metrics and prov["batch_runs"] == 6
    assert prov["min_runs"] == MIN_STOP_RUNS
    # the runs are the first runs of a fixed sweep: batches add run indices, nothing else
    full = sweep(BASE, grid, 48, 11, protocols=PROTOS, **kw)
    keep = full.merge(df[["point", "protocol", "run"]], on=["point", "protocol", "run"])
    pd.testing.assert_frame_equal(df.reset_index(drop=True), keep, check_exact=True)


def test_zero_mean_rules():
    sc = BASE.replace(fault_rate=0.0)
    # a share observed as 0 never converges: the point runs to max_runs (last batch cut)
    df = sweep(sc, {"n_low": [2]}, 4, 3, target_rel_halfwidth=0.5, max_runs=10,
               metrics="p_failed", **KW)
    st = sweep_status(df)
    assert st["reason"].tolist() == ["max_runs"] and st["runs"].tolist() == [10]
    assert st["batches"].tolist() == [3] and np.isnan(st["max_rel_half_width"][0])
    assert len(df) == 10
    # a count that is 0 in every run has a quasi-Poisson interval [0, 3.69 / n] of positive
    # width: it never converges either
    df = sweep(sc, {"n_low": [2]}, 4, 3, target_rel_halfwidth=0.01, max_runs=10,
               metrics=["orphans"], **KW)
    st = sweep_status(df)
    assert st["reason"].tolist() == ["max_runs"] and st["runs"].tolist() == [10]


def test_zero_width_interval_never_converges():
    # t_end is the horizon in every run without faults: a t interval of zero width
    sc = BASE.replace(fault_rate=0.0)
    df = sweep(sc, {"n_low": [2]}, 20, 3, target_rel_halfwidth=0.5, max_runs=60,
               metrics=["t_end"], **KW)
    assert (df["t_end"] == sc.horizon).all()
    st = sweep_status(df)
    assert st["reason"].tolist() == ["max_runs"] and st["runs"].tolist() == [60]


def test_structural_zero_is_left_out_but_the_minimum_sample_holds():
    assert structural_zeros(Scenario(compensation=0.0)) == {"n_compensated"}
    assert structural_zeros(Scenario(compensation=0.4, fault_rate=0.0)) == {"n_compensated"}
    assert structural_zeros(Scenario(compensation=0.4, fault_rate=0.01)) == frozenset()
    sc = BASE.replace(compensation=0.0)
    df = sweep(sc, {"n_low": [2]}, 10, 3, target_rel_halfwidth=0.1, max_runs=100,
               metrics=["n_compensated"], **KW)
    st = sweep_status(df)
    assert st["reason"].tolist() == ["converged"] and st["runs"].tolist() == [MIN_STOP_RUNS]
    assert (df["n_compensated"] == 0).all() and st["max_rel_half_width"].isna().all()


@pytest.mark.parametrize("field", ["compensation", "at_coverage", "fault_rate"])
def test_structural_zero_rules_hold_in_both_engines(field):
    # every condition of STRUCTURAL_ZEROS really makes the metric 0 (a fault-rich scenario
    # where it is otherwise common)
    sc = Scenario(n_low=1, n_act=1, horizon=60.0, rate_low_act=0.5, rate_low_low=0.0,
                  rate_sdw_sdw=0.0, rate_act_low=0.0, rate_act_act=0.0, rate_ext_low=0.0,
                  rate_ext_act=0.3, fault_rate=0.05, at_coverage=0.9, compensation=0.9)
    assert simulate(sc, 300, 5, engine="numba", progress=False)["n_compensated"].sum() > 0
    zero = sc.replace(**{field: 0.0})
    assert dict(STRUCTURAL_ZEROS["n_compensated"])[field] == 0.0
    for engine in ("numba", "reference"):
        runs = 300 if engine == "numba" else 60
        df = simulate(zero, runs, 5, engine=engine, progress=False)
        assert (df["n_compensated"] == 0).all(), engine


# --------------------------------------------------------------------------- stores
def test_store_layout_and_resume_of_a_complete_store(tmp_path, fixed):
    store = tmp_path / "s"
    df = sweep(BASE, GRID, 12, 5, protocols=PROTOS, store=store, chunk_runs=5, **KW)
    pd.testing.assert_frame_equal(df, fixed)
    files = _unit_files(store)
    assert len(files) == 4 * 2 * 3  # 12 runs in units of 5, 5 and 2
    assert "p000000-q0-r0000000000-0000000005.parquet" in files
    man = read_manifest(store)
    assert man["status"] == "complete" and man["study"]["runs"] == 12
    assert man["study"]["protocols"] == PROTOS and len(man["point_status"]) == 4
    assert man["grid"] == GRID
    assert not list((store / studies.UNITS_DIR).glob(".*"))  # no temporary files left
    with pytest.raises(ValueError, match="not empty.*resume=True"):
        sweep(BASE, GRID, 12, 5, protocols=PROTOS, store=store, **KW)
    before = {f: (store / studies.UNITS_DIR / f).stat().st_mtime_ns for f in files}
    again = sweep(BASE, GRID, 12, 5, protocols=PROTOS, store=store, resume=True, **KW)
    pd.testing.assert_frame_equal(again, fixed)
    assert {f: (store / studies.UNITS_DIR / f).stat().st_mtime_ns for f in files} == before


@pytest.mark.parametrize("change,needle", [
    (dict(runs=13), r"runs \(store: 12, this call: 13\)"),
    (dict(seed=6), r"seed \(store: 5, this call: 6\)"),
    (dict(base=BASE.replace(latency=0.5)), r"base\.latency \(store: 0\.0, this call: 0\.5\)"),
    (dict(grid={"at_coverage": [0.9, 1.0], "n_low": [2, 4]}), r"points\[1\]"),
    (dict(protocols=["mdcd"]), "protocols"),
    (dict(target_rel_halfwidth=0.1, max_runs=50), "stopping"),
])
def test_resume_with_another_study_names_the_difference(tmp_path, change, needle):
    store = tmp_path / "s"
    sweep(BASE, GRID, 12, 5, protocols=PROTOS, store=store, **KW)
    args = dict(base=BASE, grid=GRID, runs=12, seed=5, protocols=PROTOS, store=store,
                resume=True, **KW) | change
    with pytest.raises(ValueError, match="different study.*" + needle):
        sweep(**args)


def test_store_errors(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        sweep(BASE, GRID, 2, 1, store=f, resume=True, **KW)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a sweep store"):
        sweep(BASE, GRID, 2, 1, store=junk, resume=True, **KW)
    store = tmp_path / "s"
    sweep(BASE, GRID, 4, 1, store=store, **KW)
    (store / studies.UNITS_DIR / "stray.parquet").write_text("x")
    with pytest.raises(ValueError, match="unexpected file 'stray.parquet'"):
        sweep(BASE, GRID, 4, 1, store=store, resume=True, **KW)


def test_empty_or_missing_store_starts_even_with_resume(tmp_path):
    (tmp_path / "empty").mkdir()
    a = sweep(BASE, {"n_low": [2]}, 3, 1, store=tmp_path / "empty", **KW)
    b = sweep(BASE, {"n_low": [2]}, 3, 1, store=tmp_path / "new" / "deep", resume=True, **KW)
    pd.testing.assert_frame_equal(a, b)
    assert read_manifest(tmp_path / "new" / "deep")["status"] == "complete"


@pytest.mark.parametrize("stopping", [False, True])
def test_interrupt_then_resume_gives_the_uninterrupted_result(tmp_path, monkeypatch, stopping):
    extra = dict(target_rel_halfwidth=0.12, max_runs=30, metrics=["ckpt_total"]) \
        if stopping else {}
    args = dict(base=BASE, grid=GRID, runs=6, seed=9, protocols=PROTOS, chunk_runs=4,
                **KW, **extra)
    want = sweep(**args)
    real = pools.run_task
    calls = []

    def flaky(payload):
        calls.append(payload)
        if len(calls) == 7:
            raise KeyboardInterrupt
        return real(payload)

    store = tmp_path / "s"
    monkeypatch.setattr(pools, "run_task", flaky)
    with pytest.raises(KeyboardInterrupt):
        sweep(store=store, **args)
    monkeypatch.setattr(pools, "run_task", real)
    assert len(_unit_files(store)) == 6 and read_manifest(store)["status"] == "running"
    # a different unit size on resume is fine: units are run ranges, not study parameters
    got = sweep(store=store, resume=True, **(args | {"chunk_runs": 3}))
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert sweep_status(got).equals(sweep_status(want))
    n_units = len(_unit_files(store))
    assert n_units > 6
    runs_on_disk = sum(len(pd.read_parquet(store / studies.UNITS_DIR / f))
                       for f in _unit_files(store))
    assert runs_on_disk == len(want)  # nothing lost, nothing computed twice


@pytest.mark.subprocess
def test_sigkill_mid_sweep_then_resume(tmp_path):
    store = tmp_path / "store"
    script = textwrap.dedent(f"""
        from mdcd_lab.scenario import Scenario
        from mdcd_lab.studies import sweep
        sweep(Scenario(horizon=60.0, fault_rate=0.02), {{"at_coverage": [0.9, 1.0],
              "n_low": [2, 3]}}, 60, 21, protocols=["mdcd", "mdcd-paper"], store={str(store)!r},
              engine="reference", progress=False, chunk_runs=5)
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        guard = time.monotonic() + HANG_GUARD_S      # a hang guard, not a speed limit
        while len(_unit_files(store)) < 3 and time.monotonic() < guard:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.01)
        assert len(_unit_files(store)) >= 3, "the sweep hung: no unit written"
        assert proc.poll() is None, "the sweep finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    n_killed = len(_unit_files(store))
    assert 3 <= n_killed < 4 * 2 * 12
    args = dict(base=Scenario(horizon=60.0, fault_rate=0.02),
                grid={"at_coverage": [0.9, 1.0], "n_low": [2, 3]}, runs=60, seed=21,
                protocols=["mdcd", "mdcd-paper"], **KW)
    got = sweep(store=store, resume=True, chunk_runs=5, **args)
    assert len(_unit_files(store)) == 4 * 2 * 12
    want = sweep(**args)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


# --------------------------------------------------------------------------- clients
@pytest.mark.subprocess
def test_process_pool_executor_equals_local(fixed):
    with cf.ProcessPoolExecutor(max_workers=2) as ex:
        got = sweep(BASE, GRID, 12, 5, protocols=PROTOS, client=ex, chunk_runs=5, **KW)
        auto = sweep(BASE, GRID, 12, 5, protocols=PROTOS, client=ex, **KW)
    pd.testing.assert_frame_equal(got, fixed, check_exact=True)
    pd.testing.assert_frame_equal(auto, fixed, check_exact=True)


def test_tasks_batch_small_points_and_split_large_ones(monkeypatch):
    seen = []

    class Inline(cf.Executor):
        def submit(self, fn, *args):
            seen.append(args[0])
            f = cf.Future()
            f.set_result(fn(*args))
            return f

    grid = {"n_low": [2, 3], "at_coverage": [0.5, 0.9, 1.0]}
    a = sweep(BASE, grid, 3, 1, client=Inline(), chunk_runs=8, **KW)
    assert max(sum(u[3] - u[2] for u in t["units"]) for t in seen) <= 8
    assert any(len(t["units"]) > 1 for t in seen) and all(t["single_thread"] for t in seen)
    seen.clear()
    b = sweep(BASE, {"n_low": [2]}, 20, 1, client=Inline(), chunk_runs=8, **KW)
    assert [(u[2], u[3]) for t in seen for u in t["units"]] == [(0, 8), (8, 16), (16, 20)]
    assert len(a) == 18 and len(b) == 20


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None,
                                       env={"NUMBA_NUM_THREADS": "1"})
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.subprocess
def test_dask_local_cluster_equals_local(dask_client, fixed, tmp_path):
    got = sweep(BASE, GRID, 12, 5, protocols=PROTOS, client=dask_client, chunk_runs=5,
                store=tmp_path / "s", **KW)
    pd.testing.assert_frame_equal(got, fixed, check_exact=True)
    assert len(_unit_files(tmp_path / "s")) == 4 * 2 * 3
    extra = dict(target_rel_halfwidth=0.12, max_runs=30, metrics=["ckpt_total"])
    local = sweep(BASE, GRID, 6, 9, protocols=PROTOS, **KW, **extra)
    remote = sweep(BASE, GRID, 6, 9, protocols=PROTOS, client=dask_client, **KW, **extra)
    pd.testing.assert_frame_equal(remote, local, check_exact=True)
    assert sweep_status(remote).equals(sweep_status(local))


def test_manifest_is_json_and_describes_the_study(tmp_path):
    store = tmp_path / "s"
    sweep(BASE, GRID, 2, 4, protocols=PROTOS, store=store, target_rel_halfwidth=0.3,
          max_runs=4, **KW)
    raw = json.loads((store / studies.MANIFEST_NAME).read_text())
    assert raw["format"] == studies.STORE_FORMAT
    assert raw["study"]["stopping"]["target_rel_halfwidth"] == 0.3
    assert raw["study"]["point_seeds"] == [point_seed(4, p) for p in raw["study"]["points"]]
    assert {s["reason"] for s in raw["point_status"]} <= {"converged", "max_runs"}


@pytest.mark.subprocess
def test_dask_lost_worker_is_recomputed_without_loss_or_duplicates(dask_client, tmp_path):
    args = dict(base=Scenario(horizon=60.0, fault_rate=0.02),
                grid={"at_coverage": [0.9, 1.0], "n_low": [2, 3]}, runs=40, seed=13,
                protocols=["mdcd", "mdcd-paper"], chunk_runs=5, **KW)
    want = sweep(**args)
    store = tmp_path / "s"
    victim = next(iter(dask_client.run(os.getpid).values()))
    killed = threading.Event()
    at_kill = []

    def killer():
        guard = time.monotonic() + HANG_GUARD_S      # a hang guard, not a speed limit
        while len(_unit_files(store)) < 2 and time.monotonic() < guard:
            time.sleep(0.005)
        os.kill(victim, signal.SIGKILL)
        at_kill.append(len(_unit_files(store)))
        killed.set()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    got = sweep(client=dask_client, store=store, **args)
    thread.join(5)
    assert killed.is_set() and at_kill[0] < 4 * 2 * 8  # killed mid-sweep
    assert len(_unit_files(store)) == 4 * 2 * 8
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    dask_client.wait_for_workers(2, timeout=HANG_GUARD_S)
