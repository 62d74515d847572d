"""``mdcd-lab duration``: the optimal guarded-operation duration (docs/performability.md).

Writes ``DIR/duration.csv`` (one row per protocol and phi), ``DIR/optimum.csv``
(the optimum per protocol: the grid's best phi, the set not below the best, the
smooth optimum and the fresh runs' worth), ``DIR/runs.parquet`` (the per-run
table, so other costs can be summarized without simulating) and
``DIR/fresh.parquet`` (the fresh runs at the chosen phi), each with a
``.meta.json`` sidecar
([`mdcd_lab.performability.saved.save_duration`][mdcd_lab.performability.save_duration]; read the
folder back with [`mdcd_lab.load_duration`][mdcd_lab.performability.load_duration]), and prints the
optimum.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .._checks import ENGINE_CHOICES
from ..performability.worth import COST_FIELDS, Costs
from .specs import SpecError, load_spec


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SpecError(f"{what} must be comma-separated numbers, got {text!r}") from None


def _costs(items: list[str] | None) -> Costs:
    values: dict[str, float] = {}
    for item in items or []:
        key, sep, val = item.partition("=")
        if not sep or key not in COST_FIELDS:
            raise SpecError(f"--cost {item!r}: use NAME=VALUE with NAME one of "
                            f"{', '.join(COST_FIELDS)}")
        try:
            values[key] = float(val)
        except ValueError:
            raise SpecError(f"--cost {item!r}: {val!r} is not a number") from None
    try:
        return Costs(**values)
    except ValueError as exc:
        raise SpecError(f"--cost: {exc}") from None


def cmd_duration(args: argparse.Namespace) -> int:
    """Run a duration study; every argument is checked before any simulation."""
    from ..performability.duration import (
        REALISTIC_BASE,
        REALISTIC_COSTS,
        REALISTIC_MISSION,
        _check_phis,
        duration_study,
    )
    from ..performability.saved import save_duration
    from ..protocols import get_rules
    if args.scenario:
        spec = load_spec(args.scenario)
        base, runs, seed, protocols = spec.scenario, spec.runs, spec.seed, spec.protocols
        costs = _costs(args.cost)
    else:
        base, runs, seed, protocols = REALISTIC_BASE, 2000, 2026, ("mdcd",)
        costs = _costs(args.cost) if args.cost else REALISTIC_COSTS
    mission = REALISTIC_MISSION if args.mission is None else args.mission
    if mission <= 0:
        raise SpecError(f"--mission must be > 0, got {mission}")
    phis = (_floats(args.phis, "--phis") if args.phis
            else [mission * k / 10 for k in range(11)])
    _check_phis(phis, mission)
    runs = args.runs if args.runs is not None else runs
    seed = args.seed if args.seed is not None else seed
    if runs < 2:
        raise SpecError(f"--runs must be >= 2, got {runs}")
    if args.protocols:
        protocols = tuple(p.strip() for p in args.protocols.split(",") if p.strip())
    protocols = tuple(p for p in protocols if not get_rules(p).unguarded)
    if not protocols:
        raise SpecError("--protocols must name at least one guarded protocol")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out {out} exists and is not a directory")
    from .. import api
    from .run import announce_compilation
    engine = api.resolve_engine(args.engine, ["unguarded", *protocols])
    announce_compilation([engine])
    st = duration_study(base, phis, mission, runs, seed, protocols=protocols, costs=costs,
                        engine=engine, progress=not args.quiet, refine=args.refine)
    prov = {"base": base.to_dict(), "phis": phis, "refine": args.refine, "runs": runs,
            "protocols": list(protocols), "engine": engine}
    save_duration(st, out, prov)      # and the study's costs, mission, seed, level, n_boot
    print(st.table[["protocol", "phi", "worth_mean", "worth_low", "worth_high", "Y",
                    "p_failed", "p_recovered", "p_failed_after_phi"]].to_string(
        index=False, float_format=lambda x: f"{x:.4g}"))
    for o in st.optimum.itertuples():
        fresh = (f"; fresh runs there: {o.worth_fresh:.5g} [{o.worth_fresh_low:.5g}, "
                 f"{o.worth_fresh_high:.5g}]" if o.worth_fresh == o.worth_fresh else "")
        print(f"{o.protocol}: best phi of the grid {o.phi_opt:g} (mean worth "
              f"{o.worth_opt:.5g} of {mission:g}{fresh}); not below the best: "
              f"{o.set_low:g} .. {o.set_high:g} ({o.n_set} of the grid); smooth optimum "
              f"{o.phi_smooth:.4g} [{o.phi_smooth_low:.4g}, {o.phi_smooth_high:.4g}]")
    print(f"wrote {out / 'duration.csv'}, {out / 'optimum.csv'}, {out / 'runs.parquet'}, "
          f"{out / 'fresh.parquet'}")
    return 0


def add_parser(sub) -> None:
    """Register the ``duration`` subcommand."""
    d = sub.add_parser("duration", help="optimal guarded-operation duration: worth and Y "
                                        "against phi (docs/performability.md)",
                       description="Simulate a mission of length theta whose first phi time "
                                   "units run guarded, for every phi of a grid and every "
                                   "guarded protocol (common runs, one seed), and find the phi "
                                   "of the best mean worth (service minus overhead, with "
                                   "confidence intervals) and the set of phi not significantly "
                                   "below it; writes duration.csv, optimum.csv, runs.parquet "
                                   "and fresh.parquet (docs/performability.md).")
    d.add_argument("scenario", nargs="?", help="scenario file (.toml); default: the "
                   "documented realistic setting (mdcd_lab.performability.duration.REALISTIC_BASE)")
    d.add_argument("--mission", type=float, help="mission length theta (default 2000)")
    d.add_argument("--phis", help="comma-separated durations (default: 11 points from 0 to "
                                  "the mission)")
    d.add_argument("--runs", type=int, help="runs per protocol and phi (default 2000 or "
                                             "the scenario file's)")
    d.add_argument("--seed", type=int, help="study seed (default 2026 or the scenario "
                                             "file's)")
    d.add_argument("--protocols", help="comma-separated guarded protocols (default: mdcd, "
                                        "or the scenario file's guarded protocols)")
    d.add_argument("--cost", action="append", metavar="NAME=VALUE",
                   help=f"a cost ({', '.join(COST_FIELDS)}); repeatable (default: the "
                        f"realistic costs, REALISTIC_COSTS, without a scenario file; "
                        f"Costs() with one)")
    d.add_argument("--refine", action="store_true", help="a second, finer grid around "
                   "each protocol's coarse optimum")
    d.add_argument("--engine", default="auto", choices=ENGINE_CHOICES,
                   help="simulation engine: auto (numba where it implements the protocol), "
                        "numba or reference; the numbers are identical (default: auto)")
    d.add_argument("--out", default="out/duration",
                   help="output directory (default: out/duration)")
    d.add_argument("--quiet", action="store_true",
                   help="no progress bars (a notice that numba is compiling still prints)")
    d.set_defaults(func=cmd_duration)
