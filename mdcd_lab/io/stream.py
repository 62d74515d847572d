"""A result table written frame by frame: [`write_frames`][mdcd_lab.io.write_frames], the streaming
twin of [`to_csv`][mdcd_lab.io.to_csv] and [`to_parquet`][mdcd_lab.io.to_parquet].

``mdcd-lab run`` writes its output from its parts and ``sweep_to`` its table from
its store through it, one frame in memory at a time (docs/reliability.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .dtypes import _is_text_dtype, _schema
from .provenance import sidecar_path
from .results import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    _check_frame,
    _check_target,
    _finish_meta,
    _meta,
    atomic_files,
)

__all__ = ["write_frames", "STREAM_ROW_GROUP"]

#: Rows per Parquet row group of [`write_frames`][mdcd_lab.io.write_frames]: fixed, so that the
#: file's bytes do not depend on how its rows were cut into frames.
STREAM_ROW_GROUP = 65_536


def write_frames(frames: Iterable[pd.DataFrame], path: str | os.PathLike[str],
                 provenance: Mapping[str, Any] | None = None) -> tuple[Path, int]:
    """Write a table given as consecutive frames, one frame in memory at a time.

    The streaming twin of [`to_csv`][mdcd_lab.io.to_csv] / [`to_parquet`][mdcd_lab.io.to_parquet]
    (the format follows the suffix of ``path``): the same sidecar, the same all-or-nothing write
    ([`atomic_files`][mdcd_lab.io.atomic_files]), and [`load_results`][mdcd_lab.io.load_results]
    reads the file back as the concatenation of the frames.  ``mdcd-lab run`` streams its finished
    chunks into its output with it, so that a run never holds all its rows in memory.

    Parameters
    ----------
    frames : iterable of DataFrame
        At least one frame; every frame has the first one's columns and dtypes
        (categoricals with the same categories).  Text columns are not supported
        (their missing values are recorded per table): make them categorical.
    path : str or path-like
        Target file, ``.csv``, ``.parquet`` or ``.pq``; its directory must exist.
    provenance : mapping, optional
        As for [`to_csv`][mdcd_lab.io.to_csv].

    Returns
    -------
    (pathlib.Path, int)
        The path of the table and its number of rows.

    Raises
    ------
    ValueError
        As for [`to_csv`][mdcd_lab.io.to_csv]; an empty ``frames``; a frame whose columns or
        dtypes differ from the first one's (nothing is left on disk).

    Notes
    -----
    A CSV file is byte for byte what [`to_csv`][mdcd_lab.io.to_csv] writes for the concatenated
    frames.  A Parquet file is written in row groups of
    [`STREAM_ROW_GROUP`][mdcd_lab.io.STREAM_ROW_GROUP] rows, so its bytes do not depend on how the
    rows were cut into frames (they may differ from [`to_parquet`][mdcd_lab.io.to_parquet]'s, which
    writes one row group).
    """
    p = Path(path)
    fmt = "csv" if p.suffix.lower() in CSV_SUFFIXES else "parquet"
    target = _check_target(p, CSV_SUFFIXES if fmt == "csv" else PARQUET_SUFFIXES,
                           "write_frames")
    meta = _meta(target, provenance, fmt)
    with atomic_files(target, sidecar_path(target)) as (tmp_table, tmp_meta):
        sink = _CsvSink(tmp_table) if fmt == "csv" else _ParquetSink(tmp_table)
        rows, schema = 0, None
        try:
            for k, df in enumerate(frames):
                _check_frame(df)
                this = _schema(df, fmt)
                if schema is None:
                    text = [c for c, d in zip(df.columns, df.dtypes, strict=True)
                            if _is_text_dtype(d)]
                    if text:
                        raise ValueError(f"write_frames: text column(s) {text} are not "
                                         f"supported; make them categorical")
                    schema = this
                elif this != schema:
                    raise ValueError(f"write_frames: frame {k} has other columns or dtypes "
                                     f"than frame 0 ({this['dtypes']} vs {schema['dtypes']})")
                sink.write(df)
                rows += len(df)
            if schema is None:
                raise ValueError("write_frames: no frame to write")
        finally:
            sink.close()
        meta.update(rows=rows, **schema)
        _finish_meta(tmp_table, tmp_meta, meta)
    return target, rows


class _CsvSink:
    """Frames appended to one CSV file, the header once."""

    def __init__(self, path: Path) -> None:
        self.f = open(path, "x", encoding="utf-8", newline="")
        self.header = True

    def write(self, df: pd.DataFrame) -> None:
        df.to_csv(self.f, index=False, header=self.header)
        self.header = False

    def close(self) -> None:
        self.f.close()


class _ParquetSink:
    """Frames appended to one Parquet file in row groups of
    [`STREAM_ROW_GROUP`][mdcd_lab.io.STREAM_ROW_GROUP]."""

    def __init__(self, path: Path) -> None:
        self.path, self.writer, self.pending, self.n = path, None, [], 0

    def write(self, df: pd.DataFrame) -> None:
        import pyarrow as pa
        table = pa.Table.from_pandas(df, preserve_index=False)
        if self.writer is None:
            import pyarrow.parquet as pq
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.pending.append(table)
        self.n += len(table)
        while self.n >= STREAM_ROW_GROUP:
            self._flush(STREAM_ROW_GROUP)

    def _flush(self, n: int) -> None:
        import pyarrow as pa
        table = pa.concat_tables(self.pending)
        self.writer.write_table(table.slice(0, n).combine_chunks(), row_group_size=n)
        rest = table.slice(n)
        self.pending, self.n = ([rest] if len(rest) else []), len(rest)

    def close(self) -> None:
        if self.writer is None:
            return
        if self.n:
            self._flush(self.n)
        self.writer.close()
