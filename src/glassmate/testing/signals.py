"""Synthetic audio for tests."""

from __future__ import annotations

import numpy as np

from glassmate.audio import Audio


def tone(seconds: float, *, freq: float = 440.0, rate: int = 16_000, amplitude: float = 0.3) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio((amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def silence(seconds: float, *, rate: int = 16_000) -> Audio:
    return Audio(np.zeros(int(seconds * rate), dtype=np.float32), rate)
