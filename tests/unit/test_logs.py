"""The log of a whole session holds no secret: a browser's session (its token in the WebSocket URL, as browsers must
send it), a memory, a payment QR in view paid with a PIN, and REST calls with an API key and the device token
(chat, memories, export). Every record the server wrote at DEBUG is read, the web server's access log included;
the test's own clients' lines are left out."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from openai import AsyncOpenAI

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.logs import redact, without_ids
from glassmate.providers.codes.zxing import ZXingScanner
from glassmate.testing import FakeASR, fake_models
from glassmate.testing.server import serve_in_thread
from tests.unit.test_pay_flow import CAFE, frame_event
from tests.unit.test_session_flows import pcm, utterance

CLIENT_LOGGERS = ("websockets.client", "openai", "httpx", "httpcore")


async def _events_until(ws: Any, kind: str, limit_s: float = 10) -> list[dict[str, Any]]:
    seen = []
    async with asyncio.timeout(limit_s):
        while True:
            ev = json.loads(await ws.recv())
            seen.append(ev)
            if ev["type"] == kind:
                return seen


async def _speak(ws: Any) -> list[dict[str, Any]]:
    audio = utterance()
    for i in range(0, len(audio), 2400):
        await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": pcm(audio[i : i + 2400])}))
    return await _events_until(ws, "response.done")


def test_the_log_of_a_full_session_holds_no_secret(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings(home=tmp_path, payments={"confirm_with": "pin"})
    transcripts = ["Remember that the door code is 4711.", "Confirm."]
    app = create_app(settings, models=fake_models(settings, asr=FakeASR(transcripts), codes=ZXingScanner()))
    services = app.state.services
    _, device_token = services.devices.add("glasses")
    _, api_key = services.api_keys.add("phone")
    services.payments.fund("device:glasses", 10_000, "EUR")
    services.pins.set("device:glasses", "2468")
    # The web server's loggers do not propagate to the root: listen to them directly, at INFO (its access lines and
    # the WebSocket's "[accepted]" line, which carries the URL).
    server_loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn")]
    with serve_in_thread(app) as base:
        for logger in (*server_loggers, logging.getLogger("uvicorn.error")):
            logger.setLevel(logging.INFO)
        for logger in server_loggers:
            logger.addHandler(caplog.handler)
        try:
            asyncio.run(_session(base, device_token, api_key))
        finally:
            for logger in server_loggers:
                logger.removeHandler(caplog.handler)
    records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    text = without_ids("\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records))
    assert "WebSocket /v1/realtime?" in text and "token=[redacted]" in text  # the access log was read
    assert "settled by voice+pin" in text  # and the payment's lines
    for secret in (device_token, api_key, "2468", CAFE, CAFE[10:50], "4711", base64.b64encode(b"2468").decode()):
        assert secret not in text, secret


async def _session(base: str, device_token: str, api_key: str) -> None:
    url = base.replace("http", "ws") + f"/v1/realtime?model=glassmate&token={device_token}"
    async with websockets.connect(url, max_size=None) as ws:
        await _events_until(ws, "session.created")
        await ws.send(json.dumps({"type": "device.state", "gps": {"lat": 52.52, "lon": 13.40}}))
        kept = await _speak(ws)
        assert any(e["type"] == "response.done" for e in kept)
        await ws.send(json.dumps(frame_event(CAFE)))
        await _events_until(ws, "response.done")  # the payment is offered
        asked = await _speak(ws)  # "Confirm."
        assert "PIN" in "".join(e.get("delta", "") for e in asked)
        await ws.send(json.dumps({"type": "payment.confirm", "pin": "2468"}))
        await _events_until(ws, "payment.updated")
    client = AsyncOpenAI(api_key=api_key, base_url=f"{base}/v1")
    await client.chat.completions.create(model="glassmate", messages=[{"role": "user", "content": "Hello"}])
    async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {device_token}"}) as http:
        assert (await http.get("/v1/memories")).status_code == 200
        assert (await http.get("/v1/export")).status_code == 200
        assert (await http.get("/v1/memories/mem_nope")).status_code == 404


def test_redaction_masks_tokens_keys_and_bearer_headers() -> None:
    line = "GET /v1/realtime?token=gm_abcdefghijklmnopqrstu HTTP/1.1 Authorization: Bearer sk-gm-0123456789abcdefXYZ"
    assert redact(line) == "GET /v1/realtime?token=[redacted] HTTP/1.1 Authorization: Bearer [redacted]"
    assert redact("device gm_abcdefghijklmnopqrstuvwx was revoked") == "device [redacted] was revoked"
    assert redact("nothing secret here: 4 tokens/s") == "nothing secret here: 4 tokens/s"
