"""Silero VAD v6 (the ONNX file that ships inside faster-whisper), run one 32 ms window at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassmate.config import VADSettings
from glassmate.providers.onnx import onnx_session
from glassmate.providers.vad.base import VADStream

_WINDOW = 512  # samples at 16 kHz
_CONTEXT = 64  # samples of the previous window the model sees


class _SileroScorer:
    """One stream's recurrent state over a shared ONNX session."""

    window = _WINDOW

    def __init__(self, session: Any) -> None:
        self._session = session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def score(self, window: np.ndarray) -> float:
        x = np.concatenate([self._context, window]).reshape(1, -1)
        out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = window[-_CONTEXT:]
        return float(np.asarray(out).reshape(-1)[0])


class SileroVAD:
    """Holds the ONNX session; `stream()` gives each audio stream its own state."""

    name = "silero-vad"

    def __init__(self, *, model_path: Path, settings: VADSettings) -> None:
        self.model_path = model_path
        self.settings = settings
        self._session: Any = None

    def _engine(self) -> Any:
        if self._session is None:
            self._session = onnx_session(self.model_path, what="VAD model")
        return self._session

    def stream(self, settings: VADSettings | None = None) -> VADStream:
        """A new detector for one audio stream (e.g. one pair of glasses)."""
        return VADStream(scorer=_SileroScorer(self._engine()), settings=settings or self.settings)

    def speech_probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Probability of speech per 32 ms window of a whole clip."""
        scorer = _SileroScorer(self._engine())
        usable = len(samples) - len(samples) % _WINDOW
        return np.array([scorer.score(samples[i : i + _WINDOW]) for i in range(0, usable, _WINDOW)])
