"""``mdcd-lab figures``: regenerate the paper figure set (docs/figures.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from .run import QUIET, announce_compilation
from .specs import SpecError

__all__ = ["add_figures_parser", "cmd_figures"]


def _check_figure_args(args) -> list[str] | None:
    from .. import api
    from ..figures.paper import FIGURES
    if args.runs < 1:
        raise SpecError(f"--runs must be >= 1, got {args.runs}")
    if args.engine not in ("auto", *api.ENGINES):
        raise SpecError(f"--engine must be one of {('auto', *api.ENGINES)}, "
                        f"got {args.engine!r}")
    only = [c for c in (getattr(args, "only", None) or "").split(",") if c] or None
    names = [f.name for f in FIGURES]
    for name in only or ():
        if name not in names:
            raise SpecError(f"--only: unknown figure {name!r}; known: {', '.join(names)}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out {out} exists and is not a directory")
    return only


def cmd_figures(args) -> int:
    from .. import api
    from ..figures.paper import FIGURES, figure_complete, make_figures
    only = _check_figure_args(args)
    announce_compilation([api.resolve_engine(args.engine, ["mdcd"])])
    wanted = only if only is not None else [f.name for f in FIGURES]
    try:
        written = make_figures(args.out, runs=args.runs, engine=args.engine,
                               progress=not args.quiet, only=only, resume=args.resume)
    except KeyboardInterrupt:
        done = [n for n in wanted if figure_complete(args.out, n, args.runs, args.engine)]
        print(f"mdcd-lab: interrupted; {len(done)} of {len(wanted)} figures are complete in "
              f"{args.out}; run the same command with --resume to make the missing ones",
              file=sys.stderr)
        return 130
    kept = [n for n in wanted if n not in written]
    if kept:
        print(f"kept {len(kept)} figures already complete in {args.out} (--resume): "
              f"{', '.join(kept)}")
    captions = {f.name: f.caption for f in FIGURES}
    for name, files in written.items():
        print(f"{name}: {captions[name]}")
        print("    " + ", ".join(str(f) for f in files))
    return 0


def add_figures_parser(sub) -> None:
    """``mdcd-lab figures`` (docs/figures.md)."""
    f = sub.add_parser("figures", help="regenerate every paper figure (PDF, PNG, CSV)",
                       description="Regenerate the paper figure set (docs/figures.md).")
    f.add_argument("--out", default="out/figures",
                   help="output directory (default: out/figures)")
    f.add_argument("--runs", type=int, default=2000,
                   help="runs per study point and protocol (default: 2000)")
    f.add_argument("--engine", default="auto",
                   help="auto (numba where implemented), numba or reference (default: auto)")
    f.add_argument("--only", help="comma-separated figure names (default: all)")
    f.add_argument("--resume", action="store_true",
                   help="keep the figures --out already holds complete with the same --runs "
                        "and --engine, and make only the missing ones")
    f.add_argument("--quiet", action="store_true", help=QUIET)
    f.set_defaults(func=cmd_figures)
