"""Worker processes that start the same way on every system, and survive what they work on.

``multiprocessing``'s "fork" start method does not exist on Windows, and a forked worker silently
inherits whatever module globals the parent had set.  Here every worker is initialised explicitly: it
gets its initialiser and arguments (pickled under "spawn", handed over directly under "fork"), so the
same code runs under any start method.  ``XLKPI_START_METHOD`` (``spawn``, ``fork``, ``forkserver``)
overrides the system's default; the tests run under "spawn" as well.

The pool is supervised, because collect's workers read untrusted files: a worker that dies (a reader
library aborting on a crafted file, the system killing it for memory) or that overruns the time limit
on one item is ended and replaced, and that item alone is reported as a :class:`Failure`; the rest of
its chunk is done again by the new worker.  A Python exception raised for an item is a Failure too.
Nothing a single item does stops the run.
"""

from __future__ import annotations

import faulthandler
import gc
import multiprocessing
import os
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from xlkpi.problems import exception_detail

START_METHOD_VARIABLE = "XLKPI_START_METHOD"


def context() -> Any:
    """The multiprocessing context: the system's default, or the one ``XLKPI_START_METHOD`` names."""
    method = os.environ.get(START_METHOD_VARIABLE) or None
    return multiprocessing.get_context(method)


@dataclass
class Failure:
    """One item that did not complete: ``kind`` is "exception", "crashed" or "timeout"."""

    item: Any
    kind: str
    detail: str


def chunked(items: Sequence[Any], jobs: int, largest: int = 64, smallest: int = 4) -> list[list[Any]]:
    """``items`` in chunks for ``jobs`` workers, largest first, then smaller and smaller (each an eighth of
    what is left per worker, so about four chunks each): few messages while most work remains, and at the
    end no worker still busy with a large chunk while the others wait."""
    chunks: list[list[Any]] = []
    start, count = 0, len(items)
    while start < count:
        size = max(smallest, min(largest, (count - start) // (max(1, jobs) * 4)))
        chunks.append(list(items[start: start + size]))
        start += size
    return chunks


def _limit_memory(megabytes: int | None) -> None:
    if not megabytes or sys.platform == "win32":
        return
    try:
        import resource

        limit = megabytes * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # not allowed here: the supervisor still catches a death
        pass


def _worker_main(connection: Any, slot: int, progress: Any, initializer: Callable[..., None] | None,
                 initargs: tuple, function: Callable[[Any], Any], memory_mb: int | None, forked: bool) -> None:
    _limit_memory(memory_mb)
    faulthandler.disable()  # a crash is the supervisor's to report, as the item's failure
    if initializer is not None:
        initializer(*initargs)
    # what the worker holds from here on (inherited under fork, or just built) stays: keep the collector from
    # walking it at every collection.  A started worker first clears the garbage of its start; a forked one
    # does not walk what it inherited (34 ms per worker, copying the parent's pages as it goes)
    if not forked:
        gc.collect()
    gc.freeze()
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task, items = message
        results: list[Any] = []
        for index, item in enumerate(items):
            progress[2 * slot] = index
            progress[2 * slot + 1] = time.monotonic()
            try:
                results.append(function(item))
            except Exception as exc:  # noqa: BLE001 — one item's failure is reported, never the worker's end
                results.append(Failure(item, "exception", _describe(exc)))
        progress[2 * slot + 1] = 0.0
        connection.send((task, results))


def _describe(exc: BaseException) -> str:
    """The exception as a problem's detail, with the line that raised it."""
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({os.path.basename(last[0].filename)}:{last[0].lineno})" if last else ""
    return exception_detail(exc) + where


class _Worker:
    def __init__(self, pool: "WorkerPool", slot: int):
        parent, child = pool._context.Pipe()
        self.connection = parent
        self.process = pool._context.Process(
            target=_worker_main,
            args=(child, slot, pool._progress, pool._initializer, pool._initargs, pool._function, pool._memory_mb,
                  pool._context.get_start_method() == "fork"),
            daemon=True,
        )
        self.process.start()
        child.close()
        self.slot = slot
        self.task: tuple[int, list[Any]] | None = None

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.connection.send(None)
            except (OSError, ValueError):
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


class WorkerPool:
    """``jobs`` supervised workers applying ``function`` to chunks of items.

    ``time_limit`` (seconds) bounds one item; ``memory_mb`` bounds a worker's address space where the
    system allows it.  Use as a context manager; :meth:`run` yields ``(chunk, results)`` as chunks
    complete, where each result is the function's return value or a :class:`Failure`."""

    def __init__(self, jobs: int, function: Callable[[Any], Any], *, initializer: Callable[..., None] | None = None,
                 initargs: tuple = (), time_limit: float | None = None, memory_mb: int | None = None):
        self._context = context()
        self._jobs = max(1, jobs)
        self._function, self._initializer, self._initargs = function, initializer, initargs
        self._time_limit, self._memory_mb = time_limit, memory_mb
        self._progress = self._context.RawArray("d", 2 * self._jobs)
        self._workers: list[_Worker] = []

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close(kill=exc[0] is not None)

    def close(self, kill: bool = False) -> None:
        for worker in self._workers:
            worker.stop(kill=kill)
        self._workers = []

    def run(self, chunks: Sequence[list[Any]]) -> Iterator[tuple[list[Any], list[Any]]]:
        queue: deque[list[Any]] = deque(chunk for chunk in chunks if chunk)
        tasks = 0
        while len(self._workers) < min(self._jobs, len(queue)):
            self._workers.append(_Worker(self, len(self._workers)))

        def dispatch(worker: _Worker) -> None:
            nonlocal tasks
            tasks += 1
            worker.task = (tasks, queue.popleft())
            self._progress[2 * worker.slot], self._progress[2 * worker.slot + 1] = 0, time.monotonic()
            worker.connection.send(worker.task)

        while queue or any(w.task is not None for w in self._workers):
            for worker in self._workers:
                if worker.task is None and queue:
                    dispatch(worker)
            busy = [w for w in self._workers if w.task is not None]
            ready = wait([w.connection for w in busy] + [w.process.sentinel for w in busy], timeout=0.25)
            for worker in busy:
                failure: str | None = None
                kind = "crashed"
                if worker.connection in ready:
                    try:
                        task, results = worker.connection.recv()
                    except (EOFError, OSError):
                        failure = "tiến trình đọc tệp dừng đột ngột"
                    else:
                        chunk = worker.task[1]  # type: ignore[index]
                        worker.task = None
                        if queue:  # the worker goes on at once, while the caller handles these results
                            dispatch(worker)
                        yield chunk, results
                        continue
                elif worker.process.sentinel in ready or not worker.process.is_alive():
                    failure = f"tiến trình đọc tệp dừng đột ngột (mã {worker.process.exitcode})"
                elif self._time_limit is not None:
                    started = self._progress[2 * worker.slot + 1]
                    if started and time.monotonic() - started > self._time_limit:
                        kind, failure = "timeout", f"quá {self._time_limit:g} giây"
                if failure is None:
                    continue
                # the worker died or overran on one item: report that item, do the rest of its chunk again
                chunk = worker.task[1]  # type: ignore[index]
                index = min(int(self._progress[2 * worker.slot]), len(chunk) - 1)
                worker.stop(kill=True)
                replacement = _Worker(self, worker.slot)
                self._workers[self._workers.index(worker)] = replacement
                yield [chunk[index]], [Failure(chunk[index], kind, failure)]
                rest = chunk[:index] + chunk[index + 1:]
                if rest:
                    queue.appendleft(rest)
