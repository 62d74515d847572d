"""``mdcd-lab run`` (resumable after Ctrl-C) and the helpers every command shares.

See ``mdcd_lab.cli`` for the commands; docs/cli.md for what a user sees.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .specs import SpecError, load_spec

if TYPE_CHECKING:
    import pandas as pd


class Tally:
    """The counts and sums behind ``one_screen``, added frame by frame, so that a
    table streamed to disk (``mdcd-lab run``) is summed without being held in memory.

    Parameters
    ----------
    by : list of str, optional
        The groups (default ``["protocol"]``).
    """

    def __init__(self, by: list[str] | None = None) -> None:
        self.by = list(by or ["protocol"])
        self.parts: list[pd.DataFrame] = []

    def add(self, df: pd.DataFrame) -> Tally:
        """Add the rows of ``df``; returns the tally."""
        import pandas as pd

        from ..metrics import VIOLATIONS
        sums = pd.DataFrame({
            "runs": 1,
            "failed": (df["outcome"] == "failed").to_numpy(dtype=float),
            "recovered": (df["outcome"] == "recovered").to_numpy(dtype=float),
            "ckpt_total": df["ckpt_total"].to_numpy(dtype=float),
            "log_entries_peak": df["log_entries_peak"].to_numpy(dtype=float),
            "rollback_dist_max": df["rollback_dist_max"].to_numpy(dtype=float),
            "violation": (df[list(VIOLATIONS)].sum(axis=1) > 0).to_numpy(dtype=float),
        }, index=pd.MultiIndex.from_frame(df[self.by]) if len(self.by) > 1
            else pd.Index(df[self.by[0]]))
        self.parts.append(sums.groupby(level=self.by, observed=True, sort=True).sum())
        return self

    def text(self) -> str:
        """The table ``one_screen`` prints."""
        import pandas as pd
        tot = pd.concat(self.parts).groupby(level=self.by, observed=True, sort=True).sum()
        n = tot["runs"]
        tab = pd.DataFrame({
            "runs": n.astype(int),
            "P(failed)": tot["failed"] / n,
            "P(recovered)": tot["recovered"] / n,
            "ckpts/run": tot["ckpt_total"] / n,
            "log peak": tot["log_entries_peak"] / n,
            "rollback dist": tot["rollback_dist_max"] / n,
            "runs w/ violation": tot["violation"].astype(int),
        })
        return tab.to_string(float_format=lambda x: f"{x:.4g}")


def one_screen(df: pd.DataFrame, by: list[str] | None = None) -> str:
    """A short table per protocol (or per ``by`` group): outcomes, costs, oracle verdicts."""
    return Tally(by).add(df).text()


def _out_path(out: str | None, default: str | None = None) -> Path | None:
    if out is None and default is None:
        return None
    p = Path(out if out is not None else default)
    if p.suffix not in (".csv", ".parquet", ".pq"):
        raise SpecError(f"--out {p}: the file name must end in .csv, .parquet or .pq")
    if not p.parent.exists():
        raise SpecError(f"--out {p}: the directory {p.parent} does not exist")
    return p


#: Help of ``--quiet``.
QUIET = "no progress bars (the one-time notice that numba is compiling still prints)"
#: Help of ``--force``.
FORCE = "overwrite output files that exist already (default: refuse)"


def refuse_existing(args, *paths: Path | None, hint: str = "") -> None:
    """Refuse, before any work, to overwrite an output that exists unless ``--force``."""
    if getattr(args, "force", False):
        return
    for path in paths:
        if path is not None and path.exists():
            raise SpecError(f"--out {path}: exists; pass --force to overwrite it{hint}")


def _write(df: pd.DataFrame, path: Path, provenance: dict) -> None:
    from ..io.results import to_csv, to_parquet
    (to_csv if path.suffix == ".csv" else to_parquet)(df, path, provenance=provenance)


#: The start of the line printed before numba kernels compile (they are cached
#: afterwards); the line goes on with the kernels and the expected time
#: (``mdcd_lab.fast._cache.notice``).
COMPILING = "mdcd-lab: compiling the numba engine's"


def simulate_spec(spec, progress: bool = True) -> pd.DataFrame:
    """Run every protocol of a scenario spec on common traces; one row per run."""
    from ..studies.batch import run_spec
    return run_spec(spec, progress=progress)


def _engines(spec) -> dict[str, str]:
    """The engine each protocol of ``spec`` runs on (``auto`` resolved)."""
    from .. import api
    return {p: api.resolve_engine(spec.engine, [p]) for p in spec.protocols}


def announce_compilation(engines, what: str = "simulate") -> None:
    """Say so on stderr, with the expected time, when the numba kernels of ``what``
    (``"simulate"`` or ``"replay"``) are about to be compiled (cold cache).

    The library would say it too (``mdcd_lab.fast._cache.ensure_compiled``), but
    only once the work has started (after a dask cluster started, for instance)
    and not at all where the kernels compile in worker processes; the notice is
    said once.
    """
    if "numba" not in set(engines):
        return
    from .. import api
    if not api.numba_compiled(what):
        print(api.compile_notice(what, "mdcd-lab"), file=sys.stderr, flush=True)
        api.compile_announced(what)


def _overrides(args, spec):
    """``spec`` with the ``--runs``, ``--seed``, ``--engine``, ``--protocol`` options applied."""
    protocols = None
    if args.protocol is not None:
        protocols = [p.strip() for p in args.protocol.split(",") if p.strip()]
    return spec.with_overrides(runs=args.runs, seed=args.seed, engine=args.engine,
                               protocols=protocols)


def _override_argv(args) -> list[str]:
    out = []
    for opt in ("runs", "seed", "engine", "protocol", "max_events"):
        if getattr(args, opt) is not None:
            out += [f"--{opt.replace('_', '-')}", str(getattr(args, opt))]
    return out


def cmd_run(args) -> int:
    """``mdcd-lab run``: every protocol of a scenario file; Ctrl-C keeps finished runs.

    One writer of an output at a time: the run holds ``.<name>.lock`` beside the output
    ([`mdcd_lab.io.locks.FileLock`][mdcd_lab.io.FileLock]); a second ``run`` on the same ``--out``
    is refused in one line, exit 2.
    """
    spec = _overrides(args, load_spec(args.spec))
    default = args.out is None
    out = _out_path(args.out, f"{Path(args.spec).stem}-results.csv")
    if out.is_dir():
        raise SpecError(f"--out {out}: is a directory")
    from ..studies.parts import RunParts
    parts = RunParts(out, spec)
    if not args.resume:
        if parts.exists():
            raise SpecError(f"--out {out}: an interrupted run left its finished runs in "
                            f"{parts.path}; add --resume to finish them, or delete that "
                            f"folder to start over")
        refuse_existing(args, out, hint=" (or --resume to finish an interrupted run)")
    from ..studies.cost import check_cost
    try:
        check_cost([spec.scenario], spec.runs, len(spec.protocols), args.max_events,
                   what="run")
    except ValueError as exc:
        raise SpecError(f"{spec.path}: {exc}") from None
    with output_lock(out):
        return _run_locked(args, spec, out, parts, default)


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the lock of an output file (``.<name>.lock``, a
    [`FileLock`][mdcd_lab.io.FileLock]): one writer of ``out`` at a time.  Under it,
    the temporary files that a killed writer of ``out`` and its sidecar left are
    removed ([`remove_stale_temporaries`][mdcd_lab.io.remove_stale_temporaries])."""
    from ..io.locks import FileLock
    from ..io.provenance import sidecar_path
    from ..io.results import remove_stale_temporaries
    with FileLock(out.with_name(f".{out.name}.lock"), f"output {str(out)!r}"):
        remove_stale_temporaries(out, sidecar_path(out))
        yield


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so that it ends like Ctrl-C (exit 143)."""


def _exit_status(exc: BaseException | None) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (``Terminated``)."""
    return 143 if isinstance(exc, Terminated) else 130


def _resume(args, spec, out: Path, parts) -> dict[str, int]:
    """The runs per protocol an earlier, interrupted run of this command finished: its
    parts on disk (they survive SIGKILL), else the partial output it wrote (copied into
    parts, so that a kill keeps them); none without ``--resume``."""
    from ..io.results import load_results
    from ..studies.batch import check_resumable, runs_done
    none = dict.fromkeys(spec.protocols, 0)
    if args.resume and parts.exists():
        try:
            have = parts.runs_done()
        except ValueError as exc:
            raise SpecError(f"--resume: {exc}") from None
        return have
    if not (args.resume and out.exists()):
        return none
    done = load_results(out)
    try:
        check_resumable(done.attrs["provenance"], spec)
        have = runs_done(done, spec.protocols)
        over = sorted(p for p, n in have.items() if n > spec.runs)
        if over:
            raise ValueError(f"it holds more than {spec.runs} runs of {', '.join(over)}")
    except ValueError as exc:
        raise SpecError(f"--resume: {out} cannot be continued by this command: {exc}") \
            from None
    names = done["protocol"].astype(str)
    for p in spec.protocols:
        if have[p]:
            parts.write(p, 0, done[names == p].reset_index(drop=True))
    return have


def _stream_parts(parts, spec, out: Path, provenance: dict) -> tuple[int, str]:
    """Write ``out`` from the parts on disk, one part in memory at a time; returns its
    rows and the one-screen summary of them."""
    import pandas as pd

    from ..io.stream import write_frames
    from ..studies.batch import _assemble
    protocols = list(spec.protocols)
    tally = Tally()

    def frames():
        n = 0
        for frame in parts.frames():
            frame = frame.assign(protocol=pd.Categorical(frame["protocol"].astype(str),
                                                         categories=protocols))
            tally.add(frame)
            n += len(frame)
            yield frame
        if n == 0:
            yield _assemble({p: [] for p in protocols}, tuple(protocols))

    _, rows = write_frames(frames(), out, provenance)
    return rows, (tally.text() if rows else "")


def _run_locked(args, spec, out: Path, parts, default: bool) -> int:
    """``cmd_run`` once it holds the lock of ``out``: one writer of an output at a time.

    Each finished chunk goes to disk at once (``mdcd_lab.studies.parts.RunParts``),
    and the output is written from the parts, one part in memory at a time: a run never
    holds all its rows in memory, and SIGKILL, SIGTERM or a late Ctrl-C keep every
    finished chunk."""
    from ..io.provenance import sidecar_path
    from ..studies.batch import RunInterruptedError, play_spec
    have = _resume(args, spec, out, parts)
    before = sum(have.values())
    engines = _engines(spec)
    prov = spec.provenance() | {"engine_per_protocol": engines}
    nothing = ("mdcd-lab: interrupted before a chunk of runs finished; nothing new was "
               "written" + (f"; {out} is unchanged" if out.exists() else ""))
    try:
        announce_compilation(engines.values())
        play_spec(spec, have, parts.write, progress=not args.quiet)
        rows, screen = _stream_parts(parts, spec, out, prov)
    except RunInterruptedError as exc:
        return _interrupted(args, spec, out, parts, prov, before, nothing, exc.interrupt)
    except KeyboardInterrupt as exc:   # before a chunk, or while the output was written
        return _interrupted(args, spec, out, parts, prov, before, nothing, exc)
    parts.remove()
    note = " (no --out given: the default file)" if default else ""
    print(f"wrote {out} ({rows} rows) and {sidecar_path(out)}{note}")
    print(screen)
    return 0


def _interrupted(args, spec, out: Path, parts, prov: dict, before: int, nothing: str,
                 interrupt: BaseException | None) -> int:
    """After Ctrl-C or SIGTERM: the finished runs (in parts) also written to ``out`` as a
    partial output that ``--resume`` continues; one line; exit 130 or 143."""
    from ..studies.batch import RunInterruptedError
    # by the parts' names: streaming them below checks each one as it reads it
    have = parts.runs_done(check=False) if parts.exists() else \
        dict.fromkeys(spec.protocols, 0)
    if sum(have.values()) == before:
        print(nothing, file=sys.stderr)
        return _exit_status(interrupt)
    again = shlex.join(["mdcd-lab", "run", str(args.spec), "--out", str(out),
                        *_override_argv(args), "--resume"])
    try:
        _stream_parts(parts, spec, out, prov | {"partial": {
            "runs_done": have, "runs": spec.runs, "continue": again}})
        where = f"in {out}"
    except (KeyboardInterrupt, RunInterruptedError):   # a second Ctrl-C: the parts stay
        where = f"in {parts.path}"
    per = ", ".join(f"{p} {n}/{spec.runs}" for p, n in have.items())
    print(f"mdcd-lab: interrupted; kept {sum(have.values())} of "
          f"{spec.runs * len(have)} runs ({per}) {where}; to finish them: {again}",
          file=sys.stderr)
    return _exit_status(interrupt)
