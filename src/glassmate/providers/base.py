"""What every provider shares: timing metrics, error mapping, and running blocking engines off the event loop.

The pattern (from LiveKit Agents' stt.py): each kind's base class has public async methods that own timing,
logging and error mapping, and calls a protected `_…_impl` that each backend writes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from glassmate.engines import Engine
from glassmate.errors import (
    GlassmateError,
    ProviderAuthError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnreachableError,
)

log = logging.getLogger("glassmate.providers")
T = TypeVar("T")


@dataclass
class CallMetrics:
    """Timing of one provider call; `first_s` is time to the first streamed item (token, audio chunk)."""

    provider: str
    method: str
    duration_s: float = 0.0
    first_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Provider:
    """Base of every provider. Backends set `name` and keep engine state private."""

    name: str = "provider"

    def __init__(self) -> None:
        # Local engines (llama.cpp, CTranslate2, onnxruntime sessions) are not safe to call from two threads: each
        # provider's engine work runs on its own thread, most urgent caller first (glassmate/engines.py). The lock
        # guards the few calls made outside it (closing, a benchmark's cache reset).
        self._engine_lock = threading.Lock()
        self._jobs = Engine(self.name)
        self.last_metrics: CallMetrics | None = None

    async def aclose(self) -> None:
        """Release engines and connections."""

    @contextmanager
    def _measure(self, method: str) -> Iterator[CallMetrics]:
        metrics = CallMetrics(self.name, method)
        start = time.perf_counter()
        try:
            yield metrics
        except GlassmateError:
            raise
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise map_exception(exc, self.name) from exc
        finally:
            metrics.duration_s = time.perf_counter() - start
            self.last_metrics = metrics
            log.debug(
                "%s.%s took %.3fs (first %.3s) %s",
                self.name,
                method,
                metrics.duration_s,
                metrics.first_s,
                metrics.extra,
            )

    async def _run_blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking engine call on the engine's thread, after the more urgent callers' calls."""

        def locked() -> T:
            with self._engine_lock:
                return fn(*args, **kwargs)

        return await self._jobs.run(locked)

    async def _iterate_blocking(self, make_iter: Callable[[], Iterator[T]]) -> AsyncGenerator[T, None]:
        """Drive a blocking iterator on the engine's thread and yield its items on the event loop.

        Closing or cancelling the consumer sets a flag the worker checks between items, so generation stops
        at the next token or sentence, and the consumer waits until it has (the engine is then free); one
        cancelled while it still waited in the queue is dropped from it.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def post(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the loop is closed: nobody is listening any more
                stop.set()

        def worker() -> None:
            with self._engine_lock:
                iterator = make_iter()
                try:
                    for item in iterator:
                        if stop.is_set():
                            break
                        post("item", item)
                except BaseException as exc:
                    post("error", exc)
                finally:
                    close = getattr(iterator, "close", None)
                    if close is not None:
                        close()
                    post("done", None)

        future = self._jobs.submit(worker)
        try:
            while True:
                kind, value = await queue.get()
                if kind == "item":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    break
        finally:
            stop.set()
            if not future.cancel():  # it started: wait until the engine is free; shielded from a second cancel
                await asyncio.shield(asyncio.wrap_future(future))


def map_exception(exc: BaseException, provider: str) -> GlassmateError:
    """Turn a backend's exception into a typed glassmate error; unknown ones are bugs and are logged."""
    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a dependency
        openai = None  # type: ignore[assignment]
    if openai is not None:
        if isinstance(exc, openai.APITimeoutError):
            return ProviderTimeoutError(f"{provider}: the endpoint did not answer in time")
        if isinstance(exc, openai.APIConnectionError):
            return ProviderUnreachableError(
                f"{provider}: cannot reach the endpoint ({exc.__cause__ or exc}); check base_url and the network"
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return ProviderAuthError(f"{provider}: the endpoint refused the API key")
        if isinstance(exc, openai.APIStatusError):
            return ProviderError(f"{provider}: the endpoint answered HTTP {exc.status_code}: {exc.message}")
    log.exception("%s failed unexpectedly", provider, exc_info=exc)
    return ProviderError(f"{provider} failed: {type(exc).__name__}")
