"""A cold numba compilation is announced before it starts, and not counted as work (issue 24).

The unit tests use a tiny kernel of their own (compiled in a second, cached under
``tmp_path``); one child process runs the README's first Python session with an
empty ``NUMBA_CACHE_DIR`` and is stopped as soon as the notice is out.
"""

import importlib.util
import logging
import os
import re
import signal
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from helpers import HANG_GUARD_S

from mdcd_lab.fast import _cache

ROOT = Path(__file__).resolve().parent.parent

TINY = """
import numba


@numba.njit(cache=True)
def tiny(x):
    return x + 1
"""


def _load_tiny(path: Path, name: str):
    """A fresh dispatcher of ``path``'s ``tiny`` (a new module object each time)."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.tiny


class _Recorder(logging.Handler):
    """Each record with the number of compiled signatures of ``disp`` when it was logged."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen = []
        self.disp = None

    def emit(self, record):
        self.seen.append((record.levelno, record.getMessage(), len(self.disp.overloads)))


@pytest.fixture
def recorder(monkeypatch):
    monkeypatch.setattr(_cache, "_announced", set())
    h = _Recorder()
    _cache.LOGGER.addHandler(h)
    old = _cache.LOGGER.level
    _cache.LOGGER.setLevel(logging.DEBUG)
    yield h
    _cache.LOGGER.setLevel(old)
    _cache.LOGGER.removeHandler(h)


def test_a_cold_kernel_is_announced_before_it_compiles(tmp_path, recorder, monkeypatch):
    src = tmp_path / "tiny_kernel.py"
    src.write_text(TINY)
    disp = recorder.disp = _load_tiny(src, "tiny_kernel_a")
    args = (np.int64(1),)
    before = _cache.compile_seconds()
    assert not _cache._cached(disp, (disp.typeof_pyval(args[0]),))
    _cache.ensure_compiled(disp, args, "generate")
    # the notice first, while nothing is compiled; then the compile's time, after it
    assert recorder.seen[0] == (logging.WARNING, _cache.notice("generate"), 0)
    assert recorder.seen[1][0] == logging.INFO and recorder.seen[1][2] == 1
    assert re.fullmatch(r"mdcd_lab: compiled tiny \(generate kernels\) in [0-9.]+ s",
                        recorder.seen[1][1])
    assert _cache.compile_seconds() > before
    assert disp(args[0]) == 2
    # compiled in this process: nothing said, nothing counted
    n, spent = len(recorder.seen), _cache.compile_seconds()
    _cache.ensure_compiled(disp, args, "generate")
    assert len(recorder.seen) == n and _cache.compile_seconds() == spent
    # another dispatcher of the same source (as in a later process) loads it from the cache
    monkeypatch.setattr(_cache, "_announced", set())
    again = recorder.disp = _load_tiny(src, "tiny_kernel_b")
    assert not again.overloads and _cache._cached(again, (again.typeof_pyval(args[0]),))
    _cache.ensure_compiled(again, args, "generate")
    assert len(recorder.seen) == n and _cache.compile_seconds() == spent
    assert len(again.overloads) == 1


def test_a_notice_said_by_the_command_line_is_not_repeated(tmp_path, recorder):
    src = tmp_path / "tiny_once.py"
    src.write_text(TINY)
    disp = recorder.disp = _load_tiny(src, "tiny_once")
    _cache.mark_announced("generate")
    _cache.ensure_compiled(disp, (np.int64(1),), "generate")
    assert [lvl for lvl, _, _ in recorder.seen] == [logging.INFO]   # only the time


def test_unreadable_numba_internals_announce_nothing():
    """If numba's cache index cannot be read, the kernel counts as cached (no notice)."""
    odd = types.SimpleNamespace(signatures=[], overloads={})     # no _cache attribute
    assert _cache._cached(odd) is True
    assert _cache._cached(odd, ("int64",)) is True


def test_a_cold_event_loop_makes_the_loop_kernels_cold(monkeypatch):
    """The event loop is compiled apart (``kernels/cold.py``, ``LOOP``): the simulate and
    replay kernels count as cached only with it, the generator's without it."""
    monkeypatch.setattr(_cache, "_cached", lambda disp, sig=None: True)
    seen = []
    monkeypatch.setattr(_cache, "_rule_cached", lambda name: seen.append(name) or False)
    assert not _cache.kernel_cached("simulate") and not _cache.kernel_cached("replay")
    assert _cache.kernel_cached("generate")
    assert seen == ["play_run", "play_run"]
    monkeypatch.setattr(_cache, "_rule_cached", lambda name: True)
    assert _cache.kernel_cached("simulate") and _cache.kernel_cached("replay")


def test_a_loop_kernel_loads_the_loop_and_announces_its_compilation(tmp_path, recorder,
                                                                     monkeypatch):
    """``ensure_compiled`` of a kernel that runs the loop (``rules`` given) loads the
    loop's C function too, after the kernel, and announces a cold compilation when only
    the loop is cold."""
    from mdcd_lab.fast.kernels import cold
    src = tmp_path / "tiny_loop.py"
    src.write_text(TINY)
    disp = recorder.disp = _load_tiny(src, "tiny_loop")
    disp.compile((disp.typeof_pyval(np.int64(1)),))   # the kernel itself compiled already
    disp.overloads.clear()
    loaded = []
    monkeypatch.setattr(cold, "load", lambda name: loaded.append((name, len(disp.overloads))))
    monkeypatch.setattr(_cache, "_rule_cached", lambda name: name != "play_run")
    monkeypatch.setattr("mdcd_lab.fast._compile_helper.enabled", lambda: False)
    _cache.ensure_compiled(disp, (np.int64(1),), "simulate", rules=[])
    assert loaded == [("play_run", 1)]   # after the kernel
    assert recorder.seen[0][:2] == (logging.WARNING, _cache.notice("simulate"))
    loaded.clear()
    _cache.ensure_compiled(disp, (np.int64(1),), "generate")   # no loop: nothing loaded
    assert loaded == []


def test_every_entry_point_compiles_through_ensure_compiled(monkeypatch):
    """simulate, generate and replay of the numba engine each ask first (the notice's hook)."""
    import mdcd_lab as m
    from mdcd_lab.fast import engine as fast_engine
    asked = []
    real = fast_engine.ensure_compiled
    monkeypatch.setattr(fast_engine, "ensure_compiled",
                        lambda disp, args, what, sig=None, **kw: (
                            asked.append((disp.__name__, what)),
                            real(disp, args, what, sig, **kw)))
    sc = m.Scenario(horizon=5.0)
    fast_engine.simulate_numba(sc, 2, 1, progress=False)
    assert asked == [("simulate_block", "simulate")]
    trace = fast_engine.generate_traces_numba(sc, 2, 1)
    assert asked[1:] == [("count_rows", "generate"), ("fill_rows", "generate")]
    fast_engine.replay_numba(trace, sc)
    assert asked[3:] == [("replay_block", "replay")]


def test_explore_leaves_compile_time_out_of_its_seconds(monkeypatch):
    """``attrs["seconds"]`` is the exploring time: the compile seconds are reported apart."""
    import mdcd_lab as m
    from mdcd_lab.exploration import verdicts
    clock = iter([100.0, 130.0])      # explore's two readings of the clock: 30 s in all
    spent = iter([5.0, 17.0])         # of which 12 s compiling
    monkeypatch.setattr(verdicts.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(verdicts, "compile_seconds", lambda: next(spent))
    scope = m.Scope(n_low=1, n_act=1, max_actions=1)
    df = m.explore(scope, protocols="mdcd", engine="reference")
    assert df.attrs["compile_seconds"] == 12.0
    assert df.attrs["seconds"] == 18.0


@pytest.mark.subprocess
def test_the_readme_session_announces_a_cold_compile_first(tmp_path):
    """The README's first Python session, cold: the notice is the first thing it prints.

    The child is stopped as soon as the notice is out (a cold compile takes a minute).
    """
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"## A first session\s+```python\n(.*?)```", readme, re.S).group(1)
    assert "m.simulate(" in snippet
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS="1",
               NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    proc = subprocess.Popen([sys.executable, "-c", snippet], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stdout.readline().decode()
    finally:
        proc.kill()
        proc.communicate(timeout=HANG_GUARD_S)
    assert first.rstrip("\n") == _cache.notice("simulate")
