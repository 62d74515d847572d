"""Every per-run metric is defined once, in ``mdcd_lab/metrics.py``.

The result frame's columns, the reference engine's metric dict and the numba
kernel's slots and output rows are all derived from ``metrics.METRICS``; adding
a metric is a row there plus the code that computes it in each engine (the slow
test does exactly that in a copy of the package).
"""

from __future__ import annotations

import ast
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import HANG_GUARD_S

import mdcd_lab
from mdcd_lab import Scenario
from mdcd_lab.fast.kernels import engine as kengine
from mdcd_lab.fast.kernels import layout
from mdcd_lab.metrics import ENGINE_METRICS, FLOAT_METRICS, INT_METRICS, METRIC_NAMES, METRICS
from mdcd_lab.protocols import get_rules
from mdcd_lab.reference.engine import family_of, play_run
from mdcd_lab.reference.state import Run

PKG = Path(mdcd_lab.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent      # tests/engines.py, for the child


def test_kernel_slots_and_rows_follow_the_schema():
    names = [m.name for m in ENGINE_METRICS]
    assert list(INT_METRICS) == [n for n in names if n in INT_METRICS]      # schema order
    assert list(FLOAT_METRICS) == [n for n in names if n in FLOAT_METRICS]
    assert sorted(INT_METRICS + FLOAT_METRICS) == sorted(names)
    assert set(METRIC_NAMES) == {"run", "seed", *INT_METRICS, *FLOAT_METRICS}
    assert (layout.N_OUT_I, layout.N_OUT_F) == (len(INT_METRICS), len(FLOAT_METRICS))
    for k, name in enumerate(INT_METRICS):
        assert getattr(layout, f"M_{name.upper()}") == layout.R_M0 + k
    for k, name in enumerate(FLOAT_METRICS):
        assert getattr(layout, f"MF_{name.upper()}") == layout.F_M0 + k
    # the slot blocks are inside their arenas' run sections and overlap nothing
    assert layout.R_M0 + layout.N_OUT_I == layout.N_R
    assert layout.F_M0 + layout.N_OUT_F == layout.D_CKT
    defaults = {m.name: m.default for m in METRICS}
    assert layout.INT_DEFAULTS[INT_METRICS.index("outcome")] == 0   # "completed"
    for name, d in zip(FLOAT_METRICS, layout.FLOAT_DEFAULTS, strict=True):
        assert d == defaults[name] or (math.isnan(d) and math.isnan(defaults[name]))


def test_kernel_collect_has_no_row_list():
    """``collect`` copies the slot blocks: no hard-coded row number or metric name."""
    src = ast.parse(Path(kengine.__file__).read_text())
    fn = next(n for n in src.body if isinstance(n, ast.FunctionDef) and n.name == "collect")
    for node in ast.walk(fn):
        if isinstance(node, ast.Subscript):
            idx = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
            assert not isinstance(idx, ast.Constant), ast.unparse(node)
        assert not (isinstance(node, ast.Name) and node.id.startswith(("M_", "MF_")))


def test_reference_metrics_start_at_the_schema_defaults():
    sc = Scenario(horizon=5.0)
    run = Run(sc, get_rules("mdcd"), False, family_of(get_rules("mdcd")))
    assert list(run.m) == [m.name for m in ENGINE_METRICS]
    for m in ENGINE_METRICS:
        d = run.m[m.name]
        assert d == m.default or (isinstance(d, float) and math.isnan(d) and math.isnan(m.default))
    arrays = {k: [] for k in ("t", "kind", "src", "dst", "t_deliver", "u_at", "u_comp",
                              "d_notify")}
    res, _ = play_run(arrays, sc)
    assert list(res) == [m.name for m in ENGINE_METRICS]


CHILD = r"""
import json
import numpy as np
import mdcd_lab as m
from engines import engines_agree
sc = m.Scenario(n_low=2, n_act=2, horizon=15.0, fault_rate=0.05, coord_period=2.0)
out = {"file": m.__file__}
for protocol in ("mdcd", "coordinated"):
    ref = m.simulate(sc, 6, 3, protocol=protocol, engine="reference")
    fast = engines_agree(sc, protocol, runs=6, seed=3)   # reaches both engines, or raises
    trace = m.generate_traces(sc, 6, 3)
    out[protocol] = {"ref": ref["n_low_sends"].tolist(), "fast": fast["n_low_sends"].tolist(),
                     "same": bool(ref.equals(fast)), "last": list(ref.columns)[-1],
                     "rows": [int(((trace.run == r) & (trace.kind == "send")
                                   & trace.src.str.startswith("low")
                                   & (trace.t <= t)).sum())
                              for r, t in zip(ref.run, ref.t_end)]}
print("RESULT " + json.dumps(out))
"""


@pytest.mark.subprocess
def test_adding_a_metric_is_metrics_py_plus_the_code_that_computes_it(tmp_path):
    """Add ``n_low_sends`` to a copy of the package: one row in metrics.py, one line in
    each engine's ``low_send`` (and the kernel's import of its slot); both engines
    then report it, equal, and it counts the G_low send rows played."""
    root = tmp_path / "src"
    shutil.copytree(PKG, root / "mdcd_lab", ignore=shutil.ignore_patterns("__pycache__"))
    pkg = root / "mdcd_lab"

    def edit(rel: str, old: str, new: str) -> None:
        f = pkg / rel
        text = f.read_text()
        assert text.count(old) == 1, (rel, old)
        f.write_text(text.replace(old, new))

    edit("metrics.py", '''
)

#: Axis label of each metric''', '''
    _m("n_low_sends", "int64", "messages", "application messages sent by G_low processes"),
)

#: Axis label of each metric''')
    edit("reference/low.py", "    p.n_sent += 1\n",
         '    p.n_sent += 1\n    run.m["n_low_sends"] += 1\n')
    edit("fast/kernels/low.py", "    wr(I, pp(p, P_NSENT), rd(I, pp(p, P_NSENT)) + 1)\n    if k",
         "    wr(I, pp(p, P_NSENT), rd(I, pp(p, P_NSENT)) + 1)\n"
         "    wr(I, R0 + M_N_LOW_SENDS, rd(I, R0 + M_N_LOW_SENDS) + 1)\n    if k")
    edit("fast/kernels/low.py", "from .state import", "from .layout import M_N_LOW_SENDS\n"
         "from .state import")

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(TESTS)]),
               NUMBA_CACHE_DIR=str(tmp_path / "cache"),
               NUMBA_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=root, env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD_S)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, proc.stdout + proc.stderr
    out = json.loads(line[7:])
    assert out["file"].startswith(str(root))
    for protocol in ("mdcd", "coordinated"):
        r = out[protocol]
        assert r["same"] and r["last"] == "n_low_sends", r
        assert r["ref"] == r["fast"] == r["rows"] and sum(r["ref"]) > 0, r
