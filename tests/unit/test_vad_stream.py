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


def test_a_long_monologue_is_cut_into_bounded_chunks_at_its_quiet_moments() -> None:
    """Speech with no pause the VAD would call one is still cut every few seconds, between "words" (the dips)."""
    from glassmate.session.audio_input import CHUNK_MAX_S, MAX_UTTERANCE_S, InputAudio

    # 0.9 s "words" separated by 60 ms dips: too short to be pauses, quiet enough to cut at.
    word = np.concatenate([tone(0.9).samples, 0.03 * tone(0.06).samples])
    speech = np.tile(word, 40)  # 38 s without a pause
    clip = np.concatenate([silence(0.5).samples, speech, silence(1.0).samples])
    audio = InputAudio(vad=VADStream(scorer=LoudnessScorer(), settings=VADSettings()), input_rate=16_000)
    events = []
    for i in range(0, len(clip), 1_600):
        events.extend(audio.append((np.clip(clip[i : i + 1_600], -1, 1) * 32767).astype("<i2").tobytes()))
    chunks = [e for e in events if e.kind == "chunk"]
    assert len(chunks) >= 3 and all(len(c.audio) / 16_000 <= CHUNK_MAX_S + 0.1 for c in chunks)
    # Each cut lands in (or within 50 ms of) a dip: words start every 0.96 s from 0.5 s, dips 0.9 s into each.
    for c in chunks:
        into_word = (c.at_ms / 1000 - 0.5) % 0.96
        assert into_word > 0.85 or into_word < 0.01, c.at_ms
    stops = [e for e in events if e.kind == "speech_stopped"]
    assert stops and stops[0].at_ms <= (0.5 + MAX_UTTERANCE_S + 0.2) * 1000  # the turn itself is bounded too


def test_two_short_bursts_with_a_dip_between_start_speech() -> None:
    """ "Wait, stop.": two bursts under min_speech_ms each, a brief dip between: still speech."""
    vad = VADStream(scorer=LoudnessScorer(), settings=VADSettings(min_speech_ms=200))
    burst = tone(0.15).samples
    clip = np.concatenate([silence(0.5).samples, burst, silence(0.06).samples, burst, silence(1.0).samples])
    kinds = [e.kind for e in vad.feed(clip)]
    assert kinds[0] == "speech_started" and kinds[-1] == "speech_stopped"
    # A lone blip stays noise, and two blips far apart do not add up either.
    assert (
        VADStream(scorer=LoudnessScorer(), settings=VADSettings(min_speech_ms=200)).feed(
            np.concatenate([silence(0.5).samples, burst, silence(0.5).samples, burst, silence(0.5).samples])
        )
        == []
    )
