"""Fault injection: kills at random moments, two writers, a full disk (issue 23).

Each test runs the real command in a child process, hurts it, finishes the job the
way a user would (``--resume``), and compares the result byte for byte with an
uninterrupted run of the same command.  The kill moments are drawn from
``SeedSequence(2023)`` (uniform over each command's life on this machine, so that
they fall before the first chunk, between chunks, during the final write and after
the end); what each kill hit is reported on stdout (``pytest -s``) and summarised in
docs/reliability.md.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import HANG_GUARD_S

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parent.parent
SPEC = """
[scenario]
horizon = 15.0
fault_rate = 0.03

[run]
runs = 300
seed = 3
protocols = ["mdcd"]
engine = "reference"
"""
STUDY = SPEC.replace("[run]", "[grid]\nat_coverage = [0.9, 1.0]\n\n[run]").replace(
    "runs = 300", "runs = 100")
FIGURES = ["cost_by_protocol", "spacetime"]
#: Kill moments per command: 20 in all.
MOMENTS = {"run": 8, "sweep": 6, "figures": 6}


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS="1",
                PYTHONWARNINGS="ignore")


def _cli(args, cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mdcd_lab.cli", *map(str, args)], cwd=cwd,
                          env=_env(), capture_output=True, text=True, timeout=HANG_GUARD_S,
                          **kw)


def _start(args, cwd: Path, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mdcd_lab.cli", *map(str, args)], cwd=cwd,
                            env=_env(), stdout=subprocess.DEVNULL, stderr=stderr, text=True)


def _commands(kind: str, d: Path) -> tuple[list, list, list[Path]]:
    """The command, its resumption, and the files to compare."""
    if kind == "run":
        (d / "spec.toml").write_text(SPEC)
        cmd = ["run", "spec.toml", "--out", "r.csv", "--quiet"]
        return cmd, [*cmd, "--resume"], [d / "r.csv"]
    if kind == "sweep":
        (d / "study.toml").write_text(STUDY)
        cmd = ["sweep", "study.toml", "--store", "store", "--out", "s.csv", "--quiet"]
        return cmd, [*cmd, "--resume", "--force"], [d / "s.csv"]
    cmd = ["figures", "--only", ",".join(FIGURES), "--runs", "50", "--out", "f", "--quiet",
           "--engine", "numba"]
    return cmd, [*cmd, "--resume"], [d / "f" / f"{n}.{x}" for n in FIGURES
                                     for x in ("csv", "png")]


def _state(kind: str, d: Path) -> str:
    """What a kill left: nothing, finished work (parts, units, figures), or the output."""
    out = {"run": d / "r.csv", "sweep": d / "s.csv", "figures": d / "f" / "spacetime.csv"}
    if out[kind].exists():
        return "after the output"
    held = {"run": list(d.glob(".r.csv.parts/*.parquet")),
            "sweep": list(d.glob("store/units/*.parquet")),
            "figures": list(d.glob("f/*.csv"))}[kind]
    return f"{len(held)} finished pieces" if held else "nothing finished"


@pytest.fixture(scope="module")
def baselines(tmp_path_factory):
    """Uninterrupted runs of each command, and how long each takes here."""
    out = {}
    for kind in MOMENTS:
        d = tmp_path_factory.mktemp(f"clean-{kind}")
        cmd, _, files = _commands(kind, d)
        t0 = time.monotonic()
        proc = _cli(cmd, d)
        assert proc.returncode == 0, proc.stderr
        out[kind] = (time.monotonic() - t0, [f.read_bytes() for f in files])
    return out


@pytest.mark.parametrize("kind", list(MOMENTS))
def test_kill_at_random_moments_then_resume(kind, baselines, tmp_path):
    """SIGKILL at random moments of ``run``, ``sweep --store`` and ``figures``; the resumed
    job's files equal the uninterrupted job's, byte for byte, and no temporary file or
    lock is left."""
    took, expect = baselines[kind]
    rng = np.random.default_rng(np.random.SeedSequence([2023, list(MOMENTS).index(kind)]))
    hits = []
    for i, delay in enumerate(rng.uniform(0.05, 1.1, MOMENTS[kind]) * took):
        d = tmp_path / f"m{i}"
        d.mkdir()
        cmd, again, files = _commands(kind, d)
        proc = _start(cmd, d)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=HANG_GUARD_S)
        hits.append(_state(kind, d))
        fin = _cli(again, d)
        assert fin.returncode == 0, (delay, hits[-1], fin.stderr)
        assert [f.read_bytes() for f in files] == expect, (delay, hits[-1])
        left = [p.name for p in d.rglob(".*") if p.name.endswith((".tmp", ".lock"))]
        assert not left and not list(d.glob(".*.parts")), left
    print(f"\n{kind}: {len(hits)} kills: " + "; ".join(sorted(set(
        f"{hits.count(h)} x {h}" for h in hits))))


def test_two_writers_of_one_store_one_wins_and_nothing_is_mixed(baselines, tmp_path):
    """Two sweeps into one store, the second started 0.5 s after the first: one finishes
    (usually the first; on a loaded machine the second may take the store first), the
    other stops with one line and exit code 2, writing nothing."""
    (tmp_path / "study.toml").write_text(STUDY)
    cmd = ["sweep", "study.toml", "--store", "store", "--quiet"]
    procs = {}
    for name in ("a", "b"):
        procs[name] = _start([*cmd, "--out", f"{name}.csv"], tmp_path,
                             stderr=subprocess.PIPE)
        time.sleep(0.5)
    errs = {name: p.communicate(timeout=HANG_GUARD_S)[1] for name, p in procs.items()}
    codes = {name: p.returncode for name, p in procs.items()}
    assert sorted(codes.values()) == [0, 2], (codes, errs)
    winner = min(codes, key=codes.get)
    loser = max(codes, key=codes.get)
    assert errs[loser].count("\n") == 1, errs[loser]
    assert "is in use by pid" in errs[loser] or "is not empty" in errs[loser], errs[loser]
    assert (tmp_path / f"{winner}.csv").read_bytes() == baselines["sweep"][1][0]
    assert not (tmp_path / f"{loser}.csv").exists()


def _limit_file_size(limit: int):
    def set_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # EFBIG, not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return set_limit


def test_a_full_disk_is_one_line_and_resume_finishes(baselines, tmp_path):
    """A file-size limit in the child stands for a full disk: one line naming the file,
    exit 2, no half-written output; then, with room again, --resume finishes the job."""
    (tmp_path / "spec.toml").write_text(SPEC)
    cmd = [sys.executable, "-m", "mdcd_lab.cli", "run", "spec.toml", "--out", "r.csv",
           "--quiet"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True,
                          timeout=HANG_GUARD_S, preexec_fn=_limit_file_size(60_000))
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert line.count("\n") == 0 and line.startswith("mdcd-lab: error: "), line
    assert "File too large" in line and "r.csv" in line, line
    assert not (tmp_path / "r.csv").exists()
    fin = _cli(["run", "spec.toml", "--out", "r.csv", "--quiet", "--resume"], tmp_path)
    assert fin.returncode == 0, fin.stderr
    assert (tmp_path / "r.csv").read_bytes() == baselines["run"][1][0]
    assert not list(tmp_path.rglob(".*.tmp"))


def test_a_read_only_folder_is_one_line(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    (tmp_path / "spec.toml").write_text(SPEC)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    proc = _cli(["run", "spec.toml", "--out", "ro/r.csv", "--quiet"], tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr

