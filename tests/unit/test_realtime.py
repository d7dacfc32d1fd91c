"""The realtime protocol, driven by the official OpenAI SDK's realtime client against a real server with fake
models (the same flow with the real models is in tests/integration/test_realtime_models.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import websockets
from openai import AsyncOpenAI

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.testing import FakeASR, ScriptedLLM, fake_models, silence, tone
from glassmate.testing.hostile import png_header
from glassmate.testing.server import serve_in_thread


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    settings = Settings(home=tmp_path)
    marker = request.node.get_closest_marker("fakes")
    fakes = marker.kwargs if marker else {}
    models = fake_models(settings, **fakes)
    app = create_app(settings, models=models)
    _, token = app.state.services.devices.add("test-glasses")
    with serve_in_thread(app) as base:
        yield {"base": base, "token": token, "models": models, "app": app}


def sdk(server: dict[str, Any], token: str | None = None) -> AsyncOpenAI:
    base = server["base"]
    return AsyncOpenAI(
        api_key=token or server["token"], base_url=f"{base}/v1", websocket_base_url=base.replace("http", "ws") + "/v1"
    )


def pcm24k(seconds_tone: float, seconds_silence: float = 1.0) -> bytes:
    audio = np.concatenate([silence(0.5, rate=24_000).samples, tone(seconds_tone, rate=24_000).samples,
                            silence(seconds_silence, rate=24_000).samples])  # fmt: skip
    return (audio * 32767).astype("<i2").tobytes()


async def stream_audio(conn: Any, pcm: bytes, chunk_ms: int = 100) -> None:
    step = 24_000 * 2 * chunk_ms // 1000
    for i in range(0, len(pcm), step):
        await conn.input_audio_buffer.append(audio=base64.b64encode(pcm[i : i + step]).decode())


async def events_until(conn: Any, last: str, limit_s: float = 20) -> list[Any]:
    seen = []
    async with asyncio.timeout(limit_s):
        async for ev in conn:
            seen.append(ev)
            if ev.type == last:
                return seen
    raise AssertionError(f"connection ended before {last}")


@pytest.mark.fakes(asr=FakeASR(["What time is it?"]))
async def test_spoken_question_gets_transcript_answer_and_audio(server: dict[str, Any]) -> None:
    async with sdk(server).realtime.connect(model="glassmate") as conn:
        created = await conn.recv()
        assert created.type == "session.created"
        assert created.session.audio.input.format.rate == 24_000
        await stream_audio(conn, pcm24k(1.0))
        events = await events_until(conn, "response.done")
    types = [e.type for e in events]
    for expected in (
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.completed",
        "response.created",
        "response.output_item.added",
        "response.output_audio_transcript.delta",
        "response.output_audio.delta",
        "response.output_audio.done",
        "response.done",
    ):
        assert expected in types, expected
    assert types.index("input_audio_buffer.speech_started") < types.index("input_audio_buffer.speech_stopped")
    completed = next(e for e in events if e.type == "conversation.item.input_audio_transcription.completed")
    assert completed.transcript == "What time is it?"
    done = events[-1]
    assert done.response.status == "completed"
    assert done.response.metadata["route"] == "time"
    transcript = "".join(e.delta for e in events if e.type == "response.output_audio_transcript.delta")
    assert transcript.startswith("It's ")
    audio = b"".join(base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta")
    assert len(audio) > 24_000 * 2 * 0.05  # at least 50 ms of 24 kHz speech


@pytest.mark.fakes(asr=FakeASR(["What time is it?"]))
async def test_glasses_may_send_16khz_audio(server: dict[str, Any]) -> None:
    async with sdk(server).realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.session.update(
            session={"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}}  # type: ignore[typeddict-item]
        )
        updated = await conn.recv()
        assert updated.type == "session.updated" and updated.session.audio.input.format.rate == 16_000
        audio = np.concatenate([silence(0.5).samples, tone(1.0).samples, silence(1.0).samples])
        pcm = (audio * 32767).astype("<i2").tobytes()
        for i in range(0, len(pcm), 3200):
            await conn.input_audio_buffer.append(audio=base64.b64encode(pcm[i : i + 3200]).decode())
        events = await events_until(conn, "response.done")
    stopped = next(e for e in events if e.type == "input_audio_buffer.speech_stopped")
    assert 1400 <= stopped.audio_end_ms <= 1700  # positions are in ms of input audio, whatever its rate
    assert events[-1].response.metadata["route"] == "time"


@pytest.mark.fakes(llm=ScriptedLLM(["Paris is the capital of France."]))
async def test_text_item_and_response_create_reach_the_llm(server: dict[str, Any]) -> None:
    async with sdk(server).realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Capital of France?"}]}
        )
        await conn.response.create()
        events = await events_until(conn, "response.done")
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Paris is the capital of France."
    assert events[-1].response.metadata["route"] == "ask"
    assert not any(e.type == "response.output_audio.delta" for e in events)


@pytest.mark.fakes(asr=FakeASR(["Tell me a long story."]), llm=ScriptedLLM(["word " * 200], delay_s=0.02))
async def test_speech_during_a_response_cancels_it(server: dict[str, Any]) -> None:
    async with sdk(server).realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await stream_audio(conn, pcm24k(1.0))
        await events_until(conn, "response.output_audio_transcript.delta")
        await stream_audio(conn, pcm24k(0.6, 1.0))  # the wearer starts talking again
        events = await events_until(conn, "response.done")
        cancelled = events[-1].response
        later = await events_until(conn, "response.done")  # the answer to the interruption
    assert cancelled.status == "cancelled"
    assert cancelled.status_details.reason == "turn_detected"
    # That audio still queued for the cancelled answer is dropped is tested on the outbox itself (below): here the
    # queue is first in, first out, so stale audio would arrive before this response.done, never after it.
    assert not [e for e in later if e.type == "response.output_audio.delta" and e.response_id == cancelled.id]


async def test_wrong_token_is_refused_with_an_error_event(server: dict[str, Any]) -> None:
    url = server["base"].replace("http", "ws") + "/v1/realtime?token=gm_not-a-real-token"
    async with websockets.connect(url) as ws:
        event = json.loads(await ws.recv())
        assert event["type"] == "error" and event["error"]["code"] == "unauthorized"
        with pytest.raises(websockets.ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd.code == 1008


async def test_bad_events_get_errors_and_the_session_survives(server: dict[str, Any]) -> None:
    url = server["base"].replace("http", "ws") + f"/v1/realtime?token={server['token']}"
    async with websockets.connect(url, max_size=None) as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
        b64 = base64.b64encode

        def ev(**fields: Any) -> str:
            return json.dumps(fields)

        cases = [
            ("not json at all", "invalid-json"),
            (json.dumps([1, 2]), "invalid-event"),
            (ev(type="no.such.event"), "unknown-event"),
            (ev(type="input_audio_buffer.append", audio="%%% not base64"), "invalid-audio"),
            (ev(type="input_audio_buffer.append", audio=b64(b"abc").decode()), "invalid-audio"),
            (ev(type="input_audio_buffer.append"), "invalid-event"),
            (ev(type="session.update", session={"audio": {"input": {"format": {"rate": 8000}}}}), "invalid-session"),
            (ev(type="input_image.append", image=b64(b"not an image").decode()), "image-unreadable"),
            (ev(type="input_image.append", image=b64(b"\xff" * 10_000_000).decode()), "image-too-large"),
            (ev(type="input_audio_buffer.commit"), "input-audio-buffer-commit-empty"),
            (ev(type="response.cancel"), "response-cancel-not-active"),
            (ev(type="response.create"), "no-input"),
            (ev(type="device.state", battery={"level": 7}), "invalid-event"),
            ("[" * 100_000 + "]" * 100_000, "invalid-json"),  # nested too deep for the parser
            (ev(type="x" * 1_000_000), "unknown-event"),  # a huge type is not echoed back
            (ev(type="input_image.append", image=b64(png_header(50_000, 50_000)).decode()), "image-too-large"),
            (ev(type="input_image.append", image=b64(_png(1, 400)).decode()), "image-unreadable"),  # a 1-pixel strip
        ]
        for message, code in cases:
            await ws.send(message)
            raw = await ws.recv()
            reply = json.loads(raw)
            assert reply["type"] == "error", message[:60]
            assert reply["error"]["code"] == code, (message[:60], reply)
            assert len(raw) < 2_000  # never an echo of what was sent
        # A lone surrogate in the wearer's typed words is echoed as an escape; the session keeps answering.
        await ws.send('{"type": "conversation.item.create", "item": {"type": "message", "role": "user", '
                      '"content": [{"type": "input_text", "text": "hi \\ud800 there"}]}}')  # fmt: skip
        added = await ws.recv()
        assert json.loads(added)["type"] == "conversation.item.added" and "\\ud800" in added
        assert json.loads(await ws.recv())["type"] == "conversation.item.done"
        await ws.send(json.dumps({"type": "session.update", "session": {"instructions": "hi"}}))
        assert json.loads(await ws.recv())["type"] == "session.updated"


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height)).save(buf, format="PNG")
    return buf.getvalue()


async def test_an_oversized_message_closes_only_that_connection(server: dict[str, Any]) -> None:
    url = server["base"].replace("http", "ws") + f"/v1/realtime?token={server['token']}"
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()
        await ws.send("x" * 17_000_000)
        with pytest.raises(websockets.ConnectionClosed) as info:
            await ws.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    async with sdk(server).realtime.connect(model="glassmate") as conn:
        assert (await conn.recv()).type == "session.created"


async def test_an_event_flood_is_rate_limited(server: dict[str, Any]) -> None:
    url = server["base"].replace("http", "ws") + f"/v1/realtime?token={server['token']}"
    async with websockets.connect(url) as ws:
        await ws.recv()
        for _ in range(1500):
            await ws.send(json.dumps({"type": "device.state", "network": "wifi"}))
        codes = []
        async with asyncio.timeout(5):
            while "rate-limited" not in codes:
                codes.append(json.loads(await ws.recv()).get("error", {}).get("code"))
        await ws.send(json.dumps({"type": "session.update", "session": {}}))  # still alive afterwards


@pytest.mark.fakes(asr=FakeASR(["What time is it?"]))
async def test_a_dropped_connection_mid_turn_frees_the_session(server: dict[str, Any]) -> None:
    url = server["base"].replace("http", "ws") + f"/v1/realtime?token={server['token']}"
    async with websockets.connect(url) as ws:
        await ws.recv()
        pcm = pcm24k(1.0)
        await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}))
        # leave without reading the answer
    await asyncio.sleep(0.5)
    leftovers = [t for t in asyncio.all_tasks() if (t.get_name() or "").startswith("sess_")]
    assert leftovers == []
    async with sdk(server).realtime.connect(model="glassmate") as conn:  # the server still serves
        assert (await conn.recv()).type == "session.created"


def _raw_websocket(base: str, token: str) -> socket.socket:
    """A WebSocket client that reads nothing after the handshake, with a tiny receive buffer."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /v1/realtime?token={token} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert b"101" in sock.recv(1024).split(b"\r\n")[0]
    return sock


def _send_text(sock: socket.socket, text: str) -> None:
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    elif len(payload) < 65536:
        header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    else:
        header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(header + mask + masked)


@pytest.mark.fakes(asr=FakeASR(["Tell me everything."]), llm=ScriptedLLM(["Here it comes. " * 4000]))
async def test_a_client_that_never_reads_is_dropped_and_others_are_served(
    server: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import glassmate.api.realtime as realtime_api

    monkeypatch.setattr(realtime_api, "SLOW_CLIENT_S", 1.0)
    monkeypatch.setattr(realtime_api, "OUTGOING_QUEUE", 8)
    sock = await asyncio.to_thread(_raw_websocket, server["base"], server["token"])
    try:
        audio = base64.b64encode(pcm24k(1.0)).decode()
        await asyncio.to_thread(_send_text, sock, json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
        # It never reads. The server must notice, end that session, and keep serving other glasses.
        async with asyncio.timeout(30):
            while "does not read its events" not in caplog.text:  # noqa: ASYNC110 - polling the log is the point
                await asyncio.sleep(0.2)
        async with sdk(server).realtime.connect(model="glassmate") as other:
            assert (await other.recv()).type == "session.created"
        await asyncio.sleep(0.5)
        assert not [t for t in asyncio.all_tasks() if (t.get_name() or "").startswith("sess_")]
    finally:
        sock.close()


async def test_the_outbox_drops_a_cancelled_responses_queued_audio() -> None:
    """What barge-in relies on: audio of a cancelled response still waiting to be sent is dropped; its other events
    and other responses' audio are kept, in order."""
    from glassmate.api.realtime import Outbox

    box = Outbox(maxsize=16)
    for event in [{"type": "response.output_audio.delta", "response_id": "old", "delta": "a"},
                  {"type": "response.output_audio_transcript.delta", "response_id": "old", "delta": "t"},
                  {"type": "response.output_audio.delta", "response_id": "new", "delta": "b"},
                  {"type": "response.output_audio.delta", "response_id": "old", "delta": "c"},
                  {"type": "response.done", "response": {"id": "old"}}]:  # fmt: skip
        await box.put(event, limit_s=1)
    box.drop_audio("old")
    kept = [await box.get() for _ in range(3)]
    assert [(e["type"], e.get("response_id")) for e in kept] == [
        ("response.output_audio_transcript.delta", "old"),
        ("response.output_audio.delta", "new"),
        ("response.done", None),
    ]


async def test_revoking_a_device_ends_its_open_session(server: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The security probe's finding: a revoked device kept paying through the session it already had open."""
    import glassmate.api.realtime as realtime_api

    monkeypatch.setattr(realtime_api, "REVOCATION_CHECK_S", 0.2)
    url = server["base"].replace("http", "ws") + f"/v1/realtime?token={server['token']}"
    async with websockets.connect(url) as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
        await asyncio.to_thread(server["app"].state.services.devices.revoke, "test-glasses")
        async with asyncio.timeout(5):
            told = json.loads(await ws.recv())
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
    assert told["type"] == "error" and told["error"]["code"] == "token-revoked"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_the_outbox_is_bounded_by_bytes_as_well_as_by_count() -> None:
    from glassmate.api.realtime import Outbox

    box = Outbox(maxsize=512, max_bytes=10_000)
    await box.put({"type": "response.output_audio.delta", "delta": "a" * 6_000}, limit_s=1)
    with pytest.raises(TimeoutError):  # 12 KB would be queued: the sender must wait for the reader
        await box.put({"type": "response.output_audio.delta", "delta": "b" * 6_000}, limit_s=0.2)
    await box.get()
    await box.put({"type": "response.output_audio.delta", "delta": "b" * 6_000}, limit_s=1)  # room again
    big = Outbox(maxsize=512, max_bytes=10_000)
    await big.put({"type": "x", "delta": "c" * 50_000}, limit_s=1)  # one oversized event still goes out alone


async def test_another_sites_page_cannot_open_a_session_and_a_device_has_few(server: dict[str, Any]) -> None:
    """The security probe's finding 12: no Origin check on the WebSocket, no limit on sessions per device."""
    url = server["base"].replace("http", "ws") + f"/v1/realtime?token={server['token']}"
    async with websockets.connect(url, origin="https://evil.example") as ws:  # type: ignore[arg-type]
        refused = json.loads(await ws.recv())
    assert refused["error"]["code"] == "origin-not-allowed"
    async with websockets.connect(url, origin=server["base"]) as ws:  # type: ignore[arg-type]  # its own page
        assert json.loads(await ws.recv())["type"] == "session.created"
    opened = [await websockets.connect(url) for _ in range(4)]
    try:
        for ws in opened:
            assert json.loads(await ws.recv())["type"] == "session.created"
        async with websockets.connect(url) as fifth:
            assert json.loads(await fifth.recv())["error"]["code"] == "too-many-sessions"
    finally:
        for ws in opened:
            await ws.close()
    await asyncio.sleep(0.3)
    async with websockets.connect(url) as again:  # closed sessions give their places back
        assert json.loads(await again.recv())["type"] == "session.created"
