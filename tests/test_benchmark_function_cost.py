"""``benchmarks/function_cost.py``: every declaration of the generated module computes the
same ``top`` as Python does, the table divides by the right count and names its
reference, and bad options stop it before any child runs."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import load_benchmark

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "function_cost.py"
fc = load_benchmark("function_cost")


@pytest.mark.parametrize("mode", sorted(fc.DECORATORS))
def test_each_declaration_computes_what_python_computes(mode, tmp_path, monkeypatch):
    """The generated ``top`` (compiled here; its cache goes next to the module, in
    ``tmp_path``) against ``expected``, the same sum written in Python."""
    name = f"fc_test_{mode}"
    (tmp_path / f"{name}.py").write_text(fc.module_source(mode, 3, 2))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    assert module.top(np.arange(64, dtype=np.int64), np.int64(3)) == fc.expected(3, 2)
    # h0(A, 3) = 3 * 1 + 4, h2(A, 4) = 4 * 3 + 5: the sum over 3 functions x 2 sites
    assert fc.expected(3, 2) == (3 + 4) + (4 + 5) + (6 + 4) + (8 + 5) + (9 + 4) + (12 + 5)
    assert fc.module_source(mode, 3, 2).count(fc.DECORATORS[mode] + "\ndef h") == 3


def test_the_table_gives_the_cost_of_one_function_against_njit():
    rows = [("njit", 1, 4.0, 0.100), ("inline", 1, 2.2, 0.045), ("inline", 5, 9.9, 0.300)]
    text = fc.table(rows, 30)
    assert "| `njit` | 1 | 4.00 | 100 | 1.00x |" in text
    assert "| `inline` | 1 | 2.20 | 45 | 0.45x |" in text
    assert "| `inline` | 5 | 9.90 | 300 |  |" in text    # no njit row with 5 sites


@pytest.mark.parametrize("argv, message", [
    (["--helpers", "1"], "--helpers must be at least 2, got 1"),
    (["--sites", "1", "0"], "--sites must be at least 1, got 0"),
    (["--repeat", "0"], "--repeat must be at least 1, got 0"),
    (["--modes", "jit"], "invalid choice: 'jit'"),
])
def test_bad_options_stop_before_any_child(argv, message):
    out = subprocess.run([sys.executable, str(_PATH), *argv], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    assert message in out.stderr
    assert out.stdout == ""


def test_a_run_prints_one_row_per_variant_and_checks_each_childs_value(capsys, monkeypatch,
                                                                       tmp_path):
    assert fc.main(["--helpers", "2", "--sites", "1", "--modes", "njit", "--repeat", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| mode | call sites per function | CPU s, 2 functions |")
    assert len(lines) == 3 and lines[2].startswith("| `njit` | 1 | ")
    # njit's own ratio is 1.00x, or empty where two functions timed no dearer than the
    # base (a timing difference of one child each: noise on a busy machine, and no ratio
    # to a cost that is not positive)
    ms, ratio = (c.strip() for c in lines[2].strip("|").split("|")[3:5])
    assert ratio == "1.00x" or (ratio == "" and int(ms) <= 0), lines[2]
    # a child whose top returns another value than Python's sum stops the run
    monkeypatch.setattr(fc, "expected", lambda helpers, sites: -1)
    with pytest.raises(RuntimeError, match="njit: top returned 7, expected -1"):
        fc.measure("njit", 1, 1, tmp_path)
