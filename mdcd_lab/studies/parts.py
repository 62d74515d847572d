"""The finished chunks of ``mdcd-lab run --out F``, on disk as they finish.

``run`` plays each protocol's runs in chunks (``mdcd_lab.studies.batch``).  Each
finished chunk is written at once to ``.F.parts/`` beside the output, one Parquet
file per chunk (all-or-nothing, [`mdcd_lab.io.atomic_files`][mdcd_lab.io.atomic_files]) that carries
the run's identity (a SHA-256 of the spec's scenario, seed and protocols, the protocol,
the runs) and a checksum of its rows, like a sweep store's units
(``mdcd_lab.studies.store``).  So a run killed by SIGKILL, or interrupted while
the output is assembled or written, keeps every finished chunk: ``--resume`` loads
them, checked, and plays only the missing runs.  Once the output is written, the
folder is removed.  See ``docs/cli.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..io.results import TMP_SUFFIX
from .store import read_with_identity, rows_checksum, write_with_identity

__all__ = ["RunParts", "PART_KEY"]

#: The key of a part file's Parquet metadata that holds its identity.
PART_KEY = b"mdcd_lab.run-part"
_PART_RE = re.compile(r"^q(\d+)-r(\d+)-(\d+)\.parquet$")


class RunParts:
    """The parts folder of one output ``out`` of a run of ``spec``.

    Parameters
    ----------
    out : Path
        The output file (``F``); the parts live in ``F``'s folder, ``.F.parts/``.
    spec : mdcd_lab.cli.specs.Spec
        The run: its scenario, seed and protocols identify the parts.
    """

    def __init__(self, out: Path, spec: Any) -> None:
        self.path = out.with_name(f".{out.name}.parts")
        self.protocols = tuple(spec.protocols)
        ident = {"scenario": spec.scenario.to_dict(), "seed": spec.seed,
                 "protocols": list(self.protocols)}
        text = json.dumps(ident, sort_keys=True, separators=(",", ":"))
        self.run_hash = hashlib.sha256(text.encode()).hexdigest()

    def exists(self) -> bool:
        """Whether an earlier run left parts (it was killed or interrupted)."""
        return self.path.is_dir() and any(self.path.glob("*.parquet"))

    def write(self, protocol: str, start: int, frame: pd.DataFrame) -> None:
        """Store the finished runs ``start .. start + len(frame) - 1`` of ``protocol``."""
        self.path.mkdir(exist_ok=True)
        q, stop = self.protocols.index(protocol), start + len(frame)
        ident = {"run": self.run_hash, "protocol": protocol, "runs": [start, stop],
                 "rows": rows_checksum(frame)}
        write_with_identity(self.path / f"q{q}-r{start:012d}-{stop:012d}.parquet", frame,
                            PART_KEY, ident)

    def _read(self, f: Path) -> tuple[int, int, int, pd.DataFrame]:
        m = _PART_RE.match(f.name)
        bad = f"{f}: not a part of this run ({'{}'}); delete {self.path} to start over"
        if m is None:
            raise ValueError(bad.format("unexpected file name"))
        q, start, stop = (int(g) for g in m.groups())
        try:
            ident, frame = read_with_identity(f, PART_KEY)
        except ValueError:
            raise ValueError(bad.format("unreadable, or it carries no identity")) from None
        if ident.get("run") != self.run_hash or q >= len(self.protocols) or \
                ident.get("protocol") != self.protocols[q] or ident.get("runs") != [start, stop]:
            raise ValueError(bad.format("another scenario, seed, protocol or runs"))
        if ident.get("rows") != rows_checksum(frame):
            raise ValueError(bad.format("its rows were changed after it was written"))
        return q, start, stop, frame

    def _named(self) -> list[tuple[int, int, int, Path]]:
        """``(protocol index, first run, stop, file)`` of every part file, sorted; a file
        of another name is refused; stray temporary files of a killed writer are
        removed."""
        for tmp in self.path.glob(f".*{TMP_SUFFIX}"):
            tmp.unlink(missing_ok=True)
        named = []
        for f in self.path.glob("*.parquet"):
            m = _PART_RE.match(f.name)
            if m is None:
                raise ValueError(f"{f}: not a part of this run (unexpected file name); "
                                 f"delete {self.path} to start over")
            q, start, stop = (int(g) for g in m.groups())
            named.append((q, start, stop, f))
        return sorted(named)

    def _prefix(self, named: list[tuple[int, int, int, Path]]
                ) -> list[tuple[int, int, int, Path]]:
        """The parts that make one prefix of runs per protocol, in protocol and run order
        (a part after a gap is played again, never mixed in)."""
        out, ends = [], dict.fromkeys(range(len(self.protocols)), 0)
        for q, start, stop, f in named:
            if start == ends.get(q):
                out.append((q, start, stop, f))
                ends[q] = stop
        return out

    def runs_done(self, check: bool = True) -> dict[str, int]:
        """The finished runs per protocol that the parts hold.  With ``check``, every
        part is read and checked first (its identity and rows, one part in memory at a
        time): one that does not belong to this run is refused, naming it; without,
        the file names alone count (``frames`` checks each part as it reads it)."""
        named = self._named()
        if check:
            for *_, f in named:
                self._read(f)
        have = dict.fromkeys(self.protocols, 0)
        for q, _, stop, _ in self._prefix(named):
            have[self.protocols[q]] = stop
        return have

    def frames(self) -> Iterator[pd.DataFrame]:
        """The parts of ``runs_done``, each checked as it is read, one at a time:
        one prefix of runs per protocol, in protocol order (the run's output,
        streamed)."""
        for *_, f in self._prefix(self._named()):
            yield self._read(f)[3]

    def remove(self) -> None:
        """Remove the folder (the output holds every run now)."""
        shutil.rmtree(self.path, ignore_errors=True)
