"""The ``mdcd-lab`` command line.

``mdcd-lab run SCENARIO.toml``, ``mdcd-lab sweep STUDY.toml``,
``mdcd-lab trace SCENARIO.toml --run R [--plot]``, ``mdcd-lab replay TRACE``,
``mdcd-lab summarize RESULTS``, ``mdcd-lab plot-sweep RESULTS``, ``mdcd-lab figures``,
``mdcd-lab duration`` (docs/performability.md), ``mdcd-lab explore`` and
``mdcd-lab demo``.  Input is validated before any work starts; a problem prints one
message naming the key or option and exits with status 2, writing no output file.
Whatever goes wrong later is also one line naming the file (``error_line``: a
full disk, a read-only folder, a file-size limit, out of memory, a number too large,
input nested too deeply), with status 2; Ctrl-C exits with status 130 and SIGTERM
with 143, after one line saying what was kept; a closed output pipe (``| head``)
ends quietly.  This module imports no numerical library at start-up, so that the
command's own handling covers the imports (Ctrl-C while numpy loads is one line too).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

from .errors import error_line
from .figures import _check_figure_args, add_figures_parser
from .run import (
    COMPILING,
    FORCE,
    QUIET,
    Tally,
    Terminated,
    _engines,
    _out_path,
    _override_argv,
    _overrides,
    _write,
    announce_compilation,
    cmd_run,
    one_screen,
    output_lock,
    refuse_existing,
    simulate_spec,
)
from .specs import SpecError, load_spec

__all__ = ["main", "build_parser", "one_screen", "simulate_spec", "COMPILING"]

DESCRIPTION = ("Simulate the clustered MDCD protocol: scenario runs, parameter sweeps, "
               "one run's trace, summaries with confidence intervals, the paper figures.")


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
    # listens on 127.0.0.1 without TLS: it trusts the local machine (docs/studies.md)
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None,
                           env={"NUMBA_NUM_THREADS": "1"})
    client = Client(cluster)
    return client, [client, cluster]


def cmd_sweep(args) -> int:
    """``mdcd-lab sweep``: run a study file, optionally resumable and on dask."""
    from ..io.provenance import sidecar_path
    from ..studies import sweep_status, sweep_to
    spec = _overrides(args, load_spec(args.study, allow_grid=True))
    if not spec.grid:
        raise SpecError(f"{spec.path}: [grid] is missing or empty; a study file needs at least "
                        f"one 'field = [values]' line (use 'mdcd-lab run' for one scenario)")
    out = _out_path(args.out)
    if out is not None and out.is_dir():
        raise SpecError(f"--out {out}: is a directory")
    refuse_existing(args, out)
    if args.resume and args.store is None:
        raise SpecError("--resume needs --store DIR (the store of the interrupted sweep)")
    if args.workers is not None and args.workers < 1:
        raise SpecError(f"--workers must be >= 1, got {args.workers}")
    store = Path(args.store) if args.store is not None else None
    if store is not None and store.exists() and not store.is_dir():
        raise SpecError(f"--store {store}: exists and is not a directory")
    stop = {k: spec.extra[k] for k in ("target_rel_halfwidth", "max_runs", "metrics")
            if k in spec.extra}
    from .. import api
    engine = api.resolve_engine(spec.engine, spec.protocols)
    client, to_close = _client(args)
    announce_compilation([engine])
    keys = list(spec.grid)
    tally = Tally(keys + ["protocol"])
    try:
        with output_lock(out) if out is not None else contextlib.nullcontext():
            prov = sweep_to(out, spec.scenario, spec.grid, spec.runs, spec.seed,
                            protocols=spec.protocols, client=client, store=store,
                            resume=args.resume, progress=not args.quiet, engine=engine,
                            max_events=args.max_events, on_frame=tally.add,
                            provenance={"spec_file": str(spec.path)}, **stop)
    except KeyboardInterrupt:
        if store is None:
            where = "nothing was kept (use --store DIR to make a sweep resumable)"
        else:
            again = shlex.join(["mdcd-lab", "sweep", str(args.study), "--store", str(store),
                                *(["--out", str(out)] if out is not None else []),
                                *_override_argv(args), "--resume"])
            where = f"the finished units are in {store}; to finish the sweep: {again}"
        print(f"mdcd-lab: interrupted; {where}", file=sys.stderr)
        return 130
    finally:
        for obj in to_close:
            obj.close()
    if out is not None:
        print(f"wrote {out} ({prov['rows']} rows) and {sidecar_path(out)}")
    print(f"{len(spec.protocols)} protocol(s) x {len(prov['points'])} point(s), "
          f"{prov['rows']} runs on the {engine} engine")
    print(tally.text())
    if "target_rel_halfwidth" in stop:
        st = sweep_status(prov)
        print("\nsequential stopping (runs per protocol, why each point stopped):")
        print(st.drop(columns=["seed"]).to_string(index=False,
                                                  float_format=lambda x: f"{x:.4g}"))
    return 0


def cmd_trace(args) -> int:
    from .. import api
    spec = load_spec(args.spec)
    if args.run < 0:
        raise SpecError(f"--run must be >= 0, got {args.run}")
    outdir = Path(args.out)
    if outdir.exists() and not outdir.is_dir():
        raise SpecError(f"--out {outdir} exists and is not a directory")
    figure = outdir / "trace.png" if args.plot else None
    refuse_existing(args, outdir / "trace.csv", outdir / "events.csv", figure)
    seed = spec.seed if args.seed is None else args.seed
    proto = args.protocol or spec.protocols[0]
    trace, events, res = api.run_events(spec.scenario, seed, args.run, proto)
    fig = None
    if figure is not None:      # drawn before anything is written: a failure leaves nothing
        from ..plots import plot_spacetime
        fig = plot_spacetime(trace, events, spec.scenario, run=args.run)
    outdir.mkdir(parents=True, exist_ok=True)
    prov = spec.provenance() | {"run": args.run, "seed": seed, "protocol": proto}
    from ..io.results import to_csv
    to_csv(trace, outdir / "trace.csv", provenance=prov)
    to_csv(events, outdir / "events.csv", provenance=prov)
    if fig is not None:
        fig.savefig(figure)
    print(f"wrote {outdir / 'trace.csv'} ({len(trace)} rows) and {outdir / 'events.csv'} "
          f"({len(events)} events)" + (f" and {figure}" if figure is not None else "")
          + f"; outcome {res['outcome']}")
    return 0


def cmd_summarize(args) -> int:
    from ..io.results import load_results
    from ..stats.summary import summarize
    p = Path(args.results)
    if not p.exists():
        raise SpecError(f"{p}: no such file")
    df = load_results(p)
    by = [c for c in (args.by or "").split(",") if c]
    grid = _varying_fields(df)
    if not by:
        by = grid + (["protocol"] if "protocol" in df.columns else [])
        if grid:
            print(f"{p}: {_n_points(df, grid)} scenarios (a sweep): one group per value of "
                  f"{', '.join(by)} (--by chooses)", file=sys.stderr)
    else:
        pooled = [f for f in grid if f not in by and
                  int(df.groupby(by, observed=True, dropna=False)[f].nunique(dropna=False)
                      .max()) > 1]
        if pooled:
            raise SpecError(f"--by {','.join(by)}: the scenario field {pooled[0]!r} varies "
                            f"within a group ({_n_points(df, grid)} scenarios in {p}); add "
                            f"{', '.join(pooled)} to --by, or leave --by out to group by the "
                            f"varying fields")
    metrics = [c for c in (args.metrics or "").split(",") if c] or None
    out = _out_path(args.out)
    refuse_existing(args, out)
    s = summarize(df, by=by or None, metrics=metrics, level=args.level)
    if out is not None:
        _write(s, out, {"summarized": str(p), "by": by, "level": args.level})
    if args.latex:
        from ..stats.wide import summary_latex
        print(summary_latex(s), end="")
    else:
        print(s.to_string(index=False, float_format=lambda x: f"{x:.5g}"))
    return 0


def _varying_fields(df) -> list[str]:
    """The Scenario fields that take more than one value in ``df`` (a sweep's grid)."""
    from ..scenario import FIELDS
    return [f for f in FIELDS if f in df.columns and df[f].nunique(dropna=False) > 1]


def _n_points(df, fields: list[str]) -> int:
    return len(df[fields].drop_duplicates())


def _say(what: str) -> None:
    """A line of ``demo``'s narration on stderr (what it does next, what it took)."""
    print(f"mdcd-lab demo: {what}", file=sys.stderr, flush=True)


def cmd_demo(args) -> int:
    spec = load_spec(args.spec)
    outdir = Path(args.out)
    if args.figure_runs < 0:
        raise SpecError(f"--figure-runs must be >= 0, got {args.figure_runs}")
    if args.figure_runs:
        _check_figure_args(argparse.Namespace(runs=args.figure_runs, engine="auto",
                                              out=outdir / "figures"))
    outdir.mkdir(parents=True, exist_ok=True)
    engines = _engines(spec)
    parts = 2 if args.figure_runs else 1
    _say(f"part 1 of {parts}: {spec.runs} runs of each of {len(spec.protocols)} protocols "
         f"of {spec.path.name}, summary in {outdir}")
    announce_compilation(engines.values())
    t0 = time.perf_counter()
    df = simulate_spec(spec, progress=not args.quiet)
    _write(df, outdir / "results.csv", spec.provenance() | {"engine_per_protocol": engines})
    from ..stats.summary import summarize
    s = summarize(df, by=["protocol"], metrics=["ckpt_total", "log_entries_peak",
                                                "rollback_dist_max", "p_failed", "p_recovered"])
    _write(s, outdir / "summary.csv", spec.provenance())
    used = ", ".join(sorted(set(engines.values())))
    print(f"mdcd_lab demo: {spec.runs} runs x {len(spec.protocols)} protocols of "
          f"{spec.path.name} on the {used} engine")
    print(one_screen(df))
    print(f"\nwrote {outdir / 'results.csv'} and {outdir / 'summary.csv'} (with .meta.json)",
          flush=True)
    _say(f"part 1 took {time.perf_counter() - t0:.1f} s")
    if args.figure_runs:
        from ..figures.paper import FIGURES, make_figures
        _say(f"part 2 of 2: the figure set, {len(FIGURES)} figures at {args.figure_runs} runs "
             f"per point, in {outdir / 'figures'} (minutes; --figure-runs 0 leaves it out)")
        t0 = time.perf_counter()
        written = make_figures(outdir / "figures", runs=args.figure_runs, engine="auto",
                               progress=not args.quiet)
        _say(f"part 2 took {time.perf_counter() - t0:.1f} s")
        print(f"\nfigure set: {len(written)} figures ({args.figure_runs} runs per point) "
              f"in {outdir / 'figures'} (PDF, PNG, CSV)")
        from ..figures.paper import scope_summary_lines
        for figure in ("violations_by_scope", "per_member"):
            print("\n".join(scope_summary_lines(outdir / "figures", spec.scenario, figure)))
    return 0


#: The default interval of each metric family, as ``summarize --help`` names them: a copy
#: of ``mdcd_lab.stats.intervals.AUTO_METHODS`` (which imports scipy; ``--help`` must
#: stay fast), checked equal to it by ``tests/test_cli.py``.
AUTO_METHODS_HELP = {"probability": "clopper-pearson", "count": "hall", "nonnegative": "hall",
                     "real": "t"}


def _summarize_description() -> str:
    """``summarize --help``'s text, naming the interval of each family
    (``AUTO_METHODS_HELP``)."""
    families = {"probability": "the p_* shares", "count": "counts",
                "nonnegative": "non-negative reals", "real": "other metrics"}
    methods = "; ".join(f"{families.get(k, k)}: {v}" for k, v in AUTO_METHODS_HELP.items())
    return ("Means and probabilities with confidence intervals, and whether each is "
            f"reliable, per group.  The interval of each metric's family ({methods}; "
            "docs/results-and-summaries.md).  The results of a sweep are summarized per "
            "grid point: without --by, the groups are the scenario fields that vary and "
            "the protocol; a --by that would pool grid points is refused.")




def _add_overrides(parser: argparse.ArgumentParser) -> None:
    """``--runs``, ``--seed``, ``--engine``, ``--protocol``: the [run] keys of the file."""
    g = parser.add_argument_group("overrides of the file's [run] table")
    g.add_argument("--runs", type=int, help="runs per protocol (and study point)")
    g.add_argument("--seed", type=int, help="study seed (>= 0); run r uses "
                                            "SeedSequence(seed, spawn_key=(r,))")
    g.add_argument("--engine", help="auto (default: numba where it implements the protocol), "
                                    "numba or reference; the numbers are identical")
    g.add_argument("--protocol", help="comma-separated protocol names, e.g. mdcd,mdcd-paper")
    parser.add_argument("--max-events", type=int, metavar="N",
                        help="the most trace events the job may be expected to play (default "
                             "1e11, about 3 hours of one core); a larger job is refused before "
                             "any work, naming its estimate")


#: ``make demo``'s scenario file: ``data/demo.toml`` of the repository
#: (``mdcd_lab/cli/main.py`` -> the checkout's root).
DEMO_SPEC = Path(__file__).resolve().parents[2] / "data" / "demo.toml"


def _version() -> str:
    """The installed distribution's version (``mdcd_lab.__version__``; the command line
    does not import its own package's face)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("mdcd_lab")
    except PackageNotFoundError:
        return "(not installed)"


def _add_trace(sub) -> None:
    """The parser of ``mdcd-lab trace``."""
    t = sub.add_parser("trace", help="one run's trace and event log as CSV",
                       description="Re-play one run on the reference engine and write its "
                                   "trace and event log (docs/trace-format.md).")
    t.add_argument("spec", help="scenario file (.toml)")
    t.add_argument("--run", type=int, required=True, help="index of the run (>= 0)")
    t.add_argument("--seed", type=int, help="study seed (default: the file's [run] seed)")
    t.add_argument("--protocol", help="protocol (default: the file's first protocol)")
    t.add_argument("--out", default="out/trace",
                   help="output directory (default: out/trace)")
    t.add_argument("--plot", action="store_true",
                   help="also draw the run's space-time diagram as trace.png (processes "
                        "against time, messages as arrows, faults, outputs, checkpoints and "
                        "the recovery; docs/plots-and-widgets.md)")
    t.add_argument("--force", action="store_true", help=FORCE)
    t.set_defaults(func=cmd_trace)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs)."""
    p = argparse.ArgumentParser(prog="mdcd-lab", description=DESCRIPTION)
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser("run", help="simulate a scenario file (resumable after Ctrl-C)",
                       description="Simulate every protocol of a scenario file on common "
                                   "traces and print a one-screen summary.  Ctrl-C keeps the "
                                   "finished runs in the output file; --resume finishes them.")
    r.add_argument("spec", help="scenario file (.toml) with [scenario] and [run]")
    r.add_argument("--out", help="results file (.csv, .parquet, .pq), with a .meta.json "
                                 "sidecar (default: SPEC-results.csv in the current directory)")
    r.add_argument("--resume", action="store_true",
                   help="keep the runs already in --out (written by an interrupted run of "
                        "the same command) and play only the missing ones")
    r.add_argument("--quiet", action="store_true", help=QUIET)
    r.add_argument("--force", action="store_true", help=FORCE)
    _add_overrides(r)
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
    w.add_argument("--quiet", action="store_true", help=QUIET)
    w.add_argument("--force", action="store_true", help=FORCE)
    _add_overrides(w)
    w.set_defaults(func=cmd_sweep)
    _add_trace(sub)
    s = sub.add_parser("summarize", help="confidence intervals of a results file",
                       description=_summarize_description())
    s.add_argument("results", help="results file (.csv, .parquet, .pq) written by run or sweep")
    s.add_argument("--by", help="comma-separated grouping columns (default: the scenario "
                                "fields that vary in the file, i.e. a sweep's grid, and "
                                "protocol)")
    s.add_argument("--metrics", help="comma-separated metrics (default: all)")
    s.add_argument("--level", type=float, default=0.95,
                   help="confidence level of the intervals (default: 0.95)")
    s.add_argument("--out", help="also write the summary to this file (.csv, .parquet, .pq)")
    s.add_argument("--latex", action="store_true",
                   help="print a LaTeX tabular instead: one row per point and metric, one "
                        "column per protocol, cells 'mean [lo, hi]' (booktabs rules)")
    s.add_argument("--force", action="store_true", help=FORCE)
    s.set_defaults(func=cmd_summarize)
    d = sub.add_parser("demo", help="the main job of `make demo`",
                       description="Simulate data/demo.toml, write results and summary, print "
                                   "a one-screen summary and a small figure set.")
    d.add_argument("--spec", default=str(DEMO_SPEC),
                   help="scenario file (default: data/demo.toml)")
    d.add_argument("--out", default="out/demo", help="output directory (default: out/demo)")
    d.add_argument("--quiet", action="store_true", help=QUIET)
    d.add_argument("--figure-runs", type=int, default=400,
                   help="runs per point of the figure set (0: no figures; default: 400)")
    d.set_defaults(func=cmd_demo)
    add_figures_parser(sub)
    from .tools import add_tool_parsers  # `plot-sweep` and `replay`
    add_tool_parsers(sub)
    from .duration import add_parser as add_duration
    add_duration(sub)
    from .explore import add_explore_parser  # `mdcd-lab explore` (docs/explore.md)
    add_explore_parser(sub)
    return p


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``mdcd-lab``: the exit status (0, 2 bad input or a failed write,
    130 Ctrl-C, 143 SIGTERM, 141 pipe)."""
    in_main = threading.current_thread() is threading.main_thread()
    old_term = signal.getsignal(signal.SIGTERM) if in_main else None
    old_int = signal.getsignal(signal.SIGINT) if in_main else None
    args = None
    try:
        if in_main:
            signal.signal(signal.SIGTERM, _on_sigterm)
        args = build_parser().parse_args(argv)
        code = args.func(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt as exc:
        if in_main:
            signal.signal(signal.SIGINT, signal.SIG_IGN)     # a second Ctrl-C: no traceback
        what = args.command if args is not None else "starting up"
        name = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        print(f"mdcd-lab: {name} ({what})", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) closed the pipe: stop quietly, like other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except (ValueError, OSError, MemoryError, OverflowError, RecursionError) as exc:
        code, line = error_line(exc, args)
        print(line, file=sys.stderr)
        return code
    finally:
        if in_main:
            signal.signal(signal.SIGINT, old_int)
            signal.signal(signal.SIGTERM, old_term)


if __name__ == "__main__":
    sys.exit(main())
