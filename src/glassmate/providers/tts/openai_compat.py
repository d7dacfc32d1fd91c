"""TTS behind an OpenAI-compatible `/v1/audio/speech` endpoint (24 kHz PCM16)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from glassmate.config import RemoteSettings
from glassmate.providers.openai_client import make_client
from glassmate.providers.tts.base import TTS, SpeechChunk
from glassmate.text import split_sentences

_PCM_RATE = 24_000  # OpenAI's "pcm" response format


class OpenAICompatTTS(TTS):
    name = "openai-compatible-tts"

    def __init__(self, *, settings: RemoteSettings, voice: str) -> None:
        super().__init__()
        self.settings = settings
        self.voice = voice
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    async def _stream_impl(self, text: str, language: str, voice: str | None) -> AsyncGenerator[SpeechChunk, None]:
        for sentence in split_sentences(text):
            async with self.client.audio.speech.with_streaming_response.create(
                model=self.settings.model, voice=voice or self.voice, input=sentence, response_format="pcm"
            ) as response:
                pcm = await response.read()
            yield SpeechChunk(pcm[: len(pcm) - len(pcm) % 2], _PCM_RATE, sentence)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
