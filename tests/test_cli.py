"""The mdcd-lab command line: run, sweep, summarize, trace, demo; errors before any work."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import HANG_GUARD_S, SCENARIO, run_cli, write_file

from mdcd_lab import cli, studies
from mdcd_lab.io import load_results, read_provenance, to_csv
from mdcd_lab.scenario import Scenario
from mdcd_lab.studies import pools, sweep
from mdcd_lab.studies.grid import point_seed

ROOT = Path(__file__).resolve().parent.parent


STUDY = """
[scenario]
n_act = 3
horizon = 20.0
fault_rate = 0.03

[grid]
at_coverage = [0.9, 1.0]
n_low = [2, 3]

[run]
runs = 5
seed = 8
protocols = ["mdcd-paper", "mdcd"]
engine = "reference"
"""


def _expected_sweep():
    return sweep(Scenario(n_act=3, horizon=20.0, fault_rate=0.03),
                 {"at_coverage": [0.9, 1.0], "n_low": [2, 3]}, 5, 8,
                 protocols=["mdcd-paper", "mdcd"], engine="reference", progress=False)


# --------------------------------------------------------------------------- run
def test_run_writes_results_and_sidecar(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    out = tmp_path / "r.csv"
    code, stdout, _ = run_cli(["run", spec, "--out", out, "--quiet"], capsys)
    assert code == 0 and f"wrote {out}" in stdout and "P(failed)" in stdout
    df = load_results(out)
    assert len(df) == 12 and list(df["protocol"].cat.categories) == ["mdcd", "mdcd-paper"]
    assert read_provenance(out)["seed"] == 4


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_run_streams_its_output_one_chunk_at_a_time(tmp_path, capsys, monkeypatch, suffix):
    """Issue 23: ``run --out`` writes each finished chunk to its parts and the output from
    the parts, so no more than a chunk of rows is ever handed to the writer, and the
    output is the table ``run_spec`` assembles in memory."""
    from mdcd_lab.cli.specs import load_spec
    from mdcd_lab.io import stream as mio
    from mdcd_lab.studies import batch
    monkeypatch.setattr(batch, "CHUNK_RUNS", {"numba": 2, "reference": 2})
    seen = []
    for sink in (mio._CsvSink, mio._ParquetSink):
        write = sink.write
        monkeypatch.setattr(sink, "write", lambda self, df, w=write: (seen.append(len(df)),
                                                                       w(self, df))[1])
    spec = write_file(tmp_path, SCENARIO)
    out = tmp_path / f"r{suffix}"
    code, stdout, _ = run_cli(["run", spec, "--out", out, "--quiet"], capsys)
    assert code == 0, stdout
    assert seen == [2] * 6            # 6 runs x 2 protocols in chunks of 2 runs
    in_memory = batch.run_spec(load_spec(spec), progress=False)
    pd.testing.assert_frame_equal(load_results(out), in_memory, check_exact=True)
    assert "P(failed)" in stdout and not (tmp_path / f".r{suffix}.parts").exists()


@pytest.mark.parametrize("text,needle", [
    (SCENARIO.replace("n_act = 3", "n_actt = 3"), "unknown key 'n_actt' (did you mean 'n_act'?)"),
    (SCENARIO.replace("runs = 6", "runs = \"6\""), "[run] runs must be an integer"),
    (SCENARIO.replace("fault_rate = 0.03", "fault_rate = -0.03"), "fault_rate"),
    (SCENARIO + "at_coverage = 1.5\n", "unknown key 'at_coverage'"),  # lands in [run]
    (SCENARIO.replace("fault_rate = 0.03", "at_coverage = 1.5"), "at_coverage"),
    (SCENARIO + "[grid]\nn_low = [2]\n", "use 'mdcd-lab sweep'"),
    (SCENARIO + "max_runs = 10\n", "[run] max_runs belongs in a study file"),
    ("[scenario\n", "not valid TOML"),
])
def test_run_bad_input(tmp_path, capsys, text, needle):
    spec = write_file(tmp_path, text)
    out = tmp_path / "r.csv"
    code, stdout, err = run_cli(["run", spec, "--out", out, "--quiet"], capsys)
    assert code == 2 and needle in err and err.startswith("mdcd-lab: error:")
    assert str(spec) in err
    assert not out.exists() and stdout == ""


def test_run_unreadable_file_and_missing_out_dir(tmp_path, capsys):
    code, _, err = run_cli(["run", tmp_path / "nope.toml"], capsys)
    assert code == 2 and "cannot read the file" in err
    spec = write_file(tmp_path, SCENARIO)
    code, _, err = run_cli(["run", spec, "--out", tmp_path / "no" / "r.csv"], capsys)
    assert code == 2 and "does not exist" in err
    assert not (tmp_path / "no").exists()


# --------------------------------------------------------------------------- sweep
@pytest.mark.parametrize("name", ["res.csv", "res.parquet"])
def test_sweep_writes_the_study_with_provenance(tmp_path, capsys, name):
    study = write_file(tmp_path, STUDY, "study.toml")
    out = tmp_path / name
    code, stdout, err = run_cli(["sweep", study, "--out", out, "--quiet"], capsys)
    assert code == 0, err
    assert "wrote" in stdout and "4 point(s)" in stdout and "at_coverage" in stdout
    df = load_results(out)
    pd.testing.assert_frame_equal(df, _expected_sweep(), check_exact=True)
    meta = read_provenance(out)
    assert meta["spec_file"] == str(study) and meta["runs"] == 5 and meta["seed"] == 8
    assert meta["point_seeds"] == [point_seed(8, p) for p in meta["points"]]
    assert meta["grid"] == {"at_coverage": [0.9, 1.0], "n_low": [2, 3]}
    assert err == ""  # --quiet: no progress bars


def test_sweep_store_resume_and_errors(tmp_path, capsys, monkeypatch):
    study = write_file(tmp_path, STUDY, "study.toml")
    store, out = tmp_path / "store", tmp_path / "r.parquet"
    real = pools.run_task
    calls = []

    def interrupted(payload):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(payload)

    monkeypatch.setattr(pools, "run_task", interrupted)
    code, _, err = run_cli(["sweep", study, "--store", store, "--out", out, "--quiet"], capsys)
    assert code == 130 and "--resume" in err and str(store) in err
    assert not out.exists()
    monkeypatch.setattr(pools, "run_task", real)
    code, _, err = run_cli(["sweep", study, "--store", store, "--quiet"], capsys)
    assert code == 2 and "not empty" in err and "--resume" in err
    code, _, err = run_cli(["sweep", study, "--store", store, "--resume", "--out", out, "--quiet"],
                        capsys)
    assert code == 0, err
    pd.testing.assert_frame_equal(load_results(out), _expected_sweep(), check_exact=True)
    changed = write_file(tmp_path, STUDY.replace("seed = 8", "seed = 9"), "changed.toml")
    out2 = tmp_path / "r2.csv"
    code, _, err = run_cli(["sweep", changed, "--store", store, "--resume", "--out", out2], capsys)
    assert code == 2 and "different study" in err and "seed (store: 8, this call: 9)" in err
    assert not out2.exists()
    code, _, err = run_cli(["sweep", study, "--resume", "--quiet"], capsys)
    assert code == 2 and "--resume needs --store" in err


def test_sweep_with_sequential_stopping_prints_why_points_stopped(tmp_path, capsys):
    text = STUDY.replace('engine = "reference"', 'engine = "reference"\n'
                         'target_rel_halfwidth = 0.3\nmax_runs = 15\n'
                         'metrics = ["ckpt_total", "log_entries_peak"]')
    study = write_file(tmp_path, text, "study.toml")
    out = tmp_path / "r.csv"
    code, stdout, err = run_cli(["sweep", study, "--out", out, "--quiet"], capsys)
    assert code == 0, err
    assert "sequential stopping" in stdout and ("converged" in stdout or "max_runs" in stdout)
    st = studies.sweep_status(load_results(out))
    assert len(st) == 4 and set(st["reason"]) <= {"converged", "max_runs"}
    assert read_provenance(out)["stopping"]["max_runs"] == 15


BAD_STUDIES = [
    (STUDY.replace("at_coverage = [0.9, 1.0]", "at_coverge = [0.9, 1.0]"),
     "[grid] has unknown key 'at_coverge' (did you mean 'at_coverage'?)"),
    (STUDY.replace("runs = 5", "rnus = 5"), "[run] has unknown key 'rnus' (did you mean 'runs'?)"),
    (STUDY.replace("[grid]", "[gird]"), "unknown table or key [gird] (did you mean 'grid'?)"),
    (STUDY.replace("runs = 5", "runs = 5.5"), "[run] runs must be an integer"),
    (STUDY.replace("seed = 8", "seed = \"8\""), "[run] seed must be an integer"),
    (STUDY.replace("n_low = [2, 3]", "rate_low_act = [1.0, -2.0]"),
     "Scenario.rate_low_act must be"),
    (STUDY.replace("at_coverage = [0.9, 1.0]", "at_coverage = [0.9, 1.2]"),
     "Scenario.at_coverage must be a number in [0, 1]"),
    (STUDY.replace("at_coverage = [0.9, 1.0]", "at_coverage = []"),
     "[grid] at_coverage is an empty list"),
    (STUDY.replace("at_coverage = [0.9, 1.0]\nn_low = [2, 3]\n", ""), "[grid] is missing or empty"),
    (STUDY.replace("[grid]\nat_coverage = [0.9, 1.0]\nn_low = [2, 3]\n", ""),
     "[grid] is missing or empty"),
    (STUDY.replace("fault_rate = 0.03", "fault_rate = -1.0"), "Scenario.fault_rate must be"),
    (STUDY.replace('"mdcd-paper", "mdcd"', '"mdcd", "mdcd"'), "lists a protocol twice"),
    (STUDY.replace('"mdcd-paper", "mdcd"', '"mdcd", "mdcd-v2"'), "unknown protocol"),
    (STUDY.replace('engine = "reference"', 'engine = "gpu"'), "[run] engine must be one of"),
    (STUDY + "target_rel_halfwidth = 0.1\n", "target_rel_halfwidth needs max_runs"),
    (STUDY + "target_rel_halfwidth = -0.1\nmax_runs = 10\n",
     "[run] target_rel_halfwidth must be a number > 0"),
    (STUDY + "target_rel_halfwidth = 0.1\nmax_runs = 3\n", "[run] max_runs must be >= runs"),
    (STUDY + "target_rel_halfwidth = 0.1\nmax_runs = 30\nmetrics = [\"ckpt_totl\"]\n",
     "unknown metric 'ckpt_totl' (did you mean 'ckpt_total'?)"),
    (STUDY + "target_rel_halfwidth = 0.1\nmax_runs = 30\nmetrics = []\n",
     "[run] metrics is an empty list"),
    (STUDY + "metrics = [\"ckpt_total\"]\n", "[run] metrics is only used with target"),
    (STUDY + "max_runs = 30\n", "[run] max_runs is only used with target"),
    (STUDY + "target_rel_halfwidth = \"tight\"\nmax_runs = 30\n",
     "[run] target_rel_halfwidth must be a number"),
    ("[grid]\nn_low = [2\n", "not valid TOML"),
]


@pytest.mark.parametrize("text,needle", BAD_STUDIES)
def test_sweep_bad_study_files(tmp_path, capsys, monkeypatch, text, needle):
    monkeypatch.setattr(pools, "run_task", lambda payload: pytest.fail("work started"))
    study = write_file(tmp_path, text, "study.toml")
    out, store = tmp_path / "r.csv", tmp_path / "store"
    code, stdout, err = run_cli(["sweep", study, "--out", out, "--store", store], capsys)
    assert code == 2 and needle in err, err
    assert err.startswith("mdcd-lab: error:") and str(study) in err
    assert err.count("\n") == 1  # one message
    assert not out.exists() and not store.exists() and stdout == ""


@pytest.mark.parametrize("argv,needle", [
    (["--out", "{tmp}/missing/r.csv"], "does not exist"),
    (["--out", "{tmp}/r.txt"], "must end in .csv, .parquet or .pq"),
    (["--out", "{tmp}"], "must end in"),
    (["--store", "{tmp}/study.toml"], "exists and is not a directory"),
    (["--workers", "0"], "--workers must be >= 1"),
    (["--workers", "2", "--scheduler", "tcp://localhost:1"], "exclude each other"),
])
def test_sweep_bad_options(tmp_path, capsys, monkeypatch, argv, needle):
    monkeypatch.setattr(pools, "run_task", lambda payload: pytest.fail("work started"))
    study = write_file(tmp_path, STUDY, "study.toml")
    argv = [a.format(tmp=tmp_path) for a in argv]
    code, _, err = run_cli(["sweep", study, *argv, "--quiet"], capsys)
    assert code == 2 and needle in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.toml"]


@pytest.mark.subprocess
def test_sweep_on_a_local_dask_cluster(tmp_path, capsys):
    pytest.importorskip("distributed")
    study = write_file(tmp_path, STUDY, "study.toml")
    out = tmp_path / "r.parquet"
    code, _, err = run_cli(["sweep", study, "--out", out, "--workers", "2", "--quiet"], capsys)
    assert code == 0, err
    pd.testing.assert_frame_equal(load_results(out), _expected_sweep(), check_exact=True)


# --------------------------------------------------------------------------- summarize
def test_summarize_results(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    res = tmp_path / "r.csv"
    assert run_cli(["run", spec, "--out", res, "--quiet"], capsys)[0] == 0
    code, stdout, _ = run_cli(["summarize", res], capsys)
    assert code == 0 and "ckpt_total" in stdout and "mdcd-paper" in stdout
    out = tmp_path / "s.csv"
    code, stdout, _ = run_cli(["summarize", res, "--metrics", "ckpt_total,p_failed", "--level",
                            "0.9", "--out", out], capsys)
    assert code == 0
    s = load_results(out)
    assert set(s["metric"]) == {"ckpt_total", "p_failed"} and len(s) == 4
    assert read_provenance(out)["level"] == 0.9
    code, _, err = run_cli(["summarize", tmp_path / "none.csv"], capsys)
    assert code == 2 and "no such file" in err
    code, _, err = run_cli(["summarize", res, "--metrics", "bogus"], capsys)
    assert code == 2 and "unknown metric 'bogus'" in err


def test_summarize_a_sweep_by_point(tmp_path, capsys):
    study = write_file(tmp_path, STUDY, "study.toml")
    res = tmp_path / "r.parquet"
    assert run_cli(["sweep", study, "--out", res, "--quiet"], capsys)[0] == 0
    code, stdout, _ = run_cli(["summarize", res, "--by", "point,protocol", "--metrics",
                            "ckpt_total"], capsys)
    assert code == 0
    lines = [ln for ln in stdout.splitlines() if "ckpt_total" in ln]
    assert len(lines) == 8


def test_summarize_a_sweep_does_not_pool_its_points(tmp_path, capsys):
    """Issue 24 item 5: without --by, one group per grid point and protocol, said on stderr;
    a --by that would pool grid points is refused in one line."""
    res = tmp_path / "r.csv"
    to_csv(_expected_sweep(), res)
    code, stdout, err = run_cli(["summarize", res, "--metrics", "ckpt_total"], capsys)
    assert code == 0
    assert err == (f"{res}: 4 scenarios (a sweep): one group per value of n_low, at_coverage, "
                   f"protocol (--by chooses)\n")
    lines = [ln.split() for ln in stdout.splitlines() if "ckpt_total" in ln]
    assert len(lines) == 8                    # 4 points x 2 protocols, not 2 pooled rows
    assert {(ln[0], ln[1]) for ln in lines} == {(n, c) for n in ("2", "3")
                                                for c in ("0.9", "1")}
    code, stdout, err = run_cli(["summarize", res, "--by", "protocol"], capsys)
    assert code == 2 and stdout == ""
    assert err == (f"mdcd-lab: error: --by protocol: the scenario field 'n_low' varies within "
                   f"a group (4 scenarios in {res}); add n_low, at_coverage to --by, or leave "
                   f"--by out to group by the varying fields\n")


# --------------------------------------------------------------------------- trace, demo
def test_trace_writes_trace_and_events(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    outdir = tmp_path / "tr"
    code, stdout, _ = run_cli(["trace", spec, "--run", "2", "--out", outdir], capsys)
    assert code == 0 and "outcome" in stdout
    trace = load_results(outdir / "trace.csv")
    assert (trace["run"] == 2).all() and len(load_results(outdir / "events.csv")) > 0
    code, _, err = run_cli(["trace", spec, "--run", "-1", "--out", tmp_path / "t2"], capsys)
    assert code == 2 and "--run must be >= 0" in err and not (tmp_path / "t2").exists()


def test_demo_with_a_small_spec(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    outdir = tmp_path / "demo"
    code, stdout, err = run_cli(["demo", "--spec", spec, "--out", outdir, "--quiet",
                                 "--figure-runs", "0"], capsys)
    assert code == 0 and "mdcd_lab demo: 6 runs x 2 protocols" in stdout
    # it says what it does, then how long it took (issue 24)
    lines = err.splitlines()
    assert lines[0] == (f"mdcd-lab demo: part 1 of 1: 6 runs of each of 2 protocols of "
                        f"{Path(spec).name}, summary in {outdir}")
    assert re.fullmatch(r"mdcd-lab demo: part 1 took [0-9]+\.[0-9] s", lines[-1])
    assert len(load_results(outdir / "results.csv")) == 12
    s = load_results(outdir / "summary.csv")
    assert {"p_failed", "ckpt_total"} <= set(s["metric"])


def test_demo_default_spec_is_the_repository_file():
    # make demo runs `mdcd-lab demo` with its default --spec: data/demo.toml of the
    # checkout (the package moved into cli/ once and the default pointed nowhere)
    from mdcd_lab.cli.main import DEMO_SPEC, build_parser
    args = build_parser().parse_args(["demo"])
    assert Path(args.spec) == DEMO_SPEC == ROOT / "data" / "demo.toml"
    assert DEMO_SPEC.is_file()


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("run", "sweep", "summarize", "trace", "demo", "figures"):
        assert cmd in out


# --------------------------------------------------------------------------- subprocess
def _module(args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "mdcd_lab.cli", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=HANG_GUARD_S)


@pytest.mark.subprocess
def test_subprocess_sweep_success_and_failure(tmp_path):
    study = write_file(tmp_path, STUDY, "study.toml")
    out = tmp_path / "r.csv"
    proc = _module(["sweep", study, "--out", out], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "sweep runs" in proc.stderr  # progress bars go to stderr
    assert "wrote" in proc.stdout
    pd.testing.assert_frame_equal(load_results(out), _expected_sweep(), check_exact=True)
    assert json.loads(Path(f"{out}.meta.json").read_text())["engine"] == "reference"

    bad = write_file(tmp_path, STUDY.replace("n_low = [2, 3]", "n_low = [2, 0]"), "bad.toml")
    out2 = tmp_path / "bad.csv"
    proc = _module(["sweep", bad, "--out", out2], tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Scenario.n_low must be an integer in [1, 64]" in proc.stderr
    assert proc.stderr.count("\n") == 1 and not out2.exists()


@pytest.mark.parametrize("path", sorted((ROOT / "data").glob("study_*.toml")),
                         ids=lambda p: p.name)
def test_example_study_files_are_valid(path):
    from mdcd_lab.cli.specs import load_spec
    spec = load_spec(path, allow_grid=True)
    assert spec.grid and spec.protocols == ("mdcd", "mdcd-paper")
    assert spec.runs >= 100
    if path.name == "study_coverage.toml":      # the README's example: not pinned (issue 24)
        assert list(spec.grid) == ["at_coverage", "horizon"] and spec.engine == "auto"
    else:
        assert spec.engine == "reference"
        assert {"target_rel_halfwidth", "max_runs", "metrics"} <= set(spec.extra)


def test_example_study_files_exist():
    names = {p.name for p in (ROOT / "data").glob("study_*.toml")}
    assert {"study_coverage.toml", "study_stopping.toml"} <= names
