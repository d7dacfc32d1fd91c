"""The VAD's turn logic, driven by a scorer that reads loudness (no model)."""

import numpy as np

from glassmate.config import VADSettings
from glassmate.providers.vad.base import VADStream
from glassmate.testing import silence, tone


class LoudnessScorer:
    window = 512

    def score(self, window: np.ndarray) -> float:
        return 0.9 if np.abs(window).mean() > 0.05 else 0.05

    def reset(self) -> None:
        pass


def test_speech_start_and_stop_with_padding() -> None:
    vad = VADStream(
        scorer=LoudnessScorer(),
        settings=VADSettings(min_speech_ms=96, min_silence_ms=320, prefix_padding_ms=100),
    )
    clip = np.concatenate([silence(1.0).samples, tone(1.0).samples, silence(1.0).samples])
    events = []
    for i in range(0, len(clip), 1_600):  # 100 ms chunks, as a device would send them
        events.extend(vad.feed(clip[i : i + 1_600]))
    assert [e.kind for e in events] == ["speech_started", "speech_paused", "speech_stopped"]
    assert 850 <= events[0].at_ms <= 950  # speech at 1000 ms, minus 100 ms padding
    assert 1950 <= events[1].at_ms <= 2050  # the pause starts where speech ends…
    assert events[2].at_ms == events[1].at_ms  # …and, once long enough, ends the turn there


def test_a_short_pause_inside_speech_is_a_chunk_boundary_not_an_end() -> None:
    vad = VADStream(scorer=LoudnessScorer(), settings=VADSettings(min_silence_ms=500, pause_ms=200))
    clip = np.concatenate(
        [silence(0.5).samples, tone(1.0).samples, silence(0.3).samples, tone(1.0).samples, silence(1.0).samples]
    )
    kinds = [e.kind for e in vad.feed(clip)]
    assert kinds == ["speech_started", "speech_paused", "speech_paused", "speech_stopped"]


def test_short_blips_do_not_start_speech() -> None:
    vad = VADStream(scorer=LoudnessScorer(), settings=VADSettings(min_speech_ms=200))
    clip = np.concatenate([silence(0.5).samples, tone(0.05).samples, silence(0.5).samples])
    assert vad.feed(clip) == []
