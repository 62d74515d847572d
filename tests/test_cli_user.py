"""The command line as a user meets it: Ctrl-C, pipes, default files, overrides, help, compiling.

Signals and pipes are real: the command runs in a subprocess.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import HANG_GUARD_S, run_cli, write_file

from mdcd_lab import cli
from mdcd_lab.cli.specs import load_spec
from mdcd_lab.io import load_results, read_provenance, to_csv
from mdcd_lab.studies import batch, pools
from mdcd_lab.studies.batch import run_spec

ROOT = Path(__file__).resolve().parent.parent

SCENARIO = """
[scenario]
n_act = 1
horizon = 20.0
fault_rate = 0.03

[run]
runs = 6
seed = 4
protocols = ["mdcd", "mdcd-paper"]
engine = "reference"
"""

STUDY = """
[scenario]
horizon = 20.0
fault_rate = 0.03

[grid]
n_act = [1, 2]

[run]
runs = 4
seed = 8
protocols = ["mdcd"]
engine = "reference"
"""


def _popen(args, cwd, **env):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS="1", **env)
    # a shell's background job (`cmd &`) inherits SIGINT ignored, and Python then installs no
    # KeyboardInterrupt handler: give the child the default disposition, as a terminal does
    return subprocess.Popen([sys.executable, "-m", "mdcd_lab.cli", *map(str, args)], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _read_until(proc, pattern: re.Pattern, timeout: float = HANG_GUARD_S) -> bytes:
    """Read the child's stderr until ``pattern`` matches (fail on exit or timeout)."""
    buf, t0 = b"", time.monotonic()
    while not pattern.search(buf):
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk or time.monotonic() - t0 > timeout:
            proc.kill()
            pytest.fail(f"the command ended or stalled before {pattern.pattern!r}: {buf!r}")
        buf += chunk
    return buf


def _messages(stderr: str) -> list[str]:
    """The lines the CLI itself printed (progress bars aside)."""
    return [ln for ln in stderr.replace("\r", "\n").splitlines() if ln.startswith("mdcd-lab")]


# --------------------------------------------------------------------------- Ctrl-C on run
RUNS = 1200


@pytest.mark.subprocess
def test_sigint_keeps_finished_runs_and_resume_finishes_them(tmp_path):
    spec = write_file(tmp_path, SCENARIO)
    out = tmp_path / "r.csv"
    proc = _popen(["run", spec, "--runs", str(RUNS), "--out", out], tmp_path)
    # the progress bar counts finished chunks of 100 runs: wait for the second one; the
    # run is long enough (2 x RUNS reference runs) that a loaded machine cannot finish it
    # between this read and the signal
    head = _read_until(proc, re.compile(rb"\b(2|3|4|5|6|7)00/%d\b" % (2 * RUNS)))
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=HANG_GUARD_S)
    stderr = (head + rest).decode()
    assert proc.returncode == 130, stderr
    msgs = _messages(stderr)
    assert len(msgs) == 1, stderr
    m = re.fullmatch(rf"mdcd-lab: interrupted; kept (\d+) of {2 * RUNS} runs \(mdcd (\d+)/{RUNS}, "
                     rf"mdcd-paper (\d+)/{RUNS}\) in (\S+); to finish them: (.*)", msgs[0])
    assert m, msgs[0]
    kept = int(m[1])
    assert kept >= 200 and kept % 100 == 0 and int(m[2]) + int(m[3]) == kept
    assert m[4] == str(out)
    again = f"mdcd-lab run {spec} --out {out} --runs {RUNS} --resume"
    assert m[5] == again and stdout == b""
    # the finished runs are in the file, with provenance saying they are partial
    part = load_results(out)
    assert len(part) == kept
    prov = read_provenance(out)
    assert prov["partial"] == {"runs_done": {"mdcd": int(m[2]), "mdcd-paper": int(m[3])},
                               "runs": RUNS, "continue": again}
    # the uninterrupted table, on the numba engine (bit-identical to the reference, faster)
    full = run_spec(load_spec(spec).with_overrides(runs=RUNS, engine="numba"), progress=False)
    names = full["protocol"].astype(str)
    expect = pd.concat([full[names == "mdcd"].head(int(m[2])),
                        full[names == "mdcd-paper"].head(int(m[3]))], ignore_index=True)
    pd.testing.assert_frame_equal(part, expect, check_exact=True)
    # the command it printed finishes the job: the same table as an uninterrupted run
    fin = subprocess.run([sys.executable, "-m", "mdcd_lab.cli", *again.split()[1:], "--quiet"],
                         cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert fin.returncode == 0, fin.stderr
    pd.testing.assert_frame_equal(load_results(out), full, check_exact=True)
    assert "partial" not in read_provenance(out)
    to_csv(full, tmp_path / "uninterrupted.csv")
    assert out.read_bytes() == (tmp_path / "uninterrupted.csv").read_bytes()


@pytest.mark.subprocess
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_or_terminated_run_keeps_its_finished_chunks(tmp_path, sig):
    """Issue 23, item 5: SIGKILL and SIGTERM kept nothing.  Each finished chunk is on disk
    (``.r.csv.parts/``) as it finishes; ``--resume`` finishes the job, and the table is
    the uninterrupted one, byte for byte."""
    spec = write_file(tmp_path, SCENARIO)
    out = tmp_path / "r.csv"
    parts = tmp_path / ".r.csv.parts"
    proc = _popen(["run", spec, "--runs", str(RUNS), "--out", out], tmp_path)
    _read_until(proc, re.compile(rb"\b(2|3|4|5|6|7)00/%d\b" % (2 * RUNS)))
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=HANG_GUARD_S)
    assert proc.returncode == (-9 if sig == signal.SIGKILL else 143), stderr
    kept = sorted(p.name for p in parts.glob("*.parquet"))
    assert len(kept) >= 2, kept                  # chunks of 100 runs
    if sig == signal.SIGTERM:                    # like Ctrl-C: one line, the partial file
        msgs = _messages(stderr.decode())
        assert len(msgs) == 1 and msgs[0].startswith("mdcd-lab: interrupted; kept"), msgs
    else:
        assert not out.exists()
    # without --resume the parts are not silently dropped
    again = [sys.executable, "-m", "mdcd_lab.cli", "run", str(spec), "--runs", str(RUNS),
             "--out", str(out), "--quiet"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    refused = subprocess.run(again, cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=HANG_GUARD_S)
    assert refused.returncode == 2 and refused.stderr == (
        f"mdcd-lab: error: --out {out}: an interrupted run left its finished runs in "
        f"{parts}; add --resume to finish them, or delete that folder to start over\n")
    fin = subprocess.run([*again, "--resume"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=HANG_GUARD_S)
    assert fin.returncode == 0, fin.stderr
    assert not parts.exists()
    full = run_spec(load_spec(spec).with_overrides(runs=RUNS, engine="numba"), progress=False)
    to_csv(full, tmp_path / "uninterrupted.csv")
    assert out.read_bytes() == (tmp_path / "uninterrupted.csv").read_bytes()


def test_a_part_of_another_run_is_refused(tmp_path, capsys):
    """A part left by a run of another scenario, or edited, is not mixed in."""
    import shutil
    spec = write_file(tmp_path, SCENARIO)
    other = write_file(tmp_path, SCENARIO.replace("fault_rate = 0.03", "fault_rate = 0.04"),
                       "other.toml")
    out, parts = tmp_path / "r.csv", tmp_path / ".r.csv.parts"
    from mdcd_lab.studies.parts import RunParts
    for s, name in ((spec, "mine"), (other, "theirs")):
        sp = load_spec(s).with_overrides(runs=4, engine="numba")
        RunParts(tmp_path / f"{name}.csv", sp).write(
            "mdcd", 0, run_spec(sp, progress=False).query("protocol == 'mdcd'")
            .reset_index(drop=True))
    shutil.copytree(tmp_path / ".theirs.csv.parts", parts)
    code, _, err = run_cli(["run", spec, "--out", out, "--runs", "4", "--resume"], capsys)
    assert code == 2 and "not a part of this run (another scenario, seed, protocol or " \
                         "runs)" in err and err.count("\n") == 1


@pytest.mark.subprocess
@pytest.mark.parametrize("delay", [0.0, 0.3, 1.0, 3.0])
def test_sigint_while_the_kernels_compile(tmp_path, delay):
    """A cold numba cache: the notice comes first (even with --quiet); Ctrl-C ``delay``
    seconds later (the compile helper starting, numba compiling and emitting code, the
    two processes compiling) then keeps none, exits 130 with one line, and leaves no
    helper's claims (fast/_interrupt.py: never a swallowed interrupt, exit 0 or 1, or a
    crash)."""
    spec = write_file(tmp_path, SCENARIO)
    out = tmp_path / "r.csv"
    (tmp_path / "tmp").mkdir()
    proc = _popen(["run", spec, "--engine", "numba", "--out", out, "--quiet"], tmp_path,
                  NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"), TMPDIR=str(tmp_path / "tmp"))
    head = _read_until(proc, re.compile(rb"compiling the numba engine's.*\n"))
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=HANG_GUARD_S)
    stderr = (head + rest).decode()
    assert proc.returncode == 130, stderr
    from mdcd_lab.fast._cache import notice
    assert _messages(stderr) == [
        notice("simulate", "mdcd-lab"),
        "mdcd-lab: interrupted before a chunk of runs finished; nothing new was written"]
    assert not out.exists() and stdout == b""
    assert list((tmp_path / "tmp").iterdir()) == []   # the helper's claims are gone


def test_compile_notice_only_when_the_cache_is_cold(tmp_path, capsys, monkeypatch):
    from mdcd_lab.fast import _cache
    spec = write_file(tmp_path, SCENARIO)
    for cached in (True, False):
        monkeypatch.setattr(_cache, "kernel_cached", lambda what, c=cached: c)
        code, _, err = run_cli(["run", spec, "--out", tmp_path / "r.csv", "--engine", "numba",
                             "--quiet", "--force"], capsys)
        assert code == 0
        assert (cli.COMPILING in err) is (not cached)
    # never for the reference engine
    _, _, err = run_cli(["run", spec, "--out", tmp_path / "r.csv", "--quiet"], capsys)
    assert cli.COMPILING not in err


def test_kernels_cached_after_a_numba_run():
    import mdcd_lab as m
    from mdcd_lab.fast._cache import kernels_cached
    m.simulate(m.Scenario(horizon=5.0), 2, 1, engine="numba")
    assert kernels_cached()


# --------------------------------------------------------------------------- pipes
@pytest.mark.subprocess
def test_summarize_into_a_closed_pipe_ends_quietly(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    res = tmp_path / "r.csv"
    assert run_cli(["run", spec, "--out", res, "--quiet"], capsys)[0] == 0
    proc = _popen(["summarize", res], tmp_path)
    proc.stdout.close()          # the reader is gone before anything is written (| head)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=HANG_GUARD_S) == 141
    assert err == ""


@pytest.mark.subprocess
def test_summarize_piped_into_head(tmp_path, capsys):
    study = write_file(tmp_path, STUDY.replace("n_act = [1, 2]", "n_act = [1, 2, 3, 4, 5, 6]"),
                  "study.toml")
    res = tmp_path / "r.csv"
    assert run_cli(["sweep", study, "--out", res, "--quiet"], capsys)[0] == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(["bash", "-c", f"'{sys.executable}' -m mdcd_lab.cli summarize "
                           f"'{res}' --by point | head -n 3"],
                          env=env, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 0 and proc.stderr == ""
    assert len(proc.stdout.splitlines()) == 3


# --------------------------------------------------------------------------- default --out
def test_run_without_out_writes_a_defaultwrite_file(tmp_path, capsys, monkeypatch):
    spec = write_file(tmp_path, SCENARIO, "small.toml")
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli(["run", spec, "--quiet"], capsys)
    assert code == 0 and err == ""
    lines = [ln for ln in stdout.splitlines() if "small-results.csv" in ln]
    assert lines == ["wrote small-results.csv (12 rows) and small-results.csv.meta.json "
                     "(no --out given: the default file)"]
    assert len(load_results(tmp_path / "small-results.csv")) == 12


# --------------------------------------------------------------------------- overrides
def test_run_overrides(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    out = tmp_path / "r.csv"
    code, _, err = run_cli(["run", spec, "--out", out, "--quiet", "--runs", "3", "--seed", "9",
                         "--protocol", "mdcd-paper", "--engine", "numba"], capsys)
    assert code == 0, err
    df = load_results(out)
    assert len(df) == 3 and set(df["protocol"]) == {"mdcd-paper"} and (df["seed"] == 9).all()
    prov = read_provenance(out)
    assert (prov["runs"], prov["seed"], prov["protocols"], prov["engine"]) == \
        (3, 9, ["mdcd-paper"], "numba")


def test_sweep_overrides(tmp_path, capsys):
    study = write_file(tmp_path, STUDY, "study.toml")
    out = tmp_path / "r.csv"
    code, stdout, err = run_cli(["sweep", study, "--out", out, "--quiet", "--runs", "2",
                              "--seed", "3", "--protocol", "mdcd,mdcd-paper"], capsys)
    assert code == 0, err
    df = load_results(out)
    assert len(df) == 2 * 2 * 2 and list(df["protocol"].cat.categories) == ["mdcd",
                                                                             "mdcd-paper"]
    assert read_provenance(out)["seed"] == 3


@pytest.mark.parametrize("argv,needle", [
    (["--runs", "0"], "--runs must be >= 1, got 0"),
    (["--seed", "-1"], "--seed must be >= 0"),
    (["--engine", "gpu"], "--engine must be one of ('auto', 'reference', 'numba'), got 'gpu'"),
    (["--protocol", "mdcd,mdcd-v2"], "--protocol has unknown protocol 'mdcd-v2'"),
    (["--protocol", "mdcd,mdcd"], "--protocol lists a protocol twice"),
    (["--protocol", ","], "--protocol is an empty list"),
])
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_bad_overrides_name_the_option(tmp_path, capsys, monkeypatch, command, argv, needle):
    monkeypatch.setattr(pools, "run_task", lambda payload: pytest.fail("work started"))
    monkeypatch.setattr(batch, "run_spec", lambda *a, **k: pytest.fail("work started"))
    spec = write_file(tmp_path, SCENARIO if command == "run" else STUDY)
    out = tmp_path / "r.csv"
    code, stdout, err = run_cli([command, spec, "--out", out, *argv], capsys)
    assert code == 2 and err.startswith(f"mdcd-lab: error: {needle}"), err
    assert err.count("\n") == 1 and stdout == ""
    assert not out.exists()


def test_resume_refuses_a_file_of_another_command(tmp_path, capsys):
    spec = write_file(tmp_path, SCENARIO)
    out = tmp_path / "r.csv"
    assert run_cli(["run", spec, "--out", out, "--quiet"], capsys)[0] == 0
    before = out.read_bytes()
    code, _, err = run_cli(["run", spec, "--out", out, "--seed", "5", "--resume"], capsys)
    assert code == 2 and "--resume" in err and "seed" in err
    assert out.read_bytes() == before
    code, _, err = run_cli(["run", spec, "--out", out, "--runs", "2", "--resume"], capsys)
    assert code == 2 and "holds more than 2 runs of mdcd, mdcd-paper" in err
    # resuming a finished file changes nothing
    assert run_cli(["run", spec, "--out", out, "--resume", "--quiet"], capsys)[0] == 0
    assert out.read_bytes() == before


# --------------------------------------------------------------------------- help
def test_every_option_has_help_and_no_rst_markup(capsys):
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    texts = [parser.format_help()]
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.dest != "help":
                assert action.help, f"mdcd-lab {name}: {action.option_strings or action.dest}"
        texts.append(p.format_help())
    for text in texts:
        assert not re.search(r"``|:func:|:class:|:data:|`[^`]+`_", text), text


def _subparsers():
    parser = cli.build_parser()
    return parser, next(a for a in parser._actions if a.dest == "command").choices


def test_every_default_is_in_the_help_and_every_command_has_a_description():
    """Issue 24 item 8: help shows the defaults; ``duration`` has a description."""
    import argparse
    _, sub = _subparsers()
    for name, p in sub.items():
        assert p.description, f"mdcd-lab {name} has no description"
        for a in p._actions:
            if a.default not in (None, False, argparse.SUPPRESS):
                assert "default" in a.help, f"mdcd-lab {name} {a.option_strings}: {a.help}"


def test_following_the_readme_writes_only_under_out():
    """Issue 24 item 9: the README's commands (parsed by the real parser) and every
    command's default output directory write under ``out/`` (git-ignored)."""
    import shlex
    parser, sub = _subparsers()
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"Command line \(`mdcd-lab --help`\):\s+```\n(.*?)```", readme,
                      re.S).group(1)
    lines = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.strip()]
    assert len(lines) >= 8
    for line in lines:
        argv = shlex.split(line)
        assert argv[0] == "mdcd-lab"
        args = parser.parse_args(argv[1:])
        paths = [getattr(args, k) for k in ("out", "store") if getattr(args, k, None)]
        if args.command == "run":
            assert args.out is not None, line          # else SPEC-results.csv in the root
        for path in paths:
            assert path.startswith("out/"), line
    for name, p in sub.items():
        default = p.get_default("out")
        assert default is None or default.startswith("out/"), (name, default)


def test_version(capsys):
    import mdcd_lab
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"mdcd-lab {mdcd_lab.__version__}\n"


@pytest.mark.parametrize("command", ["run", "sweep", "figures", "duration", "explore"])
def test_engine_auto_is_accepted_by_every_command_with_engine(command, capsys):
    _, sub = _subparsers()
    args = sub[command].parse_args(["x.toml", "--engine", "auto"] if command in ("run", "sweep")
                                   else ["--engine", "auto"])
    assert args.engine == "auto"


def test_summarize_help_names_the_intervals_summarize_computes():
    import importlib
    cli_main = importlib.import_module("mdcd_lab.cli.main")
    from mdcd_lab.stats.intervals import AUTO_METHODS
    _, sub = _subparsers()
    text = re.sub(r"-\s+", "-", " ".join(sub["summarize"].format_help().split()))
    for method in set(AUTO_METHODS.values()):
        assert f": {method}" in text, method
    assert "wilson" not in text.lower() and "student" not in text.lower()
    # the help's copy (kept apart so that --help imports no scipy) is summarize's mapping
    assert cli_main.AUTO_METHODS_HELP == AUTO_METHODS


def test_sweep_ctrl_c_prints_the_command_that_finishes_it(tmp_path, capsys, monkeypatch):
    import mdcd_lab.studies

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(mdcd_lab.studies, "sweep_to", interrupted)   # what the CLI runs
    study = write_file(tmp_path, STUDY, "study.toml")
    store, out = tmp_path / "store", tmp_path / "c.csv"
    code, stdout, err = run_cli(["sweep", study, "--store", store, "--out", out, "--runs", "7",
                                 "--quiet"], capsys)
    assert code == 130 and stdout == ""
    again = (f"mdcd-lab sweep {study} --store {store} --out {out} --runs 7 --resume")
    assert err == f"mdcd-lab: interrupted; the finished units are in {store}; to finish " \
                  f"the sweep: {again}\n"
    code, _, err = run_cli(["sweep", study, "--quiet"], capsys)
    assert code == 130
    assert err == ("mdcd-lab: interrupted; nothing was kept (use --store DIR to make a sweep "
                   "resumable)\n")


@pytest.mark.subprocess
def test_help_imports_no_engine_and_no_plotting():
    """``--help`` costs the package's import only: the command modules import numba,
    matplotlib, dask and the figure set when a command runs, not when it is described."""
    code = ("import sys\nfrom mdcd_lab.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\nfor name in ['duration', 'explore', 'summarize']:\n"
            "    try:\n        main([name, '--help'])\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in ('numba', 'matplotlib', 'distributed', 'ipywidgets', "
            "'mdcd_lab.figures', 'mdcd_lab.fast') if m in sys.modules), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"


@pytest.mark.subprocess
def test_help_runs_as_a_user_types_it(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mdcd_lab.cli", "run", "--help"],
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
                          text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 0
    for opt in ("--runs", "--seed", "--engine", "--protocol", "--resume", "--out"):
        assert opt in proc.stdout
    assert "``" not in proc.stdout


def test_partial_provenance_is_json(tmp_path, capsys):
    """A finished run has no 'partial' entry; the engine of each protocol is recorded."""
    spec = write_file(tmp_path, SCENARIO.replace('engine = "reference"', ""))
    out = tmp_path / "r.csv"
    assert run_cli(["run", spec, "--out", out, "--quiet"], capsys)[0] == 0
    prov = json.loads(Path(f"{out}.meta.json").read_text())
    assert "partial" not in prov and prov["engine"] == "auto"
    assert prov["engine_per_protocol"] == {"mdcd": "numba", "mdcd-paper": "numba"}


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_killed_writers_temporaries_beside_the_output_are_removed(command, tmp_path, capsys):
    """SIGKILL between ``atomic_files`` creating the output's temporary files and moving
    them into place leaves them; the next ``run`` or ``sweep`` of that ``--out`` removes
    them under the output's lock, and a second writer, refused by the lock, does not."""
    from mdcd_lab.io import FileLock, atomic_files, sidecar_path
    spec = write_file(tmp_path, SCENARIO if command == "run" else STUDY)
    out = tmp_path / "r.csv"
    block = atomic_files(out, sidecar_path(out))
    left = block.__enter__()                    # the writer is killed here: no __exit__
    for tmp in left:
        tmp.write_text("half")
    argv = [command, spec, "--out", out, "--runs", "2", "--quiet"]
    with FileLock(tmp_path / ".r.csv.lock", "the test"):
        code, _, err = run_cli(argv, capsys)
    assert code == 2 and "in use by pid" in err and all(t.exists() for t in left), err
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    assert not any(t.exists() for t in left) and out.exists()
    assert sorted(p.name for p in tmp_path.glob(".*.tmp")) == []
