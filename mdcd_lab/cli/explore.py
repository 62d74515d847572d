"""``mdcd-lab explore``: the command-line face of [`mdcd_lab.explore`][mdcd_lab.exploration.explore]
(docs/explore.md)."""

from __future__ import annotations

from pathlib import Path

from .._checks import ENGINE_CHOICES
from ..api import resolve_engine
from ..exploration.verdicts import CLASSES, SCOPES, explore, resolve_protocols, summary_columns
from .run import announce_compilation


def add_explore_parser(sub) -> None:
    """The ``mdcd-lab explore`` subcommand (registered by ``mdcd_lab.cli``)."""
    e = sub.add_parser("explore", help="replay every trace of a small scope (exhaustive)",
                       description="Bounded exhaustive exploration; see docs/explore.md.")
    e.add_argument("--scope", default="ci", help=f"one of {', '.join(SCOPES)} (default ci)")
    e.add_argument("--protocols", default="mdcd,mdcd-paper",
                   help="comma-separated protocol names, or 'all' (default mdcd,mdcd-paper)")
    e.add_argument("--engine", default="numba", choices=ENGINE_CHOICES,
                   help="numba, reference or auto (numba where it implements every protocol); "
                        "the counts are identical (default: numba)")
    e.add_argument("--out", help="summary CSV (no counterexample columns)")
    e.add_argument("--cx-dir", help="directory receiving the smallest counterexample of "
                                    "each class as cx_<protocol>_<class>.csv")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.set_defaults(func=cmd_explore)


def cmd_explore(args) -> int:
    """Run ``mdcd-lab explore``: print the table, write the optional files."""
    protocols = tuple(p.strip() for p in args.protocols.split(",") if p.strip())
    if protocols == ("all",):
        protocols = "all"
    rules = resolve_protocols(protocols)
    if args.scope not in SCOPES:
        raise ValueError(f"--scope {args.scope!r}: choose one of {', '.join(SCOPES)}")
    out = Path(args.out) if args.out else None
    if out is not None and (out.suffix != ".csv" or not out.parent.exists()):
        raise ValueError(f"--out {out}: must be a .csv file in an existing directory")
    cx_dir = Path(args.cx_dir) if args.cx_dir else None
    if cx_dir is not None and not cx_dir.parent.exists():
        raise ValueError(f"--cx-dir {cx_dir}: the directory {cx_dir.parent} does not exist")
    engine = resolve_engine(args.engine, rules)
    announce_compilation([engine], "replay")
    df = explore(args.scope, protocols=protocols, engine=engine, progress=not args.quiet)
    table = summary_columns(df)
    print(table.to_string(index=False))
    compiled = df.attrs["compile_seconds"]
    print(f"{int(table['traces'].iloc[0])} distinct traces per protocol, "
          f"{df.attrs['seconds']:.1f} s on the {engine} engine"
          + (f" (and {compiled:.1f} s compiling the numba kernels)" if compiled else ""))
    if out is not None:
        table.to_csv(out, index=False)
    if cx_dir is not None:
        cx_dir.mkdir(exist_ok=True)
        for _, row in df.iterrows():
            for c in CLASSES:
                cx = row[f"cx_{c}"]
                if cx is not None:
                    cx.to_csv(cx_dir / f"cx_{row['protocol']}_{row['fault_scope']}_{c}.csv",
                              index=False)
    return 0
