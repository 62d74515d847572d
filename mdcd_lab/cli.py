"""The ``mdcd-lab`` command line.

``mdcd-lab run SCENARIO.toml``, ``mdcd-lab sweep STUDY.toml``,
``mdcd-lab trace SCENARIO.toml --run R``, ``mdcd-lab summarize RESULTS``,
``mdcd-lab duration`` (docs/performability.md) and ``mdcd-lab demo``.  Input is
validated before any work starts; a problem prints one message naming the key and
exits with status 2, writing no output file.
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


def one_screen(df: pd.DataFrame, by: list[str] | None = None) -> str:
    """A short table per protocol (or per ``by`` group): outcomes, costs, oracle verdicts."""
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


def cmd_run(args) -> int:
    spec = load_spec(args.spec)
    out = _out_path(args.out)
    df = simulate_spec(spec, progress=not args.quiet)
    if out is not None:
        _write(df, out, spec.provenance())
        print(f"wrote {out} ({len(df)} rows) and {out}.meta.json")
    print(one_screen(df))
    return 0


def _client(args):
    """The dask client asked for on the command line (or None), and what to close."""
    if args.workers is not None and args.scheduler is not None:
        raise SpecError("--workers and --scheduler exclude each other")
    if args.workers is None and args.scheduler is None:
        return None, []
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SpecError("--workers/--scheduler need dask.distributed "
                        "(pip install 'dask[distributed]')") from None
    if args.scheduler is not None:
        client = Client(args.scheduler)
        return client, [client]
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"})
    client = Client(cluster)
    return client, [client, cluster]


def cmd_sweep(args) -> int:
    """``mdcd-lab sweep``: run a study file, optionally resumable and on dask."""
    from .io import sidecar_path
    from .studies import sweep, sweep_status
    spec = load_spec(args.study, allow_grid=True)
    if not spec.grid:
        raise SpecError(f"{spec.path}: [grid] is missing or empty; a study file needs at least "
                        f"one 'field = [values]' line (use 'mdcd-lab run' for one scenario)")
    out = _out_path(args.out)
    if out is not None and out.is_dir():
        raise SpecError(f"--out {out}: is a directory")
    if args.resume and args.store is None:
        raise SpecError("--resume needs --store DIR (the store of the interrupted sweep)")
    if args.workers is not None and args.workers < 1:
        raise SpecError(f"--workers must be >= 1, got {args.workers}")
    store = Path(args.store) if args.store is not None else None
    if store is not None and store.exists() and not store.is_dir():
        raise SpecError(f"--store {store}: exists and is not a directory")
    stop = {k: spec.extra[k] for k in ("target_rel_halfwidth", "max_runs", "metrics")
            if k in spec.extra}
    client, to_close = _client(args)
    try:
        df = sweep(spec.scenario, spec.grid, spec.runs, spec.seed, protocols=spec.protocols,
                   client=client, store=store, resume=args.resume, progress=not args.quiet,
                   engine=spec.engine, **stop)
    except KeyboardInterrupt:
        where = (f"the finished units are in {store}; run the same command with --resume to "
                 f"finish the sweep" if store is not None else
                 "nothing was kept (use --store DIR to make a sweep resumable)")
        print(f"mdcd-lab: interrupted; {where}", file=sys.stderr)
        return 130
    finally:
        for obj in to_close:
            obj.close()
    provenance = {"spec_file": str(spec.path), **df.attrs["provenance"]}
    if out is not None:
        _write(df, out, provenance)
        print(f"wrote {out} ({len(df)} rows) and {sidecar_path(out)}")
    keys = list(spec.grid)
    print(f"{len(spec.protocols)} protocol(s) x {df['point'].nunique()} point(s), "
          f"{len(df)} runs on the {spec.engine} engine")
    print(one_screen(df, keys + ["protocol"]))
    if "target_rel_halfwidth" in stop:
        st = sweep_status(df)
        print("\nsequential stopping (runs per protocol, why each point stopped):")
        print(st.drop(columns=["seed"]).to_string(index=False,
                                                  float_format=lambda x: f"{x:.4g}"))
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


def _check_figure_args(args) -> list[str] | None:
    from .figures import FIGURES
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
    from .figures import FIGURES, make_figures
    only = _check_figure_args(args)
    written = make_figures(args.out, runs=args.runs, engine=args.engine,
                           progress=not args.quiet, only=only)
    captions = {f.name: f.caption for f in FIGURES}
    for name, files in written.items():
        print(f"{name}: {captions[name]}")
        print("    " + ", ".join(str(f) for f in files))
    return 0


def cmd_demo(args) -> int:
    spec = load_spec(args.spec)
    outdir = Path(args.out)
    if args.figure_runs < 0:
        raise SpecError(f"--figure-runs must be >= 0, got {args.figure_runs}")
    if args.figure_runs:
        _check_figure_args(argparse.Namespace(runs=args.figure_runs, engine="auto",
                                              out=outdir / "figures"))
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
    if args.figure_runs:
        from .figures import make_figures
        written = make_figures(outdir / "figures", runs=args.figure_runs, engine="auto",
                               progress=not args.quiet)
        print(f"\nfigure set: {len(written)} figures ({args.figure_runs} runs per point) "
              f"in {outdir / 'figures'} (PDF, PNG, CSV)")
        from .figures import scope_summary_lines
        print("\n".join(scope_summary_lines(outdir / "figures", spec.scenario)))
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
    w = sub.add_parser("sweep", help="run a study file: a grid of scenarios x protocols",
                       description="Run every protocol at every point of a study file's "
                                   "[grid]; see docs/studies.md.")
    w.add_argument("study", help="study file (.toml) with [scenario], [grid] and [run]")
    w.add_argument("--out", help="results file (.csv, .parquet, .pq), with a .meta.json sidecar")
    w.add_argument("--store", help="directory receiving every finished unit of work, so that "
                                   "an interrupted sweep can be resumed")
    w.add_argument("--resume", action="store_true",
                   help="finish the sweep held in --store (only the missing work runs)")
    w.add_argument("--workers", type=int,
                   help="run on a local dask cluster of this many single-threaded processes")
    w.add_argument("--scheduler", help="address of a running dask scheduler (tcp://host:8786)")
    w.add_argument("--quiet", action="store_true", help="no progress bars")
    w.set_defaults(func=cmd_sweep)
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
    d.add_argument("--figure-runs", type=int, default=400,
                   help="runs per point of the figure set (0: no figures)")
    d.set_defaults(func=cmd_demo)
    f = sub.add_parser("figures", help="regenerate every paper figure (PDF, PNG, CSV)")
    f.add_argument("--out", default="figures-out", help="output directory")
    f.add_argument("--runs", type=int, default=2000, help="runs per study point and protocol")
    f.add_argument("--engine", default="auto",
                   help="auto (numba where implemented), numba or reference")
    f.add_argument("--only", help="comma-separated figure names (default: all)")
    f.add_argument("--quiet", action="store_true")
    f.set_defaults(func=cmd_figures)
    from .cli_duration import add_parser as add_duration
    add_duration(sub)
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
