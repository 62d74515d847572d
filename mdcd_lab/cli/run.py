"""``mdcd-lab run`` (resumable after Ctrl-C) and the helpers every command shares.

See ``mdcd_lab.cli`` for the commands; docs/cli.md for what a user sees.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .specs import SpecError, load_spec

if TYPE_CHECKING:
    import pandas as pd


def one_screen(df: pd.DataFrame, by: list[str] | None = None) -> str:
    """A short table per protocol (or per ``by`` group): outcomes, costs, oracle verdicts."""
    import pandas as pd

    from ..metrics import VIOLATIONS
    g = df.groupby(by or "protocol", observed=True)
    tab = pd.DataFrame({
        "runs": g.size(),
        "P(failed)": g["outcome"].apply(lambda s: (s == "failed").mean()),
        "P(recovered)": g["outcome"].apply(lambda s: (s == "recovered").mean()),
        "ckpts/run": g["ckpt_total"].mean(),
        "log peak": g["log_entries_peak"].mean(),
        "rollback dist": g["rollback_dist_max"].mean(),
        "runs w/ violation": g.apply(lambda d: int((d[list(VIOLATIONS)].sum(axis=1) > 0).sum()),
                                     include_groups=False),
    })
    return tab.to_string(float_format=lambda x: f"{x:.4g}")


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
    from ..io.locks import FileLock
    with FileLock(out.with_name(f".{out.name}.lock"), f"output {str(out)!r}"):
        return _run_locked(args, spec, out, parts, default)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so that it ends like Ctrl-C (exit 143)."""


def _exit_status(exc: BaseException | None) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (``Terminated``)."""
    return 143 if isinstance(exc, Terminated) else 130


def _load_done(args, spec, out: Path, parts):
    """The runs an earlier, interrupted run of this command finished: its parts on disk
    (they survive SIGKILL), else the partial output it wrote; None without ``--resume``."""
    import pandas as pd

    from ..io.results import load_results
    from ..studies.batch import check_resumable, runs_done
    if args.resume and parts.exists():
        try:
            frames = parts.load()
        except ValueError as exc:
            raise SpecError(f"--resume: {exc}") from None
        return pd.concat(frames, ignore_index=True) if frames else None
    if not (args.resume and out.exists()):
        return None
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
    for p in spec.protocols:             # on disk as parts too, so that a kill keeps them
        if have[p]:
            parts.write(p, 0, done[names == p].reset_index(drop=True))
    return done


def _run_locked(args, spec, out: Path, parts, default: bool) -> int:
    """``cmd_run`` once it holds the lock of ``out``: one writer of an output at a time."""
    from ..io.provenance import sidecar_path
    from ..studies.batch import RunInterruptedError, run_spec, runs_done
    done = _load_done(args, spec, out, parts)
    engines = _engines(spec)
    prov = spec.provenance() | {"engine_per_protocol": engines}
    nothing = ("mdcd-lab: interrupted before a chunk of runs finished; nothing new was "
               "written" + (f"; {out} is unchanged" if done is not None else ""))
    try:
        announce_compilation(engines.values())
        df = run_spec(spec, done=done, progress=not args.quiet, on_chunk=parts.write)
    except KeyboardInterrupt as exc:   # before run_spec had anything to keep
        print(nothing, file=sys.stderr)
        return _exit_status(exc)
    except RunInterruptedError as exc:
        part = exc.partial
        if len(part) == (0 if done is None else len(done)):
            print(nothing, file=sys.stderr)
            return _exit_status(exc.interrupt)
        have = runs_done(part, spec.protocols)
        again = shlex.join(["mdcd-lab", "run", str(args.spec), "--out", str(out),
                            *_override_argv(args), "--resume"])
        _write(part, out, prov | {"partial": {"runs_done": have, "runs": spec.runs,
                                              "continue": again}})
        per = ", ".join(f"{p} {n}/{spec.runs}" for p, n in have.items())
        print(f"mdcd-lab: interrupted; kept {len(part)} of {spec.runs * len(have)} runs "
              f"({per}) in {out}; to finish them: {again}", file=sys.stderr)
        return _exit_status(exc.interrupt)
    _write(df, out, prov)
    parts.remove()
    note = " (no --out given: the default file)" if default else ""
    print(f"wrote {out} ({len(df)} rows) and {sidecar_path(out)}{note}")
    print(one_screen(df))
    return 0
