"""Where a sweep's tasks run: this process, a ``concurrent.futures`` executor or dask.

A *task* is a payload ``{"engine", "single_thread", "units"}``; each unit is
one (point, protocol, run range) and ``run_task`` returns its per-run
frame.  A pool takes tasks with ``submit`` and gives back finished results
with ``next_done``, as they complete.  See ``docs/studies.md``, *Parallel and
distributed sweeps*.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import warnings
from collections import deque
from typing import Any

import pandas as pd

from ..api import _simulate as simulate  # the per-run metric schema, no protocol column
from ..scenario import Scenario

__all__ = ["run_task", "make_pool", "LocalPool", "ExecutorPool", "DaskPool", "FORK_HINT"]

Unit = tuple[int, int, int, int]

FORK_HINT = ("mdcd_lab: a worker process died.  With engine='numba', a process pool that "
             "forks from a process that already ran numba's OpenMP threads kills its "
             "workers; create it with mp_context=multiprocessing.get_context('spawn') (or "
             "'forkserver').  Finished units are in the store, if any: resume=True.")


def run_task(payload: dict[str, Any]) -> list[tuple[Unit, pd.DataFrame]]:
    """Run the units of one task (executed in the caller or on a worker)."""
    engine = payload["engine"]
    if payload["single_thread"] and engine == "numba":
        import numba
        numba.set_num_threads(1)
    out = []
    for p, q, start, stop, values, seed, protocol in payload["units"]:
        scenario = Scenario.from_dict(values)
        frame = simulate(scenario, stop - start, seed, protocol=protocol, engine=engine,
                         progress=False, first_run=start)
        out.append(((p, q, start, stop), frame))
    return out


class LocalPool:
    """Runs tasks in this process, one per ``next_done`` call."""

    single_thread = False
    group = False

    def __init__(self) -> None:
        self._queue: deque[dict[str, Any]] = deque()

    def workers(self) -> int:
        return 1

    def submit(self, payload: dict[str, Any]) -> None:
        self._queue.append(payload)

    def __len__(self) -> int:
        return len(self._queue)

    def next_done(self) -> list[Any]:
        return [run_task(self._queue.popleft())]

    def cancel(self) -> None:
        self._queue.clear()


class ExecutorPool:
    """A ``concurrent.futures.Executor``; results are taken as they complete."""

    single_thread = True
    group = True

    def __init__(self, executor: cf.Executor) -> None:
        self._ex = executor
        self._pending: set[cf.Future] = set()

    def workers(self) -> int:
        return int(getattr(self._ex, "_max_workers", None) or os.cpu_count() or 1)

    def submit(self, payload: dict[str, Any]) -> None:
        self._pending.add(self._ex.submit(run_task, payload))

    def __len__(self) -> int:
        return len(self._pending)

    def next_done(self) -> list[Any]:
        done, self._pending = cf.wait(self._pending, return_when=cf.FIRST_COMPLETED)
        try:
            return [f.result() for f in done]
        except cf.process.BrokenProcessPool as exc:
            exc.add_note(FORK_HINT)
            raise

    def cancel(self) -> None:
        for f in self._pending:
            f.cancel()
        self._pending = set()


class DaskPool:
    """A ``dask.distributed.Client``; results stream back through ``as_completed``."""

    single_thread = True
    group = True

    def __init__(self, client: Any) -> None:
        from distributed import as_completed
        self._client = client
        self._ac = as_completed()
        self._pending: set[Any] = set()

    def workers(self) -> int:
        try:
            return max(1, len(self._client.scheduler_info().get("workers", {})))
        except Exception:  # noqa: BLE001 - only a hint for the task size
            return 1

    def submit(self, payload: dict[str, Any]) -> None:
        future = self._client.submit(run_task, payload, pure=False)
        self._pending.add(future)
        self._ac.add(future)

    def __len__(self) -> int:
        return len(self._pending)

    def next_done(self) -> list[Any]:
        future = next(self._ac)
        self._pending.discard(future)
        return [future.result()]

    def cancel(self) -> None:
        if self._pending:
            self._client.cancel(list(self._pending))
        self._pending = set()


def make_pool(client: Any, engine: str) -> LocalPool | ExecutorPool | DaskPool:
    """The pool for ``client`` (``None``: this process); ``ValueError`` for other types."""
    if client is None:
        return LocalPool()
    if isinstance(client, cf.Executor):
        ctx = getattr(client, "_mp_context", None)
        if (isinstance(client, cf.ProcessPoolExecutor) and engine == "numba"
                and ctx is not None and ctx.get_start_method() == "fork"):
            warnings.warn("a ProcessPoolExecutor that forks its workers may kill them with "
                          "the numba engine (numba's OpenMP threads are not fork-safe); "
                          "create it with mp_context=multiprocessing.get_context('spawn')",
                          RuntimeWarning, stacklevel=3)
        return ExecutorPool(client)
    if type(client).__module__.split(".")[0] == "distributed" and hasattr(client, "submit"):
        return DaskPool(client)
    raise ValueError(f"client must be a dask.distributed.Client or a "
                     f"concurrent.futures.Executor, got {type(client).__name__}")
