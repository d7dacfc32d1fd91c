"""The embedded neural voice: Piper (ONNX) with the bundled en_US joe voice."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

from glassmate.audio import float_to_pcm16
from glassmate.errors import ModelLoadError
from glassmate.providers.tts.base import TTS, SpeechChunk
from glassmate.text import split_sentences


class PiperTTS(TTS):
    name = "piper"

    def __init__(self, *, model_path: Path, config_path: Path) -> None:
        super().__init__()
        self.model_path = model_path
        self.config_path = config_path
        self._voice: Any = None

    def _engine(self) -> Any:
        if self._voice is None:
            from piper import PiperVoice

            try:
                self._voice = PiperVoice.load(self.model_path, config_path=self.config_path)
            except Exception as exc:  # onnxruntime and json raise several unrelated types
                raise ModelLoadError(f"Piper could not load {self.model_path.name}: {exc}") from exc
        return self._voice

    def _load_and_speak(self) -> None:
        # onnxruntime and the phonemizer set themselves up on the first sentence (0.46 s against 0.10 s for the
        # next one on 2 cores): speak one word now, so the first answer does not pay for it.
        for _ in self._engine().synthesize("Ready."):
            pass

    async def load(self) -> None:
        await self._run_blocking(self._load_and_speak)

    @property
    def sample_rate(self) -> int:
        return int(self._engine().config.sample_rate)

    async def _stream_impl(self, text: str, language: str, voice: str | None) -> AsyncGenerator[SpeechChunk, None]:
        def run() -> Iterator[SpeechChunk]:
            engine = self._engine()
            for sentence in split_sentences(text):
                for chunk in engine.synthesize(sentence):
                    yield SpeechChunk(float_to_pcm16(chunk.audio_float_array), chunk.sample_rate, sentence)

        async with aclosing(self._iterate_blocking(run)) as chunks:
            async for chunk in chunks:
                yield chunk
