"""The unguarded phase of a mission run (docs/performability.md).

After the guarded operation ``[0, phi]`` of a run that ended ``completed``, the
new version serves alone until the mission's end ``theta``: no checkpoints, no
logging, no acceptance tests, no shadows (``G_sdw`` is retired at ``phi``).
Only the ground truth is played: a fault activation contaminates its fault
scope, a process that consumes an erroneous message becomes erroneous, and the
first external message of an erroneous ``G_low`` or ``G_act`` process reaches
the device and fails the mission.  Errors latent at ``phi`` count: erroneous
processes stay erroneous and erroneous messages still in transit are delivered.
Under ``"unguarded"`` this phase is the whole run (``phi = 0``).
"""

from __future__ import annotations

import heapq

import numpy as np

from ..constants import (
    ABSENT,
    HEAP_DELIVERY,
    HEAP_UNGUARDED,
    KIND_FAULT,
    KIND_OUTPUT,
    SDW,
    Event,
)
from .common import end_failed
from .low import fault
from .state import Proc, Run


def _serving(run: Run, p: int) -> bool:
    """Whether process ``p`` still serves after ``phi`` (every process but the shadows)."""
    return run.role(p) not in (SDW, ABSENT)


def _consume(run: Run, p: Proc, src: int, erroneous: bool) -> None:
    if erroneous and not p.erroneous:
        p.erroneous = True
        run.log(p.idx, Event.CONTAMINATED, src)


def _drain(run: Run, until: float) -> None:
    """Deliveries due by ``until``: messages in transit at ``phi`` and new ones.

    Only the ground truth changes, and it only grows, so the order among them
    does not matter; notifications and checkpoint-line events are dropped.
    """
    while run.heap and run.heap[0][0] <= until:
        t, _seq, kind, payload = heapq.heappop(run.heap)
        run.now = t
        if kind == HEAP_DELIVERY and _serving(run, payload.dst):
            _consume(run, run.procs[payload.dst], payload.src, payload.erroneous)
        elif kind == HEAP_UNGUARDED:
            dst, src, erroneous = payload
            _consume(run, run.procs[dst], src, erroneous)


def play_unguarded(run: Run, arrays: dict[str, np.ndarray], first: int) -> int:
    """Play trace rows ``first ..`` (all with ``t > phi``) under the unguarded rules.

    Ends the run ``failed`` at the first erroneous external message, else
    ``completed`` at the mission's end.  Returns the number of rows processed.
    """
    run.phase = 1
    t_arr, kind, src, dst, td = (arrays["t"], arrays["kind"], arrays["src"], arrays["dst"],
                                 arrays["t_deliver"])
    n_rows = 0
    for n in range(first, len(t_arr)):
        _drain(run, t_arr[n])
        run.now = t_arr[n]
        n_rows += 1
        s = int(src[n])
        if not _serving(run, s) or (dst[n] >= 0 and not _serving(run, int(dst[n]))):
            continue   # the shadows no longer run
        p = run.procs[s]
        if kind[n] == KIND_FAULT:
            fault(run, p)
        elif kind[n] == KIND_OUTPUT:
            if p.erroneous:
                run.log(p.idx, Event.FAILURE, -1, -1, dirty=p.dirty_bit)
                end_failed(run)
                return n_rows
        else:
            run.push(td[n], HEAP_UNGUARDED, (int(dst[n]), s, p.erroneous))
    run.t_end = run.s.t_end
    run.now = run.t_end
    return n_rows
