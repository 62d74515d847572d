"""A sweep store holds one study only: unit files carry their identity and a checksum,
and one writer at a time holds the store's lock (issue 23, items 1 and 2)."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import HANG_GUARD_S

from mdcd_lab import studies
from mdcd_lab.io import FileLock, LockedError, read_lock
from mdcd_lab.scenario import Scenario
from mdcd_lab.studies import sweep
from mdcd_lab.studies.store import LOCK_NAME, UNIT_KEY, rows_checksum

BASE = Scenario(horizon=20.0, fault_rate=0.05, n_act=3)
GRID = {"at_coverage": [0.9, 1.0]}
PROTOS = ["mdcd", "mdcd-paper"]
KW = dict(runs=6, seed=5, chunk_runs=3, engine="reference", progress=False)
UNIT = "p000001-q0-r0000000003-0000000006.parquet"   # point 1, protocol mdcd, runs 3..5


def _store(path: Path, base: Scenario = BASE, protocols=PROTOS) -> pd.DataFrame:
    return sweep(base, GRID, protocols=protocols, store=path, **KW)


def _resume(path: Path) -> pd.DataFrame:
    return sweep(BASE, GRID, protocols=PROTOS, store=path, resume=True, **KW)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """The store of the study, and of two foreign studies with the same grid and seed
    (another base scenario; the protocols in the other order)."""
    root = tmp_path_factory.mktemp("stores")
    return {"own": _store(root / "own"), "root": root,
            "other_base": _store(root / "other_base", base=BASE.replace(n_act=4)),
            "other_protocol": _store(root / "other_protocol", protocols=PROTOS[::-1])}


def _copy_own(stores, tmp_path) -> Path:
    dst = tmp_path / "s"
    shutil.copytree(stores["root"] / "own", dst)
    return dst


@pytest.mark.parametrize("source,needle", [
    ("other_base", "belongs to another study"),
    ("other_protocol", "belongs to another study"),
])
def test_a_unit_of_another_study_is_refused_naming_it(stores, tmp_path, source, needle):
    """The issue's trace: a unit of a study with the same grid and seed but another base
    scenario (n_act 4 for 3), or another protocol order, copied over one of this study's
    units, was accepted on resume and changed the final table."""
    dst = _copy_own(stores, tmp_path)
    foreign = stores["root"] / source / studies.UNITS_DIR / UNIT
    shutil.copy(foreign, dst / studies.UNITS_DIR / UNIT)
    with pytest.raises(ValueError, match=f"unit file '{UNIT}' {needle}"):
        _resume(dst)


def test_a_unit_of_another_protocol_of_the_same_study_is_refused(stores, tmp_path):
    dst = _copy_own(stores, tmp_path)
    units = dst / studies.UNITS_DIR
    other = UNIT.replace("-q0-", "-q1-")      # mdcd-paper's runs 3..5 of point 1
    shutil.copy(units / other, units / UNIT)
    with pytest.raises(ValueError, match=f"'{UNIT}' belongs to another protocol: its protocol "
                                         f"is 'mdcd-paper', this unit's is 'mdcd'"):
        _resume(dst)


def _rewrite(path: Path, change, keep_metadata: bool = True) -> None:
    table = pq.read_table(path)
    df = change(table.to_pandas())
    import pyarrow as pa
    new = pa.Table.from_pandas(df, preserve_index=False)
    if keep_metadata:
        new = new.replace_schema_metadata(table.schema.metadata)
    pq.write_table(new, path)


def test_an_edited_unit_is_refused(stores, tmp_path):
    dst = _copy_own(stores, tmp_path)
    path = dst / studies.UNITS_DIR / UNIT

    def plus_1000(df):
        return df.assign(ckpt_total=df["ckpt_total"] + 1000)
    _rewrite(path, plus_1000)
    with pytest.raises(ValueError, match=f"'{UNIT}' was changed after it was written"):
        _resume(dst)


def test_a_unit_without_identity_is_refused(stores, tmp_path):
    dst = _copy_own(stores, tmp_path)
    path = dst / studies.UNITS_DIR / UNIT
    pd.read_parquet(path).to_parquet(path, index=False)      # pandas drops the identity
    with pytest.raises(ValueError, match=f"'{UNIT}' carries no identity"):
        _resume(dst)


def test_identity_and_checksum_are_what_the_unit_holds(stores):
    path = stores["root"] / "own" / studies.UNITS_DIR / UNIT
    ident = json.loads(pq.read_schema(path).metadata[UNIT_KEY])
    frame = pd.read_parquet(path)
    assert ident["protocol"] == "mdcd" and ident["point"] == 1 and ident["runs"] == [3, 6]
    assert ident["scenario"]["n_act"] == 3 and ident["scenario"]["at_coverage"] == 1.0
    assert ident["rows"] == rows_checksum(frame)
    assert rows_checksum(frame.assign(ckpt_total=frame["ckpt_total"] + 1)) != ident["rows"]
    assert rows_checksum(frame.iloc[::-1].reset_index(drop=True)) != ident["rows"]


def test_a_resume_of_intact_units_gives_the_same_table(stores, tmp_path):
    dst = _copy_own(stores, tmp_path)
    (dst / studies.UNITS_DIR / UNIT).unlink()       # as if killed before this unit
    pd.testing.assert_frame_equal(_resume(dst), stores["own"])


def test_a_store_of_the_earlier_format_is_refused(stores, tmp_path):
    dst = _copy_own(stores, tmp_path)
    man = json.loads((dst / "manifest.json").read_text())
    (dst / "manifest.json").write_text(json.dumps(man | {"format_version": 1}))
    with pytest.raises(ValueError, match="written by an earlier mdcd_lab .store format 1"):
        _resume(dst)


# --------------------------------------------------------------------------- one writer
def test_a_second_writer_is_refused_and_touches_nothing(stores, tmp_path):
    dst = _copy_own(stores, tmp_path)
    (dst / studies.UNITS_DIR / UNIT).unlink()
    tmp = dst / studies.UNITS_DIR / f".{UNIT}.inflight.tmp"     # the first writer's
    tmp.write_text("being written")
    with FileLock(dst / LOCK_NAME, "store"):
        with pytest.raises(LockedError, match=f"store '{dst}' is in use by pid {os.getpid()}"):
            _resume(dst)
        assert tmp.exists() and not (dst / studies.UNITS_DIR / UNIT).exists()
    pd.testing.assert_frame_equal(_resume(dst), stores["own"])  # the lock was let go
    assert not tmp.exists() and not (dst / LOCK_NAME).exists()


def test_two_new_studies_on_one_store_the_second_is_refused(tmp_path):
    """Both used to exit 0, the second overwriting the first's units."""
    dst = tmp_path / "s"
    dst.mkdir()
    with FileLock(dst / LOCK_NAME, "store"):     # study A is starting
        with pytest.raises(LockedError, match="in use by"):
            _store(dst, base=BASE.replace(n_act=4))
    assert not (dst / "manifest.json").exists()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    dst = tmp_path / "s"
    dst.mkdir()
    code = textwrap.dedent(f"""
        import os, sys
        from mdcd_lab.io import FileLock
        FileLock({str(dst / LOCK_NAME)!r}, "store").acquire()
        print("locked", flush=True)
        os.kill(os.getpid(), 9)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=HANG_GUARD_S)
    assert proc.stdout == "locked\n" and proc.returncode == -9
    holder = read_lock(dst / LOCK_NAME)
    assert holder["pid"] != os.getpid() and holder["host"]      # the dead holder's file
    df = _store(dst)
    assert len(df) == 2 * 2 * 6 and not (dst / LOCK_NAME).exists()


def test_the_cli_refuses_a_second_writer_in_one_line(tmp_path):
    spec = tmp_path / "study.toml"
    spec.write_text(textwrap.dedent("""
        [scenario]
        horizon = 20.0
        [grid]
        at_coverage = [0.9, 1.0]
        [run]
        runs = 4
        seed = 1
        engine = "reference"
    """))
    dst = tmp_path / "s"
    dst.mkdir()
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    with FileLock(dst / LOCK_NAME, "store"):
        proc = subprocess.run([sys.executable, "-m", "mdcd_lab.cli", "sweep", str(spec),
                               "--store", str(dst), "--out", str(tmp_path / "r.csv"),
                               "--quiet"],
                              capture_output=True, text=True, timeout=HANG_GUARD_S, env=env)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mdcd-lab: error: {dst / LOCK_NAME}: "
                                                   f"store '{dst}' is in use by pid")
    assert not (tmp_path / "r.csv").exists()


def test_run_out_has_one_writer(tmp_path, capsys):
    """``mdcd-lab run --out F`` holds ``.F.lock``: a second run on ``F`` is refused in one
    line (exit 2) and writes nothing; once the first is done, the lock is gone."""
    from helpers import run_cli, write_file
    spec = write_file(tmp_path, '[scenario]\nhorizon = 10.0\n[run]\nruns = 2\nseed = 1\n'
                                'protocols = ["mdcd"]\nengine = "reference"\n')
    out = tmp_path / "r.csv"
    with FileLock(tmp_path / ".r.csv.lock", "output"):
        code, stdout, err = run_cli(["run", spec, "--out", out, "--quiet"], capsys)
    assert code == 2 and stdout == "" and not out.exists()
    assert err.startswith(f"mdcd-lab: error: {tmp_path / '.r.csv.lock'}: output '{out}' is "
                          f"in use by pid {os.getpid()}") and err.count("\n") == 1
    code, stdout, err = run_cli(["run", spec, "--out", out, "--quiet"], capsys)
    assert code == 0 and out.exists() and not (tmp_path / ".r.csv.lock").exists()


# --------------------------------------------------------------------------- sweep_to
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("stopping", [{}, dict(target_rel_halfwidth=0.2, max_runs=12,
                                                metrics=["ckpt_total"])])
def test_sweep_to_streams_the_table_of_sweep(stores, tmp_path, monkeypatch, suffix, stopping):
    """Issue 23: ``sweep_to`` (what ``mdcd-lab sweep`` runs) holds no rows in its scheduler
    and writes the table one point at a time, from a temporary store that it removes;
    the file holds the table ``sweep`` returns, its sidecar the same provenance."""
    from mdcd_lab.io import load_results, read_provenance
    from mdcd_lab.io import stream as mio
    from mdcd_lab.studies import scheduler as sched
    seen, held = [], []
    for sink in (mio._CsvSink, mio._ParquetSink):
        write = sink.write
        monkeypatch.setattr(sink, "write", lambda self, df, w=write: (seen.append(len(df)),
                                                                       w(self, df))[1])
    in_memory = sweep(BASE, GRID, protocols=PROTOS, **KW, **stopping)
    run = sched.Scheduler.run
    monkeypatch.setattr(sched.Scheduler, "run", lambda self: (
        run(self), held.extend(f for cs in self.chunks.values() for *_, f in cs))[0])
    out = tmp_path / f"t{suffix}"
    prov = studies.sweep_to(out, BASE, GRID, protocols=PROTOS, **KW, **stopping)
    assert held and all(callable(f) for f in held)        # no rows kept by the scheduler
    per_point = in_memory.groupby("point").size().tolist()
    assert seen == per_point                               # one point per frame
    back = load_results(out)
    pd.testing.assert_frame_equal(back, in_memory, check_exact=True)
    written = read_provenance(out)
    for key, value in in_memory.attrs["provenance"].items():
        assert written[key] == json.loads(json.dumps(value)), key
    assert prov["rows"] == len(in_memory) == written["rows"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, out.name +
                                                                ".meta.json"])


def test_sweep_to_interrupted_keeps_units_in_its_store_and_writes_no_table(tmp_path,
                                                                           monkeypatch):
    """Ctrl-C while the table is written: no table, the store complete (a resume writes
    the table without running anything); without a store, nothing is left at all."""
    from mdcd_lab.io import stream as mio
    calls = {"n": 0}
    write = mio._CsvSink.write

    def flaky(self, df):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        write(self, df)

    monkeypatch.setattr(mio._CsvSink, "write", flaky)
    out, store = tmp_path / "t.csv", tmp_path / "store"
    for where in (None, store):
        calls["n"] = 0
        with pytest.raises(KeyboardInterrupt):
            studies.sweep_to(out, BASE, GRID, protocols=PROTOS, store=where, **KW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    monkeypatch.setattr(mio._CsvSink, "write", write)
    prov = studies.sweep_to(out, BASE, GRID, protocols=PROTOS, store=store, resume=True,
                            **KW)
    assert prov["rows"] == 2 * 2 * 6 and out.exists()
