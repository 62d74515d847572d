"""Ctrl-C (and SIGTERM) during a numba compilation, delivered where numba can take it.

LLVM calls back into Python while numba compiles (ctypes callbacks, e.g. when an
object file is emitted).  A ``KeyboardInterrupt`` raised inside such a callback is
printed and swallowed by ctypes: the compilation then goes on as if nothing had
happened (the command exits 0 after the user pressed Ctrl-C), fails later ("no
compiled object yet"), or crashes.  ``deferred_signals`` holds the signals that
raise in Python (SIGINT's ``KeyboardInterrupt``, the command line's SIGTERM handler)
while a compilation runs and raises them at the start of the next function numba
compiles (numba's ``"numba:compile"`` event, plain Python code) or when the block
ends, whichever comes first: a few tenths of a second later, at most the seconds of
the final linking of an entry kernel.  A block left by an error with a signal still
held raises the signal's exception, the error as its context.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["deferred_signals"]

#: The signals held back (when their handler is a Python function).
SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: The listener of the ``deferred_signals`` block in progress (one at a time).
_active: list = []


def _listener(pending: list, handlers: dict):
    """A numba event listener that raises a held-back signal (its Python handler's
    exception) at the start of the next compiled function (numba imported here, on
    first use: importing this module stays cheap)."""
    from numba.core import event

    class Deliver(event.Listener):
        def deliver(self) -> None:
            if pending:
                signum, frame = pending[0]
                pending.clear()
                handlers[signum](signum, frame)   # raises (KeyboardInterrupt, ...)

        def on_start(self, ev) -> None:
            self.deliver()

        def on_end(self, ev) -> None:
            pass

    return Deliver()


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM (if Python handles them) while the block compiles,
    and raise them at the next safe point (see the module docstring).  Does nothing
    outside the main thread (signal handlers can only be set there) or when nested."""
    if threading.current_thread() is not threading.main_thread() or _active:
        yield
        return
    from numba.core import event

    pending: list = []
    handlers = {s: h for s in SIGNALS if callable(h := signal.getsignal(s))}
    listener = _listener(pending, handlers)
    for s in handlers:
        signal.signal(s, lambda signum, frame: pending.append((signum, frame)))
    event.register("numba:compile", listener)
    _active.append(listener)
    try:
        yield
    finally:
        _active.pop()
        event.unregister("numba:compile", listener)
        for s, h in handlers.items():
            signal.signal(s, h)
        # a signal still held is raised now, also when an error leaves the block (the
        # error becomes its context): the user asked to stop, and is not ignored
        listener.deliver()
