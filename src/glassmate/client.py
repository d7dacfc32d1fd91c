"""A headless pair of glasses: speaks to a glassmate server over the realtime protocol, with the official OpenAI
SDK's realtime client, and times each turn. Used by `glassmate demo` and bench/voice_latency.py."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassmate.audio import Audio

RATE = 24_000
CHUNK_MS = 40
REST_GRACE_S = 2.0  # see GlassesClient.turn


@dataclass
class TurnResult:
    transcript: str = ""
    route: str = ""
    answer: str = ""
    status: str = ""
    card: list[str] = field(default_factory=list)
    speech_end: float = 0.0  # when the last spoken sample was sent (client clock)
    speech_stopped: float | None = None  # when the server said the turn ended
    first_text: float | None = None
    first_audio: float | None = None
    card_at: float | None = None
    done: float | None = None
    audio_bytes: int = 0
    errors: list[str] = field(default_factory=list)
    cut_offs: int = 0  # turns the server ended while the speaker was still talking (a pause inside the sentence)
    rest_unheard: bool = False  # after a cut-off, the rest of the speech started no turn of its own
    started_early: bool = False  # the server started the answer before the turn had surely ended

    def ms(self, name: str, since: str = "speech_end") -> float | None:
        end, start = getattr(self, name), getattr(self, since)
        return None if end is None or start is None else round((end - start) * 1000, 1)


class GlassesClient:
    """One connection, one turn at a time."""

    def __init__(self, *, base_url: str, token: str) -> None:
        from openai import AsyncOpenAI

        ws = base_url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/v1"
        self._client = AsyncOpenAI(api_key=token, base_url=base_url.rstrip("/") + "/v1", websocket_base_url=ws)
        self._manager: Any = None
        self.conn: Any = None

    async def __aenter__(self) -> GlassesClient:
        self._manager = self._client.realtime.connect(model="glassmate")
        self.conn = await self._manager.__aenter__()
        first = await self.conn.recv()
        if first.type == "error":
            raise RuntimeError(f"the server refused the connection: {first.error.code}: {first.error.message}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._manager.__aexit__(*exc)
        await self._client.close()

    async def configure(self, **session: Any) -> None:
        await self.conn.session.update(session={"type": "realtime", **session})
        while (await self.conn.recv()).type != "session.updated":
            pass

    async def send_frame(self, jpeg: bytes) -> None:
        await self.conn.send({"type": "input_image.append", "image": base64.b64encode(jpeg).decode(),
                              "captured_at_ms": int(time.time() * 1000)})  # fmt: skip

    async def speak(
        self,
        speech: Audio,
        *,
        lead_s: float = 0.3,
        trail_s: float = 1.2,
        realtime: bool = True,
        chunk_ms: int = CHUNK_MS,
        said: asyncio.Event | None = None,
    ) -> float:
        """Stream speech (at real-time pace unless told otherwise), framed by silence, in `chunk_ms` pieces;
        returns when its last sample was sent (and sets `said` then, before the trailing silence)."""
        samples = speech.resampled(RATE).samples
        silence = lambda s: np.zeros(int(s * RATE), np.float32)  # noqa: E731
        step = RATE * chunk_ms // 1000
        start = time.monotonic()
        sent = 0
        speech_end = 0.0
        parts = [(silence(lead_s), False), (samples, True), (silence(trail_s), False)]
        for part, is_speech in parts:
            for i in range(0, len(part), step):
                pcm = (np.clip(part[i : i + step], -1, 1) * 32767).astype("<i2").tobytes()
                await self.conn.input_audio_buffer.append(audio=base64.b64encode(pcm).decode())
                sent += len(pcm) // 2
                if realtime:
                    await asyncio.sleep(max(0.0, start + sent / RATE - time.monotonic()))
            if is_speech:
                speech_end = time.monotonic()
                if said is not None:
                    said.set()
        return speech_end

    async def say_and_watch(
        self, speech: Audio, until: Callable[[Any], bool], *, limit_s: float = 60.0
    ) -> tuple[float, list[tuple[float, Any]]]:
        """Say something and collect the server's events, each with its arrival time, until `until(event)`.
        Returns when the last spoken sample was sent, and the events."""
        speaking = asyncio.create_task(self.speak(speech))
        seen: list[tuple[float, Any]] = []
        try:
            async with asyncio.timeout(limit_s):
                async for ev in self.conn:
                    seen.append((time.monotonic(), ev))
                    if until(ev):
                        break
        except TimeoutError:
            raise TimeoutError(f"nothing ended the watch within {limit_s} s; events seen: "
                               f"{[e.type for _, e in seen]}") from None  # fmt: skip
        finally:
            speech_end = await speaking
        return speech_end, seen

    async def turn(self, speech: Audio, *, limit_s: float = 60.0) -> TurnResult:
        """Say something and collect the answer's events until `response.done`. A turn the server ended while
        the speech was still being sent is a cut-off: it is counted, and the answer timed is the one to the
        turn that ended last (the rest of the sentence). When the rest is not heard as speech at all (a short
        word after the cut), the cut-off turn's answer is the result, REST_GRACE_S after the speech was sent."""
        result = TurnResult()
        said = asyncio.Event()
        speaking = asyncio.create_task(self.speak(speech, said=said))
        seen: list[str] = []
        mine: set[str] = set()  # responses created during this turn; a late `response.done` of an older one is not ours
        early: tuple[float, str, str] | None = None  # a response of ours that ended before the speech was all sent
        said_at: float | None = None
        deadline = time.monotonic() + limit_s
        try:
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError
                if said_at is None and said.is_set():
                    said_at = time.monotonic()
                if early is not None and said_at is not None and time.monotonic() - said_at > REST_GRACE_S:
                    result.done, result.status, result.route = early
                    result.rest_unheard = True
                    break
                try:  # websockets' recv may be cancelled without losing a message
                    ev = await asyncio.wait_for(self.conn.recv(), timeout=0.2)
                except TimeoutError:
                    continue
                now = time.monotonic()
                seen.append(ev.type)
                if ev.type == "input_audio_buffer.speech_started":
                    early = None
                elif ev.type == "input_audio_buffer.speech_stopped":
                    if not said.is_set():
                        result.cut_offs += 1
                    result.speech_stopped = now
                    result.first_text = result.first_audio = result.card_at = None
                    result.answer, mine = "", set()
                elif ev.type == "conversation.item.input_audio_transcription.completed":
                    result.transcript = ev.transcript
                    if not ev.transcript.strip() and said.is_set():  # nothing was heard: no answer will come
                        result.status = "no-speech"
                        break
                elif ev.type == "response.created":
                    mine.add(ev.response.id)
                elif ev.type == "response.output_audio_transcript.delta" or ev.type == "response.output_text.delta":
                    result.first_text = result.first_text or now
                    result.answer += ev.delta
                elif ev.type == "response.output_audio.delta":
                    result.first_audio = result.first_audio or now
                    result.audio_bytes += len(ev.delta) * 3 // 4
                elif ev.type == "hud.card":
                    result.card_at = result.card_at or now
                    result.card = (
                        list(getattr(ev, "card", {}).get("lines", []))
                        if isinstance(getattr(ev, "card", None), dict)
                        else []
                    )
                elif ev.type == "error":
                    result.errors.append(ev.error.code)
                elif ev.type == "response.done" and ev.response.id in mine:
                    route = (ev.response.metadata or {}).get("route", "")
                    if not said.is_set():
                        early = (now, ev.response.status, route)
                        continue
                    result.done, result.status, result.route = now, ev.response.status, route
                    result.started_early = (ev.response.metadata or {}).get("started_early") == "true"
                    break
        except TimeoutError:
            raise TimeoutError(f"no response.done within {limit_s} s; events seen: {seen}") from None
        finally:
            result.speech_end = await speaking
        return result
