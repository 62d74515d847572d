"""Issue 24 item 11: ``mdcd-lab plot-sweep``, ``trace --plot``, ``replay``, the git commit
in sidecars and the duration study's loader (``mdcd_lab.load_duration``)."""

import io
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from helpers import SCENARIO, assert_same, run_cli, write_file

import mdcd_lab as m
from mdcd_lab.io import load_results, read_provenance, to_csv
from mdcd_lab.io import provenance as prov_mod

ROOT = Path(__file__).resolve().parent.parent


SWEEP_BASE = m.Scenario(n_act=3, horizon=20.0, fault_rate=0.03)
SWEEP_GRID = {"at_coverage": [0.9, 1.0], "n_low": [2, 3]}


@pytest.fixture(scope="module")
def sweep_csv(tmp_path_factory):
    df = m.sweep(SWEEP_BASE, SWEEP_GRID, 5, 8, protocols=["mdcd-paper", "mdcd"],
                 engine="reference", progress=False)
    path = tmp_path_factory.mktemp("sweep") / "coverage.csv"
    to_csv(df, path, provenance={"grid": SWEEP_GRID})
    return path


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# --------------------------------------------------------------------------- plot-sweep
def test_plot_sweep_draws_what_plot_sweep_draws_of_the_selected_rows(sweep_csv, tmp_path,
                                                                    capsys):
    out = tmp_path / "cov.png"
    code, stdout, err = run_cli(["plot-sweep", sweep_csv, "--metric", "ckpt_total", "--x",
                                 "at_coverage", "--where", "n_low=2", "--out", out], capsys)
    assert code == 0 and err == ""
    assert stdout == f"wrote {out}: ckpt_total against at_coverage by protocol (20 runs)\n"
    df = load_results(sweep_csv)
    fig = m.plots.plot_sweep(df[df["n_low"] == 2], "at_coverage", "ckpt_total")
    assert out.read_bytes() == _png(fig)
    # 300 dpi: a single-column figure (3.5 in) is 1050 pixels wide
    assert int.from_bytes(out.read_bytes()[16:20], "big") == 1050
    # refuses to overwrite without --force, then overwrites with it
    code, _, err = run_cli(["plot-sweep", sweep_csv, "--metric", "p_failed", "--x", "n_low",
                            "--where", "at_coverage=1.0", "--out", out], capsys)
    assert code == 2 and err == f"mdcd-lab: error: --out {out}: exists; pass --force to " \
                                f"overwrite it\n"
    code, _, _ = run_cli(["plot-sweep", sweep_csv, "--metric", "p_failed", "--x", "n_low",
                          "--where", "at_coverage=1.0", "--out", out, "--force"], capsys)
    sel = df[df["at_coverage"] == 1.0]
    assert code == 0 and out.read_bytes() == _png(m.plots.plot_sweep(sel, "n_low", "p_failed"))


@pytest.mark.parametrize("argv,needle", [
    (["--metric", "ckpt_total"], "--x is needed: the file's varying scenario fields are "
                                 "n_low, at_coverage"),
    (["--metric", "ckpt_total", "--x", "at_coverage"],
     "--x at_coverage: the scenario field 'n_low' varies too (values 2, 3)"),
    (["--metric", "ckpt", "--x", "n_low", "--where", "at_coverage=1"],
     "--metric 'ckpt': not a column of"),
    (["--metric", "p_failed", "--x", "n_low", "--where", "at_coverage=0.5"],
     "no row has at_coverage = 0.5 (values: 0.9, 1.0)"),
    (["--metric", "p_failed", "--x", "n_low", "--where", "at_coverage"], "use FIELD=VALUE"),
    (["--metric", "p_failed", "--x", "nlow"], "--x 'nlow': the file has no such column"),
    (["--metric", "p_failed", "--x", "n_low", "--where", "at_coverage=1", "--level", "95"],
     "--level must lie in (0, 1)"),
])
def test_plot_sweep_bad_input_is_one_line_and_writes_nothing(sweep_csv, tmp_path, capsys,
                                                             argv, needle):
    out = tmp_path / "x.png"
    code, stdout, err = run_cli(["plot-sweep", sweep_csv, *argv, "--out", out], capsys)
    assert code == 2 and stdout == "" and needle in err
    assert err.count("\n") == 1 and err.startswith("mdcd-lab: error: ")
    assert list(tmp_path.iterdir()) == []


def test_plot_sweep_bad_paths(sweep_csv, tmp_path, capsys):
    code, _, err = run_cli(["plot-sweep", sweep_csv, "--metric", "p_failed", "--out",
                            tmp_path / "x.jpg"], capsys)
    assert code == 2 and "must end in .png, .pdf, .svg" in err
    code, _, err = run_cli(["plot-sweep", tmp_path / "none.csv", "--metric", "p_failed",
                            "--out", tmp_path / "x.png"], capsys)
    assert code == 2 and err == f"mdcd-lab: error: {tmp_path / 'none.csv'}: no such file\n"
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- trace --plot
def test_trace_plot_writes_the_space_time_diagram(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    outdir = tmp_path / "tr"
    code, stdout, _ = run_cli(["trace", spec, "--run", "2", "--out", outdir, "--plot"], capsys)
    assert code == 0 and f"and {outdir / 'trace.png'}; outcome" in stdout
    trace, events = load_results(outdir / "trace.csv"), load_results(outdir / "events.csv")
    sc = m.Scenario(n_low=2, n_act=3, horizon=20.0, fault_rate=0.03)
    fig = m.plots.plot_spacetime(trace, events, sc, run=2)
    assert (outdir / "trace.png").read_bytes() == _png(fig)
    # the figure is an output like the others: not overwritten without --force
    (outdir / "trace.csv").unlink()
    (outdir / "events.csv").unlink()
    code, _, err = run_cli(["trace", spec, "--run", "2", "--out", outdir, "--plot"], capsys)
    assert code == 2 and "trace.png: exists; pass --force" in err
    assert not (outdir / "trace.csv").exists()
    # without --plot no figure is drawn (and an old one does not block)
    code, stdout, _ = run_cli(["trace", spec, "--run", "2", "--out", outdir], capsys)
    assert code == 0 and "png" not in stdout


# --------------------------------------------------------------------------- replay
def test_replay_of_a_trace_file_gives_the_runs_of_simulate(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    outdir = tmp_path / "tr"
    assert run_cli(["trace", spec, "--run", "2", "--out", outdir], capsys)[0] == 0
    out = tmp_path / "replayed.csv"
    # scenario and protocol from the trace's sidecar, here overridden by --protocol
    code, stdout, _ = run_cli(["replay", outdir / "trace.csv", "--protocol",
                               "mdcd,mdcd-paper", "--engine", "reference", "--out", out],
                              capsys)
    assert code == 0 and stdout.startswith(f"wrote {out} (2 rows: 1 run(s) x 2 protocol(s))")
    got = load_results(out)
    sc = m.Scenario(n_low=2, n_act=3, horizon=20.0, fault_rate=0.03)
    for k, proto in enumerate(["mdcd", "mdcd-paper"]):
        want = m.simulate(sc, 3, 4, protocol=proto, engine="reference").iloc[[2]]
        row = got.iloc[[k]]
        assert str(row["protocol"].iloc[0]) == proto
        cols = [c for c in want.columns if c not in ("protocol", "seed")]
        assert_same(row[cols], want[cols], ignore_index=True)
    meta = read_provenance(out)
    assert meta["replayed"] == str(outdir / "trace.csv")
    assert meta["scenario_from"] == f"{outdir / 'trace.csv'}.meta.json"
    assert meta["engine_per_protocol"] == {"mdcd": "reference", "mdcd-paper": "reference"}
    # default protocol: the one the sidecar records (mdcd, the file's first)
    out2 = tmp_path / "one.parquet"
    assert run_cli(["replay", outdir / "trace.csv", "--engine", "reference", "--out", out2,
                    "--spec", spec], capsys)[0] == 0
    one = load_results(out2)
    assert list(one["protocol"].astype(str)) == ["mdcd"]
    assert read_provenance(out2)["scenario_from"] == str(spec)
    assert_same(one.drop(columns="protocol"), got.iloc[[0]].drop(columns="protocol"),
                ignore_index=True)


def test_replay_refuses_a_bad_trace_in_one_line_naming_column_and_row(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    good = pd.DataFrame({"run": [0, 0], "t": [1.0, 0.5], "kind": ["send", "send"],
                         "src": ["low0", "act0"], "dst": ["act1", "low1"],
                         "t_deliver": [1.5, 0.7]})
    bad = tmp_path / "hand.csv"
    good.to_csv(bad, index=False)        # a hand-written trace: no sidecar
    out = tmp_path / "r.csv"
    code, stdout, err = run_cli(["replay", bad, "--spec", spec, "--protocol", "mdcd",
                                 "--out", out], capsys)
    assert code == 2 and stdout == "" and err.count("\n") == 1
    assert "run 0: times are not sorted (row 1 at t=0.5" in err
    good.assign(u_att=0.5).to_csv(bad, index=False)      # a misspelt column
    code, _, err = run_cli(["replay", bad, "--spec", spec, "--protocol", "mdcd",
                            "--out", out], capsys)
    assert code == 2 and "did you mean 'u_at'?" in err and err.count("\n") == 1
    code, _, err = run_cli(["replay", bad, "--protocol", "mdcd", "--out", out], capsys)
    assert code == 2 and "records no scenario; pass --spec" in err
    good.loc[1, "t"] = 1.2
    good.to_csv(bad, index=False)
    code, _, err = run_cli(["replay", bad, "--spec", spec, "--out", out], capsys)
    assert code == 2 and "names no protocol; pass --protocol" in err
    code, _, err = run_cli(["replay", bad, "--spec", spec, "--protocol", "mdcd,mdcdx",
                            "--out", out], capsys)
    assert code == 2 and "mdcdx" in err
    assert not out.exists()
    # a trace file edited after `trace` wrote it: its sidecar no longer matches
    outdir = tmp_path / "tr"
    assert run_cli(["trace", spec, "--run", "0", "--out", outdir], capsys)[0] == 0
    with open(outdir / "trace.csv", "a") as f:
        f.write("0,19.9,output,low0,,,,,\n")
    code, _, err = run_cli(["replay", outdir / "trace.csv", "--out", out], capsys)
    assert code == 2 and "does not match its sidecar" in err and not out.exists()


# --------------------------------------------------------------------------- git commit
def test_sidecars_record_the_git_commit_of_the_package(tmp_path):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True)
    if head.returncode != 0:
        pytest.skip("the package does not run from a git checkout here")
    to_csv(pd.DataFrame({"a": [1]}), tmp_path / "a.csv")
    git = read_provenance(tmp_path / "a.csv")["git"]
    assert git["commit"] == head.stdout.strip() and isinstance(git["dirty"], bool)


def test_git_is_found_once_and_never_fails_a_write(tmp_path, monkeypatch):
    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise OSError("no git here")
    monkeypatch.setattr(prov_mod, "_GIT", [])
    monkeypatch.setattr(prov_mod.subprocess, "run", broken)
    for name in ("a.csv", "b.csv"):
        to_csv(pd.DataFrame({"a": [1]}), tmp_path / name)
        assert read_provenance(tmp_path / name)["git"] is None
    assert len(calls) == 1                      # cached after the first write
    # a directory outside any checkout has no commit
    monkeypatch.undo()
    assert prov_mod._find_git(tmp_path) is None


# --------------------------------------------------------------------------- load_duration
def test_load_duration_rebuilds_the_study_the_command_ran(tmp_path, capsys):
    from mdcd_lab.performability import duration_study, load_duration
    from mdcd_lab.performability.duration import REALISTIC_BASE
    out = tmp_path / "d"
    code = m.cli.main(["duration", "--mission", "100", "--phis", "0,50,100", "--runs", "30",
                       "--seed", "5", "--cost", "shadow_rate=0.1", "--engine", "numba",
                       "--out", str(out), "--quiet"])
    assert code == 0
    capsys.readouterr()
    loaded = load_duration(out)
    ran = duration_study(REALISTIC_BASE, [0, 50, 100], 100.0, 30, 5, protocols=("mdcd",),
                         costs=m.Costs(shadow_rate=0.1), engine="numba")
    for attr in ("runs", "table", "optimum", "fresh"):
        assert_same(getattr(loaded, attr), getattr(ran, attr))
    assert (loaded.costs, loaded.mission, loaded.seed, loaded.level, loaded.n_boot) == \
        (ran.costs, ran.mission, ran.seed, ran.level, ran.n_boot)
    other = m.Costs(shadow_rate=0.3, delta=0.2)
    assert_same(loaded.with_costs(other).table, ran.with_costs(other).table)
    assert m.load_duration is load_duration


def test_save_and_load_duration_round_trip_and_refuse_mixed_folders(tmp_path):
    from mdcd_lab.performability import duration_study, load_duration, save_duration
    sc = m.Scenario(n_low=1, n_act=2, fault_rate=0.05)
    st = duration_study(sc, [0, 20, 40], 40.0, 12, 3, costs=m.Costs(delta=0.25),
                        engine="reference", n_boot=200, level=0.9)
    written = save_duration(st, tmp_path / "a", provenance={"note": "x"})
    assert sorted(p.name for p in written.values()) == \
        ["duration.csv", "fresh.parquet", "optimum.csv", "runs.parquet"]
    back = load_duration(tmp_path / "a")
    for attr in ("runs", "table", "optimum", "fresh"):
        assert_same(getattr(back, attr), getattr(st, attr))
    assert (back.level, back.n_boot, back.costs) == (0.9, 200, m.Costs(delta=0.25))
    # a file of another study in the folder is refused, naming what differs
    other = duration_study(sc, [0, 20, 40], 40.0, 12, 4, engine="reference", n_boot=200)
    save_duration(other, tmp_path / "b")
    (tmp_path / "b" / "optimum.csv").replace(tmp_path / "a" / "optimum.csv")
    (tmp_path / "b" / "optimum.csv.meta.json").replace(tmp_path / "a" / "optimum.csv.meta.json")
    with pytest.raises(ValueError, match="come from different studies .*seed"):
        load_duration(tmp_path / "a")
    with pytest.raises(FileNotFoundError, match="holds no optimum.csv"):
        load_duration(tmp_path / "b")


# --------------------------------------------------------------------------- explore's total
def test_explore_progress_has_a_total_that_ends_exact(capsys):
    import re

    from mdcd_lab.exploration import Scope
    scope = Scope(n_low=1, n_act=2, max_actions=3, max_delay=0, compensation=(False, True),
                  name="tiny")
    df = m.explore(scope, protocols=("mdcd",), engine="reference", progress=True)
    err = capsys.readouterr().err
    total = int(df["traces"].sum())
    # a total from the start (estimated), "part k of 2", and at the end the exact count
    first = re.search(r"explore tiny \(part 1 of 2; total estimated\):.*?\| 0/([0-9]+) ", err)
    assert first is not None and int(first.group(1)) > 0
    assert "part 2 of 2" in err
    assert re.findall(r"\| ([0-9]+)/([0-9]+) ", err)[-1] == (str(total), str(total))


def test_estimate_traces_is_close_to_the_walk_and_leaves_the_walk_unchanged():
    from mdcd_lab.exploration.estimate import estimate_traces
    from mdcd_lab.exploration.scopes import SCOPES
    from mdcd_lab.exploration.walk import walk
    n = [0]
    walk(SCOPES["ci"], "cluster", False, lambda rows, ended: n.__setitem__(0, n[0] + 1),
         executed=True)
    assert n[0] == 35953                      # docs/explore.md's count of the ci scope
    est = estimate_traces(SCOPES["ci"], "cluster", False, executed=True)
    assert 0.5 * n[0] < est < 2 * n[0]
    assert est == estimate_traces(SCOPES["ci"], "cluster", False, executed=True)
