"""The ``mdcd-lab`` command line.

``mdcd-lab run SCENARIO.toml``, ``mdcd-lab trace SCENARIO.toml --run R``,
``mdcd-lab summarize RESULTS`` and ``mdcd-lab demo``.  Input is validated before
any work starts; a problem prints one message naming the key and exits with
status 2, writing no output file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from . import api
from .metrics import VIOLATIONS
from .specs import SpecError, load_spec


def _out_path(out: str | None, default: str | None = None) -> Path | None:
    if out is None and default is None:
        return None
    p = Path(out if out is not None else default)
    if p.suffix not in (".csv", ".parquet", ".pq"):
        raise SpecError(f"--out {p}: the file name must end in .csv, .parquet or .pq")
    if not p.parent.exists():
        raise SpecError(f"--out {p}: the directory {p.parent} does not exist")
    return p


def _write(df: pd.DataFrame, path: Path, provenance: dict) -> None:
    from .io import to_csv, to_parquet
    (to_csv if path.suffix == ".csv" else to_parquet)(df, path, provenance=provenance)


def simulate_spec(spec, progress: bool = True) -> pd.DataFrame:
    """Run every protocol of a scenario spec on common traces; one row per run."""
    frames = []
    for proto in spec.protocols:
        df = api.simulate(spec.scenario, spec.runs, spec.seed, protocol=proto,
                          engine=spec.engine, progress=progress)
        df.insert(0, "protocol", proto)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out["protocol"] = pd.Categorical(out["protocol"], categories=list(spec.protocols))
    return out


def one_screen(df: pd.DataFrame) -> str:
    """A short per-protocol table: outcomes, costs and oracle verdicts."""
    g = df.groupby("protocol", observed=True)
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


def cmd_run(args) -> int:
    spec = load_spec(args.spec)
    out = _out_path(args.out)
    df = simulate_spec(spec, progress=not args.quiet)
    if out is not None:
        _write(df, out, spec.provenance())
        print(f"wrote {out} ({len(df)} rows) and {out}.meta.json")
    print(one_screen(df))
    return 0


def cmd_trace(args) -> int:
    spec = load_spec(args.spec)
    if args.run < 0:
        raise SpecError(f"--run must be >= 0, got {args.run}")
    outdir = Path(args.out)
    if outdir.exists() and not outdir.is_dir():
        raise SpecError(f"--out {outdir} exists and is not a directory")
    seed = spec.seed if args.seed is None else args.seed
    proto = args.protocol or spec.protocols[0]
    trace, events, res = api.run_events(spec.scenario, seed, args.run, proto)
    outdir.mkdir(parents=True, exist_ok=True)
    prov = spec.provenance() | {"run": args.run, "seed": seed, "protocol": proto}
    from .io import to_csv
    to_csv(trace, outdir / "trace.csv", provenance=prov)
    to_csv(events, outdir / "events.csv", provenance=prov)
    print(f"wrote {outdir / 'trace.csv'} ({len(trace)} rows) and {outdir / 'events.csv'} "
          f"({len(events)} events); outcome {res['outcome']}")
    return 0


def cmd_summarize(args) -> int:
    from .io import load_results
    from .summary import summarize
    p = Path(args.results)
    if not p.exists():
        raise SpecError(f"{p}: no such file")
    df = load_results(p)
    by = [c for c in (args.by or "").split(",") if c]
    if not by and "protocol" in df.columns:
        by = ["protocol"]
    metrics = [c for c in (args.metrics or "").split(",") if c] or None
    out = _out_path(args.out)
    s = summarize(df, by=by or None, metrics=metrics, level=args.level)
    if out is not None:
        _write(s, out, {"summarized": str(p), "by": by, "level": args.level})
    print(s.to_string(index=False, float_format=lambda x: f"{x:.5g}"))
    return 0


def cmd_demo(args) -> int:
    spec = load_spec(args.spec)
    outdir = Path(args.out)
    outdir.mkdir(parents=True, exist_ok=True)
    df = simulate_spec(spec, progress=not args.quiet)
    _write(df, outdir / "results.csv", spec.provenance())
    from .summary import summarize
    s = summarize(df, by=["protocol"], metrics=["ckpt_total", "log_entries_peak",
                                                "rollback_dist_max", "p_failed", "p_recovered"])
    _write(s, outdir / "summary.csv", spec.provenance())
    print(f"mdcd_lab demo: {spec.runs} runs x {len(spec.protocols)} protocols of "
          f"{spec.path.name} on the {spec.engine} engine")
    print(one_screen(df))
    print(f"\nwrote {outdir / 'results.csv'} and {outdir / 'summary.csv'} (with .meta.json)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs)."""
    p = argparse.ArgumentParser(prog="mdcd-lab", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="simulate a scenario file")
    r.add_argument("spec")
    r.add_argument("--out", help="results file (.csv, .parquet), with a .meta.json sidecar")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_run)
    t = sub.add_parser("trace", help="one run's trace and event log as CSV")
    t.add_argument("spec")
    t.add_argument("--run", type=int, required=True)
    t.add_argument("--seed", type=int)
    t.add_argument("--protocol")
    t.add_argument("--out", default="trace-out", help="output directory")
    t.set_defaults(func=cmd_trace)
    s = sub.add_parser("summarize", help="confidence intervals of a results file")
    s.add_argument("results")
    s.add_argument("--by", help="comma-separated grouping columns (default: protocol)")
    s.add_argument("--metrics", help="comma-separated metrics (default: all)")
    s.add_argument("--level", type=float, default=0.95)
    s.add_argument("--out")
    s.set_defaults(func=cmd_summarize)
    d = sub.add_parser("demo", help="the main job of `make demo`")
    d.add_argument("--spec", default=str(Path(__file__).resolve().parent.parent
                                         / "data" / "demo.toml"))
    d.add_argument("--out", default="out/demo")
    d.add_argument("--quiet", action="store_true")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``mdcd-lab``."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (SpecError, ValueError, FileNotFoundError) as exc:
        print(f"mdcd-lab: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
