"""The compiled kernels of the numba engine, one module per module of ``reference/``.

=============== ================================================================
module          what (reference counterpart)
=============== ================================================================
``rng``         numpy's ``SeedSequence`` and ``PCG64`` bit for bit
``layout``      parameter slots (``FP_*``, ``IP_*``), the arenas ``I`` / ``D``
                (``alloc_state``), their rows and accessors
``gen``         trace generation (``traces/generation.py``: ``_generate_one``)
``levels``      ``reference/levels.py``: the level algebra, scalar or per member
``state``       ``reference/state.py``: ``Run``'s methods over the arenas (roles,
                the event heap, messages, log and checkpoint counters, pool lists)
``common``      ``reference/common.py``: ``application_msg_reception``, ``notify``,
                ``end_failed``, ``begin_recovery``, ``record_takeover``
``confidence``  ``reference/confidence.py``: checkpointing, logging, reclamation,
                the reception rule with S1 / S2 (``receive_application_msg``)
``low``         ``reference/low.py``: ``low_send``, ``low_output``, ``low_receive``,
                ``fault``
``act``         ``reference/act.py``: ``act_send``, ``act_output`` (and
                ``executed.act_output_copy``)
``sdw``         ``reference/sdw.py``: ``number_twin``, ``make_twin``, ``twin_row``,
                ``sdw_receive``, ... (and ``executed.twin_send``, ``twin_output``)
``executed``    ``reference/executed.py``: executed recovery (``invoke``, ``notice``,
                ``recover_process``, ``rollback``, ``takeover``, ``is_quiet``, ...)
``coordinated`` ``reference/coordinated.py``: lines, validation, ``recover``
``recovery``    ``reference/recovery.py``: ``error_recovery`` and its steps
                (``recovery_round``, ``rollback``, ``restore_cut``,
                ``validated_levels``, ``takeover``)
``families``    ``reference/families.py``: ``family_of``, the hooks of ``state.Family``,
                the only reader of the ``coordinated`` switch; the "passed AT" notes
                (``common.apply_notification``, ``fifo_before``, ``drain_notifications``)
``unguarded``   ``reference/unguarded.py``: the unguarded phase of a mission run
``oracle``      ``reference/oracle.py``: ``oracle_inputs``, ``check_recovery`` and
                its checks, ``check_quiet``
``engine``      ``reference/engine.py``: ``play_run``, ``play_row``, ``drain``,
                ``window``, ``collect`` (and ``executed.release``)
``cold``        the rules of error recovery and of the ``"coordinated"`` family compiled
                apart (``numba.cfunc``), each on first use, called through their
                addresses (``layout.call_rule``)
``drivers``     threads and buffers: ``simulate_chunk``, ``replay_runs``
=============== ================================================================

The import graph has no cycle (``tests/test_kernel_cache.py`` checks it).

numba's on-disk cache
---------------------
numba keys the cache of a function on *its own* source file only: after an edit
to a callee in another module, a cached caller would keep the callee's old
machine code.  So the kernels are compiled into a cache directory whose name is a
hash of every kernel source, of ``fast/_config.py``, of the schemas they compile in
(``mdcd_lab/constants.py``, ``mdcd_lab/metrics.py``) and of numba's version
(``cache_dir``): any edit selects a fresh directory and everything is
compiled again, once.  The directory is set (``numba.config.CACHE_DIR``) only
while the kernel modules are imported, i.e. while their functions are decorated.
Its parent is ``NUMBA_CACHE_DIR`` if set, else this package's ``__pycache__``,
else the user's cache directory; directories of older sources are not removed.
The directory is created 0700 and checked before use (``check_private``): numba
unpickles its index files, so a directory another user can write is refused.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import numba

_HERE = Path(__file__).resolve().parent

#: Modules of the package, in dependency order (each imports only earlier ones).
MODULES = ("intrinsics", "layout", "levels", "rng", "gen", "state", "heap", "common",
           "oracle", "quiet", "confidence", "coordinated", "low", "recovery", "families",
           "act", "sdw", "executed", "unguarded", "engine", "cold", "drivers")


def key_files() -> list[Path]:
    """The files whose content keys the cache: every kernel source, ``_config.py``, and
    the schemas the kernels compile in as constants (``mdcd_lab/constants.py``, and
    ``mdcd_lab/metrics.py`` for the metric slots)."""
    pkg = _HERE.parent.parent
    return sorted(_HERE.glob("*.py")) + [_HERE.parent / "_config.py", pkg / "constants.py",
                                         pkg / "metrics.py"]


def source_key() -> str:
    """First 16 hex digits of the sha256 of ``key_files`` and numba's version."""
    h = hashlib.sha256(numba.__version__.encode())
    for f in key_files():
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _writable(d: Path) -> bool:
    try:
        d.parent.mkdir(parents=True, exist_ok=True)
        d.mkdir(mode=0o700, exist_ok=True)
        return os.access(d, os.W_OK)
    except OSError:
        return False


def check_private(d: Path) -> None:
    """Make sure the cache directory ``d`` is this user's alone, before numba reads it.

    numba unpickles the index files of its cache, so a file planted in the directory
    would run code in every process that loads the kernels (issue 23, item 8).  The
    directory must be a real directory (not a symbolic link) owned by this user and
    writable by no one else; one that is only readable by others is tightened to
    0700.

    Raises
    ------
    PermissionError
        Naming the directory, if another user owns it, it is a symbolic link, or
        others may write in it: set ``NUMBA_CACHE_DIR`` to a folder of your own.
    """
    st = os.lstat(d)
    why = None
    if not stat.S_ISDIR(st.st_mode):
        why = "is not a directory (a symbolic link?)"
    elif st.st_uid != os.getuid():
        why = f"belongs to user id {st.st_uid}, not to this user ({os.getuid()})"
    elif st.st_mode & 0o022:
        why = f"is writable by other users (mode {stat.S_IMODE(st.st_mode):o})"
    if why is not None:
        raise PermissionError(errno.EACCES, f"the numba cache directory {why}; numba would "
                              f"load code from it: remove it, or set NUMBA_CACHE_DIR to a "
                              f"folder of your own", str(d))
    if st.st_mode & 0o077:
        os.chmod(d, 0o700)


def cache_dir() -> Path:
    """The numba cache directory of the current kernel sources, created 0700 and
    checked (``check_private``) before use."""
    name = f"mdcd-kernels-{source_key()}"
    bases = [Path(numba.config.CACHE_DIR)] if numba.config.CACHE_DIR else []
    bases.append(_HERE / "__pycache__")
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    bases.append(Path(xdg) / "mdcd_lab")
    for base in bases:
        if _writable(base / name):
            check_private(base / name)
            return base / name
    return bases[0] / name   # numba falls back to its own locators if this fails


CACHE_DIR = cache_dir()

_saved = numba.config.CACHE_DIR
numba.config.CACHE_DIR = str(CACHE_DIR)
try:
    from . import (  # noqa: E402  (the cache directory must be set first)
        act,
        cold,
        common,
        confidence,
        coordinated,
        drivers,
        engine,
        executed,
        families,
        gen,
        heap,
        intrinsics,
        layout,
        low,
        oracle,
        quiet,
        recovery,
        rng,
        sdw,
        state,
        unguarded,
    )
finally:
    numba.config.CACHE_DIR = _saved

# numba reads a kernel's globals when it compiles it (on first use), so they can still be
# retyped: every int constant of a kernel module becomes an np.int64 (layout.as_int64)
for _name in MODULES:
    layout.as_int64(vars(globals()[_name]))

__all__ = ["CACHE_DIR", "MODULES", "cache_dir", "check_private", "key_files", "source_key",
           "act", "cold", "common",
           "confidence", "coordinated", "drivers", "engine", "executed", "families", "gen", "heap",
           "intrinsics", "layout", "levels", "low", "oracle", "quiet", "recovery", "rng", "sdw",
           "state", "unguarded"]
