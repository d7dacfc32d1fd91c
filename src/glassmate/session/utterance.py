"""One user utterance in a realtime session: its audio transcribed chunk by chunk while the wearer speaks (and,
while an activity listens, e.g. translation mode, each chunk handed to it as soon as it is heard), then the
transcription events."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import openai.types.realtime as rt

from glassmate.audio import Audio
from glassmate.events import caption
from glassmate.events import server_event as event
from glassmate.providers.asr.base import TranscribeOptions, speech_text
from glassmate.session.audio_input import RATE

if TYPE_CHECKING:
    from glassmate.session.realtime import RealtimeSession


class Heard(NamedTuple):
    """What one piece of an utterance was heard as."""

    text: str
    language: str | None


class Utterance:
    """One user utterance: its chunks are transcribed as they arrive, so at the end only the tail remains. While
    an activity listens (translation mode), each chunk (a clause: speech up to a short pause) is handed to it as
    soon as it is heard, so a translation keeps up with the speaker instead of waiting for the end of the turn."""

    def __init__(self, session: RealtimeSession, item_id: str, *, continues: Utterance | None = None) -> None:
        self.session = session
        self.item_id = item_id
        # The turn this one may go on with: it ended a moment ago ("What time | is it right now?"). If it does
        # (RealtimeSession.joins), its words come first in this transcript and this turn replaces it.
        self.continues = continues
        self.transcript: asyncio.Task[str] | None = None  # the whole transcript, once committed (finish())
        self.texts: list[asyncio.Task[Heard]] = []
        self.listened: list[asyncio.Task[None]] = []  # the listener's work on each clause, in order
        self._speculation: tuple[int, asyncio.Task[Heard], asyncio.Task[None] | None] | None = None
        # Whisper's language detection costs a whole extra encoder pass: transcribe in the wearer's language
        # unless the session asks for another one, or for detection with "auto".
        transcription = session.config.audio.input.transcription
        chosen = (transcription.language if transcription else None) or session.config.glassmate.language
        self.language: str | None = None if chosen == "auto" else chosen
        self.candidates: tuple[str, ...] = ()
        self.listener = session.skills.listener()
        if self.listener is not None:  # e.g. translation: which of the languages in play each utterance is in
            self.language, self.candidates = self.listener.transcription(self.language or "en")
        self.detected: str | None = self.language

    def _side(self) -> str:
        return self.listener.side(self.detected) if self.listener is not None else "me"

    def _start(self, audio: np.ndarray) -> tuple[asyncio.Task[Heard], asyncio.Task[None] | None]:
        previous = self.texts[-1] if self.texts else None
        heard = self.session.spawn(self._transcribe(audio, previous), name="asr-chunk")
        listened = None
        if self.listener is not None:
            before = self.listened[-1] if self.listened else None
            listened = self.session.spawn(self._listen(heard, before), name="listen-clause")
        return heard, listened

    def _keep(self, heard: asyncio.Task[Heard], listened: asyncio.Task[None] | None) -> None:
        self.texts.append(heard)
        if listened is not None:
            self.listened.append(listened)

    def add_chunk(self, audio: np.ndarray) -> None:
        if len(audio) < RATE // 10:
            return
        self._drop_speculation()
        self._keep(*self._start(audio))

    def speculate(self, audio: np.ndarray, at_ms: int) -> None:
        """Transcribe what was said up to a pause now, in case the turn ends there (it usually does)."""
        if len(audio) < RATE // 10:
            return
        self._drop_speculation()
        self._speculation = (at_ms, *self._start(audio))

    def end_at(self, tail: np.ndarray, at_ms: int) -> None:
        """The turn ended at `at_ms`: use the speculative transcript if it covers exactly that audio."""
        if self._speculation is not None and self._speculation[0] == at_ms:
            _, heard, listened = self._speculation
            self._speculation = None
            self._keep(heard, listened)
            return
        self.add_chunk(tail)

    async def heard_until(self, at_ms: int) -> tuple[str, str | None]:
        """What was heard up to the pause at `at_ms` (its speculative transcript included) and in which language;
        waits for the transcriptions in flight."""
        tasks = list(self.texts)
        if self._speculation is not None and self._speculation[0] == at_ms:
            tasks.append(self._speculation[1])
        parts = await asyncio.gather(*tasks, return_exceptions=True)
        words = [await self._words_before(), *(p.text for p in parts if isinstance(p, Heard))]
        return " ".join(w for w in words if w), self.detected

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            for task in self._speculation[1:]:
                if task is not None:
                    task.cancel()
            self._speculation = None

    def _heard_so_far(self) -> list[str]:
        heard = [t.result().text for t in self.texts if t.done() and not t.cancelled() and t.result()]
        return [w for w in (self._continued(), *heard) if w]

    def _continued(self) -> str:
        """The words of the turn this one goes on with, once known ("" before, or if it failed)."""
        task = self.continues.transcript if self.continues is not None else None
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return ""
        return task.result() or ""

    async def _words_before(self) -> str:
        task = self.continues.transcript if self.continues is not None else None
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        return self._continued()

    async def _transcribe(self, audio: np.ndarray, previous: asyncio.Task[Heard] | None) -> Heard:
        # Whisper is prompted with what was said just before: the previous chunk, or the turn this one continues.
        before = (await previous).text if previous is not None else await self._words_before()
        result = await self.session.models.asr.transcribe(
            Audio(audio, RATE),
            TranscribeOptions(
                language=self.language, prompt=before or None, candidates=self.candidates, fallback=False
            ),
        )
        text = speech_text(result)
        self.detected = result.language or self.detected
        if text:
            so_far = " ".join([*self._heard_so_far(), text])
            await self.session.send(caption(so_far, final=False, item_id=self.item_id, side=self._side()))
        return Heard(text, result.language or self.detected)

    async def _listen(self, heard: asyncio.Task[Heard], before: asyncio.Task[None] | None) -> None:
        clause = await heard
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)  # clauses are handled in the order spoken
        if clause is None or self.listener is None:  # its transcription failed and was reported
            return
        await self.listener.clause(clause.text, clause.language, self.item_id)

    async def finish(self) -> str:
        """The whole transcript; emits the transcription events and completes the user item."""
        parts = [await t for t in self.texts]
        # The listener has had every clause before the turn is routed (translation's final caption needs them all).
        await asyncio.gather(*self.listened, return_exceptions=True)
        transcript = " ".join(p.text for p in parts if p and p.text).strip()
        before = await self._words_before()
        if before and self.continues is not None and await self.session.joins(self.continues, transcript):
            transcript = f"{before} {transcript}".strip()
        else:
            self.continues = None
        send = self.session.send
        if transcript:
            await send(
                event(
                    rt.ConversationItemInputAudioTranscriptionDeltaEvent,
                    item_id=self.item_id,
                    content_index=0,
                    delta=transcript,
                )
            )
        await send(
            event(
                rt.ConversationItemInputAudioTranscriptionCompletedEvent,
                item_id=self.item_id,
                content_index=0,
                transcript=transcript,
                usage={"type": "duration", "seconds": 0},
            )
        )
        await send(event(rt.ConversationItemDone, item=user_item(self.item_id, transcript, audio=True)))
        await send(caption(transcript, final=True, item_id=self.item_id, side=self._side(), language=self.detected))
        return transcript


def user_item(item_id: str, text: str | None, *, audio: bool) -> dict[str, Any]:
    part: dict[str, Any] = (
        {"type": "input_audio", "transcript": text} if audio else {"type": "input_text", "text": text}
    )
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [part],
    }
