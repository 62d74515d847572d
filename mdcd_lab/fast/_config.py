"""Compile options of every numba kernel of ``mdcd_lab.fast``, in one place.

``cache=True`` writes the machine code next to the sources (or under
``NUMBA_CACHE_DIR``), so only the first import on a machine pays the compilation.
``fastmath`` stays off: the kernels must round exactly like the reference engine
(no reassociation, no fused multiply-add).  ``error_model="numpy"`` drops the
Python division-by-zero checks; no kernel divides by a value that can be zero
(divisions are guarded exactly like the reference guards them).
"""

from __future__ import annotations

from numba import types as _nt

#: Options of the serial kernels.
#: ``forceinline`` is set explicitly (off) because numba lets a callee compiled from a
#: caller that sets it inherit it (``Flags.inherit_if_not_set``).
JIT = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": False,
       "boundscheck": False, "forceinline": False}
#: Runs per chunk of ``mdcd_lab.fast.simulate_numba`` (memory stays flat).
DEFAULT_CHUNK = 1 << 14
#: Options of the kernels that never allocate: compiled without numba's
#: reference counting (NRT), so passing the per-thread state arrays from call to
#: call costs no atomic increments and decrements (they dominated the profile).
#: Their callers (which allocate the arrays) own the references.
JIT_NORC = dict(JIT, _nrt=False)
#: Options of the per-event rules (``drain``, ``notification``, the reception, logging
#: and checkpointing rules of Figures 3 and 4, the send rules) and of the small steps
#: of the event loop that every row or delivery runs (``kernels/engine.py``,
#: ``kernels/sdw.py``): compiled as functions of their own, but marked LLVM
#: ``alwaysinline`` (numba's ``forceinline``), so LLVM inlines them into their callers
#: when it links the caller's module; a call would pass each arena as seven scalars
#: (issue 20's profile).  numba's own ``inline="always"`` (numba IR, typed again at
#: every call site) gives the same code but costs compile time.
JIT_HOT = dict(JIT_NORC, forceinline=True)

# -- explicit signatures of the entry kernels ------------------------------------------------
# Each entry kernel is compiled for exactly one signature (``_cache.ensure_compiled``
# compiles it, the engine's calls match it), so its cache index holds one entry and a
# call with other types is a bug that ``ensure_compiled`` names.  They are not given to
# ``njit`` (that would compile every entry kernel when the package is imported, used or
# not): each is compiled on its first use.
_I, _U1 = _nt.int64, _nt.uint32[::1]
_I1, _F1, _I2, _F2 = _nt.int64[::1], _nt.float64[::1], _nt.int64[:, ::1], _nt.float64[:, ::1]
#: ``drivers.simulate_block(seed_words, first_run, lo, hi, fp, ip, cap0, OI, OF, out_base,
#: err, b)``
SIG_SIMULATE_BLOCK = (_U1, _I, _I, _I, _F1, _I1, _I, _I2, _F2, _I, _I2, _I)
#: ``drivers.replay_block(offsets, lo, hi, t, kind, src, dst, td, uat, ucomp, dn, fp, ip,
#: OI, OF, err, b)``
SIG_REPLAY_BLOCK = (_I1, _I, _I, _F1, _I1, _I1, _I1, _F1, _F1, _F1, _F1, _F1, _I1, _I2, _F2,
                    _I2, _I)
#: ``gen.count_rows(seed_words, first_run, n_runs, fp, ip, cap0, out_counts)``
SIG_COUNT_ROWS = (_U1, _I, _I, _F1, _I1, _I, _I1)
#: ``gen.fill_rows(seed_words, first_run, n_runs, fp, ip, cap, offsets, t, kind, src, dst,
#: td, uat, ucomp, dn, run_col)``
SIG_FILL_ROWS = (_U1, _I, _I, _F1, _I1, _I, _I1, _F1, _I1, _I1, _I1, _F1, _F1, _F1, _F1, _I1)
