"""The input audio buffer of a session: VAD turn detection, prefix padding and chunking for incremental ASR.

Audio arrives as PCM16 at the session's input rate and is kept at 16 kHz (what VAD and Whisper use). With
server VAD the buffer yields utterances by itself; in push-to-talk mode the client commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from glassmate.audio import ASR_RATE, Audio, pcm16_to_audio
from glassmate.providers.vad.base import VADEvent, VADStream

RATE = ASR_RATE  # what the VAD and the ASR take
MAX_UTTERANCE_S = 30.0  # a turn longer than this is ended by force, so memory stays bounded
CHUNK_MIN_S = 1.2  # shorter chunks transcribe badly; wait for the next pause
CHUNK_MAX_S = 8.0  # speech with no pause this long is cut anyway (at its quietest moment), so captions keep up
CUT_SEARCH_S = 2.0  # where to look for that moment: the last seconds of the chunk


@dataclass
class InputEvent:
    # tail: a short pause at the end of what was said so far; its audio may be transcribed speculatively, and
    # if the turn ends right there (speech_stopped at the same position) the result is the utterance's end.
    kind: Literal["speech_started", "chunk", "tail", "speech_stopped"]
    at_ms: int
    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # chunk / utterance audio
    paused: bool = False  # a tail or chunk that ends at a pause (where the turn may have ended), not a forced cut


class InputAudio:
    """Turns appended PCM into speech events, chunks and utterances."""

    def __init__(self, *, vad: VADStream | None, input_rate: int, prefix_padding_ms: int = 300) -> None:
        self.vad = vad
        self.input_rate = input_rate
        self.prefix_padding_ms = prefix_padding_ms
        self._buf = np.zeros(0, dtype=np.float32)  # 16 kHz samples not yet handed out
        self._buf_start = 0  # stream position (samples) of _buf[0]
        self._fed = 0  # samples fed in total
        self.speaking = False
        self._speech_start = 0  # stream position where the current utterance starts
        self._chunk_start = 0  # stream position where the next chunk starts
        self.last = np.zeros(0, dtype=np.float32)  # the 16 kHz samples of the latest append (a meeting records them)

    @property
    def position_ms(self) -> int:
        return self._fed * 1000 // RATE

    def _pos(self, ms: int) -> int:
        return ms * RATE // 1000

    def _slice(self, start: int, end: int) -> np.ndarray:
        a, b = max(0, start - self._buf_start), max(0, end - self._buf_start)
        return self._buf[a:b].copy()

    def _drop_before(self, pos: int) -> None:
        cut = max(0, pos - self._buf_start)
        if cut:
            self._buf = self._buf[cut:]
            self._buf_start += cut

    def append(self, pcm16: bytes) -> list[InputEvent]:
        """Add audio; returns what it caused (speech start, a chunk ready for ASR, the end of a turn)."""
        audio = pcm16_to_audio(pcm16, self.input_rate).resampled(RATE) if pcm16 else Audio(np.zeros(0), RATE)
        samples = audio.samples.astype(np.float32, copy=False)
        self.last = samples
        self._buf = np.concatenate([self._buf, samples])
        self._fed += len(samples)
        if self.vad is None:
            self._enforce_limit_ptt()
            return []
        events: list[InputEvent] = []
        for ev in self.vad.feed(samples):
            events.extend(self._on_vad(ev))
        if self.speaking and (self._fed - self._speech_start) / RATE > MAX_UTTERANCE_S:
            events.extend(self._on_vad(VADEvent("speech_stopped", self.position_ms)))
            self.vad.reset()
        elif self.speaking and (self._fed - self._chunk_start) / RATE > CHUNK_MAX_S:
            events.append(self._forced_chunk())
        elif not self.speaking:
            # Keep only what prefix padding may need.
            self._drop_before(self._fed - self._pos(self.prefix_padding_ms + 1000))
        return events

    def _on_vad(self, ev: VADEvent) -> list[InputEvent]:
        if ev.kind == "speech_started":
            self.speaking = True
            self._speech_start = self._chunk_start = max(self._buf_start, self._pos(ev.at_ms))
            return [InputEvent("speech_started", ev.at_ms)]
        if not self.speaking:
            return []
        end = self._pos(ev.at_ms)
        if ev.kind == "speech_paused":
            if (end - self._chunk_start) / RATE < CHUNK_MIN_S:
                return [InputEvent("tail", ev.at_ms, self._slice(self._chunk_start, end), paused=True)]
            chunk = self._slice(self._chunk_start, end)
            self._chunk_start = end
            return [InputEvent("chunk", ev.at_ms, chunk, paused=True)]
        self.speaking = False
        tail = self._slice(self._chunk_start, max(end, self._chunk_start))
        self._drop_before(end)
        return [InputEvent("speech_stopped", ev.at_ms, tail)]

    def end_turn(self, at_ms: int) -> InputEvent | None:
        """End the utterance at the pause that began at `at_ms`, if the wearer is still silent since then (the
        end-of-turn check said the turn is complete); None when speech went on or the turn already ended."""
        if self.vad is None or not self.speaking or self.vad.silent_since_ms != at_ms:
            return None
        self.vad.stop()
        (stopped,) = self._on_vad(VADEvent("speech_stopped", at_ms))
        return stopped

    def utterance_audio(self) -> np.ndarray:
        """The current utterance from its start up to now (what the end-of-turn model hears)."""
        return self._slice(self._speech_start, self._fed) if self.speaking else np.zeros(0, np.float32)

    def _forced_chunk(self) -> InputEvent:
        """A chunk of pause-less speech, cut at its quietest 100 ms near the end (between words, most often)."""
        search = self._slice(self._fed - self._pos(int(CUT_SEARCH_S * 1000)), self._fed)
        step = RATE // 10
        levels = [float(np.sqrt(np.mean(search[i : i + step] ** 2))) for i in range(0, len(search) - step + 1, step)]
        quietest = int(np.argmin(levels)) if levels else 0
        cut = self._fed - len(search) + quietest * step + step // 2
        chunk = self._slice(self._chunk_start, cut)
        self._chunk_start = cut
        return InputEvent("chunk", cut * 1000 // RATE, chunk)

    def _enforce_limit_ptt(self) -> None:
        limit = int(MAX_UTTERANCE_S * RATE)
        if len(self._buf) > limit:
            self._drop_before(self._buf_start + len(self._buf) - limit)

    def commit(self) -> np.ndarray:
        """Push-to-talk: everything since the last commit or clear, as one utterance."""
        audio = self._buf.copy()
        self.clear()
        return audio

    def clear(self) -> None:
        self._buf_start += len(self._buf)
        self._buf = np.zeros(0, dtype=np.float32)
        self.speaking = False
        if self.vad is not None:
            self.vad.reset()

    @property
    def buffered_ms(self) -> int:
        return len(self._buf) * 1000 // RATE
