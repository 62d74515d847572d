"""Do two figure folders hold the same numbers, up to the rounding of the figure CSVs?

    python benchmarks/compare_figure_csvs.py OLD_DIR NEW_DIR

For every ``NAME.csv`` of NEW_DIR, the same file of OLD_DIR (a checkout of the figure
set before a change, e.g. ``git worktree add /tmp/old <commit>``) is read, rounded as
:func:`mdcd_lab.figures.studies.round_floats` rounds (the ``csv_digits`` of NEW's
sidecar), and compared cell by cell with NEW: strings and integers must be equal,
floats equal after rounding (both missing counts as equal).  Columns only one side
has are listed, not compared.  Prints one line per figure; exits 1 if any differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from mdcd_lab.figures.studies import DIGITS, round_floats
from mdcd_lab.io import load_results, read_provenance


def compare(old: Path, new: Path) -> list[str]:
    """Lines describing the differences of one figure's CSVs (empty: the same numbers)."""
    a, b = load_results(old, check=False), load_results(new)
    digits = read_provenance(new).get("csv_digits", DIGITS)
    problems = []
    only = sorted(set(a.columns) ^ set(b.columns))
    if only:
        problems.append(f"columns on one side only (not compared): {only}")
    if len(a) != len(b):
        return [*problems, f"{len(a)} rows before, {len(b)} after"]
    a = round_floats(a, digits)
    for col in [c for c in b.columns if c in a.columns]:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            same = (xv == yv) | (np.isnan(xv) & np.isnan(yv))
        else:
            same = (x.astype(str).fillna("") == y.astype(str).fillna("")).to_numpy()
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            problems.append(f"{col}: {int((~same).sum())} cells differ (row {i}: "
                            f"{x.iloc[i]!r} rounded vs {y.iloc[i]!r})")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.exit(__doc__)
    old_dir, new_dir = (Path(p) for p in argv)
    bad = 0
    for new in sorted(new_dir.glob("*.csv")):
        old = old_dir / new.name
        if not old.exists():
            print(f"{new.stem}: new (no CSV before)")
            continue
        problems = compare(old, new)
        differs = any(not p.startswith("columns on one side") for p in problems)
        bad += differs
        line = "DIFFERS" if differs else "same numbers"
        print(f"{new.stem}: {line}" + (f" ({'; '.join(problems)})" if problems else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
