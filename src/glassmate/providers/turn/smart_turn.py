"""Smart Turn v3.2 (Daily's pipecat, BSD-2-Clause): an audio model that scores whether a speaker has finished.

The model is a Whisper-tiny encoder with a classifier head. It reads the last 8 s of the utterance (shorter audio
is zero-padded at the start) as Whisper's 80-band log-mel features of a waveform normalised to zero mean and unit
variance, and returns the probability that the turn is complete. Intonation, not words: a sentence cut before its
last word scores low even after a pause. The ONNX file ships inside the `pipecat-ai` 1.14.0 wheel
(`pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx`), installed without its dependencies; the
features come from faster-whisper's extractor, which equals pipecat's vendored copy of Hugging Face's
`WhisperFeatureExtractor(chunk_length=8)` to 2e-7 (tests/unit/test_turn.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassmate.providers.base import Provider
from glassmate.providers.onnx import onnx_session

RATE = 16_000
WINDOW_S = 8  # the model's input: the last 8 s of the utterance
_VARIANCE_EPS = 1e-7


class SmartTurn(Provider):
    """Scores an utterance so far: the probability that the speaker has finished their turn."""

    name = "smart-turn-v3.2"

    def __init__(self, *, model_path: Path, threads: int = 1) -> None:
        super().__init__()
        self.model_path = model_path
        self.threads = threads
        self._session: Any = None
        self._features: Any = None

    def _engine(self) -> tuple[Any, Any]:
        if self._session is None:
            from faster_whisper.feature_extractor import FeatureExtractor

            self._features = FeatureExtractor(feature_size=80, sampling_rate=RATE, chunk_length=WINDOW_S)
            self._session = onnx_session(self.model_path, what="end-of-turn model", threads=self.threads)
        return self._session, self._features

    def load(self) -> None:
        """Open the model now (the first score would otherwise pay for it)."""
        self.score_now(np.zeros(RATE // 2, np.float32))

    def score_now(self, samples: np.ndarray) -> float:
        """The probability that the turn is complete, computed on this thread (16 kHz float32 mono)."""
        session, features = self._engine()
        window = RATE * WINDOW_S
        x = np.asarray(samples, dtype=np.float32)[-window:]
        x = np.pad(x, (window - len(x), 0))
        x = (x - x.mean()) / np.sqrt(x.var() + _VARIANCE_EPS)
        mel = features(x, padding=0)[:, : window // 160]
        (logits,) = session.run(None, {"input_features": mel[np.newaxis].astype(np.float32)})
        return float(np.asarray(logits).reshape(-1)[0])  # the graph ends in a sigmoid despite the output's name

    async def score(self, samples: np.ndarray) -> float:
        with self._measure("score"):
            return await self._run_blocking(self.score_now, samples)
