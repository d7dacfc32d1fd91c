"""The embedded ASR: Whisper (CTranslate2, int8) run in-process by faster-whisper."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.audio import ASR_RATE
from glassmate.config import ASRSettings
from glassmate.errors import ModelLoadError
from glassmate.providers.asr.base import ASR, Segment, TranscribeOptions, Transcript, Word

log = logging.getLogger("glassmate.providers")
FRAMES_PER_SECOND = 100  # Whisper's log-mel hop is 10 ms
TOKENS_BASE, TOKENS_PER_S = 24, 12  # a turn decoded once stops at this many tokens (most_tokens)
MAX_NEW_TOKENS = 224  # Whisper's own limit for one 30-second window (half its 448-token context)
# ... and may not repeat any 6 tokens. On the 351 real Asterisk clips: WER 4.73 % decoded once, 4.80 % with 6 (a
# long menu's "send this caller to" varied), 5.07 % with 4; clips of up to 8 words 6.96 % in all three.
NO_REPEAT_NGRAM = 6
FULL_WINDOW_FRAMES = 3000
PADDING_FRAMES = 200


def most_tokens(seconds: float) -> int:
    """The most tokens a turn of this length can take: fast speech is ~5 tokens a second (Chinese up to ~9), so a
    decoder that goes on past this is looping."""
    return min(MAX_NEW_TOKENS, int(TOKENS_BASE + TOKENS_PER_S * seconds))


def encoder_frames(audio_seconds: float, min_window_s: float) -> int:
    """How much of Whisper's 30-s window to encode for this much audio: the audio plus 2 s of padding, rounded
    up to whole seconds, never less than `min_window_s` (the model was trained on 30-s windows; too little
    padding makes it repeat itself) and never more than the full window."""
    needed = int(np.ceil(audio_seconds)) * FRAMES_PER_SECOND + PADDING_FRAMES
    return int(min(FULL_WINDOW_FRAMES, max(needed, round(min_window_s * FRAMES_PER_SECOND))))


def _windowed_model_class() -> type:
    from faster_whisper import WhisperModel

    class WindowedWhisperModel(WhisperModel):
        """faster-whisper pads every window to 30 s before the encoder; this trims the padding back to
        `encoder_frames` (CTranslate2 accepts shorter inputs). Set per call under the provider's engine lock."""

        encoder_frames: int = FULL_WINDOW_FRAMES

        def encode(self, features: np.ndarray) -> Any:
            if features.shape[-1] > self.encoder_frames:
                features = features[..., : self.encoder_frames]
            return super().encode(features)

    return WindowedWhisperModel


class FasterWhisperASR(ASR):
    """Whisper through faster-whisper. With `english_dir`, speech to be transcribed in English goes to that
    English-only model (tiny.en: as accurate on real English speech as base, in 0.6 of the time); everything
    else (other languages, detection, translation) to the multilingual model."""

    name = "faster-whisper"

    def __init__(self, *, model_dir: Path, settings: ASRSettings, english_dir: Path | None = None) -> None:
        super().__init__()
        self.model_dir = model_dir
        self.english_dir = english_dir
        self.settings = settings
        self.max_audio_s = settings.max_audio_s
        self._models: dict[Path, Any] = {}

    def _engine(self, english: bool = False) -> Any:
        path = self.english_dir if english and self.english_dir is not None else self.model_dir
        if path not in self._models:
            try:
                self._models[path] = _windowed_model_class()(
                    str(path),
                    device="cpu",
                    compute_type=self.settings.compute_type,
                    cpu_threads=self.settings.cpu_threads,
                    local_files_only=True,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelLoadError(f"faster-whisper could not load {path}: {exc}") from exc
        return self._models[path]

    def _load_all(self) -> None:
        self._engine()
        self._engine(english=True)

    async def load(self) -> None:
        await self._run_blocking(self._load_all)

    def _run(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        language, probability = options.language, None
        model = self._engine(english=language == "en" and options.task == "transcribe")
        model.encoder_frames = encoder_frames(len(samples) / ASR_RATE, self.settings.min_window_s)
        if language is None and options.candidates:
            _, _, ranked = model.detect_language(samples)
            allowed = [(code, p) for code, p in ranked if code in options.candidates]
            if allowed:
                language, probability = max(allowed, key=lambda pair: pair[1])
        decode: dict[str, Any] = dict(
            language=language,
            task=options.task,
            beam_size=self.settings.beam_size,
            initial_prompt=options.prompt,
            word_timestamps=options.word_timestamps,
            vad_filter=False,
            condition_on_previous_text=False,
        )
        if not options.fallback:
            # A spoken turn is decoded once. Without Whisper's fallback nothing stops a loop ("the side of the side
            # of…", which tiny.en produced after a hesitation, 893 characters): a decoding may not repeat any 6
            # tokens, nor outlast what the audio can say.
            decode.update(temperature=0.0, no_repeat_ngram_size=NO_REPEAT_NGRAM,
                          max_new_tokens=most_tokens(len(samples) / ASR_RATE))  # fmt: skip
        segments_iter, info = model.transcribe(samples, **decode)
        segments = [
            Segment(
                start=round(s.start, 3),
                end=round(s.end, 3),
                text=s.text.strip(),
                words=tuple(Word(w.start, w.end, w.word, w.probability) for w in (s.words or ())),
                avg_logprob=s.avg_logprob,
                no_speech_prob=s.no_speech_prob,
            )
            for s in segments_iter
        ]
        return Transcript(
            text=" ".join(s.text for s in segments if s.text).strip(),
            language=info.language,
            language_probability=round(float(probability if probability is not None else info.language_probability), 3),
            duration=round(float(info.duration), 3),
            segments=segments,
        )

    async def _transcribe_impl(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        return await self._run_blocking(self._run, samples, options)
