"""Synthetic audio for tests."""

from __future__ import annotations

import numpy as np

from glassmate.audio import Audio


def tone(seconds: float, *, freq: float = 440.0, rate: int = 16_000, amplitude: float = 0.3) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio((amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def silence(seconds: float, *, rate: int = 16_000) -> Audio:
    return Audio(np.zeros(int(seconds * rate), dtype=np.float32), rate)


def music(seconds: float, *, rate: int = 16_000, seed: int = 0) -> Audio:
    """A plucked melody with harmonics and a bass line: tonal, rhythmic, and not speech."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * rate), np.float32)
    note = rate // 4
    for start in range(0, len(out), note):
        f = float(rng.choice([220, 247, 262, 294, 330, 349, 392, 440]))
        t = np.arange(min(note, len(out) - start)) / rate
        out[start : start + len(t)] = (
            0.2 * np.sin(2 * np.pi * f * t) * np.exp(-3 * t)
            + 0.1 * np.sin(2 * np.pi * 2 * f * t) * np.exp(-4 * t)
            + 0.05 * np.sin(np.pi * f * t)
        )
    return Audio(out, rate)


def noise(seconds: float, *, rate: int = 16_000, seed: int = 1, level: float = 0.05) -> Audio:
    """Street-like noise: a low rumble plus hiss, with a slowly changing loudness."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    rumble = np.convolve(rng.normal(0, 1, n), np.ones(64) / 64, mode="same")
    envelope = np.repeat(rng.uniform(0.3, 1.0, n // (rate // 8) + 1), rate // 8)[:n]
    return Audio((level * envelope * (rumble + 0.3 * rng.normal(0, 1, n))).astype(np.float32), rate)
