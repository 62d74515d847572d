"""Tests of mdcd_lab.io: CSV/Parquet tables with a JSON provenance sidecar."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import assert_same

from mdcd_lab.io import (
    RESERVED_KEYS,
    atomic_files,
    load_results,
    read_provenance,
    remove_stale_temporaries,
    sidecar_path,
    to_csv,
    to_parquet,
)
from mdcd_lab.io import results as mio
from mdcd_lab.io import stream as mst
from mdcd_lab.metrics import OUTCOMES, empty_results, finalize_frame
from mdcd_lab.scenario import Scenario

WRITERS = [(to_csv, "results.csv"), (to_parquet, "results.parquet")]


def mixed_frame(n: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    f = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 5, n)
    f[1] = np.nan
    return pd.DataFrame({
        "i64": rng.integers(-2**62, 2**62, n, dtype=np.int64),
        "i32": rng.integers(-1000, 1000, n).astype(np.int32),
        "f64": f,
        "outcome": pd.Categorical(rng.choice(OUTCOMES, n), categories=list(OUTCOMES)),
        "ordered": pd.Categorical(["b", "a", None, "c", "a", "b", "c"][:n],
                                  categories=["c", "b", "a", "unused"], ordered=True),
        "label": pd.Series(["x", "NA", None, "None", "nan", "1", "a,b"][:n], dtype=object),
        "flag": rng.random(n) < 0.5,
    })


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("writer,name", WRITERS)
def test_round_trip_mixed_dtypes(tmp_path, writer, name):
    df = mixed_frame()
    out = writer(df, tmp_path / name)
    assert out == tmp_path / name
    back = load_results(out)
    assert_same(back, df)
    assert list(back["ordered"].cat.categories) == ["c", "b", "a", "unused"]
    assert back["ordered"].cat.ordered
    assert back["label"][2] is None  # None stays None in an object column


@pytest.mark.parametrize("writer,name", WRITERS)
def test_round_trip_metrics_schema_and_sweep_columns(tmp_path, writer, name):
    rng = np.random.default_rng(0)
    n = 12
    raw = {"run": np.arange(n), "seed": np.full(n, 5), "outcome": rng.choice(OUTCOMES, n),
           "t_end": rng.random(n) * 100, "rollback_dist_max": np.where(
               rng.random(n) < 0.5, np.nan, rng.random(n))}
    df = finalize_frame(pd.DataFrame(raw))
    for key, value in Scenario().to_dict().items():
        df[key] = value
    df["point"] = np.arange(n) // 4
    df["protocol"] = pd.Categorical(np.tile(["mdcd", "coordinated"], n // 2),
                                    categories=["mdcd", "coordinated"])
    assert_same(load_results(writer(df, tmp_path / name)), df)


@pytest.mark.parametrize("writer,name", WRITERS)
def test_round_trip_empty_results(tmp_path, writer, name):
    df = empty_results()
    assert_same(load_results(writer(df, tmp_path / name)), df)


@pytest.mark.parametrize("writer,name", WRITERS)
def test_round_trip_other_dtypes(tmp_path, writer, name):
    df = pd.DataFrame({
        "f32": np.array([0.1, 1 / 3, np.nan, 3e38], dtype=np.float32),
        "u8": np.array([0, 1, 255, 7], dtype=np.uint8),
        "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
        "text": pd.array(["a", None, "b", "c"], dtype="string"),
        "auto": ["p", "q", None, "r"],  # pandas' default string dtype
        "int_cat": pd.Categorical([3, 1, None, 3], categories=[3, 1, 2]),
        "float_cat": pd.Categorical([0.1, 1 / 3, 0.1, None]),
        "empty": pd.Series(["", "x", "", "y"], dtype=object),
    })
    assert_same(load_results(writer(df, tmp_path / name)), df)


def test_csv_floats_round_trip_bit_exactly(tmp_path):
    rng = np.random.default_rng(2024)
    bits = rng.integers(0, 2**63, 20000, dtype=np.int64) * rng.choice([1, -1], 20000)
    x = bits.view(np.float64)
    x = np.concatenate([x[np.isfinite(x)], rng.random(5000), rng.standard_normal(5000) * 1e6,
                        [0.1, 1 / 3, 5e-324, -0.0, 2.2250738585072014e-308,
                         1.7976931348623157e308, np.inf, -np.inf]])
    df = pd.DataFrame({"x": x})
    back = load_results(to_csv(df, tmp_path / "f.csv"))
    assert back["x"].dtype == np.float64
    np.testing.assert_array_equal(back["x"].to_numpy().view(np.int64), x.view(np.int64))


def test_csv_is_plain_readable_csv(tmp_path):
    df = mixed_frame(3)
    path = to_csv(df, tmp_path / "r.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "i64,i32,f64,outcome,ordered,label,flag"
    plain = pd.read_csv(path)
    assert len(plain) == 3 and list(plain.columns) == list(df.columns)


def test_strings_that_look_missing_stay_strings(tmp_path):
    df = pd.DataFrame({"s": pd.Series(["NA", "None", "nan", "null", "N/A"], dtype=object)})
    back = load_results(to_csv(df, tmp_path / "s.csv"))
    assert back["s"].tolist() == ["NA", "None", "nan", "null", "N/A"]


def test_csv_empty_and_missing_strings_warns(tmp_path):
    df = pd.DataFrame({"s": pd.Series(["", None, "a"], dtype=object)})
    with pytest.warns(UserWarning, match="empty strings and missing"):
        path = to_csv(df, tmp_path / "s.csv")
    assert load_results(path)["s"].isna().tolist() == [True, True, False]
    # Parquet keeps the difference
    assert_same(load_results(to_parquet(df, tmp_path / "s.parquet")), df)


def test_csv_rejects_object_column_with_non_strings(tmp_path):
    df = pd.DataFrame({"o": pd.Series([1, "a"], dtype=object)})
    with pytest.raises(ValueError, match="'o'.*non-str"):
        to_csv(df, tmp_path / "o.csv")
    assert not list(tmp_path.iterdir())


def test_load_sets_range_index_and_drops_unnamed_index(tmp_path):
    df = mixed_frame().iloc[[5, 1, 3]]
    back = load_results(to_parquet(df, tmp_path / "r.pq"))
    assert_same(back, df.reset_index(drop=True))


def test_named_index_is_refused(tmp_path):
    df = mixed_frame().set_index("i32")
    with pytest.raises(ValueError, match="reset_index"):
        to_csv(df, tmp_path / "r.csv")


# --------------------------------------------------------------------------- sidecar


def test_sidecar_contents(tmp_path):
    df = mixed_frame()
    grid = {"n_low": np.arange(2, 5), "at_coverage": (0.9, 0.99)}
    prov = {"base": Scenario().to_dict(), "grid": grid, "protocols": ("mdcd", "coordinated"),
            "seed": np.int64(7), "engine": "reference", "runs": 100, "scenario": Scenario(),
            "out_dir": tmp_path, "weights": np.array([0.5, 1.5]), "flags": {np.bool_(True)}}
    path = to_csv(df, tmp_path / "results.csv", provenance=prov)
    meta_path = tmp_path / "results.csv.meta.json"
    assert sidecar_path(path) == meta_path and meta_path.is_file()
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta == read_provenance(path) == read_provenance(meta_path)
    for key in ("mdcd_lab", "numpy", "numba", "pandas", "pyarrow", "python", "platform",
                "timestamp", "argv", "dtypes", "rows"):
        assert key in meta, key
    assert meta["numpy"] == np.__version__ and meta["pandas"] == pd.__version__
    assert isinstance(meta["mdcd_lab"], str) and meta["mdcd_lab"]
    assert meta["python"] == ".".join(map(str, sys.version_info[:3]))
    assert meta["argv"] == sys.argv
    assert meta["timestamp"].endswith("+00:00")
    assert meta["rows"] == len(df)
    assert meta["dtypes"] == {"i64": "int64", "i32": "int32", "f64": "float64",
                              "outcome": "category", "ordered": "category",
                              "label": "object", "flag": "bool"}
    assert meta["categories"]["outcome"]["categories"] == list(OUTCOMES)
    assert meta["base"] == Scenario().to_dict()
    assert meta["scenario"] == Scenario().to_dict()
    assert meta["grid"] == {"n_low": [2, 3, 4], "at_coverage": [0.9, 0.99]}
    assert meta["protocols"] == ["mdcd", "coordinated"]
    assert meta["seed"] == 7 and meta["runs"] == 100 and meta["engine"] == "reference"
    assert meta["out_dir"] == str(tmp_path) and meta["weights"] == [0.5, 1.5]
    assert meta["flags"] == [True]
    assert load_results(path).attrs["provenance"] == meta


def test_version_falls_back_to_unknown(monkeypatch, tmp_path):
    monkeypatch.setattr(mio, "_package_version", lambda name: None)
    monkeypatch.delitem(sys.modules, "mdcd_lab", raising=False)
    meta = read_provenance(to_csv(mixed_frame(), tmp_path / "r.csv"))
    assert meta["mdcd_lab"] == "unknown" and meta["numba"] is None


@pytest.mark.parametrize("writer,name", WRITERS)
def test_unserialisable_provenance_writes_nothing(tmp_path, writer, name):
    prov = {"grid": {"n_low": [2, object()]}}
    with pytest.raises(ValueError, match=r"provenance\['grid'\]\['n_low'\]\[1\]"):
        writer(mixed_frame(), tmp_path / name, provenance=prov)
    assert not (tmp_path / name).exists()
    assert not sidecar_path(tmp_path / name).exists()
    assert list(tmp_path.iterdir()) == []


def test_reserved_provenance_key(tmp_path):
    with pytest.raises(ValueError, match="'rows'.*reserved"):
        to_csv(mixed_frame(), tmp_path / "r.csv", provenance={"rows": 3})
    assert "rows" in RESERVED_KEYS and list(tmp_path.iterdir()) == []


def test_non_str_provenance_key(tmp_path):
    with pytest.raises(ValueError, match="keys must be str"):
        to_csv(mixed_frame(), tmp_path / "r.csv", provenance={"grid": {1: 2}})


def test_failure_mid_write_keeps_old_files_and_leaves_no_temp(tmp_path, monkeypatch):
    old = mixed_frame()
    path = to_csv(old, tmp_path / "r.csv", provenance={"tag": "old"})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(mio.json, "dump", boom)
    with pytest.raises(OSError, match="disk full"):
        to_csv(old.iloc[:2], path, provenance={"tag": "new"})
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # old table and sidecar intact, no temp files left


def test_a_killed_writers_temporaries_are_removed_and_nothing_else(tmp_path):
    """``remove_stale_temporaries`` removes exactly what ``atomic_files`` left for the
    targets (a writer killed inside the block), not a file of another name."""
    out = tmp_path / "r.csv"
    block = atomic_files(out, sidecar_path(out))
    left = block.__enter__()                   # the writer dies here: no __exit__
    for tmp in left:
        tmp.write_text("half")
    token = "0123456789abcdef" * 2
    other = [tmp_path / n for n in (".r.csv.x.tmp", f".rr.csv.{token}.tmp", "r.csv",
                                    f".r.csv.{token.upper()}.tmp", f".r.csv.{token}.lock",
                                    f".r.csv.{token}0.tmp")]
    for f in other:
        f.write_text("keep")
    assert sorted(remove_stale_temporaries(out, sidecar_path(out))) == sorted(left)
    assert sorted(tmp_path.iterdir()) == sorted(other)


def test_failure_in_table_writer_leaves_nothing(tmp_path, monkeypatch):
    def boom(self, *args, **kwargs):
        raise RuntimeError("writer failed")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(RuntimeError):
        to_parquet(mixed_frame(), tmp_path / "r.parquet")
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_both_files(tmp_path):
    path = to_csv(mixed_frame(), tmp_path / "r.csv", provenance={"tag": "old"})
    new = mixed_frame(3)
    to_csv(new, path, provenance={"tag": "new"})
    back = load_results(path)
    assert_same(back, new)
    assert back.attrs["provenance"]["tag"] == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.csv.meta.json"]


# --------------------------------------------------------------------------- errors


def test_missing_parent_directory(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        to_csv(mixed_frame(), tmp_path / "nope" / "r.csv")
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize("writer,bad", [(to_csv, "r.parquet"), (to_csv, "r.txt"),
                                        (to_parquet, "r.csv")])
def test_writer_suffix_checked(tmp_path, writer, bad):
    with pytest.raises(ValueError, match="must end with"):
        writer(mixed_frame(), tmp_path / bad)


def test_bad_frames(tmp_path):
    with pytest.raises(TypeError):
        to_csv({"a": [1]}, tmp_path / "r.csv")
    with pytest.raises(ValueError, match="duplicate"):
        to_csv(pd.DataFrame([[1, 2]], columns=["a", "a"]), tmp_path / "r.csv")
    with pytest.raises(ValueError, match="must be str"):
        to_csv(pd.DataFrame({0: [1]}), tmp_path / "r.csv")


def test_load_missing_file_names_path(tmp_path):
    missing = tmp_path / "absent.csv"
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        load_results(missing)
    with pytest.raises(FileNotFoundError, match="absent.csv.meta.json"):
        read_provenance(missing)


def test_load_unknown_suffix(tmp_path):
    p = tmp_path / "r.txt"
    p.write_text("a\n1\n")
    with pytest.raises(ValueError, match="format"):
        load_results(p)


def test_load_without_sidecar(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("a,b,c\n1,0.5,NA\n2,,x\n")
    df = load_results(p)
    assert df.attrs["provenance"] == {}
    assert df["a"].dtype == np.int64 and df["b"].isna().tolist() == [False, True]
    assert df["c"].tolist() == ["NA", "x"]


def test_modified_table_detected(tmp_path):
    path = to_csv(mixed_frame(), tmp_path / "r.csv")
    text = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(text[:-1]) + "\n", encoding="utf-8")  # drop a row
    with pytest.raises(ValueError, match="SHA-256"):
        load_results(path)
    with pytest.raises(ValueError, match="rows"):
        load_results(path, check=False)


def test_unknown_category_detected(tmp_path):
    path = to_csv(mixed_frame(3), tmp_path / "r.csv")
    path.write_text(path.read_text(encoding="utf-8").replace("completed", "exploded")
                    .replace("failed", "exploded").replace("recovered", "exploded"),
                    encoding="utf-8")
    with pytest.raises(ValueError, match="exploded"):
        load_results(path, check=False)


def test_relative_paths_and_str(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = to_parquet(mixed_frame(), "r.pq")
    assert os.path.exists("r.pq") and os.path.exists("r.pq.meta.json")
    assert_same(load_results(str(path)), mixed_frame())


def test_atomic_files_all_or_nothing(tmp_path):
    from mdcd_lab.io import TMP_SUFFIX, atomic_files
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_files(a, b) as (ta, tb):
            ta.write_text("new")
            tb.write_text("new")
            raise RuntimeError("killed half way")
    assert a.read_text() == "old" and not b.exists()
    assert not list(tmp_path.glob(f".*{TMP_SUFFIX}"))
    with atomic_files(a, b) as (ta, tb):
        assert ta.parent == tmp_path and ta.name.startswith(".a.txt.")
        ta.write_text("new a")
        tb.write_text("new b")
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


# --------------------------------------------------------------------------- streaming


def _stream_frame(n: int = 200_000) -> pd.DataFrame:
    """A table without text columns (what write_frames takes), larger than a row group."""
    return mixed_frame(7).drop(columns=["label"]).sample(n, replace=True, random_state=3) \
        .reset_index(drop=True).assign(run=np.arange(n, dtype=np.int64))


def _cuts(df: pd.DataFrame, bounds: list[int]):
    edges = [0, *bounds, len(df)]
    return [df.iloc[a:b].reset_index(drop=True) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def test_write_frames_csv_is_to_csv_of_the_whole_table(tmp_path):
    """write_frames (one frame in memory at a time) and to_csv of the concatenated frames
    write the same bytes and the same sidecar but for the timestamp."""
    df = _stream_frame(5000)
    whole = to_csv(df, tmp_path / "whole.csv")
    streamed, rows = mst.write_frames(_cuts(df, [1, 999, 4000]), tmp_path / "streamed.csv")
    assert rows == len(df)
    assert streamed.read_bytes() == whole.read_bytes()
    a, b = read_provenance(whole), read_provenance(streamed)
    for key in ("timestamp", "file"):
        a.pop(key), b.pop(key)
    assert a == b
    assert_same(load_results(streamed), df)


def test_write_frames_parquet_bytes_do_not_depend_on_the_cuts(tmp_path):
    """Row groups of STREAM_ROW_GROUP rows: two different cuts of one table give the same
    file, and load_results gives the table back."""
    df = _stream_frame()
    a, _ = mst.write_frames(_cuts(df, [10, 70_000, 70_001]), tmp_path / "a.parquet")
    b, _ = mst.write_frames(_cuts(df, [65_536, 131_072, 190_000]), tmp_path / "b.parquet")
    assert a.read_bytes() == b.read_bytes()
    assert_same(load_results(a), df)
    import pyarrow.parquet as pq
    groups = [pq.ParquetFile(a).metadata.row_group(i).num_rows
              for i in range(pq.ParquetFile(a).metadata.num_row_groups)]
    assert groups == [mst.STREAM_ROW_GROUP] * 3 + [len(df) - 3 * mst.STREAM_ROW_GROUP]


@pytest.mark.parametrize("name", ["t.csv", "t.parquet"])
def test_write_frames_refuses_a_frame_unlike_the_first_and_leaves_nothing(tmp_path, name):
    df = _stream_frame(100)
    other = df.assign(i32=df["i32"].astype(np.int64))
    with pytest.raises(ValueError, match=r"frame 1 has other columns or dtypes"):
        mst.write_frames([df, other], tmp_path / name)
    with pytest.raises(ValueError, match=r"text column\(s\) \['label'\]"):
        mst.write_frames([mixed_frame()], tmp_path / name)
    with pytest.raises(ValueError, match="no frame to write"):
        mst.write_frames([], tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_write_frames_interrupted_leaves_nothing(tmp_path):
    """A Ctrl-C while the frames are produced leaves no table, sidecar or temp file."""
    df = _stream_frame(100)

    def frames():
        yield df
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mst.write_frames(frames(), tmp_path / "t.csv")
    assert list(tmp_path.iterdir()) == []
