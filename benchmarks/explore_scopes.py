"""Exhaustive exploration of the named scopes, and of the correction space.

``python benchmarks/explore_scopes.py [--scopes ci,lag,...]`` runs
:func:`mdcd_lab.explore` on each named scope for ``mdcd`` and ``mdcd-paper``
(numba engine) and prints a markdown table: distinct traces, wall time, and the
traces per class.  ``--corrections SCOPE`` instead explores every combination of
the four corrections of ``mdcd`` and the competing ``s2_every_level`` on top of
``mdcd-paper`` (2^5 = 32 protocols on the same traces) in one scope and prints
which combinations are sound there, with the class and size of the smallest
counterexample of the others.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import platform
import time

import numba

import mdcd_lab as m
from mdcd_lab.exploration import CLASSES, SCOPES, summary_columns
from mdcd_lab.protocols import PROTOCOLS

CORRECTIONS = ("reclaim_by_interval", "log_all_when_dirty", "coordinated_recovery",
               "suppress_redone_outputs", "s2_every_level")
SHORT = {"reclaim_by_interval": "R", "log_all_when_dirty": "L", "coordinated_recovery": "C",
         "suppress_redone_outputs": "S", "s2_every_level": "E"}


def combinations() -> list:
    """``mdcd-paper`` plus every subset of the corrections, named by their letters."""
    out = []
    for bits in itertools.product((False, True), repeat=len(CORRECTIONS)):
        on = dict(zip(CORRECTIONS, bits, strict=True))
        name = "paper+" + ("".join(SHORT[c] for c in CORRECTIONS if on[c]) or "-")
        out.append(dataclasses.replace(PROTOCOLS["mdcd-paper"], name=name, **on))
    return out


def _md(df) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + " ---: |" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scopes", default=",".join(SCOPES))
    ap.add_argument("--corrections", help="a scope name: explore all 32 combinations in it")
    a = ap.parse_args()
    print(f"Machine: AMD EPYC, 2 vCPU, 24 GiB ({platform.machine()}), "
          f"{numba.get_num_threads()} numba threads")
    if a.corrections:
        t0 = time.perf_counter()
        df = m.explore(a.corrections, protocols=combinations())
        rows = []
        for _, r in df.iterrows():
            bad = {c: int(r[c]) for c in CLASSES if r[c]}
            small = min(((len(r[f"cx_{c}"]), c) for c in bad), default=(0, ""))
            rows.append({"fault_scope": r["fault_scope"], "compensation": r["compensation"],
                         "combination": r["protocol"], "traces": r["traces"],
                         "sound": not bad, "bad traces": r["traces"] - r["clean"],
                         "smallest": f"{small[1]} ({small[0]} rows)" if bad else ""})
        print(f"scope {a.corrections}: {time.perf_counter() - t0:.0f} s")
        print(_md(__import__("pandas").DataFrame(rows)))
        return
    for name in a.scopes.split(","):
        df = summary_columns(m.explore(name))
        keep = ["scope", "fault_scope", "compensation", "protocol", "traces", "failed",
                *[c for c in CLASSES[1:]], "clean"]
        print(f"\nscope {name}: {SCOPES[name]}, {df.attrs.get('seconds', 0):.0f} s")
        print(_md(df[keep]))


if __name__ == "__main__":
    main()
