"""ASR behind an OpenAI-compatible `/v1/audio/transcriptions` endpoint."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassmate.audio import ASR_RATE, Audio
from glassmate.config import RemoteSettings
from glassmate.providers.asr.base import ASR, Segment, TranscribeOptions, Transcript, Word
from glassmate.providers.openai_client import make_client


class OpenAICompatASR(ASR):
    name = "openai-compatible-asr"

    def __init__(self, *, settings: RemoteSettings) -> None:
        super().__init__()
        self.settings = settings
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    async def _transcribe_impl(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        wav = Audio(samples, ASR_RATE).to_wav()
        kwargs: dict[str, Any] = {
            "model": self.settings.model,
            "file": ("audio.wav", wav, "audio/wav"),
            "response_format": "verbose_json",
        }
        if options.word_timestamps:
            kwargs["timestamp_granularities"] = ["segment", "word"]
        if options.prompt:
            kwargs["prompt"] = options.prompt
        if options.task == "translate":
            result = await self.client.audio.translations.create(**kwargs)
        else:
            if options.language:
                kwargs["language"] = options.language
            result = await self.client.audio.transcriptions.create(**kwargs)
        data = result.model_dump() if hasattr(result, "model_dump") else dict(result)
        words = [Word(w["start"], w["end"], w["word"]) for w in data.get("words") or []]
        segments = [
            Segment(
                start=s.get("start", 0.0),
                end=s.get("end", 0.0),
                text=(s.get("text") or "").strip(),
                words=tuple(w for w in words if s.get("start", 0) <= w.start < s.get("end", 0)),
                avg_logprob=s.get("avg_logprob") or 0.0,
                no_speech_prob=s.get("no_speech_prob") or 0.0,
            )
            for s in data.get("segments") or []
        ]
        return Transcript(
            text=(data.get("text") or "").strip(),
            language=data.get("language") or options.language or "",
            language_probability=1.0,
            duration=float(data.get("duration") or len(samples) / ASR_RATE),
            segments=segments,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
