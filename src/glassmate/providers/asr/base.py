"""The speech recognition interface: audio in, text with language and timed segments out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glassmate.audio import ASR_RATE, Audio
from glassmate.errors import BadInputError, EmptyAudioError
from glassmate.providers.base import Provider


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@dataclass
class Transcript:
    text: str
    language: str
    language_probability: float
    duration: float
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class TranscribeOptions:
    language: str | None = None  # ISO 639-1; None detects it
    # With no language: detect only among these (e.g. the two languages of a conversation), so that a
    # mispronounced or synthetic voice is not taken for a language nobody speaks here.
    candidates: tuple[str, ...] = ()
    prompt: str | None = None  # words to expect (names, terms)
    word_timestamps: bool = False
    task: str = "transcribe"  # or "translate" (into English, as Whisper does)
    # Whisper decodes again at rising temperatures when a result looks wrong (repetitive, unlikely). A spoken turn
    # is better off without: on 351 real clips the same WER, p95 424 -> 348 ms (bench/RESULTS.md); long audio
    # (meetings) keeps it. Without it, a decoding may not repeat itself or outlast its audio (faster_whisper.py).
    fallback: bool = True


class ASR(Provider):
    """Speech to text. Backends write `_transcribe_impl` on 16 kHz mono float32 audio."""

    max_audio_s: float = 600.0

    async def transcribe(self, audio: Audio, options: TranscribeOptions | None = None) -> Transcript:
        """Transcribe `audio` (any supported rate; it is resampled to 16 kHz)."""
        if audio.samples.size == 0:
            raise EmptyAudioError("the audio is empty: nothing to transcribe")
        if audio.duration_s > self.max_audio_s:
            raise BadInputError(f"the audio is {audio.duration_s:.0f} s long; the limit is {self.max_audio_s:.0f} s")
        opts = options or TranscribeOptions()
        if opts.task not in ("transcribe", "translate"):
            raise BadInputError(f"task must be 'transcribe' or 'translate', not {opts.task!r}")
        mono16k = audio.resampled(ASR_RATE)
        with self._measure("transcribe") as metrics:
            result = await self._transcribe_impl(mono16k.samples.astype(np.float32, copy=False), opts)
        metrics.extra["audio_s"] = round(mono16k.duration_s, 2)
        metrics.extra["rtf"] = round(metrics.duration_s / mono16k.duration_s, 3)
        return result

    async def _transcribe_impl(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        raise NotImplementedError


# Whisper writes text for music, noise and breathing too ("Thank you.", "♪"). The VAD keeps most of that away;
# a segment Whisper itself doubts is speech is dropped from what a live session shows and acts on (files keep
# everything): a no-speech probability of 0.6 or more (Whisper's own threshold) or a hopeless average
# log-probability. Not -1.0, Whisper's fallback threshold: hard but real speech (espeak-ng German) scores
# -1.0 to -1.4.
NO_SPEECH_PROB = 0.6
MIN_AVG_LOGPROB = -1.5


def speech_text(transcript: Transcript) -> str:
    """The transcript's text without the segments that are probably not speech."""
    kept = [
        s.text
        for s in transcript.segments
        if s.text and s.no_speech_prob < NO_SPEECH_PROB and s.avg_logprob > MIN_AVG_LOGPROB
    ]
    if not transcript.segments:  # a backend without segments (a remote API): trust its text
        return transcript.text
    return " ".join(kept).strip()
