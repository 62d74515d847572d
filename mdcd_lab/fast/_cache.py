"""Is the numba engine compiled already?  Say so before a long compilation, and time it.

The kernels are compiled with ``cache=True`` (``mdcd_lab.fast._config``): the
first run on a machine (or after a kernel edit) compiles them, about 25 s on two
cores (a helper process compiles part of them: ``_compile_helper``); later processes
load the machine code from numba's cache (a directory keyed on the kernel sources,
``mdcd_lab.fast.kernels.cache_dir``).

Every entry point of ``mdcd_lab.fast`` calls ``ensure_compiled`` on the
kernel it is about to call, before its progress bar starts: when the kernel is
neither compiled in this process nor found in numba's cache, a notice naming the
expected time is logged (logger ``"mdcd_lab"``, level WARNING: Python prints it on
stderr, in a terminal and in a notebook's cell output, unless logging is
configured otherwise), the kernel is compiled on its own, and the seconds spent
are added to ``compile_seconds``, so that a caller can leave them out of the
time it reports as work ([`mdcd_lab.explore`][mdcd_lab.exploration.explore]'s ``attrs["seconds"]``).

Whether a kernel is in numba's cache is read from numba's cache index, which is
not a public interface: if it cannot be read (another numba version), the kernel
counts as cached and nothing is announced (compiling then happens unannounced,
as it would without this module; nothing else changes).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ._interrupt import deferred_signals

__all__ = ["kernels_cached", "kernel_cached", "ensure_compiled", "ensure_rules",
           "compile_seconds", "mark_announced", "notice", "EXPECTED", "LOGGER"]

#: The logger of the notices (WARNING records reach stderr unless logging is configured).
LOGGER = logging.getLogger("mdcd_lab")

#: The expected cold-compile time of each group of entry kernels, as the notice
#: states it: the wall time of a cold first ``simulate`` call, import and compile
#: included, shared with the compile helper (``_compile_helper``): 22-24 s on the idle
#: 2-core machine, against 40-50 s in one process and 139 s before issue 20
#: (``benchmarks/compile_time.py``, docs/scaling.md); more on a busy machine or one
#: core.  ``"rules"``: the cold rules alone (``kernels/cold.py``; atomic recovery's about
#: 9 s).
EXPECTED: dict[str, str] = {
    "simulate": "about 25 s",
    "replay": "about 25 s",
    "generate": "a few seconds",
    "rules": "about 10 s",
}

_compile_seconds = 0.0
#: The compile helper of a cold compilation in progress (``_compile_helper.start``).
_helper: Any = None
#: Kernel groups whose cold compilation was announced already in this process
#: (by ``ensure_compiled`` or by the command line, ``mark_announced``).
_announced: set[str] = set()


def _dispatchers(what: str) -> list:
    """The entry dispatchers of a kernel group (a key of ``EXPECTED``)."""
    from .kernels import drivers, gen
    return {"simulate": [drivers.simulate_block], "replay": [drivers.replay_block],
            "generate": [gen.count_rows, gen.fill_rows]}[what]


def _cached(disp: Any, sig: tuple | None = None) -> bool:
    """Whether ``disp`` is compiled in this process or has an entry in numba's cache
    (for the signature ``sig``, or for any signature when ``sig`` is None).

    True also when numba's cache index cannot be read (numba internals changed):
    then nothing is announced rather than something wrong.
    """
    try:
        if sig is None and disp.signatures:
            return True
        if sig is not None and sig in disp.overloads:
            return True
        if sig is None:
            return bool(disp._cache._cache_file._load_index())   # {} when missing or stale
        return _in_index(disp._cache, sig, disp.targetctx.codegen())
    except Exception:   # numba internals changed: do not guess
        return True


def _in_index(cache: Any, sig: Any, codegen: Any) -> bool:
    """Whether numba's cache ``cache`` (a dispatcher's or a ``CFunc``'s) holds an entry
    for the signature ``sig``; raises if numba's internals changed (callers then do
    not guess)."""
    return cache._index_key(sig, codegen) in cache._cache_file._load_index()


def _rule_cached(name: str) -> bool:
    """Whether the cold rule ``name`` (``kernels/cold.py``) is loaded in this process or
    found in numba's cache (True also when the cache index cannot be read)."""
    from .kernels import cold
    if cold.is_loaded(name):
        return True
    try:
        c = cold.cfunc(name)
        return _in_index(c._cache, c._sig, c._targetdescr.target_context.codegen())
    except Exception:   # numba internals changed: do not guess
        return True


def _loop_names() -> list[str]:
    """The event loop compiled apart, as a cold rule's name (``kernels/cold.py``,
    ``LOOP``): the kernels of the event loop call it."""
    from .kernels import cold
    return list(cold.LOOP)


def kernel_cached(what: str) -> bool:
    """Whether the entry kernels of ``what`` (a key of ``EXPECTED``) are compiled in
    this process or found in numba's cache, for some signature.

    Returns
    -------
    bool
        False when calling them will compile them (a fresh machine, an empty
        ``NUMBA_CACHE_DIR``, or kernels edited since the cache was written); True
        otherwise, and also when numba's cache cannot be inspected.
    """
    try:
        disps = _dispatchers(what)
    except Exception:   # numba missing or broken: the caller's import fails on its own
        return True
    loop = [] if what == "generate" else _loop_names()
    return all(_cached(d) for d in disps) and all(map(_rule_cached, loop))


def kernels_cached() -> bool:
    """Whether the batch kernel (``mdcd_lab.fast.simulate_numba``'s) is compiled in
    this process or found in numba's cache (see ``kernel_cached``)."""
    return kernel_cached("simulate")


def notice(what: str, who: str = "mdcd_lab") -> str:
    """The one-line notice of a cold compilation of the kernel group ``what`` (``who``:
    the name it starts with; the command line says ``mdcd-lab``)."""
    return (f"{who}: compiling the numba engine's {what} kernels, {EXPECTED[what]}, "
            f"more on a busy machine (once per machine and version of the kernels; later "
            f"runs load them from numba's cache)...")


def rules_notice(names: list[str], who: str = "mdcd_lab") -> str:
    """The one-line notice of a cold compilation of the rules ``names`` alone
    (``kernels/cold.py``: atomic recovery or the ``"coordinated"`` family, compiled on a
    run's first use of them, the kernels being compiled already)."""
    return (f"{who}: compiling the numba engine's rules {', '.join(names)}, "
            f"{EXPECTED['rules']}, once per machine and version of the kernels...")


def mark_announced(what: str) -> None:
    """Record that a caller (the command line) announced the compilation of ``what``
    itself, so that ``ensure_compiled`` does not say it twice."""
    _announced.add(what)


def compile_seconds() -> float:
    """Seconds this process has spent compiling kernels that were not in the cache."""
    return _compile_seconds


def ensure_compiled(disp: Any, args: tuple, what: str, sig: tuple | None = None,
                    rules: list[str] | None = None) -> None:
    """Compile (or load from the cache) ``disp`` for the types of ``args``, announcing a
    cold compilation first.

    A kernel that runs the event loop (``rules`` given: the cold rules its run will
    load, ``kernels/cold.py``) calls the loop compiled apart (``cold.LOOP``): it is
    loaded (or compiled) here too, right after the kernel, and counts for the notice.
    A cold compilation of such a kernel is shared with a helper process
    (``_compile_helper``: it compiles the loop's row rules and ``rules`` into the same
    cache while this process compiles the rest; ``ensure_rules`` waits for it).

    Parameters
    ----------
    disp : numba dispatcher
        The entry kernel about to be called with ``args``.
    args : tuple
        The call's arguments (only their numba types are used).
    what : str
        The kernel group in the notice: a key of ``EXPECTED``.
    sig : tuple of numba types, optional
        The kernel's explicit signature (``_config.SIG_*``): the types of ``args`` must
        be exactly these, so that the kernel is compiled once.
    rules : list of str, optional
        The cold rules the run needs (``cold.needed(ip)``), for the compile helper.

    Raises
    ------
    TypeError
        If ``sig`` is given and the types of ``args`` differ from it (a bug of the caller).
    """
    global _compile_seconds, _helper
    import numba
    overloads = getattr(disp, "overloads", None)
    if overloads is None:              # not a numba dispatcher (a test's stand-in)
        return
    try:
        types = tuple(numba.typeof(a) for a in args)
    except Exception:                  # an argument numba cannot type: the call will say
        types = None
    if sig is not None:
        sig = tuple(sig)
        if types != sig:
            raise TypeError(f"{getattr(disp, '__name__', 'a kernel')} is compiled for "
                            f"({', '.join(map(str, sig))}) only; called with "
                            f"({', '.join(map(str, types or ()))})")
    elif types is None:
        return
    else:
        sig = types
    if sig in overloads:               # compiled or loaded in this process already
        return
    # a kernel of the event loop (``rules`` given) calls the loop compiled apart
    loop = _loop_names() if rules is not None else []
    cold = not _cached(disp, sig) or not all(map(_rule_cached, loop))
    if cold and what not in _announced:
        LOGGER.warning(notice(what))
        _announced.add(what)
    t0 = time.perf_counter()
    try:
        with deferred_signals():   # Ctrl-C where numba can take it (fast/_interrupt.py)
            from . import _compile_helper
            if cold and rules is not None and _helper is None and _compile_helper.enabled() \
                    and helper_useful(rules):
                _helper = _compile_helper.start(list(rules))
            disp.compile(sig)
            if loop:
                from .kernels import cold as cold_rules
                for name in loop:
                    cold_rules.load(name)
    except Exception:                  # the call itself compiles again and raises
        _wait_helper(stop=True)
        return
    except BaseException:              # interrupted: the helper stops too
        _wait_helper(stop=True)
        raise
    if cold:
        seconds = time.perf_counter() - t0
        _compile_seconds += seconds
        LOGGER.info("mdcd_lab: compiled %s (%s kernels) in %.1f s",
                    getattr(disp, "__name__", "a kernel"), what,
                    seconds)


def helper_useful(rules: list[str]) -> bool:
    """Whether a compile helper would compile something: ``_compile_helper.split()`` or
    one of the cold rules ``rules`` is neither compiled here nor in numba's cache (a
    second entry kernel of the same loop, ``replay`` after ``simulate``, needs none)."""
    from . import _compile_helper
    return not (all(_cached(d, sig) for d, sig in _compile_helper.split())
                and all(map(_rule_cached, rules)))


def _wait_helper(stop: bool = False) -> None:
    """Compile this process's share of the rules, then wait for the compile helper
    started by ``ensure_compiled``, if any (``stop``: stop it instead)."""
    global _helper
    helper, _helper = _helper, None
    if helper is None:
        return
    from . import _compile_helper
    try:
        if not stop:
            _compile_helper.share_rules(helper)   # the parent compiles its share meanwhile
    except BaseException:   # interrupted, or a rule failed: the helper stops too
        _compile_helper.finish(helper, stop=True)
        raise
    _compile_helper.finish(helper, stop=stop)


def ensure_rules(ip: Any, what: str) -> None:
    """Load the cold rules a run with int parameters ``ip`` calls through their addresses
    (``kernels/cold.py``: compiled apart, on first use), announcing a cold compilation
    of rules alone first (``rules_notice``; nothing more when the group ``what`` was
    announced already, the rules being part of that compilation), and adding its
    seconds to ``compile_seconds``."""
    global _compile_seconds
    from .kernels import cold
    t0 = time.perf_counter()
    helped = _helper is not None   # part of a cold compilation: its time counts
    _wait_helper()   # it compiles the rules a cold kernel's run needs (ensure_compiled)
    names = [n for n in cold.needed(ip) if not cold.is_loaded(n)]
    if not names:
        if helped:
            _compile_seconds += time.perf_counter() - t0
        return
    fresh = [n for n in names if not _rule_cached(n)]
    if fresh and what not in _announced:   # else: part of the compilation announced
        LOGGER.warning(rules_notice(fresh))
        _announced.add(what)
    with deferred_signals():
        for n in names:
            cold.load(n)
    if fresh or helped:
        seconds = time.perf_counter() - t0
        _compile_seconds += seconds
        LOGGER.info("mdcd_lab: compiled the rules %s (%s kernels) in %.1f s",
                    ", ".join(fresh or names), what, seconds)
