"""Cold rules compiled apart, called through their addresses, each on first use.

numba links the compiled code of every callee into its caller and optimises and
emits the whole again for every caller up to the entry kernel (issue 20's compile
profile: about two thirds of a cold compile is LLVM re-optimising and emitting
code linked in from below).  The rules of error recovery run a few times per run,
not per event, yet they were the largest subtrees of the event loop.  They are
compiled here as C functions of their own (``numba.cfunc``, cached like the
kernels) and the event loop calls them through an address (``layout.call_rule``,
the slots ``IP_ADDR_*``): the loop's compiled code no longer contains them, and a
rule is compiled only when a run first needs it (``needed``: the executed recovery
of ``Scenario.recovery = "executed"``, or the atomic ``families.recover``), and
the ``"coordinated"`` family's rules are compiled only when a ``"coordinated"`` run
first needs them (``families.FAMILY_RULES``; the confidence-driven family's rules stay
inlined in the loop, where the per-event ones belong).

=============== ===================================== ====================================
slot            rule                                  called by
=============== ===================================== ====================================
IP_ADDR_NOTICE  ``executed.notice``                   ``engine.arrive_fifo``,
                                                      ``engine.control_item``,
                                                      ``executed.invoke``
IP_ADDR_INVOKE  ``executed.invoke``                   ``engine.after_output``
IP_ADDR_RELEASE ``engine.release``                    ``engine.control_item``
IP_ADDR_MEM...  ``executed.member_stopped``           ``executed.notice``
IP_ADDR_REC...  ``executed.recover_process``          ``executed.notice``,
 _PROCESS                                             ``engine.release``
IP_ADDR_END_... ``executed.end_window``               ``engine.window``, ``play_run``
IP_ADDR_RECOVER ``families.recover`` (atomic)         ``engine.after_output``
IP_ADDR_SCH...  ``coordinated.schedule_lines``,       ``families.start``, ``on_timer``,
  (five)        ``take_line``, ``validate_lines``,    ``on_passed_at``, ``receive``,
                ``receive``, ``validate``             ``validate``
=============== ===================================== ====================================

The rules that call rules reach them through their addresses too: ``notice``,
``invoke`` and ``release`` shared the core of a process's recovery (``recover_process``
with its rollback and takeover, ``member_stopped`` with the shadows' rows ahead), which
each of the three linked in and compiled again (session 14: executed recovery's rules
compile in 10.5 s instead of 13.7 s, one process, ``benchmarks/rule_compile_times.py``).

The event loop itself is compiled the same way (``LOOP``, slot ``IP_ADDR_PLAY_RUN``,
session 15): ``engine.play_run`` as a C function of pointers (its arenas and the trace
rows; ``intrinsics.arena`` passes a pointer through), called by both block kernels through
``drivers.play``.  Before, the loop was compiled as a kernel and linked again into
``simulate_block`` and ``replay_block``, each of which optimised and emitted all of it
once more.  It is loaded for every run (``with_addresses``), right after the block
kernel (``_cache.ensure_compiled``).

The addresses belong to the process that compiled or loaded the rules:
``drivers`` writes them into a copy of ``ip`` (``with_addresses``) right before it
runs the block kernels, in the process that runs them (a dask worker loads its own).
"""

from __future__ import annotations

import threading

import numba
import numpy as np
from numba import types

from .._config import JIT_NORC
from .engine import play_run, release
from .executed import end_window, invoke, member_stopped, notice, recover_process
from .families import FAMILY_RULES, family_rules, recover
from .layout import (
    IP_ADDR_END_WINDOW,
    IP_ADDR_INVOKE,
    IP_ADDR_MEMBER_STOPPED,
    IP_ADDR_NOTICE,
    IP_ADDR_PLAY_RUN,
    IP_ADDR_RECOVER,
    IP_ADDR_RECOVER_PROCESS,
    IP_ADDR_RELEASE,
    IP_EXECUTED,
)

_I, _D, _N, _F = types.CPointer(types.int64), types.CPointer(types.float64), types.int64, \
    types.float64
#: The argument types of the rules: the two arenas' pointers, int64, float64.
ARG_TYPES = (_I, _D, _N, _F)


def notice_c(I, D, q):
    """``executed.notice(I, D, q)``."""
    # writes what executed.notice writes
    notice(I, D, q)


def invoke_c(I, D, trigger, d_notice):
    """``executed.invoke(I, D, trigger, d_notice)``."""
    # writes what executed.invoke writes
    invoke(I, D, trigger, d_notice)


def release_c(I, D, q):
    """``engine.release(I, D, q)``."""
    # writes what engine.release writes
    release(I, D, q)


def end_window_c(I, D, quiet):
    """``executed.end_window(I, D, quiet != 0)``."""
    # writes what executed.end_window writes
    end_window(I, D, quiet != 0)


def member_stopped_c(I, D, low_p):
    """``executed.member_stopped(I, D, low_p)``."""
    # writes what executed.member_stopped writes
    member_stopped(I, D, low_p)


def recover_process_c(I, D, q):
    """``executed.recover_process(I, D, q)``."""
    # writes what executed.recover_process writes
    recover_process(I, D, q)


def recover_c(I, D):
    """``families.recover(I, D)``: atomic recovery."""
    # writes what families.recover writes
    recover(I, D)


#: name -> (address slot, C signature, function): the signature's argument types are
#: those ``layout.call_rule`` passes (the arenas' pointers, int64, float64).
RULES = {
    "notice": (IP_ADDR_NOTICE, types.void(_I, _D, _N), notice_c),
    "invoke": (IP_ADDR_INVOKE, types.void(_I, _D, _N, _F), invoke_c),
    "release": (IP_ADDR_RELEASE, types.void(_I, _D, _N), release_c),
    "end_window": (IP_ADDR_END_WINDOW, types.void(_I, _D, _N), end_window_c),
    "member_stopped": (IP_ADDR_MEMBER_STOPPED, types.void(_I, _D, _N), member_stopped_c),
    "recover_process": (IP_ADDR_RECOVER_PROCESS, types.void(_I, _D, _N), recover_process_c),
    "recover": (IP_ADDR_RECOVER, types.void(_I, _D), recover_c),
    # the "coordinated" family's rules (families.FAMILY_RULES: the hooks call them)
    **{name: (slot, types.void(_I, _D, *[_N] * n_ints), fn)
       for name, (slot, n_ints, fn) in FAMILY_RULES.items()},
}
#: The event loop compiled apart like the rules: name -> (address slot, C signature,
#: function).  ``engine.play_run``'s own source, compiled for pointers (``I``, ``D``,
#: token, the 8 primary row columns, ``n_p``, the 4 twin row columns, ``n_w``, ``more``,
#: ``delay``, ``offset``); ``drivers.play`` calls it through this address, so the block
#: kernels (``simulate_block``, ``replay_block``) neither contain the loop nor optimise
#: and emit it again (session 15): the two share one compiled loop.
LOOP = {
    "play_run": (IP_ADDR_PLAY_RUN,
                 types.int64(_I, _D, _N, _D, _I, _I, _I, _D, _D, _D, _D, _N, _D, _I, _I, _I,
                             _N, _N, _F, _F), play_run.py_func),
}
#: The compile options of the rules (the kernels', without ``cache``: ``load`` caches).
OPTIONS = {k: v for k, v in JIT_NORC.items() if k != "cache"}

_loaded: dict[str, object] = {}
#: The ``CFunc`` of each rule asked about so far, compiled or not (``fast/_cache.py``
#: reads its cache index, ``load`` compiles the same object).
_made: dict[str, object] = {}
#: Held while a rule is compiled or loaded: two threads asking for the same rule get
#: the same ``CFunc`` (an address stays valid while its ``CFunc`` is alive: for good).
_lock = threading.Lock()
#: The kernels' cache directory: ``kernels/__init__`` sets numba's while it imports the
#: kernel modules (this one too), and the rules compiled later are cached there as well.
CACHE_DIR = numba.config.CACHE_DIR


def needed(ip) -> list[str]:
    """The rules a run with int parameters ``ip`` may call: executed recovery's six (the
    four the loop calls, then the two they call), or atomic recovery's ``recover``; then
    its family's (``families.family_rules``)."""
    recovery = ["notice", "invoke", "release", "end_window", "member_stopped",
                "recover_process"] if ip[IP_EXECUTED] != 0 else ["recover"]
    return recovery + family_rules(ip)


def cfunc(name: str):
    """The ``numba.core.ccallback.CFunc`` of rule ``name`` (or of ``LOOP``'s), caching
    enabled in the kernels' cache directory (made once; compiled by ``load``)."""
    from numba.core.ccallback import CFunc

    if name in _made:
        return _made[name]
    _, sig, fn = RULES[name] if name in RULES else LOOP[name]
    saved = numba.config.CACHE_DIR
    if CACHE_DIR:
        numba.config.CACHE_DIR = CACHE_DIR   # where the kernels' cache is (kernels/__init__)
    try:
        c = CFunc(fn, (sig.args, sig.return_type), locals={}, options=dict(OPTIONS))
        c.enable_caching()
    finally:
        numba.config.CACHE_DIR = saved
    return _made.setdefault(name, c)


def is_loaded(name: str) -> bool:
    """Whether rule ``name`` is compiled or loaded in this process already."""
    return name in _loaded


def load(name: str):
    """Rule ``name`` compiled or loaded from the cache (once per process)."""
    with _lock:
        c = _loaded.get(name)
        if c is None:
            c = cfunc(name)
            c.compile()
            _loaded[name] = c
    return c


def with_addresses(ip) -> np.ndarray:
    """A copy of ``ip`` with the address slot of the event loop (``LOOP``) and of every
    rule ``needed`` filled (each loaded first)."""
    ip = np.array(ip, dtype=np.int64)
    for name in needed(ip):
        ip[RULES[name][0]] = load(name).address
    for name, (slot, _, _) in LOOP.items():
        ip[slot] = load(name).address
    return ip
