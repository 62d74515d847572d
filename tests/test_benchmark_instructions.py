"""``benchmarks/instructions.py``: a bad ``--latency`` stops it before any child (or
valgrind) runs."""

import subprocess
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "instructions.py"


def test_a_latency_that_is_not_positive_is_refused_at_once():
    for bad in ("0", "-1", "nan"):
        out = subprocess.run([sys.executable, str(_PATH), "--latency", bad],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2, bad
        assert "--latency must be > 0" in out.stderr and not out.stdout
