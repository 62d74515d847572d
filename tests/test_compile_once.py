"""Each kernel is compiled once (issue 20, item 2).

* no kernel of ``mdcd_lab.fast.kernels`` is specialised on a literal argument (a
  module constant or a ``-1`` passed at a call site used to compile a callee once
  per value: ``rd`` 59 times);
* the entry kernels have one overload each, their explicit signature
  (``fast/_config.py: SIG_*``), whatever the protocol, and ``ensure_compiled``
  refuses a call whose types differ from it;
* the cold rules of error recovery (``kernels/cold.py``) are compiled on first use
  only: an executed-recovery run compiles nothing of atomic recovery; the event loop
  (``engine.play_run``, ``cold.LOOP``) is compiled once, for ``simulate`` and
  ``replay`` alike;
* the drivers run one block per thread on Python threads, and an error raised in a
  block reaches the caller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import HANG_GUARD_S

import mdcd_lab as m
from mdcd_lab.fast import _cache, _compile_helper, _config, generate_traces_numba
from mdcd_lab.fast.kernels import drivers, gen

SC = m.Scenario(horizon=20.0, fault_rate=0.05)


@pytest.fixture(scope="module")
def played():
    """Every family and both level kinds played by ``simulate``, a trace generated and
    replayed: every kernel that these reach is compiled (or loaded) in this process."""
    for proto in ("mdcd", "coordinated", "mdcd-vector", "unguarded"):
        m.simulate(SC, 4, 1, protocol=proto, engine="numba")
    trace = generate_traces_numba(SC, 3, 2)
    m.replay(trace, SC, protocol="mdcd", engine="numba")
    return trace


NO_LITERALS = r"""
import json
import numba
from numba.core import types
import mdcd_lab as m
from mdcd_lab.fast import kernels as K
m.simulate(m.Scenario(horizon=20.0, fault_rate=0.05), 4, 1, engine="numba")
found, counts = {}, {}
for name in K.MODULES:
    mod = getattr(K, name)
    for attr, d in vars(mod).items():
        if isinstance(d, numba.core.registry.CPUDispatcher) \
                and d.py_func.__module__ == mod.__name__:
            counts[f"{name}.{attr}"] = len(d.overloads)
            lit = [str(s) for s in d.overloads if any(isinstance(a, types.Literal) for a in s)]
            if lit:
                found[f"{name}.{attr}"] = lit
rules = sorted(K.cold._loaded)                       # loaded by the executed run only
atomic = len(K.families.recover.overloads)          # atomic recovery compiled? (no)
m.simulate(m.Scenario(horizon=20.0, fault_rate=0.05, recovery="atomic"), 4, 1,
           engine="numba")
rules_after = sorted(K.cold._loaded)
m.simulate(m.Scenario(horizon=20.0, fault_rate=0.05), 4, 1, protocol="coordinated",
           engine="numba")
sc = m.Scenario(horizon=20.0, fault_rate=0.05)
m.replay(m.generate_traces(sc, 2, 3), sc, engine="numba")   # replay_block: the same loop
multi = {}    # every kernel compiled for more than one signature, after all of it
for name in K.MODULES:
    mod = getattr(K, name)
    for attr, d in vars(mod).items():
        if isinstance(d, numba.core.registry.CPUDispatcher) \
                and d.py_func.__module__ == mod.__name__ and len(d.overloads) > 1:
            multi[f"{name}.{attr}"] = sorted(str(s) for s in d.overloads)
print("RESULT " + json.dumps({"found": found, "counts": counts, "rules": rules,
                              "atomic": atomic, "rules_after": rules_after,
                              "atomic_after": len(K.families.recover.overloads),
                              "multi": multi,
                              "loops": len(K.engine.play_run.overloads),
                              "linked": [any("play_run" in ln for ln in
                                             d.inspect_llvm(sig).splitlines()
                                             if ln.startswith("define"))
                                         for d in (K.drivers.simulate_block,
                                                   K.drivers.replay_block)
                                         for sig in d.signatures],
                              "play_row": [str(s) for s in K.engine.play_row.overloads]}))
"""


@pytest.mark.subprocess
def test_no_kernel_is_specialised_on_a_literal(tmp_path):
    """A cold compile (an empty ``NUMBA_CACHE_DIR``: every callee is compiled in the child,
    so its overloads are listed) of ``simulate``'s kernels: no literal argument types."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), NUMBA_NUM_THREADS="1",
               MDCD_LAB_COMPILE_HELPER="0")   # this process compiles every callee
    proc = subprocess.run([sys.executable, "-c", NO_LITERALS], env=env, capture_output=True,
                          text=True, timeout=HANG_GUARD_S)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, proc.stderr
    out = json.loads(lines[0][7:])
    assert out["found"] == {}
    # the accessors are reached from every rule: intrinsics, lowered in place at each
    # call, never compiled as kernels (session 20)
    assert not {"intrinsics.rd", "intrinsics.wr", "layout.pp"} & set(out["counts"])
    assert out["counts"]["drivers.simulate_block"] == 1
    # the event loop is compiled as a C function only (cold.LOOP), not as a kernel
    assert out["counts"]["engine.play_run"] == 0
    # the cold rules (kernels/cold.py) are compiled on first use: the executed run loaded
    # the event loop and executed recovery's six rules and compiled nothing of atomic
    # recovery; the atomic run then compiled families.recover (once) and loaded its rule
    assert out["rules"] == ["end_window", "invoke", "member_stopped", "notice", "play_run",
                            "recover_process", "release"]
    assert out["atomic"] == 0
    assert out["rules_after"] == ["end_window", "invoke", "member_stopped", "notice",
                                  "play_run", "recover", "recover_process", "release"]
    assert out["atomic_after"] == 1
    # replay_block calls the loop simulate_block called (drivers.play): nothing compiled
    # again, and neither block kernel's module contains (or optimised again) the loop's code
    assert out["loops"] == 0
    assert out["linked"] == [False, False]
    # the compile helper's tables (fast/_compile_helper.py): the kernels compiled for more
    # than one signature, after every rule and both families, are exactly those the parent
    # compiles before the helper starts (numba's index would race on them), and
    # engine.play_row, which the helper compiles alone, has exactly the signature that
    # play_run calls it with
    shared: dict[str, list[str]] = {}
    for disp, sig in _compile_helper.shared():
        shared.setdefault(f"{disp.py_func.__module__.rsplit('.', 1)[1]}.{disp.__name__}",
                          []).append(str(sig))
    assert out["multi"] == {k: sorted(v) for k, v in shared.items()}
    assert out["play_row"] == [str(sig) for _, sig in _compile_helper.split()]


def test_entry_kernels_have_one_overload_their_signature(played):
    for disp, sig in ((drivers.simulate_block, _config.SIG_SIMULATE_BLOCK),
                      (drivers.replay_block, _config.SIG_REPLAY_BLOCK),
                      (gen.count_rows, _config.SIG_COUNT_ROWS),
                      (gen.fill_rows, _config.SIG_FILL_ROWS)):
        assert list(disp.overloads) == [sig], disp.__name__


def test_ensure_compiled_refuses_other_types_than_the_signature():
    with pytest.raises(TypeError, match="count_rows is compiled for .* only; called with"):
        _cache.ensure_compiled(gen.count_rows, (np.zeros(4, dtype=np.uint32), 0, 1,
                                                np.zeros(3), np.zeros(3, dtype=np.int64),
                                                1.5, np.zeros(1, dtype=np.int64)),
                               "generate", _config.SIG_COUNT_ROWS)


def test_on_threads_runs_every_block_and_raises_a_blocks_error():
    seen = []
    drivers.on_threads(seen.append, 3)
    assert sorted(seen) == [0, 1, 2]
    seen.clear()
    drivers.on_threads(seen.append, 1)
    assert seen == [0]

    def block(b):
        if b == 1:
            raise ValueError("block 1 failed")
    with pytest.raises(ValueError, match="block 1 failed"):
        drivers.on_threads(block, 2)
