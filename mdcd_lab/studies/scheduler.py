"""Scheduling a sweep: which run ranges to compute next, and when a point is done.

A ``Scheduler`` holds, per (point, protocol), the *chunks* of runs already
computed (loaded from a store or returned by the pool).  Each point has an end
``ends[p]``: the runs ``0 .. ends[p] - 1`` of every protocol must exist before
the point is decided.  ``Scheduler.advance`` returns the missing units of a
point or, once none is missing, applies the stopping rule: stop, or move the
end by one batch.  ``Scheduler.run`` feeds a pool until every point is
decided.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .plan import Study
from .stopping import decide

__all__ = ["Scheduler", "gaps", "rows"]

Chunk = tuple[int, int, pd.DataFrame]
Unit = tuple[int, int, int, int]


def gaps(chunks: list[Chunk], lo: int, hi: int) -> list[tuple[int, int]]:
    """Sub-ranges of ``[lo, hi)`` not covered by ``chunks``."""
    out, at = [], lo
    for start, stop, _ in sorted(chunks, key=lambda c: c[0]):
        if stop <= at:
            continue
        if start >= hi:
            break
        if start > at:
            out.append((at, start))
        at = max(at, stop)
    if at < hi:
        out.append((at, hi))
    return out


def rows(chunks: list[Chunk], end: int) -> pd.DataFrame:
    """Runs ``0 .. end-1`` of one (point, protocol), checked: nothing lost or duplicated."""
    frames = []
    for start, stop, frame in sorted(chunks, key=lambda c: c[0]):
        if start >= end:
            continue
        if callable(frame):        # a unit on disk (Scheduler's release): read it now
            frame = frame()
        frames.append(frame if stop <= end else frame.iloc[:end - start])
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if not np.array_equal(df["run"].to_numpy(), np.arange(end)):
        raise RuntimeError(f"internal error: runs of a unit are not exactly 0..{end - 1}")
    return df


class Scheduler:
    """The state of one sweep: stored chunks, per-point ends, batches and status.

    Parameters
    ----------
    study : Study
        The planned study.
    pool : LocalPool, ExecutorPool or DaskPool
        Where tasks run (``mdcd_lab.studies.pools.make_pool``).
    unit_runs : int
        Largest number of runs of one unit and of one task.
    store : Store, optional
        Receives every finished unit as it arrives.
    bars : (tqdm, tqdm)
        Progress bars of runs and of decided points.
    release : bool, default False
        Keep no rows in memory: each finished unit is held as a function that reads
        it back from ``store`` (the stopping rule reads a point's units when it
        decides it); [`sweep_to`][mdcd_lab.studies.sweep_to] streams the table from
        the store.
    """

    def __init__(self, study: Study, pool: Any, unit_runs: int, store: Any,
                 bars: tuple[Any, Any], release: bool = False) -> None:
        if release and store is None:
            raise ValueError("release=True needs a store to read the units back from")
        self.release = release
        self.study = study
        self.pool = pool
        self.unit_runs = unit_runs
        self.store = store
        self.runs_bar, self.points_bar = bars
        n_points, n_protos = len(study.points), len(study.protocols)
        self.chunks: dict[tuple[int, int], list[Chunk]] = {
            (p, q): [] for p in range(n_points) for q in range(n_protos)}
        self.ends = [study.runs] * n_points
        self.batches = [1] * n_points
        self.status: list[dict[str, Any] | None] = [None] * n_points
        self.outstanding = [0] * n_points

    # ----------------------------------------------------------------------- stored work
    def load(self, stored: list[tuple[int, int, int, int, pd.DataFrame]]) -> None:
        """Add the units of a store; overlapping units are an error naming them."""
        for p, q, start, stop, frame in stored:
            self.chunks[p, q].append((start, stop, frame))
        for key, cs in self.chunks.items():
            cs.sort(key=lambda c: c[0])
            for (_a0, a1, _), (b0, _, _) in zip(cs, cs[1:], strict=False):
                if b0 < a1:
                    raise ValueError(f"store {str(self.store.path)!r}: unit files of point "
                                     f"{key[0]}, protocol {self.study.protocols[key[1]]!r} "
                                     f"overlap at runs {b0}..{a1 - 1}; delete one of them "
                                     f"and resume")

    # ----------------------------------------------------------------------- decisions
    def _missing(self, p: int) -> list[Unit]:
        todo: list[Unit] = []
        step = self.unit_runs
        for q in range(len(self.study.protocols)):
            for a, b in gaps(self.chunks[p, q], 0, self.ends[p]):
                todo.extend((p, q, s, min(s + step, b)) for s in range(a, b, step))
        return todo

    def _finish(self, p: int, reason: str, worst: float | None) -> None:
        self.status[p] = {"point": p, "runs": self.ends[p], "batches": self.batches[p],
                          "reason": reason, "max_rel_half_width": worst}
        self.points_bar.update(1)

    def _extend(self, p: int) -> None:
        """Move point ``p``'s end by one batch (cut at ``max_runs``)."""
        stop = self.study.stop
        assert stop is not None
        n_protos = len(self.study.protocols)
        new_end = min(self.ends[p] + self.study.runs, stop.max_runs)
        missing = sum(b - a for q in range(n_protos)
                      for a, b in gaps(self.chunks[p, q], self.ends[p], new_end))
        self.runs_bar.total += (new_end - self.ends[p]) * n_protos
        self.runs_bar.update((new_end - self.ends[p]) * n_protos - missing)  # stored before
        self.ends[p] = new_end
        self.batches[p] += 1

    def advance(self, p: int) -> list[Unit]:
        """Decide point ``p`` as far as the stored runs allow; return units to run."""
        while True:
            todo = self._missing(p)
            if todo:
                return todo
            stop = self.study.stop
            if stop is None:
                self.status[p] = {"point": p, "runs": self.ends[p], "batches": 1,
                                  "reason": "fixed", "max_rel_half_width": None}
                self.points_bar.update(1)
                return []
            n_protos = len(self.study.protocols)
            frames = [rows(self.chunks[p, q], self.ends[p]) for q in range(n_protos)]
            converged, worst = decide(stop, self.study.scenarios[p], self.study.protocols,
                                     frames)
            if converged or self.ends[p] >= stop.max_runs:
                self._finish(p, "converged" if converged else "max_runs", worst)
                return []
            self._extend(p)

    # ----------------------------------------------------------------------- execution
    def submit(self, units: list[Unit]) -> None:
        """Send units to the pool, batched into tasks of up to ``unit_runs`` runs."""
        study, pool = self.study, self.pool
        task: list[tuple] = []
        size = 0
        for p, q, start, stop in units:
            if task and (not pool.group or size + stop - start > self.unit_runs):
                pool.submit({"engine": study.engine, "single_thread": pool.single_thread,
                             "units": task})
                task, size = [], 0
            self.outstanding[p] += 1
            task.append((p, q, start, stop, study.scenarios[p].to_dict(), study.seeds[p],
                         study.protocols[q]))
            size += stop - start
        if task:
            pool.submit({"engine": study.engine, "single_thread": pool.single_thread,
                         "units": task})

    def _receive(self, result: list[tuple[Unit, pd.DataFrame]]) -> set[int]:
        touched = set()
        for (p, q, start, stop), frame in result:
            if len(frame) != stop - start or not np.array_equal(
                    frame["run"].to_numpy(), np.arange(start, stop)):
                raise RuntimeError(f"a task returned the wrong runs for point {p}, "
                                   f"protocol {self.study.protocols[q]!r}")
            if self.store is not None:
                self.store.write(p, q, start, stop, frame)
            if self.release:
                frame = self.store.reader(p, q, start, stop)
            self.chunks[p, q].append((start, stop, frame))
            self.outstanding[p] -= 1
            self.runs_bar.update(stop - start)
            touched.add(p)
        return touched

    def run(self) -> list[dict[str, Any]]:
        """Compute and decide every point; the per-point status, in point order."""
        self.runs_bar.update(sum(min(stop, self.ends[p]) - start
                                 for (p, _), cs in self.chunks.items()
                                 for start, stop, _ in cs if start < self.ends[p]))
        todo = []
        for p in range(len(self.study.points)):
            todo.extend(self.advance(p))
        self.submit(todo)
        while len(self.pool):
            for result in self.pool.next_done():
                todo = []
                for p in sorted(self._receive(result)):
                    if self.outstanding[p] == 0 and self.status[p] is None:
                        todo.extend(self.advance(p))
                self.submit(todo)
        if any(s is None for s in self.status):
            raise RuntimeError("internal error: a point was left undecided")
        return [dict(s) for s in self.status if s is not None]
