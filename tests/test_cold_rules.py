"""The rules of error recovery compiled apart and called through their addresses
(``mdcd_lab.fast.kernels.cold``, issue 20 item 2): which rules a run loads, the
addresses ``drivers`` hands the kernels, and a missing address as a kernel error.

That the rules compute what they did inline is the engines' agreement (every
recovery test runs both engines, under executed and atomic recovery) and the hashes
of ``benchmarks/hash_results.py``; that a run compiles only the rules it needs is
``test_compile_once.py``'s cold child.
"""

from __future__ import annotations

import numpy as np
import pytest

import mdcd_lab as m
from mdcd_lab.fast import _cache
from mdcd_lab.fast._rng import seed_words
from mdcd_lab.fast.engine import _initial_capacity, _raise_errors, scenario_params
from mdcd_lab.fast.kernels import cold, drivers, layout
from mdcd_lab.traces.table import ROW_ARRAYS, empty_run_arrays
from mdcd_lab.traces.validate import validate_trace

SC = m.Scenario(horizon=30.0, fault_rate=0.1)
EXECUTED = ["notice", "invoke", "release", "end_window", "member_stopped", "recover_process"]
COORDINATED = ["schedule_lines", "take_line", "validate_lines", "coordinated_receive",
               "coordinated_validate"]
SLOTS = [layout.IP_ADDR_NOTICE, layout.IP_ADDR_INVOKE, layout.IP_ADDR_RELEASE,
         layout.IP_ADDR_END_WINDOW, layout.IP_ADDR_RECOVER, layout.IP_ADDR_SCHEDULE_LINES,
         layout.IP_ADDR_TAKE_LINE, layout.IP_ADDR_VALIDATE_LINES,
         layout.IP_ADDR_COORDINATED_RECEIVE, layout.IP_ADDR_COORDINATED_VALIDATE,
         layout.IP_ADDR_MEMBER_STOPPED, layout.IP_ADDR_RECOVER_PROCESS]
#: The slot of the event loop compiled apart (``cold.LOOP``), filled for every run.
LOOP_SLOT = layout.IP_ADDR_PLAY_RUN


@pytest.mark.parametrize("mode, rules", [("executed", EXECUTED), ("atomic", ["recover"])])
def test_a_run_needs_the_rules_of_its_recovery_mode_and_family(mode, rules):
    for protocol in ("mdcd", "coordinated", "mdcd-vector", "unguarded"):
        _, ip = scenario_params(SC.replace(recovery=mode), protocol)
        family = COORDINATED if protocol == "coordinated" else []
        assert cold.needed(ip) == rules + family, protocol


def test_every_rule_has_its_own_slot():
    assert sorted(slot for slot, _, _ in cold.RULES.values()) == sorted(SLOTS)
    assert sorted(cold.RULES) == sorted(EXECUTED + ["recover"] + COORDINATED)
    assert [slot for slot, _, _ in cold.LOOP.values()] == [LOOP_SLOT]
    assert LOOP_SLOT not in SLOTS


def test_scenario_params_leave_the_address_slots_empty():
    _, ip = scenario_params(SC, "mdcd")
    assert all(ip[s] == 0 for s in SLOTS + [LOOP_SLOT])
    assert sorted(SLOTS + [LOOP_SLOT]) == list(range(layout.N_IP - len(SLOTS) - 1,
                                                     layout.N_IP))   # the last slots of ip


@pytest.mark.parametrize("mode, protocol", [("executed", "mdcd"), ("atomic", "mdcd"),
                                            ("executed", "coordinated")])
def test_with_addresses_fills_the_needed_slots_of_a_copy(mode, protocol):
    _, ip = scenario_params(SC.replace(recovery=mode), protocol)
    before = ip.copy()
    out = cold.with_addresses(ip)
    assert np.array_equal(ip, before)                 # the caller's ip is not written
    needed = {cold.RULES[n][0] for n in cold.needed(ip)}
    for s in SLOTS:
        if s in needed:
            assert out[s] == cold.load(
                next(n for n, r in cold.RULES.items() if r[0] == s)).address != 0
        else:
            assert out[s] == 0
    assert out[LOOP_SLOT] == cold.load("play_run").address != 0   # for every run
    others = [k for k in range(layout.N_IP) if k not in SLOTS + [LOOP_SLOT]]
    assert np.array_equal(out[others], ip[others])
    assert all(cold.is_loaded(n) for n in cold.needed(ip))


def _block(sc, protocol, ip_of):
    """Play runs 0..15 of ``sc`` in one block with the int parameters ``ip_of(ip)``;
    returns the block's error row and the number of recovered runs."""
    fp, ip = scenario_params(sc, protocol)
    ip = ip_of(ip)
    OI = np.zeros((layout.N_OUT_I, 16), dtype=np.int64)
    OF = np.zeros((layout.N_OUT_F, 16))
    err = np.zeros((1, 3), dtype=np.int64)
    drivers.simulate_block(seed_words(1), 0, 0, 16, fp, ip, _initial_capacity(fp), OI, OF, 0,
                           err, 0)
    return err[0], int((OI[m.metrics.INT_METRICS.index("outcome")] ==
                        m.metrics.OUTCOMES.index("recovered")).sum())


@pytest.mark.parametrize("mode, protocol", [("executed", "mdcd"), ("atomic", "mdcd"),
                                            ("executed", "coordinated")])
def test_a_rule_without_its_address_is_a_kernel_error_not_a_crash(mode, protocol):
    """``layout.call_rule`` checks the address: the kernels given ``ip`` without the
    addresses stop the run at its first call of a cold rule (a recovery, or the
    coordinated family's first line) with ``ERR_NO_RULE``, which the engine reports as
    one clear error; with the addresses the same runs recover."""
    sc = SC.replace(recovery=mode)
    err, recovered = _block(sc, protocol, cold.with_addresses)
    assert err[0] == layout.ERR_NONE and recovered > 0
    err, _ = _block(sc, protocol, _loop_only)
    assert err[0] == layout.ERR_NO_RULE and err[1] >= 0
    with pytest.raises(RuntimeError, match=r"simulate: run \d+ called a rule or the event "
                                           r"loop compiled apart that was not loaded"):
        _raise_errors(err[None, :], "simulate")


def _loop_only(ip):
    """``ip`` with the event loop's address (``cold.LOOP``) and no rule's."""
    ip = ip.copy()
    ip[LOOP_SLOT] = cold.load("play_run").address
    return ip


@pytest.mark.parametrize("kernel", ["simulate_block", "replay_block"])
def test_the_block_kernels_without_the_loops_address_stop_at_the_first_run(kernel):
    """``drivers.play`` checks the loop's address: a block kernel given ``ip`` without it
    (every address slot 0) plays nothing and reports ``ERR_NO_RULE`` for its first run,
    which the engine reports as one clear error."""
    fp, ip = scenario_params(SC, "mdcd")
    OI = np.zeros((layout.N_OUT_I, 4), dtype=np.int64)
    OF = np.zeros((layout.N_OUT_F, 4))
    err = np.zeros((1, 3), dtype=np.int64)
    if kernel == "simulate_block":
        drivers.simulate_block(seed_words(1), 0, 2, 4, fp, ip, _initial_capacity(fp), OI, OF,
                               0, err, 0)
        first = 2   # runs 2 and 3 of the block
    else:
        per_run = validate_trace(m.generate_traces(SC, 4, 1), SC)
        empty = empty_run_arrays()
        cols = [np.ascontiguousarray(np.concatenate([a[k] for a in per_run.values()]),
                                     dtype=empty[k].dtype) for k in ROW_ARRAYS]
        offsets = np.concatenate([[0], np.cumsum([len(a["t"]) for a in per_run.values()])])
        drivers.replay_block(offsets.astype(np.int64), 1, 4, *cols, fp, ip, OI, OF, err, 0)
        first = 1
    assert list(err[0, :2]) == [layout.ERR_NO_RULE, first]
    assert not OI.any() and not OF.any()   # nothing collected
    with pytest.raises(RuntimeError, match=rf"simulate: run {first} called a rule or the "
                                           r"event loop compiled apart that was not loaded"):
        _raise_errors(err, "simulate")


def test_ensure_rules_loads_what_the_run_needs():
    _, ip = scenario_params(SC.replace(recovery="atomic"), "mdcd")
    _cache.ensure_rules(ip, "simulate")
    assert cold.is_loaded("recover")


def test_ensure_rules_announces_a_cold_compilation_of_rules_once(monkeypatch, caplog):
    """A run whose rules are not in numba's cache (the kernels being compiled already)
    is told so, once, naming the rules; a cached rule is loaded silently."""
    _, ip = scenario_params(SC.replace(recovery="atomic"), "coordinated")
    loaded = []
    monkeypatch.setattr(cold, "is_loaded", lambda name: False)
    monkeypatch.setattr(cold, "load", loaded.append)
    monkeypatch.setattr(_cache, "_announced", set())
    monkeypatch.setattr(_cache, "_rule_cached", lambda name: name != "recover")
    with caplog.at_level("WARNING", logger="mdcd_lab"):
        _cache.ensure_rules(ip, "simulate")
        _cache.ensure_rules(ip, "simulate")
    assert loaded == cold.needed(ip) * 2
    notices = [r.getMessage() for r in caplog.records if "compiling" in r.getMessage()]
    assert notices == ["mdcd_lab: compiling the numba engine's rules recover, about 10 s, "
                       "once per machine and version of the kernels..."]
    caplog.clear()
    monkeypatch.setattr(_cache, "_announced", set())
    monkeypatch.setattr(_cache, "_rule_cached", lambda name: True)
    with caplog.at_level("WARNING", logger="mdcd_lab"):
        _cache.ensure_rules(ip, "simulate")
    assert not [r for r in caplog.records if "compiling" in r.getMessage()]


def test_every_call_site_passes_as_many_values_as_its_rule_takes():
    """``intrinsics.call_c`` calls an address with the values it is given: each
    ``call_rule(I, IP_ADDR_X, (...))`` in the kernels passes exactly the arguments of
    the C signature ``cold.RULES`` declares for slot ``IP_ADDR_X`` (their types are
    checked by ``call_c``: only the arenas' pointers, int64 and float64 pass)."""
    import ast
    from pathlib import Path

    arity = {slot: len(sig.args) for slot, sig, _ in cold.RULES.values()}
    seen = {}
    for path in sorted(Path(layout.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "call_rule" \
                    and len(node.args) == 3:
                slot = getattr(layout, node.args[1].id)
                assert isinstance(node.args[2], ast.Tuple), (path.name, node.lineno)
                seen.setdefault(slot, set()).add(len(node.args[2].elts))
    assert seen == {slot: {n} for slot, n in arity.items()}


def test_the_loops_call_passes_its_values_in_the_loops_order():
    """``drivers.play`` calls the event loop compiled apart (``cold.LOOP``) with 20
    values by position; typing catches a missing or mistyped value, not two values of
    one type swapped.  The values passed (the names inside ``arena(...)`` /
    ``np.int64(...)`` / ``np.float64(...)``) are, in order, ``engine.play_run``'s
    parameters (``I_array`` / ``D_array`` passed as ``I`` / ``D``), and the C
    signature has one type per parameter."""
    import ast
    import inspect

    from mdcd_lab.fast.kernels import engine

    tree = ast.parse(inspect.getsource(drivers.play.py_func))
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, "id", None) == "call_c_int64")
    passed = [e.args[0].id for e in call.args[1].elts]
    params = list(inspect.signature(engine.play_run.py_func).parameters)
    assert passed == [{"I_array": "I", "D_array": "D"}.get(p, p) for p in params]
    (slot, sig, func), = cold.LOOP.values()
    assert func is engine.play_run.py_func and len(sig.args) == len(params)
    assert slot == layout.IP_ADDR_PLAY_RUN
