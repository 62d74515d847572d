"""Result tables on disk: CSV or Parquet plus a JSON provenance sidecar.

- ``results``: [`to_csv`][mdcd_lab.io.to_csv], [`to_parquet`][mdcd_lab.io.to_parquet],
  [`load_results`][mdcd_lab.io.load_results], written atomically;
  [`write_frames`][mdcd_lab.io.write_frames] streams a table frame by frame;
- ``provenance``: the sidecar's path, its hash and the JSON
  form of ``provenance``;
- ``dtypes``: the record and restore of the column dtypes;
- ``locks``: [`FileLock`][mdcd_lab.io.FileLock], one writer per store or output.

See ``docs/results-and-summaries.md``.
"""

from .locks import FileLock, LockedError, read_lock
from .provenance import SIDECAR_SUFFIX, read_provenance, sidecar_path
from .results import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    RESERVED_KEYS,
    TMP_SUFFIX,
    atomic_files,
    load_results,
    mdcd_lab_version,
    remove_stale_temporaries,
    to_csv,
    to_parquet,
)
from .stream import STREAM_ROW_GROUP, write_frames

__all__ = ["to_csv", "to_parquet", "write_frames", "load_results", "read_provenance",
           "sidecar_path", "atomic_files", "remove_stale_temporaries", "mdcd_lab_version",
           "SIDECAR_SUFFIX", "RESERVED_KEYS", "CSV_SUFFIXES", "PARQUET_SUFFIXES", "TMP_SUFFIX",
           "FileLock", "LockedError", "read_lock", "STREAM_ROW_GROUP"]
