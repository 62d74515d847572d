"""Is the numba engine compiled already?  (So that the CLI can say so before a long pause.)

The kernels are compiled with ``cache=True`` (:mod:`mdcd_lab.fast._config`): the
first run on a machine (or after a kernel edit) compiles them, which takes about
a minute; later processes load the machine code from numba's cache (a directory
keyed on the kernel sources, :func:`mdcd_lab.fast.kernels.cache_dir`).
"""

from __future__ import annotations

__all__ = ["kernels_cached"]


def _entry_kernel():
    """The dispatcher of the batch kernel :func:`mdcd_lab.fast.simulate_numba` calls."""
    from .kernels import drivers
    return drivers.simulate_chunk


def kernels_cached() -> bool:
    """Whether the batch kernel is compiled in this process or found in numba's cache.

    Returns
    -------
    bool
        False when the first numba run will compile the kernels (a fresh
        machine, an empty ``NUMBA_CACHE_DIR``, or kernels edited since the cache
        was written); True otherwise, and also when numba's cache cannot be
        inspected (then nothing is announced).
    """
    try:
        disp = _entry_kernel()
        if disp.signatures:
            return True
        index = disp._cache._cache_file._load_index()   # {} when missing or stale
    except Exception:   # numba internals changed: do not guess
        return True
    return bool(index)
