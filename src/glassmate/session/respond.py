"""One response: a route's outputs streamed as transcript deltas, spoken sentence by sentence, shown on the HUD.

Text generation and speech run as two tasks joined by a queue, so the first sentence is spoken while the rest is
still being generated. Cancelling the response (barge-in, "stop", response.cancel) cancels both at once.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import textwrap
import time
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import openai.types.realtime as rt
from pydantic import BaseModel

from glassmate.audio import pcm16_to_audio
from glassmate.errors import GlassmateError
from glassmate.events import HudCardEvent, new_id, server_event
from glassmate.providers.tts.base import TTS
from glassmate.skills.base import Card, SkillPolicy
from glassmate.skills.routing import Route
from glassmate.skills.tools import ToolContext

log = logging.getLogger("glassmate.session")
Send = Callable[[dict[str, Any]], Awaitable[None]]
AUDIO_CHUNK_MS = 100
# Where the answer's text may be cut for the voice: after sentence punctuation followed by a space (or at the end,
# unless it follows a digit: "3." may become "3.50"), after Chinese punctuation, at a line break; and clauses.
_SENTENCE_END = re.compile(r"[.!?;:](?=\s)|(?<!\d)[.!?;:]$|[。！？；：]|\n")
_CLAUSE_END = re.compile(r",(?=\s)|(?<!\d),$|[，、]")
_CJK = re.compile(r"[\u3400-\u9fff]")
FIRST_CLAUSE_WORDS = 3  # the answer's first clause is spoken at its comma once it has this many words
FIRST_WORDS = 8  # ... or at this many words, comma or not


def _words(text: str) -> int:
    """Spoken length in words; two Chinese characters count as one."""
    return len(re.findall(r"[^\W\d_]+|\d+", _CJK.sub(" ", text))) + len(_CJK.findall(text)) // 2


def _last_end(pattern: re.Pattern[str], text: str) -> int:
    return max((m.end() for m in pattern.finditer(text)), default=0)


def speakable(pending: str, *, first: bool) -> tuple[str, str]:
    """What of the answer's text so far goes to the voice now, and what waits for more: whole sentences, or a
    clause of 40 characters. The answer's first words go sooner, so the wearer hears it start while the LLM
    writes the rest: its first clause at its comma, or its first 8 words (a last, maybe unfinished, word waits)."""
    cut = _last_end(_SENTENCE_END, pending)
    if cut and len(pending[:cut].strip()) > 1:
        return pending[:cut].strip(), pending[cut:]
    cut = _last_end(_CLAUSE_END, pending)
    if cut and (cut >= 40 or (first and _words(pending[:cut]) >= FIRST_CLAUSE_WORDS)):
        return pending[:cut].strip(), pending[cut:]
    if first:
        head, _, tail = pending.rpartition(" ") if not pending[-1:].isspace() else (pending, "", "")
        if _words(head) >= FIRST_WORDS:
            return head.strip(), tail
    return "", pending


@dataclass
class ResponseResult:
    id: str
    route: str
    text: str = ""
    status: str = "in_progress"
    reason: str | None = None
    first_text_at: float | None = None
    first_audio_at: float | None = None
    started_at: float = field(default_factory=time.monotonic)


class ResponseRun:
    """Runs one route for one turn and emits the Realtime events of its response."""

    def __init__(
        self,
        *,
        route: Route,
        ctx: ToolContext,
        policy_of: Callable[[str], SkillPolicy],
        tts: TTS,
        send: Send,
        modalities: list[str],
        output_rate: int,
        speech_language: str,
        voice: str | None = None,
        started_early: bool = False,
    ) -> None:
        self.route = route
        self.started_early = started_early  # before the turn had surely ended (session/speculation.py)
        self.ctx = ctx
        self.policy_of = policy_of
        self.card_shown = False
        self.tts = tts
        self.send = send
        self.modalities = modalities
        self.output_rate = output_rate
        self.speech_language = speech_language
        self.voice = voice
        self.result = ResponseResult(id=new_id("resp"), route=route.skill)
        self.item_id = new_id("item")

    @property
    def audio(self) -> bool:
        return "audio" in self.modalities

    def _response(self, status: str, output: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        r: dict[str, Any] = {
            "id": self.result.id,
            "object": "realtime.response",
            "status": status,
            "output_modalities": self.modalities,
            "output": output or [],
            # Which route served the turn; official clients ignore metadata they do not know.
            "metadata": {
                "route": self.result.route,
                "matched_by": self.route.matched_by,
                "skills": ",".join(self.ctx.trace.skills or [self.result.route]),
            },
        }
        if self.started_early:
            r["metadata"]["started_early"] = "true"
        if status == "cancelled":
            r["status_details"] = {"type": "cancelled", "reason": self.result.reason or "client_cancelled"}
        if status == "failed":
            r["status_details"] = {"type": "failed", "error": {"type": "server_error", "code": self.result.reason}}
        if self.result.first_audio_at is not None:
            r["metadata"]["first_audio_ms"] = str(round((self.result.first_audio_at - self.result.started_at) * 1000))
        return r

    def _item(self, status: str) -> dict[str, Any]:
        kind = "output_audio" if self.audio else "output_text"
        part = (
            {"type": kind, "transcript": self.result.text} if self.audio else {"type": kind, "text": self.result.text}
        )
        return {
            "id": self.item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": status,
            "content": [part],
        }

    def _where(self) -> dict[str, Any]:
        return {"response_id": self.result.id, "item_id": self.item_id, "output_index": 0, "content_index": 0}

    async def run(self) -> ResponseResult:
        """Emit the whole response; on cancellation, emit `response.done` with status cancelled and re-raise."""
        await self.send(server_event(rt.ResponseCreatedEvent, response=self._response("in_progress")))
        await self.send(
            server_event(
                rt.ResponseOutputItemAddedEvent,
                response_id=self.result.id,
                output_index=0,
                item=self._item("in_progress"),
            )
        )
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        failure: BaseException | None = None
        try:
            try:
                async with asyncio.TaskGroup() as tg:
                    if self.audio:
                        tg.create_task(self._speak(sentences))
                    await self._generate(sentences)
            except* Exception as group:  # the skill or the TTS failed: the response fails, the session goes on
                failure = group.exceptions[0]
        except asyncio.CancelledError:
            self.result.status = "cancelled"
            await asyncio.shield(self._finish("cancelled"))
            raise
        if failure is not None:
            if not isinstance(failure, GlassmateError):
                log.error("response %s failed", self.result.id, exc_info=failure)
            self.result.status = "failed"
            self.result.reason = failure.code if isinstance(failure, GlassmateError) else "internal-error"
            await self._finish("failed")
            raise failure
        self.result.status = "completed"
        await self._finish("completed")
        return self.result

    async def _generate(self, sentences: asyncio.Queue[str | None]) -> None:
        pending, spoken = "", False
        delta_model: type[BaseModel] = rt.ResponseAudioTranscriptDeltaEvent if self.audio else rt.ResponseTextDeltaEvent
        try:
            async with aclosing(self.route.run(self.ctx)) as outputs:
                async for delta in outputs:
                    if isinstance(delta, Card):
                        self.card_shown = True
                        await self.send(self._hud_card(delta))
                        continue
                    if not delta:
                        continue
                    if self.result.first_text_at is None:
                        self.result.first_text_at = time.monotonic()
                    self.result.text += delta
                    await self.send(server_event(delta_model, delta=delta, **self._where()))
                    speak, pending = speakable(pending + delta, first=not spoken)
                    if speak:
                        await sentences.put(speak)
                        spoken = True
        finally:
            if pending.strip():
                sentences.put_nowait(pending.strip())
            sentences.put_nowait(None)
        self.result.text = self.result.text.strip()
        self.result.route = self.answered_by()
        if self.result.text and not self.card_shown and self.policy_of(self.result.route).summary_card:
            await self.send(self._hud_card())

    def answered_by(self) -> str:
        """The skill that answered: the route's, or, when the agent called a tool, that tool's skill."""
        if self.route.matched_by == "agent" and self.ctx.trace.skills:
            return self.ctx.trace.skills[-1]
        return self.route.skill

    async def _speak(self, sentences: asyncio.Queue[str | None]) -> None:
        chunk_samples = self.output_rate * AUDIO_CHUNK_MS // 1000
        while (sentence := await sentences.get()) is not None:
            async with aclosing(self.tts.stream(sentence, language=self.speech_language, voice=self.voice)) as speech:
                async for piece in speech:
                    audio = pcm16_to_audio(piece.pcm16, piece.sample_rate).resampled(self.output_rate)
                    pcm = audio.to_pcm16()
                    for start in range(0, len(pcm), chunk_samples * 2):
                        if self.result.first_audio_at is None:
                            self.result.first_audio_at = time.monotonic()
                        delta = base64.b64encode(pcm[start : start + chunk_samples * 2]).decode()
                        await self.send(
                            server_event(
                                rt.ResponseAudioDeltaEvent,
                                delta=delta,
                                **self._where(),
                            )
                        )

    def _hud_card(self, own: Card | None = None) -> dict[str, Any]:
        """The tool's own card (a product, its price here and the best offer), or a summary of the answer."""
        if own is None:
            title = self.ctx.turn.text[:40] or self.result.route
            own = Card(
                title, textwrap.wrap(self.result.text, width=32)[:6], icon=self.policy_of(self.result.route).icon
            )
        return server_event(HudCardEvent, card=own.as_dict(default_id=self.result.id), response_id=self.result.id)

    async def _finish(self, status: str) -> None:
        item_status = "completed" if status == "completed" else "incomplete"
        if self.audio:
            await self.send(server_event(rt.ResponseAudioDoneEvent, **self._where()))
            await self.send(
                server_event(
                    rt.ResponseAudioTranscriptDoneEvent,
                    transcript=self.result.text,
                    **self._where(),
                )
            )
        else:
            await self.send(server_event(rt.ResponseTextDoneEvent, text=self.result.text, **self._where()))
        item = self._item(item_status)
        await self.send(
            server_event(
                rt.ResponseOutputItemDoneEvent,
                response_id=self.result.id,
                output_index=0,
                item=item,
            )
        )
        await self.send(server_event(rt.ConversationItemDone, item=item))
        await self.send(server_event(rt.ResponseDoneEvent, response=self._response(status, [item])))
