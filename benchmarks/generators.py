"""numpy's faster bit generators in numba: the alternative to PCG64 (issue 20, item 4).

The engines draw from numpy's ``PCG64`` (``mdcd_lab/fast/kernels/rng.py``: a 128-bit
LCG step, three 64x64 multiplications per draw).  Issue 20 asks what a faster
generator would give users, adopted by both engines together.  This module holds two
of numpy's own ``BitGenerator`` s, bit for bit, in the form the kernels use:

* ``SFC64`` (Chris Doty-Humphrey's small fast chaotic generator: adds, a shift, a
  rotation, no multiplication), seeded as numpy seeds it: ``SeedSequence.generate_state
  (3, uint64)``, a counter of 1, then 12 discarded outputs (``sfc64_set_seed``);
* ``PCG64DXSM`` (numpy's variant of ``PCG64``: the same 128-bit state, stepped by a
  64-bit "cheap multiplier", the DXSM output on the state before the step), seeded
  as ``PCG64`` is;

and ``PCG64`` itself through ``rng.pcg_next``.  Every generator has the same shape:
a state of four ``uint64`` words, ``*_seed(words4)`` from the four words of
``SeedSequence(seed, spawn_key=(run,)).generate_state(4, uint64)`` (``rng.seed_state``;
``SFC64`` uses the first three, which are ``generate_state(3)``'s), ``*_next(a, b, c,
d) -> (a, b, c, d, x)`` and ``*_exponential`` numpy's ziggurat
``random_standard_exponential`` on that stream (as ``Generator(bitgen)
.standard_exponential()`` draws it).  ``tests/test_benchmark_generators.py`` checks
each against numpy.

``generator_copy`` makes a copy of the package whose two engines both draw from one
of them (the numba engine through this module, copied into the package as
``kernels/altgen.py``; the reference through ``numpy.random.<BitGenerator>``), so that
``benchmarks/stages.py --generators`` (after checking that the copy's two engines
give the same traces) and ``benchmarks/instructions.py --generators`` measure the
whole engine with it.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
from numba import njit

from mdcd_lab.fast.kernels import rng
from mdcd_lab.fast.kernels.rng import FE, KE, WE, ZIGGURAT_EXP_R, to_double, umulhi

#: The engines' PCG64, taken when this module is imported: in a ``generator_copy``,
#: before ``rng.py`` rebinds its names to this module's kernels.
_pcg_seed, _pcg_next = rng.pcg_seed, rng.pcg_next

#: The kernels' options (``_config.JIT_NORC``), written out so that older revisions,
#: which ``stages.py --baseline`` measures, need nothing new; not cached (a
#: benchmark compiles them in each child).
OPTS = {"nogil": True, "error_model": "numpy", "fastmath": False, "boundscheck": False,
        "_nrt": False}

U64 = np.uint64
ONE, ZERO = U64(1), U64(0)
SH3, SH8, SH11, SH24, SH32, SH40, SH48, MASK8 = (U64(3), U64(8), U64(11), U64(24),
                                                   U64(32), U64(40), U64(48), U64(0xFF))
#: PCG64DXSM's 64-bit multiplier (numpy's ``PCG_CHEAP_MULTIPLIER_128``).
CHEAP_MULT = U64(0xDA942042E4DD58B5)

#: generator name -> (numpy BitGenerator class name, index in ``_next``)
GENERATORS = {"pcg64": ("PCG64", 0), "pcg64dxsm": ("PCG64DXSM", 1), "sfc64": ("SFC64", 2)}


@njit(**OPTS)
def sfc64_next(a, b, c, w):
    """One ``sfc64_next``: ``tmp = a + b + w``, ``w += 1``, ``a = b ^ (b >> 11)``,
    ``b = c + (c << 3)``, ``c = rotl(c, 24) + tmp``; returns ``(a, b, c, w, tmp)``."""
    tmp = a + b + w
    return b ^ (b >> SH11), c + (c << SH3), ((c << SH24) | (c >> SH40)) + tmp, w + ONE, tmp


@njit(**OPTS)
def sfc64_seed(words4):
    """numpy's ``sfc64_set_seed`` on ``words4[:3]``: counter 1, then 12 outputs dropped."""
    a, b, c, w = words4[0], words4[1], words4[2], ONE
    for _ in range(12):
        a, b, c, w, _x = sfc64_next(a, b, c, w)
    return a, b, c, w


@njit(**OPTS)
def _cm_step(s_hi, s_lo, i_hi, i_lo):
    """``state = state * CHEAP_MULT + inc`` on 128-bit (high, low) pairs."""
    lo = s_lo * CHEAP_MULT
    hi = umulhi(s_lo, CHEAP_MULT) + s_hi * CHEAP_MULT
    n_lo = lo + i_lo
    carry = ONE if n_lo < lo else ZERO
    return hi + i_hi + carry, n_lo


@njit(**OPTS)
def dxsm_next(s_hi, s_lo, i_hi, i_lo):
    """One ``pcg_cm_random_r``: DXSM of the current state, then the cheap-multiplier
    step; returns ``(s_hi, s_lo, i_hi, i_lo, x)``."""
    hi = s_hi ^ (s_hi >> SH32)
    hi = hi * CHEAP_MULT
    hi = hi ^ (hi >> SH48)
    hi = hi * (s_lo | ONE)
    s_hi, s_lo = _cm_step(s_hi, s_lo, i_hi, i_lo)
    return s_hi, s_lo, i_hi, i_lo, hi


@njit(**OPTS)
def dxsm_seed(words4):
    """numpy's ``pcg64_cm_set_seed``: seeded exactly as ``PCG64`` (``pcg_seed``, the
    128-bit multiplier; checked against numpy's ``PCG64DXSM.state``); only the draws
    step with the cheap multiplier."""
    return _pcg_seed(words4)


@njit(**OPTS)
def pcg64_next(s_hi, s_lo, i_hi, i_lo):
    """``rng.pcg_next`` (the engines' ``PCG64``) in the four-word shape."""
    s_hi, s_lo, x = _pcg_next(s_hi, s_lo, i_hi, i_lo)
    return s_hi, s_lo, i_hi, i_lo, x


@njit(**OPTS)
def pcg64_seed(words4):
    """``rng.pcg_seed`` (the engines' ``PCG64``)."""
    return _pcg_seed(words4)


@njit(**OPTS)
def _next(kind, a, b, c, d):
    """One draw of generator ``kind`` (``GENERATORS``' index; a constant at every call
    site below, so LLVM keeps one branch)."""
    if kind == 2:
        return sfc64_next(a, b, c, d)
    if kind == 1:
        return dxsm_next(a, b, c, d)
    return pcg64_next(a, b, c, d)


@njit(**OPTS)
def _exponential(kind, a, b, c, d):
    """numpy's ziggurat ``random_standard_exponential`` on generator ``kind``'s stream,
    step for step as ``rng.next_exponential``; returns ``(a, b, c, d, x)``."""
    while True:
        a, b, c, d, r = _next(kind, a, b, c, d)
        ri = r >> SH3
        idx = ri & MASK8
        ri = ri >> SH8
        x = np.float64(ri) * WE[idx]
        if ri < KE[idx]:
            return a, b, c, d, x
        a, b, c, d, r = _next(kind, a, b, c, d)
        if idx == ZERO:
            return a, b, c, d, ZIGGURAT_EXP_R - math.log1p(-to_double(r))
        if (FE[idx - ONE] - FE[idx]) * to_double(r) + FE[idx] < math.exp(-x):
            return a, b, c, d, x


@njit(**OPTS)
def sfc64_exponential(a, b, c, d):
    """``Generator(SFC64(...)).standard_exponential()``, one value."""
    return _exponential(2, a, b, c, d)


@njit(**OPTS)
def dxsm_exponential(a, b, c, d):
    """``Generator(PCG64DXSM(...)).standard_exponential()``, one value."""
    return _exponential(1, a, b, c, d)


@njit(**OPTS)
def pcg64_exponential(a, b, c, d):
    """``Generator(PCG64(...)).standard_exponential()``, one value (``rng.next_exponential``)."""
    return _exponential(0, a, b, c, d)


#: name -> (seed, next, exponential), each in the four-word shape
KERNELS = {"pcg64": (pcg64_seed, pcg64_next, pcg64_exponential),
           "pcg64dxsm": (dxsm_seed, dxsm_next, dxsm_exponential),
           "sfc64": (sfc64_seed, sfc64_next, sfc64_exponential)}


def stream(name: str, seed: int, run: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` raw outputs and the first ``n`` standard exponentials (from a
    fresh state) of run ``run``'s stream of generator ``name`` (test support)."""
    if name not in KERNELS:
        raise ValueError(f"unknown generator {name!r}; choose from {sorted(KERNELS)}")
    from mdcd_lab.fast._rng import seed_words
    words4 = np.zeros(4, dtype=np.uint64)
    rng.seed_state(seed_words(seed), run, np.zeros(4, dtype=np.uint64), words4)
    return _stream(GENERATORS[name][1], words4, n)


@njit(**dict(OPTS, _nrt=True))
def _stream(kind, words4, n):
    raw = np.zeros(n, dtype=np.uint64)
    exp = np.zeros(n)
    if kind == 2:
        state = sfc64_seed(words4)
    elif kind == 1:
        state = dxsm_seed(words4)
    else:
        state = pcg64_seed(words4)
    a, b, c, d = state
    for k in range(n):
        a, b, c, d, raw[k] = _next(kind, a, b, c, d)
    a, b, c, d = state
    for k in range(n):
        a, b, c, d, exp[k] = _exponential(kind, a, b, c, d)
    return raw, exp


# -- a copy of the package drawing from another generator ----------------------------------

#: appended to the copy's ``kernels/rng.py``: its three generator functions rebound to
#: the four-word kernels of ``altgen`` (this module, copied); ``gen.py`` imports them
#: from ``rng`` after this ran.
_RNG_TAIL = """

# -- benchmarks/generators.py: this copy draws from {cls} ------------------------------
from mdcd_lab.fast.kernels.altgen import {short}_seed as pcg_seed  # noqa: E402
from mdcd_lab.fast.kernels.altgen import {short}_next as pcg_next  # noqa: E402
from mdcd_lab.fast.kernels.altgen import {short}_exponential as next_exponential  # noqa
GENERATOR = "{cls}"
"""

#: ``gen.py``'s call sites, each given the four-word state: (pattern, replacement, count)
_GEN_EDITS = (
    (r"s_hi, s_lo, (\w+) = (pcg_next|next_exponential)\(s_hi, s_lo, i_hi, i_lo\)",
     r"s_hi, s_lo, i_hi, i_lo, \1 = \2(s_hi, s_lo, i_hi, i_lo)", None),
    (r"s_hi, s_lo, last_twin, n_w, more = shadow_twin\(",
     "s_hi, s_lo, i_hi, i_lo, last_twin, n_w, more = shadow_twin(", 2),
    (r"return s_hi, s_lo, tt, n_w, more\b", "return s_hi, s_lo, i_hi, i_lo, tt, n_w, more", 1),
)


def _edit(path: Path, pattern: str, repl: str, count: int | None) -> None:
    text = path.read_text()
    new, n = re.subn(pattern, repl, text)
    if n == 0 or (count is not None and n != count):
        raise SystemExit(f"{path}: {pattern!r} matched {n} times, expected "
                         f"{count or 'at least one'}: the generator copy is out of date")
    path.write_text(new)


def generator_copy(src: Path, dest: Path, name: str) -> Path:
    """A copy of the package under ``src`` (into ``dest``) whose two engines draw from
    numpy's generator ``name`` (``"sfc64"`` or ``"pcg64dxsm"``) instead of ``PCG64``.

    The numba engine: this module becomes ``kernels/altgen.py``, ``rng.py``'s
    ``pcg_seed``, ``pcg_next`` and ``next_exponential`` are rebound to it, and the
    call sites of ``gen.py`` thread four state words instead of two.  The reference:
    ``traces/table.py`` seeds ``numpy.random.<BitGenerator>`` instead of ``PCG64``.
    Every edit must match, or the copy is refused (the sources moved on) and ``dest``
    removed.
    """
    if name not in GENERATORS or name == "pcg64":
        raise ValueError(f"generator_copy: {name!r} is not one of 'pcg64dxsm', 'sfc64'")
    cls = GENERATORS[name][0]
    dest.mkdir(parents=True)
    try:
        shutil.copytree(src / "mdcd_lab", dest / "mdcd_lab",
                        ignore=shutil.ignore_patterns("__pycache__"))
        kernels = dest / "mdcd_lab" / "fast" / "kernels"
        shutil.copy(Path(__file__), kernels / "altgen.py")
        short = "dxsm" if name == "pcg64dxsm" else name
        with open(kernels / "rng.py", "a") as fh:
            fh.write(_RNG_TAIL.format(cls=cls, short=short))
        for pattern, repl, count in _GEN_EDITS:
            _edit(kernels / "gen.py", pattern, repl, count)
        _edit(dest / "mdcd_lab" / "traces" / "table.py", r"np\.random\.PCG64\(",
              f"np.random.{cls}(", 1)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest
