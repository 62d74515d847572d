"""A cold compilation split over two processes that share numba's cache (issue 20, item 2).

A cold ``simulate`` compiles ``drivers.simulate_block``, the event loop it calls
through an address (``engine.play_run``, ``cold.LOOP``) and then the cold rules the
run calls through their addresses (``kernels/cold.py``); numba
compiles in one thread (its compiler lock), so the second core of a laptop stays
idle.  When ``_cache.ensure_compiled`` finds an entry kernel cold, ``start`` spawns
a helper process (``main``: ``python -m mdcd_lab.fast._compile_helper CLAIMS RULE ...``)
that compiles, into the same cache directory, what the parent needs last (unless it
is all cached already: ``_cache.helper_useful``):

1. ``engine.play_row`` (the rules of a trace row: sends, outputs, faults, twins),
   for exactly the signature the event loop calls it with (``split``): the parent
   (compiling the loop after its kernel) reaches it after the heap's rules
   (``drain``) and then loads it from the cache
   instead of compiling it (numba's dispatchers look up the cache on every compile);
2. the cold rules the run needs (``cold.needed``), in their order, while the parent,
   once its own kernel is compiled, takes them from the other end (``share_rules``):
   each rule is compiled by whichever process claims it first (a file created with
   ``O_EXCL`` in a directory of this compilation); the parent then waits for the
   helper (``finish``) and loads the rest from the cache.

numba's cache is safe for concurrent processes (every file is written to a temporary
name and moved into place), but its per-function index is read, updated and written
again: two processes adding *different* signatures of one function at the same time
could give two signatures one data file.  So the functions compiled for more than
one signature (``shared``: the arena accessors and ``call_rule``) are compiled by
the parent, for every signature, before the helper starts compiling (it imports the
kernels meanwhile, then waits for the parent's ``go``); every other function has
one signature, and both processes would write the same entry.
``tests/test_compile_once.py``'s cold child checks both tables against a full
compilation; ``tests/test_compile_helper.py`` the rest.

Nothing depends on the helper: whatever it has not cached when the parent needs it,
the parent compiles itself; if it fails, it is only slower.  The numbers are the
same either way (the flags that a callee inherits from its caller are set explicitly
on every kernel, ``_config.JIT``, so a function compiled alone is the function
compiled in its caller).  ``MDCD_LAB_COMPILE_HELPER=0`` turns the helper off; it is
off on a machine with one usable core.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ._interrupt import deferred_signals

__all__ = ["ENV", "Helper", "shared", "split", "enabled", "start", "claim", "share_rules",
           "finish", "main"]

#: The environment variable that turns the helper off (``"0"``).
ENV = "MDCD_LAB_COMPILE_HELPER"
#: Seconds the parent waits for the helper at most (then compiles what is missing).
WAIT_S = 600.0

LOGGER = logging.getLogger("mdcd_lab")


def shared() -> list[tuple]:
    """``(dispatcher, signature)`` of every kernel compiled for more than one signature:
    ``layout.call_rule`` (one signature per distinct argument list of the cold rules,
    ``cold.RULES``; the accessors ``rd`` and ``wr`` are intrinsics, lowered in
    place).  The parent compiles them all before the helper starts compiling (``start``)."""
    from numba import types

    from .kernels import cold, layout
    I, D, N, F = cold.ARG_TYPES
    arg_lists = dict.fromkeys(sig.args for _, sig, _ in cold.RULES.values())
    return [(layout.call_rule, (I, N, types.Tuple(args))) for args in arg_lists]


def split() -> list[tuple]:
    """``(dispatcher, signature)`` of the parts of the event loop the helper compiles
    first: ``engine.play_row(I, D, p, role, kind, dst, td, u_at, u_comp, d_notify,
    has_num, k, index)`` as ``engine.play_run`` calls it."""
    from .kernels import cold, engine
    I, D, N, F = cold.ARG_TYPES
    return [(engine.play_row, (I, D, N, N, N, N, F, F, F, F, N, N, N))]


def enabled() -> bool:
    """Whether a cold compilation may start the helper: not turned off (``ENV``) and
    at least two cores usable by this process."""
    if os.environ.get(ENV, "1").strip() == "0":
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        cores = os.cpu_count() or 1
    return cores >= 2


#: The helper's code: the ``mdcd_lab`` of the parent (``argv[1]``, the directory holding
#: it, put first on ``sys.path`` only if another one would be imported), its kernels
#: imported while the parent compiles ``shared``, then, on the parent's ``go`` (end of
#: file instead: the parent gave up), ``main``.
_CHILD = """
import importlib.util, os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)   # a terminal's Ctrl-C: the parent stops it
root = sys.argv[1]
spec = importlib.util.find_spec("mdcd_lab")
if spec is None or os.path.dirname(os.path.dirname(spec.origin)) != root:
    sys.path.insert(0, root)
from mdcd_lab.fast._compile_helper import main
from mdcd_lab.fast.kernels import cold   # the kernels imported (~0.8 s) meanwhile
if sys.stdin.readline().strip() != "go":
    raise SystemExit(0)
raise SystemExit(main(sys.argv[2:]))
"""


@dataclasses.dataclass
class Helper:
    """A running helper: its process, the rules it was given, and the directory where
    the two processes claim the rules (``claim``)."""

    process: subprocess.Popen
    rules: list[str]
    claims: str


def start(rules: list[str]) -> Helper | None:
    """Start the helper on ``split`` and the cold rules ``rules``, compile ``shared`` here
    while it imports the kernels, then let it go; None when the helper is off
    (``enabled``) or cannot start."""
    if not enabled():
        return None
    root = str(Path(__file__).resolve().parents[2])   # the directory holding mdcd_lab
    claims = tempfile.mkdtemp(prefix="mdcd-lab-claims-")
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, root, claims, *rules],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, ValueError) as exc:   # no process: the parent compiles it all
        LOGGER.info("mdcd_lab: no compile helper (%s)", exc)
        shutil.rmtree(claims, ignore_errors=True)
        return None
    helper = Helper(process, list(rules), claims)
    try:
        for disp, sig in shared():
            disp.compile(sig)
    except BaseException:   # interrupted, or failed: the helper never starts compiling
        finish(helper, stop=True)
        raise
    try:
        process.stdin.write(b"go\n")
        process.stdin.close()
    except OSError:   # the helper is gone already: finish() reports its exit code
        pass
    return helper


def claim(claims: str, name: str) -> bool:
    """Claim rule ``name`` for this process: True for the first process that asks."""
    try:
        os.close(os.open(os.path.join(claims, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def share_rules(helper: Helper) -> None:
    """The parent's share of the rules: from the end of the helper's list, each rule it
    claims first is compiled here (``cold.load``)."""
    from .kernels import cold
    for name in reversed(helper.rules):
        if helper.process.poll() is not None:   # the helper is done (or failed)
            return
        if claim(helper.claims, name):
            with deferred_signals():   # Ctrl-C where numba can take it (fast/_interrupt.py)
                cold.load(name)


def finish(helper: Helper | None, stop: bool = False) -> int | None:
    """Wait for the helper (at most ``WAIT_S``; then stop it; ``stop``: stop it now),
    remove its claims and return its exit code (None without a helper)."""
    if helper is None:
        return None
    process = helper.process
    try:
        if stop:
            process.kill()
        code = process.wait(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    except BaseException:   # interrupted: do not leave it running
        process.kill()
        process.wait()
        raise
    finally:
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()   # not let go (stopped while shared compiled)
        shutil.rmtree(helper.claims, ignore_errors=True)
    if code != 0 and not stop:
        LOGGER.info("mdcd_lab: the compile helper exited with code %d", code)
    return code


def main(argv: list[str] | None = None) -> int:
    """The helper: ``argv`` is the claims directory, then rule names.  Compile
    ``split``, then every rule not claimed by the parent, into the kernels' cache
    directory."""
    from .kernels import cold
    args = sys.argv[1:] if argv is None else argv
    if not args or not os.path.isdir(args[0]):
        raise SystemExit("usage: python -m mdcd_lab.fast._compile_helper CLAIMS_DIR "
                         "[RULE ...]")
    claims, names = args[0], args[1:]
    unknown = [n for n in names if n not in cold.RULES]
    if unknown:
        raise SystemExit(f"unknown rule(s) {', '.join(unknown)}; known: "
                         f"{', '.join(cold.RULES)}")
    for disp, sig in split():
        disp.compile(sig)
    for name in names:
        if claim(claims, name):
            cold.load(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
