"""Signals during a numba compilation are held back and raised where numba can take them
(``mdcd_lab.fast._interrupt.deferred_signals``): at the start of the next compiled
function, or when the block ends; never inside LLVM's callbacks into Python.

The handler under test is a stand-in that raises ``HeldError`` (so that a broken deferral
fails one test instead of interrupting the test session); the command line's Ctrl-C
at several moments of a cold compilation is ``test_cli_user.py``'s.
"""

from __future__ import annotations

import os
import signal
import threading

import numba
import pytest

from mdcd_lab.fast._interrupt import deferred_signals


class HeldError(Exception):
    pass


@pytest.fixture
def sigint_raises_held():
    def handler(signum, frame):
        raise HeldError(signum)
    old = signal.signal(signal.SIGINT, handler)
    yield handler
    signal.signal(signal.SIGINT, old)


def test_a_signal_is_raised_at_the_next_compiled_function(sigint_raises_held):
    @numba.njit
    def fresh(x):   # compiled inside the block: its compile event delivers the signal
        return x + 1

    reached = []
    with pytest.raises(HeldError):
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGINT)   # held back: no exception here
            reached.append("after the signal")
            fresh(1)
            reached.append("after the compilation")
    assert reached == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is sigint_raises_held   # restored


def test_a_signal_without_a_compilation_is_raised_when_the_block_ends(sigint_raises_held):
    reached = []
    with pytest.raises(HeldError):
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("end of the block")
    assert reached == ["end of the block"]
    assert signal.getsignal(signal.SIGINT) is sigint_raises_held


def test_without_a_signal_nothing_is_raised_and_the_handler_is_restored(sigint_raises_held):
    with deferred_signals():
        assert signal.getsignal(signal.SIGINT) is not sigint_raises_held   # held back
    assert signal.getsignal(signal.SIGINT) is sigint_raises_held


def test_a_nested_block_and_another_thread_change_nothing(sigint_raises_held):
    with deferred_signals():
        outer = signal.getsignal(signal.SIGINT)
        with deferred_signals():
            assert signal.getsignal(signal.SIGINT) is outer
    seen = []
    t = threading.Thread(target=lambda: seen.append(_in_thread()))
    t.start()
    t.join()
    assert seen == [True]


def _in_thread() -> bool:
    with deferred_signals():   # handlers can only be set in the main thread: a no-op
        return True


def test_an_ignored_signal_stays_ignored():
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with deferred_signals():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, old)


def test_a_signal_held_while_the_block_fails_is_not_lost(sigint_raises_held):
    """A signal held back, then an error leaving the block: the signal's exception is
    raised (the user asked to stop), with the error as its context."""
    with pytest.raises(HeldError) as caught:
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGINT)
            raise ValueError("the compilation failed")
    assert isinstance(caught.value.__context__, ValueError)
    assert signal.getsignal(signal.SIGINT) is sigint_raises_held


def test_an_error_without_a_signal_passes_unchanged(sigint_raises_held):
    with pytest.raises(ValueError, match="failed"):
        with deferred_signals():
            raise ValueError("the compilation failed")
