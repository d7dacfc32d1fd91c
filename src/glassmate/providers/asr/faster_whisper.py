"""The embedded ASR: Whisper (CTranslate2, int8) run in-process by faster-whisper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassmate.config import ASRSettings
from glassmate.errors import ModelLoadError
from glassmate.providers.asr.base import ASR, Segment, TranscribeOptions, Transcript, Word


class FasterWhisperASR(ASR):
    name = "faster-whisper"

    def __init__(self, *, model_dir: Path, settings: ASRSettings) -> None:
        super().__init__()
        self.model_dir = model_dir
        self.settings = settings
        self.max_audio_s = settings.max_audio_s
        self._model: Any = None

    def _engine(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            try:
                self._model = WhisperModel(
                    str(self.model_dir),
                    device="cpu",
                    compute_type=self.settings.compute_type,
                    cpu_threads=self.settings.cpu_threads,
                    local_files_only=True,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelLoadError(f"faster-whisper could not load {self.model_dir}: {exc}") from exc
        return self._model

    async def load(self) -> None:
        await self._run_blocking(self._engine)

    def _run(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        language, probability = options.language, None
        if language is None and options.candidates:
            _, _, ranked = self._engine().detect_language(samples)
            allowed = [(code, p) for code, p in ranked if code in options.candidates]
            if allowed:
                language, probability = max(allowed, key=lambda pair: pair[1])
        segments_iter, info = self._engine().transcribe(
            samples,
            language=language,
            task=options.task,
            beam_size=self.settings.beam_size,
            initial_prompt=options.prompt,
            word_timestamps=options.word_timestamps,
            vad_filter=False,
            condition_on_previous_text=False,
        )
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
