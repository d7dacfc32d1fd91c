"""What the OpenAI-compatible routes share: API-key auth, per-key rate limits, bounded model queues, and
errors in OpenAI's shape (`{"error": {"message", "type", "param", "code"}}`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
from fastapi import Request
from fastapi.responses import JSONResponse

from glassmate.errors import GlassmateError
from glassmate.imaging import image_size, load_image
from glassmate.store.devices import DeviceRecord

OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 413: "invalid_request_error", 415: "invalid_request_error",
                422: "invalid_request_error", 429: "rate_limit_error"}  # fmt: skip


class ApiError(GlassmateError):
    """An error of the REST API with its HTTP status."""

    def __init__(self, status: int, message: str, *, code: str, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(message, code=code)
        self.http_status = status
        self.param = param
        self.headers = headers or {}


def error_response(status: int, message: str, code: str, param: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    kind = OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up: the one rate limiter (API keys, realtime events)."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0 when a token was taken; otherwise the seconds until one will be there."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return (1 - self.tokens) / self.rate
        self.tokens -= 1
        return 0.0


class KeyRateLimiter:
    """A token bucket per API key: `per_minute` requests a minute, bursts of `burst`."""

    def __init__(self, *, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self._buckets: dict[int, TokenBucket] = {}

    def check(self, key_id: int) -> None:
        bucket = self._buckets.setdefault(key_id, TokenBucket(rate=self.rate, burst=self.burst))
        wait_s = bucket.take()
        if wait_s:
            wait = max(1, round(wait_s))
            raise ApiError(429, f"rate limit reached; retry in {wait} s", code="rate_limit_exceeded",
                           headers={"retry-after": str(wait)})  # fmt: skip


class Ticket:
    """A place in a kind's queue, taken when the request arrives (so a full queue is refused before a streamed
    response has sent its status) and given back when the work is done."""

    UNUSED_TIMEOUT_S = 60.0  # a ticket never used (the client left first) gives its place back

    def __init__(self, admission: Admission, kind: str) -> None:
        self.admission = admission
        self.kind = kind
        self._held = True
        self._expiry = asyncio.get_running_loop().call_later(self.UNUSED_TIMEOUT_S, self._leave)

    def _leave(self) -> None:
        if self._held:
            self._held = False
            self.admission._waiting[self.kind] -= 1

    async def __aenter__(self) -> None:
        self._expiry.cancel()
        semaphore = self.admission._serial.get(self.kind)
        if semaphore is not None:
            try:
                await semaphore.acquire()
            except BaseException:
                self._leave()
                raise

    async def __aexit__(self, *exc: object) -> None:
        semaphore = self.admission._serial.get(self.kind)
        if semaphore is not None:
            semaphore.release()
        self._leave()


class Admission:
    """Bounded queues in front of the models: a request is admitted while fewer than `max_waiting` of its kind
    are in flight, otherwise it is answered 503 at once instead of piling up. The order of the work is the
    models' own (each engine serves the most urgent caller first: glassmate/engines.py), so a REST request
    waits on the event loop, holding no thread, and a wearer's realtime turn goes before it. Image decoding is
    done one at a time (memory: a burst of large photos)."""

    SERIAL = ("image",)

    def __init__(self, *, max_waiting: int) -> None:
        self.max_waiting = max_waiting
        self._serial: dict[str, asyncio.Semaphore] = {}
        self._waiting: dict[str, int] = {}

    def ticket(self, kind: str) -> Ticket:
        """Take a place in the queue of `kind` now, or raise 503 if it is full."""
        if self._waiting.get(kind, 0) >= self.max_waiting:
            raise ApiError(503, f"the {kind} model is busy; retry shortly", code="server-busy",
                           headers={"retry-after": "2"})  # fmt: skip
        self._waiting[kind] = self._waiting.get(kind, 0) + 1
        if kind in self.SERIAL:
            self._serial.setdefault(kind, asyncio.Semaphore(1))
        return Ticket(self, kind)

    @asynccontextmanager
    async def slot(self, kind: str) -> AsyncIterator[None]:
        async with self.ticket(kind):
            yield


async def decode_image(services: Any, data: bytes, *, max_side: int | None = None) -> np.ndarray:
    """A client's image as pixels: its header checked first, then decoded in a worker, one decode at a time
    (admission "image"), so that a burst of large photos cannot take the server's memory all at once."""
    await asyncio.to_thread(image_size, data, services.settings.image)
    async with services.admission.slot("image"):
        return await asyncio.to_thread(load_image, data, services.settings.image, max_side=max_side)


def bearer_token(headers: Any) -> str | None:
    """The token of an `Authorization: Bearer …` header, if there is one."""
    auth = headers.get("authorization", "")
    return (auth[7:].strip() or None) if auth.lower().startswith("bearer ") else None


async def api_key(request: Request) -> DeviceRecord:
    """FastAPI dependency: the API key of the request, after the rate limit."""
    services = request.app.state.services
    token = bearer_token(request.headers)
    if not token:
        raise ApiError(401, "missing API key: send Authorization: Bearer sk-gm-…", code="invalid_api_key")
    try:
        key = await asyncio.to_thread(services.api_keys.authenticate, token)
    except GlassmateError as exc:
        raise ApiError(401, "invalid API key", code="invalid_api_key") from exc
    services.rate_limiter.check(key.id)
    return key


async def caller(request: Request) -> str:
    """FastAPI dependency: who calls, a device ("device:NAME") or an API key ("key:NAME"), after the rate limit."""
    services = request.app.state.services
    token = bearer_token(request.headers) or ""
    if token.startswith("gm_"):
        try:
            device = await asyncio.to_thread(services.devices.authenticate, token)
        except GlassmateError as exc:
            raise ApiError(401, "invalid device token", code="invalid_api_key") from exc
        services.rate_limiter.check(-device.id)  # devices' buckets are apart from API keys' (negative ids)
        return f"device:{device.name}"
    key = await api_key(request)
    return f"key:{key.name}"


def model_list(services: Any) -> list[dict[str, Any]]:
    """The assistant and each underlying model that is usable."""
    created = 1_763_769_600  # the day glassmate's API first shipped; OpenAI requires a timestamp
    models = [{"id": "glassmate", "object": "model", "created": created, "owned_by": "glassmate"}]
    llm = services.models.llm
    models.append({"id": llm.model_name or "llm", "object": "model", "created": created, "owned_by": "glassmate"})
    models.append({"id": "whisper-1", "object": "model", "created": created, "owned_by": "glassmate"})
    models.append({"id": "tts-1", "object": "model", "created": created, "owned_by": "glassmate"})
    return models
