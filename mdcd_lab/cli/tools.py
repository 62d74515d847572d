"""``mdcd-lab plot-sweep`` and ``mdcd-lab replay``: a figure of a sweep's results file, and
the per-run metrics of a trace file replayed under protocols (docs/cli.md).

Both read files that other commands wrote (``sweep --out``, ``trace --out``) and check
every option against the file before any work: a problem is one line naming the option
or the column, exit status 2, and no output file.
"""

from __future__ import annotations

from pathlib import Path

from .run import FORCE, _out_path, _write, announce_compilation, one_screen, refuse_existing
from .specs import SpecError, load_spec

__all__ = ["add_tool_parsers", "cmd_plot_sweep", "cmd_replay", "FIGURE_SUFFIXES"]

#: The file types ``plot-sweep --out`` writes (matplotlib's writers).
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def _load(path: str, what: str):
    """A results or trace file, read with its sidecar; one line if it cannot be."""
    from ..io.results import load_results
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{p}: no such file")
    try:
        return load_results(p)
    except ValueError as exc:
        if "SHA-256" in str(exc):
            raise SpecError(f"{p}: the {what} does not match its sidecar {p}.meta.json (it "
                            f"was edited after it was written); delete the sidecar to read "
                            f"it as a plain CSV") from None
        raise SpecError(f"{p}: {exc}") from None


def _where(df, items: list[str] | None):
    """The rows of ``df`` where every ``FIELD=VALUE`` of ``--where`` holds."""
    import pandas as pd
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError(f"--where {item!r}: use FIELD=VALUE, e.g. --where n_low=2")
        if key not in df.columns:
            raise SpecError(f"--where {item!r}: the file has no column {key!r}")
        col = df[key]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            try:
                keep = col == float(value)
            except ValueError:
                raise SpecError(f"--where {item!r}: {key} is numeric, {value!r} is not a "
                                f"number") from None
        else:
            keep = col.astype(str) == value
        if not keep.any():
            values = ", ".join(sorted(map(str, pd.unique(col)))[:8])
            raise SpecError(f"--where {item!r}: no row has {key} = {value} (values: {values})")
        df = df[keep]
    return df


def _sweep_x(df, x: str | None) -> str:
    """``--x``, or the one Scenario field that varies in the file."""
    from ..scenario import FIELDS
    if x is not None:
        if x not in df.columns:
            raise SpecError(f"--x {x!r}: the file has no such column")
        return x
    varying = [f for f in FIELDS if f in df.columns and df[f].nunique(dropna=False) > 1]
    if len(varying) != 1:
        which = ", ".join(varying) if varying else "none"
        raise SpecError(f"--x is needed: the file's varying scenario fields are {which}")
    return varying[0]


def cmd_plot_sweep(args) -> int:
    """``mdcd-lab plot-sweep``: [`mdcd_lab.plots.plot_sweep`][mdcd_lab.plots.plot_sweep] of a
    results file."""
    out = Path(args.out)
    if out.suffix.lower() not in FIGURE_SUFFIXES:
        raise SpecError(f"--out {out}: the file name must end in {', '.join(FIGURE_SUFFIXES)}")
    if not out.parent.is_dir():
        raise SpecError(f"--out {out}: the directory {out.parent} does not exist")
    if out.is_dir():
        raise SpecError(f"--out {out}: is a directory")
    refuse_existing(args, out)
    if not 0 < args.level < 1:
        raise SpecError(f"--level must lie in (0, 1), got {args.level}")
    df = _where(_load(args.results, "results file"), args.where)
    x = _sweep_x(df, args.x)
    by = [c for c in (args.by or "").split(",") if c] or None
    import pandas as pd

    from ..metrics import METRIC_NAMES
    from ..scenario import FIELDS
    from ..stats.summary import PROBABILITY_METRICS as PROBABILITIES
    if args.metric not in df.columns and args.metric not in PROBABILITIES:
        known = [m for m in METRIC_NAMES if m in df.columns and m not in ("run", "seed")
                 and pd.api.types.is_numeric_dtype(df[m])]
        raise SpecError(f"--metric {args.metric!r}: not a column of {args.results}; choose "
                        f"one of {', '.join([*PROBABILITIES, *known])}")
    for f in FIELDS:      # a line must not average over another swept field
        if f in df.columns and f != x and f not in (by or []) \
                and df[f].nunique(dropna=False) > 1:
            values = ", ".join(sorted(map(str, pd.unique(df[f]))))
            raise SpecError(f"--x {x}: the scenario field {f!r} varies too (values {values}) "
                            f"and a line would average over it; pick one value with --where "
                            f"{f}=VALUE, or add it to --by")
    from ..plots import plot_sweep
    try:
        fig = plot_sweep(df, x, args.metric, by=by, level=args.level, logx=args.logx,
                         logy=args.logy)
    except (ValueError, TypeError) as exc:
        raise SpecError(f"{args.results}: {exc}") from None
    fig.savefig(out)
    print(f"wrote {out}: {args.metric} against {x}"
          + (f" by {', '.join(by)}" if by else "") + f" ({len(df)} runs)")
    return 0


def _replay_scenario(args, meta: dict):
    """The scenario of ``replay``: ``--spec``'s, else the one the trace's sidecar records."""
    if args.spec is not None:
        return load_spec(args.spec).scenario, str(args.spec)
    if not isinstance(meta.get("scenario"), dict):
        raise SpecError(f"{args.trace}: its sidecar records no scenario; pass --spec "
                        f"SCENARIO.toml")
    from ..scenario import Scenario
    try:
        return Scenario(**meta["scenario"]), f"{args.trace}.meta.json"
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{args.trace}.meta.json: its scenario is not valid ({exc}); pass "
                        f"--spec SCENARIO.toml") from None


def cmd_replay(args) -> int:
    """``mdcd-lab replay``: every run of a trace file under each protocol, one row per run."""
    from .. import api
    from ..protocols import get_rules
    out = _out_path(args.out)
    if out.is_dir():
        raise SpecError(f"--out {out}: is a directory")
    refuse_existing(args, out)
    trace = _load(args.trace, "trace")
    meta = trace.attrs.get("provenance", {})
    scenario, source = _replay_scenario(args, meta)
    if args.protocol:
        protocols = [p.strip() for p in args.protocol.split(",") if p.strip()]
    elif isinstance(meta.get("protocol"), str):
        protocols = [meta["protocol"]]
    else:
        raise SpecError(f"{args.trace}: its sidecar names no protocol; pass --protocol P")
    try:
        names = [get_rules(p).name for p in protocols]
    except ValueError as exc:
        raise SpecError(f"--protocol: {exc}") from None
    try:
        from ..traces.validate import validate_trace
        validate_trace(trace, scenario)                # names the column and the row
        for p in protocols:
            api._check_twins(trace, scenario, p)
    except ValueError as exc:
        raise SpecError(f"{args.trace}: {exc}") from None
    if len(set(names)) != len(names):
        raise SpecError(f"--protocol {args.protocol}: a protocol is repeated")
    try:
        engines = {p: api.resolve_engine(args.engine, [p]) for p in protocols}
    except ValueError as exc:
        raise SpecError(f"--engine: {exc}") from None
    announce_compilation(engines.values(), "replay")
    import pandas as pd
    frames = [api.replay(trace, scenario, p, engine=engines[p]) for p in protocols]
    df = pd.concat(frames, ignore_index=True)
    df["protocol"] = pd.Categorical(df["protocol"].astype(str), categories=names)
    prov = {"replayed": str(args.trace), "trace_sha256": meta.get("sha256"),
            "scenario_from": source, "scenario": scenario.to_dict(), "protocols": names,
            "engine_per_protocol": engines}
    _write(df, out, prov)
    print(f"wrote {out} ({len(df)} rows: {df['run'].nunique()} run(s) x {len(names)} "
          f"protocol(s)) and {out}.meta.json")
    print(one_screen(df))
    return 0


def add_tool_parsers(sub) -> None:
    """Register ``plot-sweep`` and ``replay``."""
    ps = sub.add_parser("plot-sweep", help="a figure of a sweep's results file: a metric "
                                           "against a swept field, with confidence bands",
                        description="Draw a metric of a results file written by 'mdcd-lab "
                                    "sweep' against a swept field, one line per protocol "
                                    "(or --by groups) with the confidence bands of "
                                    "'summarize' (mdcd_lab.plots.plot_sweep; "
                                    "docs/plots-and-widgets.md).  Nothing is simulated.")
    ps.add_argument("results", help="results file (.csv, .parquet, .pq) of a sweep")
    ps.add_argument("--metric", required=True,
                    help="a metric column (ckpt_total, log_entries_peak, ...) or p_failed, "
                         "p_recovered, p_completed, p_violation")
    ps.add_argument("--x", help="the swept column on the x axis (default: the file's one "
                                "varying scenario field)")
    ps.add_argument("--by", default="protocol",
                    help="comma-separated columns, one line per value (default: protocol)")
    ps.add_argument("--where", action="append", metavar="FIELD=VALUE",
                    help="keep only the rows where FIELD equals VALUE (repeatable): selects "
                         "one value of another swept field")
    ps.add_argument("--level", type=float, default=0.95,
                    help="confidence level of the bands (default: 0.95)")
    ps.add_argument("--logx", action="store_true", help="logarithmic x axis")
    ps.add_argument("--logy", action="store_true", help="logarithmic y axis")
    ps.add_argument("--out", required=True,
                    help="figure file (.png at 300 dpi, .pdf or .svg)")
    ps.add_argument("--force", action="store_true", help=FORCE)
    ps.set_defaults(func=cmd_plot_sweep)
    rp = sub.add_parser("replay", help="replay a trace file under protocols: one row of "
                                       "metrics per run",
                        description="Replay every run of a trace file (written by 'mdcd-lab "
                                    "trace' or by hand, docs/trace-format.md) under each "
                                    "protocol and write one row of metrics per run and "
                                    "protocol (mdcd_lab.replay).  The trace is validated "
                                    "first: a bad one is refused in one line naming the "
                                    "column and the row.")
    rp.add_argument("trace", help="trace file (.csv, .parquet, .pq)")
    rp.add_argument("--spec", help="scenario file (.toml) whose [scenario] the trace is played "
                                   "under (default: the scenario the trace's sidecar records)")
    rp.add_argument("--protocol", help="comma-separated protocol names (default: the protocol "
                                       "the trace's sidecar records)")
    rp.add_argument("--engine", default="auto",
                    help="auto (numba where it implements the protocol), numba or reference; "
                         "the numbers are identical (default: auto)")
    rp.add_argument("--out", required=True, help="results file (.csv, .parquet, .pq), with a "
                                                 ".meta.json sidecar")
    rp.add_argument("--force", action="store_true", help=FORCE)
    rp.set_defaults(func=cmd_replay)
