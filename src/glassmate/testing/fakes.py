"""Fake providers: same interfaces and validation as the real ones (they subclass the same bases)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Iterable, Sequence
from typing import Any

import numpy as np

from glassmate.audio import ASR_RATE
from glassmate.providers.asr.base import ASR, Segment, TranscribeOptions, Transcript
from glassmate.providers.codes.base import Code, CodeScanner
from glassmate.providers.embed.base import Embedder
from glassmate.providers.llm.base import (
    LLM,
    ChatMessage,
    ChatResult,
    GenerationOptions,
    ToolCall,
    ToolChoice,
    ToolSpec,
)
from glassmate.providers.ocr.base import OCR, OCRResult, TextLine
from glassmate.providers.speaker.base import SpeakerEncoder
from glassmate.providers.tts.base import TTS, SpeechChunk
from glassmate.text import split_sentences


class ScriptedLLM(LLM):
    """Answers from a script, in order; records every conversation it was given.

    A script item is a string (streamed word by word) or a ToolCall. `delay_s` between words makes
    cancellation testable.
    """

    name = "scripted-llm"

    def __init__(self, script: Iterable[str | ToolCall] = (), *, delay_s: float = 0.0) -> None:
        super().__init__()
        self.script = list(script)
        self.delay_s = delay_s
        self.calls: list[list[ChatMessage]] = []
        self.tools_seen: list[list[str]] = []  # the tool names offered with each reply
        self.prefilled: list[list[ChatMessage]] = []  # the conversations handed to prefill()
        self.model_name = "scripted"

    def _next(self, messages: list[ChatMessage]) -> str | ToolCall:
        self.calls.append(messages)
        return self.script.pop(0) if self.script else "OK."

    async def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        item = self._next(messages)
        text = item if isinstance(item, str) else ""
        for i, word in enumerate(text.split(" ")):
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            yield word if i == 0 else " " + word

    async def _chat_impl(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        tool_choice: ToolChoice,
        options: GenerationOptions,
    ) -> ChatResult:
        item = self._next(messages)
        if isinstance(item, ToolCall):
            return ChatResult(text="", tool_calls=[item], finish_reason="tool_calls")
        return ChatResult(text=item)

    async def _stream_reply_impl(
        self, messages: list[ChatMessage], tools: list[ToolSpec], tool_choice: ToolChoice, options: GenerationOptions
    ) -> AsyncGenerator[str | ToolCall, None]:
        self.tools_seen.append([t.name for t in tools])
        if tool_choice == "none" and self.script and isinstance(self.script[0], ToolCall):
            self.script.pop(0)  # a forced answer: the model cannot call the scripted tool now
        item = self._next(messages)
        if isinstance(item, ToolCall):
            yield item
            return
        for i, word in enumerate(item.split(" ")):
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            yield word if i == 0 else " " + word

    async def _json_impl(self, messages: list[ChatMessage], schema: dict[str, Any], options: GenerationOptions) -> str:
        item = self._next(messages)
        return item if isinstance(item, str) else "{}"

    async def _prefill_impl(self, messages: list[ChatMessage]) -> None:
        self.prefilled.append(messages)


class BusyLLM(ScriptedLLM):
    """A ScriptedLLM whose every call first holds its engine's thread for `busy_s`, like a real model computing;
    records the priority each call ran at, in the order the engine served them."""

    name = "busy-llm"

    def __init__(self, script: Iterable[str | ToolCall] = (), *, busy_s: float = 0.2) -> None:
        super().__init__(script)
        self.busy_s = busy_s
        self.served: list[str] = []

    def _compute(self) -> None:
        running = self._jobs.running
        self.served.append(running.name if running is not None else "?")
        time.sleep(self.busy_s)

    async def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        await self._run_blocking(self._compute)
        async for piece in super()._stream_impl(messages, options):
            yield piece

    async def _chat_impl(self, messages: list[ChatMessage], tools: list[ToolSpec], tool_choice: ToolChoice,
                         options: GenerationOptions) -> ChatResult:  # fmt: skip
        await self._run_blocking(self._compute)
        return await super()._chat_impl(messages, tools, tool_choice, options)

    async def _stream_reply_impl(
        self, messages: list[ChatMessage], tools: list[ToolSpec], tool_choice: ToolChoice, options: GenerationOptions
    ) -> AsyncGenerator[str | ToolCall, None]:
        await self._run_blocking(self._compute)
        async for piece in super()._stream_reply_impl(messages, tools, tool_choice, options):
            yield piece


class FakeASR(ASR):
    """Returns the given transcripts in order (or "hello" forever), each a text or a (text, language) pair;
    records audio durations."""

    name = "fake-asr"

    def __init__(self, texts: Sequence[str | tuple[str, str]] = (), *, language: str = "en") -> None:
        super().__init__()
        self.texts = list(texts)
        self.language = language
        self.durations: list[float] = []
        self.prompts: list[str | None] = []  # the prompt (what was said before) of each call
        self.options: list[TranscribeOptions] = []

    async def _transcribe_impl(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        duration = len(samples) / ASR_RATE
        self.durations.append(duration)
        self.prompts.append(options.prompt)
        self.options.append(options)
        said = self.texts.pop(0) if self.texts else "hello"
        text, language = said if isinstance(said, tuple) else (said, options.language or self.language)
        return Transcript(text, language, 1.0, duration, [Segment(0.0, duration, text)])


class FakeTTS(TTS):
    """Speaks each sentence as 50 ms of a quiet tone per word, at 16 kHz."""

    name = "fake-tts"
    rate = 16_000

    def __init__(self) -> None:
        super().__init__()
        self.spoken: list[str] = []  # every text it was asked to speak

    async def _stream_impl(self, text: str, language: str, voice: str | None) -> AsyncGenerator[SpeechChunk, None]:
        self.spoken.append(text)
        for sentence in split_sentences(text):
            n = int(0.05 * self.rate) * max(1, len(sentence.split()))
            t = np.arange(n) / self.rate
            pcm = (0.1 * np.sin(2 * np.pi * 300 * t) * 32767).astype("<i2").tobytes()
            yield SpeechChunk(pcm, self.rate, sentence)


class FakeOCR(OCR):
    name = "fake-ocr"

    def __init__(self, lines: Sequence[str] = ()) -> None:
        super().__init__()
        self.lines = list(lines)

    async def _read_impl(self, image: np.ndarray) -> OCRResult:
        h, w = image.shape[:2]
        return OCRResult(
            [
                TextLine(text, 0.99, ((0, i * 20), (w, i * 20), (w, i * 20 + 18), (0, i * 20 + 18)))
                for i, text in enumerate(self.lines)
                if i * 20 < h
            ]
        )


class FakeCodeScanner(CodeScanner):
    name = "fake-codes"

    def __init__(self, codes: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.codes = list(codes)

    async def _scan_impl(self, image: np.ndarray, formats: tuple[str, ...]) -> list[Code]:
        return [
            Code(fmt, text, text.encode(), ((0, 0), (10, 0), (10, 10), (0, 10)))
            for fmt, text in self.codes
            if fmt in formats
        ]


class FakeEmbedder(Embedder):
    """Bag of character trigrams hashed into 512 dimensions: texts that share words are close, in any script.
    Deterministic and instant; it knows nothing of meaning (the real model does)."""

    name = "fake-embedder"

    async def _embed_impl(self, texts: list[str]) -> np.ndarray:
        import zlib

        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            folded = f"  {text.casefold()}  "
            for i in range(len(folded) - 2):
                out[row, zlib.crc32(folded[i : i + 3].encode()) % self.dimensions] += 1.0
        return out


class FakeSpeakerEncoder(SpeakerEncoder):
    """A "voice" is a tone: each span's vector points at its loudest frequency (in 50 Hz bins), on top of a common
    part that all share (as one recording's real d-vectors do)."""

    name = "fake-speaker"

    async def _embed_impl(self, samples: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
        out = np.zeros((len(spans), self.dimensions), np.float32)
        for i, (a, b) in enumerate(spans):
            piece = samples[int(a * ASR_RATE) : int(b * ASR_RATE)]
            spectrum = np.abs(np.fft.rfft(piece, n=ASR_RATE)) if len(piece) else np.zeros(ASR_RATE // 2 + 1)
            peak = int(np.argmax(spectrum)) // 50 % (self.dimensions - 1)
            out[i, 0] = 2.0  # two tones: cosine 0.8, below voiceprint.MATCH
            out[i, 1 + peak] = 1.0
        return out


class FakeTurn:
    """An end-of-turn model that gives the listed probabilities in order (then the last one forever); records the
    length of each utterance it was asked about."""

    name = "fake-turn"

    def __init__(self, probabilities: Sequence[float] = (0.9,), *, error: Exception | None = None) -> None:
        self.probabilities = list(probabilities)
        self.error = error  # raised by every call instead (a missing or broken model)
        self.asked: list[float] = []

    async def score(self, samples: np.ndarray) -> float:
        self.asked.append(len(samples) / ASR_RATE)
        if self.error is not None:
            raise self.error
        return self.probabilities.pop(0) if len(self.probabilities) > 1 else self.probabilities[0]

    def load(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


class LoudnessVAD:
    """A VAD that calls anything louder than a whisper speech (for tests with tones instead of voices)."""

    name = "loudness-vad"

    class _Scorer:
        window = 512

        def score(self, window: np.ndarray) -> float:
            return 0.9 if float(np.abs(window).mean()) > 0.02 else 0.05

        def reset(self) -> None:
            pass

    def __init__(self, settings: Any = None) -> None:
        from glassmate.config import VADSettings

        self.settings = settings or VADSettings()

    def stream(self, settings: Any = None) -> Any:
        from glassmate.providers.vad.base import VADStream

        return VADStream(scorer=self._Scorer(), settings=settings or self.settings)


def fake_models(settings: Any, **providers: Any) -> Any:
    """A `Models` whose providers are the given fakes (llm, asr, tts, ocr, codes, vad, embedder, speaker, turn);
    the rest default to fakes."""
    from glassmate.runtime import Models

    models = Models(settings=settings)
    defaults = {
        "llm": ScriptedLLM(),
        "asr": FakeASR(),
        "tts": FakeTTS(),
        "ocr": FakeOCR(),
        "codes": FakeCodeScanner(),
        "vad": LoudnessVAD(),
        "embedder": FakeEmbedder(),
        "speaker": FakeSpeakerEncoder(),
        "turn": FakeTurn(),
    }
    for name, default in defaults.items():
        models.__dict__[name] = providers.get(name, default)  # fills the cached_property
    if "translator" in providers:
        models.__dict__["translator"] = providers["translator"]
    return models


def fake_skills(classes: Any = None, *, settings: Any = None, services: Any = None, port: Any = None,
                **providers: Any) -> Any:  # fmt: skip
    """The skills of a session or request (the built-in ones unless `classes` says), on fake models."""
    from glassmate.config import Settings
    from glassmate.skills.base import SkillEnv
    from glassmate.skills.installed import default_skills
    from glassmate.skills.routing import Skills

    settings = settings or Settings()
    env = SkillEnv(models=fake_models(settings, **providers), settings=settings, services=services, port=port)
    return Skills.build(classes if classes is not None else default_skills(), env)
