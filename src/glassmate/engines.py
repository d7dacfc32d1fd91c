"""Who goes first when several callers want one model: a thread per engine, fed from a priority queue.

A local engine (llama.cpp, CTranslate2's Whisper, an onnxruntime session) does one thing at a time. Each provider
owns an `Engine`: one dedicated thread that takes jobs from a heap, the most urgent first and, within one
priority, the oldest first. A caller awaits its job on the event loop and holds no thread while it waits, so
sixteen queued REST chats do not take the worker threads that the database and a device's login need; and a
wearer's realtime turn waits for the one job that is running, not for the queue. A job cancelled before it
started is dropped. A job that is running is not pre-empted (llama.cpp cannot be); a stream stops at its next
item.

The priority is the caller's context (a `ContextVar`, inherited by the tasks it starts): a realtime session runs
INTERACTIVE, a REST request REQUEST (the default), meeting transcription and notes BACKGROUND, imports and
batch jobs BULK.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, TypeVar

log = logging.getLogger("glassmate.engines")
T = TypeVar("T")
SLOW_WAIT_S = 1.0  # a job that waited longer than this is logged


class Priority(IntEnum):
    INTERACTIVE = 0  # a realtime turn: the wearer is waiting for the answer's voice
    REQUEST = 1  # a REST API call
    BACKGROUND = 2  # meeting transcription and notes, reminders
    BULK = 3  # imports, re-embedding


_priority: ContextVar[Priority] = ContextVar("glassmate_priority", default=Priority.REQUEST)


def current_priority() -> Priority:
    return _priority.get()


@contextlib.contextmanager
def priority(level: Priority) -> Iterator[None]:
    """Run the block (and the tasks it starts) at `level`."""
    token = _priority.set(level)
    try:
        yield
    finally:
        _priority.reset(token)


def set_priority(level: Priority) -> None:
    """Set the priority of the current task for the rest of its life (and of the tasks it starts from now on)."""
    _priority.set(level)


@dataclass(order=True)
class _Job:
    level: int
    seq: int
    run: Callable[[], Any] = field(compare=False)
    future: concurrent.futures.Future[Any] = field(compare=False)
    queued_at: float = field(compare=False, default_factory=time.monotonic)


class Engine:
    """One thread that runs an engine's jobs, most urgent first."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._heap: list[_Job] = []
        self._ready = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self.running: Priority | None = None  # the priority of the job on the engine now

    @property
    def waiting(self) -> int:
        with self._ready:
            return sum(1 for job in self._heap if not job.future.cancelled())

    def submit(self, fn: Callable[[], T], *, level: Priority | None = None) -> concurrent.futures.Future[T]:
        """Queue `fn` at `level` (the caller's priority by default); its future completes when it has run."""
        job = _Job(
            int(current_priority() if level is None else level), next(self._seq), fn, concurrent.futures.Future()
        )
        with self._ready:
            heapq.heappush(self._heap, job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=f"engine-{self.name}", daemon=True)
                self._thread.start()
            self._ready.notify()
        return job.future

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)` on the engine and await its result; cancelling drops it if it has not started."""
        return await asyncio.wrap_future(self.submit(lambda: fn(*args, **kwargs)))

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._heap:
                    self._ready.wait()
                job = heapq.heappop(self._heap)
            if not job.future.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            waited = time.monotonic() - job.queued_at
            if waited > SLOW_WAIT_S:
                log.debug("%s: a %s job waited %.2f s", self.name, Priority(job.level).name, waited)
            self.running = Priority(job.level)
            try:
                job.future.set_result(job.run())
            except BaseException as exc:  # handed to the caller, whatever it is
                job.future.set_exception(exc)
            finally:
                self.running = None
