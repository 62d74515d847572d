"""A cold compilation shared with a helper process (``mdcd_lab.fast._compile_helper``,
issue 20 item 2).

* the helper alone compiles ``engine.play_row`` and the cold rules into the cache;
  a parent compiling ``simulate`` in that cache then loads them instead of compiling
  them, and its numbers are this process's;
* a cold first call with the helper on (the default) gives this process's numbers,
  leaves no claims behind and no helper running;
* the claims, the switch, the helper's arguments, and stopping it.

That the helper's tables (``shared``, ``split``) match what a compilation reaches is
``test_compile_once.py``'s cold child.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from helpers import HANG_GUARD_S

import mdcd_lab as m
from mdcd_lab.fast import _cache, _compile_helper
from mdcd_lab.fast.engine import scenario_params
from mdcd_lab.fast.kernels import cold

SC = m.Scenario(horizon=20.0, fault_rate=0.05)
EXECUTED = ["notice", "invoke", "release", "end_window", "member_stopped", "recover_process"]

PARENT = r"""
import logging, sys
logging.basicConfig(level=logging.INFO, format="LOG %(message)s")
import mdcd_lab as m
from mdcd_lab.fast import _cache, _compile_helper as H
from mdcd_lab.fast import kernels as K
started, codes = [], []   # what the helper did: started?, exit codes
start, finish = H.start, H.finish
H.start = lambda rules: (lambda h: (started.append(h is not None), h)[1])(start(rules))
H.finish = lambda h, stop=False: (lambda c: (codes.append(c), c)[1])(finish(h, stop))
cached_before = {n: _cache._rule_cached(n) for n in sys.argv[2:]}
kernel_before = _cache.kernel_cached("simulate")
df = m.simulate(m.Scenario(horizon=20.0, fault_rate=0.05), 40, 3, engine="numba")
df.to_pickle(sys.argv[1])
print("RESULT", cached_before, kernel_before, len(K.engine.after_output.overloads),
      len(K.act.act_output.overloads), _cache._helper is None, started, codes)
"""


def _child_env(tmp_path, helper: str) -> dict:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), NUMBA_NUM_THREADS="1",
                MDCD_LAB_COMPILE_HELPER=helper, TMPDIR=str(tmp_path / "tmp"))


def _parent(tmp_path, env):
    out = tmp_path / "frame.pkl"
    proc = subprocess.run([sys.executable, "-c", PARENT, str(out), *EXECUTED], env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD_S)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, proc.stderr
    return lines[0], pd.read_pickle(out), proc.stderr


@pytest.mark.subprocess
def test_what_the_helper_compiles_alone_is_what_the_parent_loads(tmp_path):
    """The helper run alone (an empty cache), then a parent with the helper off in that
    cache: the rules are cached before the parent runs, ``play_row``'s callees
    (``after_output``, ``act_output``) are never compiled nor loaded in the parent (it
    loaded ``play_row`` whole), and the parent's frame equals this process's."""
    env = _child_env(tmp_path, "1")
    claims = tmp_path / "claims"
    claims.mkdir()
    helper = subprocess.run([sys.executable, "-m", "mdcd_lab.fast._compile_helper",
                             str(claims), *EXECUTED], env=env, capture_output=True,
                            text=True, timeout=HANG_GUARD_S)
    assert helper.returncode == 0, helper.stderr
    assert sorted(p.name for p in claims.iterdir()) == sorted(EXECUTED)   # it claimed all
    line, child_frame, _ = _parent(tmp_path, dict(env, MDCD_LAB_COMPILE_HELPER="0"))
    rules = str(dict.fromkeys(EXECUTED, True))
    # the helper would have nothing to compile: none is started (helper_useful)
    assert line == f"RESULT {rules} False 0 0 True [] []"
    here = m.simulate(SC, 40, 3, engine="numba")
    pd.testing.assert_frame_equal(child_frame, here, check_exact=True,
                                  obj="frame of a parent using the helper's code vs here")


@pytest.mark.subprocess
def test_a_cold_first_call_with_the_helper_gives_the_same_numbers(tmp_path):
    """A cold first ``simulate`` with the helper on: the numbers of this process, the
    helper done (no failure logged), its claims removed."""
    line, child_frame, err = _parent(tmp_path, _child_env(tmp_path, "1"))
    assert line.startswith("RESULT {'notice': False")   # nothing cached before
    if len(os.sched_getaffinity(0)) >= 2:   # started once, waited for, exited normally
        assert line.endswith(" True [True] [0]"), line
    else:                                  # one usable core: the helper is off
        assert line.endswith(" True [False] []"), line
    assert "compile helper exited" not in err and "no compile helper" not in err, err
    assert list((tmp_path / "tmp").iterdir()) == []      # its claims are gone
    here = m.simulate(SC, 40, 3, engine="numba")
    pd.testing.assert_frame_equal(child_frame, here, check_exact=True,
                                  obj="frame of a cold call with the helper vs here")


def test_a_rule_is_claimed_once(tmp_path):
    assert _compile_helper.claim(str(tmp_path), "notice") is True
    assert _compile_helper.claim(str(tmp_path), "notice") is False
    assert _compile_helper.claim(str(tmp_path), "invoke") is True


def test_the_helper_is_off_when_turned_off_or_on_one_core(monkeypatch):
    monkeypatch.setenv(_compile_helper.ENV, "0")
    assert _compile_helper.enabled() is False
    assert _compile_helper.start(EXECUTED) is None
    monkeypatch.setenv(_compile_helper.ENV, "1")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert _compile_helper.enabled() is False
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert _compile_helper.enabled() is True


def test_the_helper_refuses_unknown_rules_and_a_missing_claims_directory(tmp_path):
    with pytest.raises(SystemExit, match="unknown rule.*nonesuch"):
        _compile_helper.main([str(tmp_path), "notice", "nonesuch"])
    with pytest.raises(SystemExit, match="usage: .*CLAIMS_DIR"):
        _compile_helper.main([str(tmp_path / "missing")])


def test_a_helper_on_cached_kernels_finishes_and_leaves_nothing(monkeypatch):
    """With the kernels cached, a helper started anyway loads and exits; the parent's
    share and the helper's cover every rule; its claims directory is removed."""
    monkeypatch.setenv(_compile_helper.ENV, "1")
    m.simulate(SC, 2, 1, engine="numba")   # cached (or compiled) in this process
    assert _cache.helper_useful(EXECUTED) is False   # ensure_compiled would not start it
    helper = _compile_helper.start(EXECUTED)
    if helper is None:
        pytest.skip("one usable core: the helper is off")
    _compile_helper.share_rules(helper)
    assert _compile_helper.finish(helper) == 0
    assert not os.path.exists(helper.claims)
    assert all(_cache._rule_cached(n) for n in EXECUTED)


def test_a_stopped_helper_is_killed_and_its_claims_removed(monkeypatch):
    monkeypatch.setenv(_compile_helper.ENV, "1")
    helper = _compile_helper.start(EXECUTED)
    if helper is None:
        pytest.skip("one usable core: the helper is off")
    assert _compile_helper.finish(helper, stop=True) != 0   # killed, not done
    assert helper.process.poll() is not None
    assert not os.path.exists(helper.claims)


def test_a_cached_kernel_starts_no_helper(monkeypatch):
    """``simulate`` and ``replay`` on kernels compiled (or cached) already ask for no
    helper, and none is left waiting."""
    m.simulate(SC, 2, 1, engine="numba")
    m.replay(m.fast.generate_traces_numba(SC, 2, 1), SC, engine="numba")
    asked = []
    monkeypatch.setattr(_compile_helper, "start", lambda rules: asked.append(rules))
    m.simulate(SC, 2, 1, engine="numba")
    m.replay(m.fast.generate_traces_numba(SC, 2, 1), SC, engine="numba")
    assert asked == []
    assert _cache._helper is None
    assert cold.needed(scenario_params(SC, "mdcd")[1]) == EXECUTED


@pytest.mark.subprocess
def test_a_helper_not_let_go_exits_without_compiling(tmp_path):
    """The helper imports the kernels while the parent compiles ``shared``, then waits
    for the parent's ``go``: at end of file instead (the parent gave up) it exits 0
    without claiming or compiling anything."""
    env = _child_env(tmp_path, "1")
    claims = tmp_path / "claims"
    claims.mkdir()
    root = os.path.dirname(os.path.dirname(m.__file__))
    proc = subprocess.run([sys.executable, "-c", _compile_helper._CHILD, root, str(claims),
                           *EXECUTED], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 0, proc.stderr
    assert list(claims.iterdir()) == []
    assert list((tmp_path / "cache").rglob("*.nbi")) == []   # nothing compiled


def test_start_interrupted_while_shared_compiles_stops_the_helper(monkeypatch):
    """Ctrl-C while the parent compiles ``shared`` (the helper started, not yet let go):
    the helper is killed, its claims removed, the interrupt raised."""
    monkeypatch.setenv(_compile_helper.ENV, "1")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})

    class Interrupted:
        def compile(self, sig):
            raise KeyboardInterrupt

    stopped = []
    finish = _compile_helper.finish
    monkeypatch.setattr(_compile_helper, "shared", lambda: [(Interrupted(), ())])
    monkeypatch.setattr(_compile_helper, "finish",
                        lambda h, stop=False: (stopped.append((h, stop)), finish(h, stop))[1])
    with pytest.raises(KeyboardInterrupt):
        _compile_helper.start(EXECUTED)
    [(helper, stop)] = stopped
    assert stop is True
    assert helper.process.poll() is not None        # killed, not left waiting
    assert not os.path.exists(helper.claims)
