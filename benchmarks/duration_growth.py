"""How the optimal guarded-operation duration moves with reliability growth (issue 22).

Runs :func:`mdcd_lab.duration_study` on the documented realistic setting
(``REALISTIC_BASE``, ``REALISTIC_MISSION``, ``REALISTIC_COSTS``, protocol ``mdcd``,
grid 0, 200, ..., 2000 refined around the optimum) for several values of
``Scenario.fault_growth`` b, with the fault rate at the start of the mission held
at ``REALISTIC_BASE.fault_rate`` (so a larger b means fewer faults, and earlier
ones: ``a = fault_rate / b`` expected activations per member in all).  Prints a
Markdown table (docs/performability.md, "Reliability growth").

Usage::

    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/duration_growth.py --runs 2000
"""

from __future__ import annotations

import argparse
import math
import time

import mdcd_lab as m
from mdcd_lab.performability.duration import REALISTIC_BASE, REALISTIC_COSTS, REALISTIC_MISSION

#: Growth parameters b (1/time unit); 0 is today's constant rate.
GROWTH = (0.0, 2.5e-4, 5e-4, 1e-3, 2e-3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    t0 = time.perf_counter()
    phis = [REALISTIC_MISSION * k / 10 for k in range(11)]
    print("| b | P(fault by theta), one member | phi of the grid | set not below the best "
          "| smooth optimum [95%] | E[W] fresh runs [95%] | E[W] at phi = 0 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for b in GROWTH:
        base = REALISTIC_BASE.replace(fault_growth=b)
        st = m.duration_study(base, phis, REALISTIC_MISSION, args.runs, args.seed,
                              costs=REALISTIC_COSTS, refine=True)
        o = st.optimum.iloc[0]
        lam = base.fault_rate
        mass = lam * REALISTIC_MISSION if b == 0 else lam * (1 - math.exp(
            -b * REALISTIC_MISSION)) / b
        w0 = float(st.table.loc[st.table["phi"] == 0.0, "worth_mean"].iloc[0])
        print(f"| {b:g} | {1 - math.exp(-mass):.3f} | {o.phi_opt:.0f} | {o.set_low:.0f} .. "
              f"{o.set_high:.0f} | {o.phi_smooth:.0f} [{o.phi_smooth_low:.0f}, "
              f"{o.phi_smooth_high:.0f}] | {o.worth_fresh:.1f} [{o.worth_fresh_low:.1f}, "
              f"{o.worth_fresh_high:.1f}] | {w0:.1f} |", flush=True)
    print(f"\n(runs {args.runs}, seed {args.seed}; {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
