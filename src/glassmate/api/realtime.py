"""WebSocket `/v1/realtime`: authenticates the device, then pumps events between the socket and its session.

Limits protect the server and other sessions: a message size cap, an event-rate cap, and a bounded outgoing
queue; a client that stops reading for SLOW_CLIENT_S is disconnected instead of piling up audio in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel
from starlette.websockets import WebSocketState

from glassmate.api.common import TokenBucket, bearer_token
from glassmate.errors import GlassmateError
from glassmate.events import ProtocolError, error_event, parse_client_event
from glassmate.session.realtime import RealtimeSession

log = logging.getLogger("glassmate.realtime")
router = APIRouter()

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
EVENTS_PER_S = 200  # sustained; a device sends ~10-50 audio appends a second
BURST = 400
OUTGOING_QUEUE = 512  # events; about 50 s of audio deltas
OUTGOING_BYTES = 8 * 1024 * 1024  # and at most this much of them: a reader that stalls cannot pin gigabytes
SLOW_CLIENT_S = 15.0
REVOCATION_CHECK_S = 5.0  # an open session learns this soon that its device was revoked (`glassmate devices revoke`)
POLICY_VIOLATION = 1008


def _token(ws: WebSocket) -> str | None:
    # Browsers cannot set headers on a WebSocket: they pass the token as a query parameter.
    return bearer_token(ws.headers) or ws.query_params.get("token")


def _json_text(data: dict[str, Any]) -> str:
    """An event as JSON text. A lone surrogate (from a client's own text, echoed) cannot be sent as UTF-8: then the
    event goes out with ASCII escapes, instead of killing the sender and silencing the session."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, separators=(",", ":"))
    return text


def _size(event: dict[str, Any]) -> int:
    """About how many bytes an event takes to send: its text fields (audio deltas are the big ones), plus framing."""
    return 256 + sum(len(v) for v in event.values() if isinstance(v, str))


class Outbox:
    """The events waiting to be sent to one client: bounded, and able to drop a cancelled response's audio
    that has not gone out yet (barge-in must silence the glasses at once, not after a queue of speech)."""

    def __init__(self, *, maxsize: int, max_bytes: int = OUTGOING_BYTES) -> None:
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self._items: deque[dict[str, Any]] = deque()
        self._bytes = 0
        self._changed = asyncio.Condition()

    def _room(self, size: int) -> bool:
        # Bounded by count and by bytes; one event larger than the byte bound still goes out alone.
        return len(self._items) < self.maxsize and (not self._items or self._bytes + size <= self.max_bytes)

    async def put(self, item: dict[str, Any], *, limit_s: float) -> None:
        size = _size(item)
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self._room(size)), limit_s)
            self._items.append(item)
            self._bytes += size
            self._changed.notify_all()

    async def get(self) -> dict[str, Any]:
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._items))
            item = self._items.popleft()
            self._bytes -= _size(item)
            self._changed.notify_all()
            return item

    async def drained(self) -> None:
        """Until every queued event was taken by the sender."""
        async with self._changed:
            await self._changed.wait_for(lambda: not self._items)

    def drop_audio(self, response_id: str) -> None:
        """Forget the queued audio deltas of a response (called when it is cancelled)."""
        kept = [
            e
            for e in self._items
            if not (e["type"] == "response.output_audio.delta" and e.get("response_id") == response_id)
        ]
        self._items = deque(kept)
        self._bytes = sum(_size(e) for e in kept)


def _origin_allowed(ws: WebSocket, allowed: tuple[str, ...]) -> bool:
    """No Origin (glasses, SDKs) or the server's own page, or one the settings allow."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == ws.headers.get("host", "") or origin.rstrip("/") in allowed


async def _refuse(ws: WebSocket, code: str, message: str) -> None:
    # Accept, say why, close: a browser cannot read the reason of a refused handshake.
    await ws.accept()
    await ws.send_json(error_event(code, message))
    await ws.close(code=POLICY_VIOLATION, reason=code)


@router.websocket("/v1/realtime")
async def realtime(ws: WebSocket) -> None:
    services = ws.app.state.services
    server = services.settings.server
    if not _origin_allowed(ws, server.allowed_origins):
        await _refuse(ws, "origin-not-allowed", "this page's origin may not open glassmate sessions")
        return
    try:
        device = await asyncio.to_thread(services.devices.authenticate, _token(ws))
    except GlassmateError as exc:
        await _refuse(ws, exc.code, exc.message)
        return
    if services.open_sessions[device.name] >= server.max_sessions_per_device:
        await _refuse(ws, "too-many-sessions", f"this device has {server.max_sessions_per_device} sessions open")
        return
    services.open_sessions[device.name] += 1
    try:
        await _serve(ws, services, device)
    finally:
        services.open_sessions[device.name] -= 1


async def _serve(ws: WebSocket, services: Any, device: Any) -> None:
    await ws.accept()
    outgoing = Outbox(maxsize=OUTGOING_QUEUE)
    ended = asyncio.Event()  # the server ends the session: the client reads nothing, or its device was revoked
    why: list[str] = []

    def end(reason: str) -> None:
        if not ended.is_set():
            why.append(reason)
            ended.set()

    async def send(data: dict[str, Any]) -> None:
        try:
            await outgoing.put(data, limit_s=SLOW_CLIENT_S)
        except TimeoutError:
            log.warning("device %s does not read its events; ending its session", device.name)
            end("slow-client")
            raise asyncio.CancelledError from None

    async def watch_revocation() -> None:
        while True:
            await asyncio.sleep(REVOCATION_CHECK_S)
            if not await asyncio.to_thread(services.devices.is_active, device.name):
                log.warning("device %s was revoked; ending its session", device.name)
                await outgoing.put(error_event("token-revoked", "this device's token was revoked"), limit_s=1.0)
                end("token-revoked")
                return

    session = RealtimeSession(
        models=services.models,
        skills=services.skills,
        settings=services.settings,
        send=send,
        device=device.name,
        drop_audio=outgoing.drop_audio,
        services=services,
    )
    log.info("session %s opened by device %s", session.id, device.name)

    async def pump_out() -> None:
        while True:
            data = await outgoing.get()
            if data["type"] != "response.output_audio.delta":
                log.debug("session %s → %s", session.id, data["type"])
            await ws.send_text(_json_text(data))

    async def incoming() -> AsyncIterator[BaseModel | ProtocolError]:
        limit = TokenBucket(rate=EVENTS_PER_S, burst=BURST)
        warned = 0.0
        appends = 0
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text") or message.get("bytes") or b""
            if len(raw) > MAX_MESSAGE_BYTES:
                yield ProtocolError("message-too-large", f"a message may be at most {MAX_MESSAGE_BYTES} bytes")
                continue
            if limit.take():
                if time.monotonic() - warned > 1.0:  # one warning a second, not one per dropped event
                    warned = time.monotonic()
                    yield ProtocolError("rate-limited", f"more than {EVENTS_PER_S} events a second; events dropped")
                continue
            try:
                event = parse_client_event(raw)
            except ProtocolError as exc:
                yield exc
                continue
            if event.type != "input_audio_buffer.append":  # type: ignore[attr-defined]
                log.debug("session %s ← %s", session.id, event.type)  # type: ignore[attr-defined]
            else:
                appends += 1
                if appends % 250 == 0:  # audio is too frequent to log one by one
                    log.debug("session %s ← %d audio appends so far", session.id, appends)
            yield event

    sender = asyncio.create_task(pump_out())
    running = asyncio.create_task(session.run(incoming()))
    end_watch = asyncio.create_task(ended.wait())
    revocation = asyncio.create_task(watch_revocation())
    try:
        await asyncio.wait({running, end_watch}, return_when=asyncio.FIRST_COMPLETED)
        if ended.is_set():
            running.cancel()  # frees the models now; the socket goes once its buffers drain
        await asyncio.gather(running, return_exceptions=False)
    except (WebSocketDisconnect, RuntimeError) as exc:  # RuntimeError: sending on a socket the client closed
        log.info("session %s: connection lost (%s)", session.id, type(exc).__name__)
    except asyncio.CancelledError:
        if not ended.is_set():
            raise
    finally:
        if ended.is_set() and why[0] == "token-revoked":  # let the error event out before the close frame
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(outgoing.drained(), timeout=1.0)
        for task in (sender, end_watch, running, revocation):
            task.cancel()
        await asyncio.gather(sender, end_watch, running, revocation, return_exceptions=True)
        if ws.client_state == WebSocketState.CONNECTED:
            code, reason = (POLICY_VIOLATION, why[0]) if ended.is_set() else (1000, "")
            # A client that does not read may never take the close frame either: do not wait for it.
            with contextlib.suppress(TimeoutError, RuntimeError):
                await asyncio.wait_for(ws.close(code=code, reason=reason), timeout=1.0)
        log.info("session %s closed", session.id)
