"""Streaming voice activity detection: feed 16 kHz PCM as it arrives, get speech start/stop events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from glassmate.audio import ASR_RATE
from glassmate.config import VADSettings

VAD_RATE = ASR_RATE  # Silero takes 16 kHz, like Whisper: one constant (glassmate.audio)


@dataclass(frozen=True)
class VADEvent:
    # speech_paused: a short pause inside speech (shorter than the end-of-turn silence), where an utterance
    # can be cut into chunks for incremental ASR.
    kind: Literal["speech_started", "speech_paused", "speech_stopped"]
    # Position in the stream, in ms since the first sample fed. For speech_started it already includes the
    # prefix padding, i.e. it is where the caller should start cutting the utterance.
    at_ms: int


class FrameScorer(Protocol):
    """Scores fixed-size windows: the probability that each holds speech."""

    window: int

    def score(self, window: np.ndarray) -> float: ...

    def reset(self) -> None: ...


GAP_MS = 320  # this long below the lower threshold ends a would-be start of speech (a pause between words is shorter)


class VADStream:
    """Turn per-window speech probabilities into start/stop events with hysteresis.

    Speech starts after `min_speech_ms` of windows above the threshold, and stops after `min_silence_ms`
    below (threshold - 0.15), as Silero's own iterator does.
    """

    def __init__(self, *, scorer: FrameScorer, settings: VADSettings) -> None:
        self.scorer = scorer
        self.settings = settings
        self._pending = np.zeros(0, dtype=np.float32)
        self._samples_seen = 0
        self.speaking = False
        self._run_speech = 0
        self._run_silence = 0
        self._quiet_ms = 0
        self._speech_from = 0  # stream position (samples) of the first speech window of a would-be start
        self.last_probability = 0.0

    def _ms(self, samples: int) -> int:
        return samples * 1000 // VAD_RATE

    def feed(self, samples: np.ndarray) -> list[VADEvent]:
        """Feed float32 mono 16 kHz samples; returns the events they caused (often none)."""
        events: list[VADEvent] = []
        window = self.scorer.window
        buf = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        offset = 0
        while offset + window <= len(buf):
            prob = self.scorer.score(buf[offset : offset + window])
            self.last_probability = prob
            offset += window
            self._samples_seen += window
            events.extend(self._step(prob))
        self._pending = buf[offset:]
        return events

    def regions(self, samples: np.ndarray) -> list[tuple[int, int]]:
        """The speech in a whole recording as (start ms, end ms), the last one closed at the recording's end."""
        found: list[tuple[int, int]] = []
        start: int | None = None
        for ev in self.feed(samples):
            if ev.kind == "speech_started":
                start = ev.at_ms
            elif ev.kind == "speech_stopped" and start is not None:
                found.append((start, ev.at_ms))
                start = None
        if start is not None:
            found.append((start, self._ms(self._samples_seen + len(self._pending))))
        return found

    def _step(self, prob: float) -> list[VADEvent]:
        s = self.settings
        window_ms = self._ms(self.scorer.window)
        if not self.speaking:
            # Speech starts once min_speech_ms of windows score above the threshold, counted across short dips:
            # "Wait, stop." is two bursts of ~200 ms with a dip between, and requiring them unbroken missed it
            # now and then (the realtime stall of bench/realtime_soak.py). Only a real gap (GAP_MS below the
            # lower threshold) starts the count again.
            if prob >= s.threshold:
                if self._run_speech == 0:
                    self._speech_from = self._samples_seen - self.scorer.window
                self._run_speech += window_ms
                self._quiet_ms = 0
            elif prob < s.threshold - 0.15:
                self._quiet_ms += window_ms
                if self._quiet_ms >= GAP_MS:
                    self._run_speech = 0
            if self._run_speech >= s.min_speech_ms:
                self.speaking = True
                self._run_silence = 0
                start = self._ms(self._speech_from) - s.prefix_padding_ms
                return [VADEvent("speech_started", max(0, start))]
        else:
            self._run_silence = self._run_silence + window_ms if prob < s.threshold - 0.15 else 0
            if self._run_silence and self._run_silence == self._pause_ms(window_ms) < s.min_silence_ms:
                return [VADEvent("speech_paused", self._ms(self._samples_seen) - self._run_silence)]
            if self._run_silence >= s.min_silence_ms:
                self.speaking = False
                self._run_speech = self._quiet_ms = 0
                return [VADEvent("speech_stopped", self._ms(self._samples_seen) - self._run_silence)]
        return []

    @property
    def silent_since_ms(self) -> int | None:
        """While speaking: where the silence that is running now began (None while speech goes on)."""
        if not self.speaking or not self._run_silence:
            return None
        return self._ms(self._samples_seen) - self._run_silence

    def stop(self) -> None:
        """End the speech now, as if the silence had lasted long enough (the end-of-turn model said so). The
        scorer keeps its state: the audio goes on."""
        self.speaking = False
        self._run_speech = self._run_silence = self._quiet_ms = 0

    def _pause_ms(self, window_ms: int) -> int:
        """The first multiple of the window length at or above the configured pause length."""
        pause = self.settings.pause_ms
        return -(-pause // window_ms) * window_ms

    def reset(self) -> None:
        self.scorer.reset()
        self._pending = np.zeros(0, dtype=np.float32)
        self.speaking = False
        self._run_speech = self._run_silence = self._quiet_ms = 0
