"""The kernel package: no import cycle, and numba's cache never serves stale code.

numba keys a function's on-disk cache on its own source file; the kernels are
spread over several modules, so ``mdcd_lab.fast.kernels`` compiles into a
directory keyed on a hash of every kernel source (``kernels/__init__.py``).
The slow test edits a leaf kernel in a copy of the package and checks, in fresh
interpreters, that a cached caller in another module sees the edit, and that
reverting it finds the first cache again.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import HANG_GUARD_S, find_cycle, import_graph

import mdcd_lab
from mdcd_lab.fast import kernels

PKG = Path(mdcd_lab.__file__).resolve().parent


def test_fast_engine_has_no_import_cycle():
    graph = import_graph(PKG / "fast")
    assert "mdcd_lab.fast.kernels.engine" in graph
    cycle = find_cycle(graph, skip_own_submodules=True)
    assert cycle is None, cycle


def test_cycle_detector_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    # a package importing its own submodules is no cycle when they are skipped
    assert find_cycle({"p": {"p.x"}, "p.x": {"p"}}, skip_own_submodules=True) is None


def test_kernel_modules_are_listed_in_dependency_order():
    graph = import_graph(PKG / "fast" / "kernels")
    order = list(kernels.MODULES)
    names = {f"mdcd_lab.fast.kernels.{m}" for m in order}
    assert names == set(graph) - {"mdcd_lab.fast.kernels"}
    for i, m in enumerate(order):
        for dep in graph[f"mdcd_lab.fast.kernels.{m}"]:
            assert dep.rsplit(".", 1)[1] in order[:i], (m, dep)


def test_kernel_modules_are_small():
    # the code after the imports (long ``from .layout import (...)`` blocks, one name a
    # line, do not count)
    for f in (PKG / "fast" / "kernels").glob("*.py"):
        tree = ast.parse(f.read_text())
        last_import = max((n.end_lineno for n in tree.body
                           if isinstance(n, (ast.Import, ast.ImportFrom))), default=0)
        code = len(f.read_text().splitlines()) - last_import
        assert code <= 400, (f.name, code)


def test_cache_dir_is_keyed_on_every_source():
    names = {f.name for f in kernels.key_files()}
    assert {"_config.py", "gen.py", "rng.py", "engine.py", "__init__.py"} <= names
    # the schemas compiled in as constants: roles, kinds, fill values, metric slots
    assert {"constants.py", "metrics.py"} <= names
    assert kernels.source_key() in str(kernels.CACHE_DIR)


CHILD = r"""
import json, sys
import numpy as np
import mdcd_lab
from mdcd_lab import Scenario
from mdcd_lab.fast import kernels
from mdcd_lab.fast._rng import seed_words
from mdcd_lab.fast.engine import scenario_params
from mdcd_lab.fast.kernels import gen
sc = Scenario(n_low=1, n_act=1, horizon=20.0, rate_low_low=0.0, rate_sdw_sdw=0.0,
              rate_act_act=0.0)
fp, ip = scenario_params(sc, "mdcd")
counts = np.zeros(4, dtype=np.int64)
gen.count_rows(seed_words(5), 0, 4, fp, ip, 8, counts)
print("RESULT " + json.dumps({"file": mdcd_lab.__file__, "cache": str(kernels.CACHE_DIR),
      "counts": counts.tolist(), "hits": sum(gen.count_rows.stats.cache_hits.values())}))
"""


def _child(root: Path, cache: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root), NUMBA_CACHE_DIR=str(cache),
               NUMBA_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=root, env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD_S)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[7:])
            assert out["file"].startswith(str(root)), out["file"]
            return out
    raise AssertionError(proc.stdout + proc.stderr)


@pytest.mark.subprocess
def test_an_edited_leaf_kernel_takes_effect_in_its_cached_callers(tmp_path):
    root = tmp_path / "src"
    shutil.copytree(PKG, root / "mdcd_lab", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    rng = root / "mdcd_lab" / "fast" / "kernels" / "rng.py"
    original = rng.read_text()
    old = "return np.float64(x >> SH11) * TWO_M53"
    assert original.count(old) == 1

    first = _child(root, cache)             # compiles gen.count_rows and rng into cache
    again = _child(root, cache)             # loads them
    assert again["counts"] == first["counts"] and again["hits"] > 0
    # halve every uniform: shorter gaps, more rows; the caller lives in gen.py
    rng.write_text(original.replace(old, old + " * 0.5"))
    edited = _child(root, cache)
    assert edited["cache"] != first["cache"]
    assert sum(edited["counts"]) > sum(first["counts"])
    rng.write_text(original)                # reverting finds the first directory again
    reverted = _child(root, cache)
    assert reverted["cache"] == first["cache"]
    assert reverted["counts"] == first["counts"] and reverted["hits"] > 0


def test_the_cache_directory_is_private(tmp_path, monkeypatch):
    """numba unpickles its cache index: a cache directory another user owns or may write
    is refused naming it (issue 23, item 8); one only readable by others is tightened."""
    assert os.stat(kernels.CACHE_DIR).st_mode & 0o077 == 0
    d = tmp_path / "mdcd-kernels-x"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    kernels.check_private(d)
    assert oct(os.stat(d).st_mode & 0o777) == "0o700"
    os.chmod(d, 0o775)
    with pytest.raises(PermissionError, match="writable by other users .mode 775."):
        kernels.check_private(d)
    os.chmod(d, 0o700)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(d).st_uid + 1)
    with pytest.raises(PermissionError, match="belongs to user id") as err:
        kernels.check_private(d)
    assert err.value.filename == str(d)
    monkeypatch.undo()
    link = tmp_path / "mdcd-kernels-link"
    link.symlink_to(d)
    with pytest.raises(PermissionError, match="is not a directory"):
        kernels.check_private(link)


def test_cache_dir_refuses_a_planted_directory(tmp_path, monkeypatch):
    """A predictable cache path in a shared NUMBA_CACHE_DIR, created first by someone
    else (here: writable by all), is refused rather than loaded from."""
    planted = tmp_path / f"mdcd-kernels-{kernels.source_key()}"
    planted.mkdir()
    os.chmod(planted, 0o777)
    monkeypatch.setattr(kernels.numba.config, "CACHE_DIR", str(tmp_path))
    with pytest.raises(PermissionError, match="writable by other users"):
        kernels.cache_dir()
