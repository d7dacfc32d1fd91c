"""The speech synthesis interface: text in, PCM16 out, one chunk per sentence so playback starts early."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass

from glassmate.errors import EmptyTextError
from glassmate.providers.base import Provider


@dataclass(frozen=True)
class SpeechChunk:
    pcm16: bytes  # mono, little-endian
    sample_rate: int
    text: str  # the sentence this chunk speaks

    @property
    def duration_s(self) -> float:
        return len(self.pcm16) / 2 / self.sample_rate


class TTS(Provider):
    """Text to speech. Backends write `_stream_impl`."""

    max_chars: int = 5_000

    async def stream(
        self, text: str, *, language: str = "en", voice: str | None = None
    ) -> AsyncGenerator[SpeechChunk, None]:
        """Speech for `text`, sentence by sentence."""
        text = text.strip()
        if not text:
            raise EmptyTextError("there is no text to speak")
        if len(text) > self.max_chars:
            raise EmptyTextError(
                f"the text is {len(text)} characters; the limit is {self.max_chars}", code="text-too-long"
            )
        with self._measure("stream") as metrics:
            start = time.perf_counter()
            audio_s = 0.0
            async with aclosing(self._stream_impl(text, language.lower(), voice)) as chunks:
                async for chunk in chunks:
                    if metrics.first_s is None:
                        metrics.first_s = time.perf_counter() - start
                    audio_s += chunk.duration_s
                    yield chunk
            metrics.extra["audio_s"] = round(audio_s, 2)

    async def synthesize(self, text: str, *, language: str = "en", voice: str | None = None) -> SpeechChunk:
        """All of the speech for `text` in one chunk."""
        parts = [c async for c in self.stream(text, language=language, voice=voice)]
        rate = parts[0].sample_rate if parts else 22_050
        return SpeechChunk(b"".join(p.pcm16 for p in parts), rate, text)

    def _stream_impl(self, text: str, language: str, voice: str | None) -> AsyncGenerator[SpeechChunk, None]:
        raise NotImplementedError
