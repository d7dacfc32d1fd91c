"""The speaker encoder's features equal librosa's (the recipe it was trained on), without librosa installed."""

from pathlib import Path

import numpy as np

from glassmate.providers.speaker.dvector import N_MELS, WINDOW_FRAMES, log_mel, span_windows

DATA = Path(__file__).parent.parent / "data" / "speaker"


def _signal() -> np.ndarray:
    t = np.arange(16_000) / 16_000
    x = (0.3 * np.sin(2 * np.pi * (200 + 800 * t) * t) + 0.05 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32)
    return x + np.random.default_rng(7).uniform(-0.02, 0.02, 16_000).astype(np.float32)


def test_log_mel_equals_librosa() -> None:
    reference = np.load(DATA / "librosa_logmel.npy")
    ours = log_mel(_signal())
    assert ours.shape == reference.shape == (97, N_MELS)
    assert np.abs(ours - reference).max() < 1e-4


def test_span_windows_cover_the_span_and_pad_a_short_one() -> None:
    features = np.random.default_rng(0).normal(size=(1000, N_MELS)).astype(np.float32)
    long = span_windows(features, 1.0, 3.0)  # 197 frames end inside it: windows 40 apart
    assert long.shape == (3, WINDOW_FRAMES, N_MELS)
    assert np.array_equal(long[0], features[100:180])
    short = span_windows(features, 2.0, 2.3)  # 30 frames, repeated to fill one window
    assert short.shape == (1, WINDOW_FRAMES, N_MELS)
    assert np.array_equal(short[0, :27], features[200:227]) and np.array_equal(short[0, 27:54], features[200:227])
