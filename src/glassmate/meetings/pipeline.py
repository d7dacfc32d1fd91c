"""A recording to a transcript with speakers, block by block: the VAD finds speech, each batch of about 30 s of
speech is transcribed (with word times) and cut into speaker windows, and only the windows' vectors are kept.
At the end the vectors are clustered into speakers and every word gets the speaker of its moment. Memory holds
one batch of audio, the words and the vectors (1 KB a window): flat in the audio's length."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from glassmate.audio import ASR_RATE, Audio
from glassmate.config import VADSettings
from glassmate.meetings import diarize
from glassmate.providers.asr.base import MIN_AVG_LOGPROB, NO_SPEECH_PROB, TranscribeOptions
from glassmate.runtime import Models

BATCH_S = 30.0  # Whisper's window: a batch of speech this long costs one encoder pass
# Pauses inside a meeting are short: 300 ms of silence ends a region (the session's 500 ms suits turns).
MEETING_VAD = VADSettings(threshold=0.5, min_silence_ms=300, min_speech_ms=200, prefix_padding_ms=100)


@dataclass(frozen=True)
class TimedWord:
    start: float
    end: float
    text: str  # with its leading space, as Whisper writes it


@dataclass(frozen=True)
class MeetingSegment:
    start: float
    end: float
    speaker: int  # 0-based, in order of first speech
    text: str


@dataclass
class MeetingTranscript:
    segments: list[MeetingSegment]
    speakers: int
    language: str | None
    duration_s: float
    speech_s: float
    # Each speaker's mean speaker vector (unit length, not centred), in speaker order: to name an enrolled voice.
    centroids: list[np.ndarray] = field(default_factory=list)


@dataclass
class _Batch:
    start: int  # stream position (samples) of audio[0]
    audio: np.ndarray
    regions: list[tuple[float, float]]  # absolute seconds


@dataclass
class _Collected:
    """What is kept from each batch: ASR segments as word lists, speaker windows and their vectors."""

    pieces: list[list[TimedWord]] = field(default_factory=list)
    spans: list[tuple[float, float]] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    regions: list[tuple[float, float]] = field(default_factory=list)
    languages: dict[str, float] = field(default_factory=dict)  # seconds of speech heard in each


class MeetingTranscriber:
    """Transcribes one recording with speakers. Feed it blocks of 16 kHz audio (`run`)."""

    def __init__(self, *, models: Models, language: str | None = None, batch_s: float = BATCH_S,
                 clustering: diarize.ClusterSettings | None = None) -> None:  # fmt: skip
        self.models = models
        self.language = language
        self.batch_s = batch_s
        self.clustering = clustering or diarize.ClusterSettings()
        self._collected = _Collected()
        self._prompt = ""

    async def run(self, blocks: Iterable[np.ndarray] | AsyncIterator[np.ndarray],
                  progress: Callable[[float], None] | None = None) -> MeetingTranscript:  # fmt: skip
        """Process the blocks in order; `progress` is called with the seconds of audio done so far."""
        vad = self.models.vad.stream(MEETING_VAD)
        buf = np.zeros(0, np.float32)
        buf_start = 0  # stream position of buf[0]
        fed = 0
        open_at: int | None = None  # where the region in progress began
        closed: list[tuple[int, int]] = []  # regions ended, not yet in a batch
        limit = int(self.batch_s * ASR_RATE)

        async for block in _aiter(blocks):
            buf = np.concatenate([buf, block])
            fed += len(block)
            for ev in vad.feed(block):
                at = ev.at_ms * ASR_RATE // 1000
                if ev.kind == "speech_started" and open_at is None:
                    open_at = max(at, buf_start)
                elif ev.kind == "speech_stopped" and open_at is not None:
                    closed.append((open_at, at))
                    open_at = None
            if open_at is not None and fed - open_at > limit:  # speech with no pause: cut it here
                closed.append((open_at, fed))
                open_at = fed
            while closed and (
                closed[-1][1] - closed[0][0] >= limit or (open_at is None and fed - closed[0][0] > 2 * limit)
            ):
                take = _take(closed, limit)
                buf, buf_start = await self._process(buf, buf_start, take)
            keep_from = min([fed - ASR_RATE, *(r[0] for r in closed), *([open_at] if open_at is not None else [])])
            if keep_from > buf_start:
                buf, buf_start = buf[keep_from - buf_start :], keep_from
            if progress is not None:
                progress(fed / ASR_RATE)
        if open_at is not None and fed - open_at > 0:
            closed.append((open_at, fed))
        while closed:
            buf, buf_start = await self._process(buf, buf_start, _take(closed, limit))
        return self._finish(fed / ASR_RATE)

    async def _process(self, buf: np.ndarray, buf_start: int, regions: list[tuple[int, int]]
                       ) -> tuple[np.ndarray, int]:  # fmt: skip
        """Transcribe and embed one batch of regions; returns the buffer without the audio before its end."""
        first, last = regions[0][0], regions[-1][1]
        batch = _Batch(first, buf[first - buf_start : last - buf_start],
                       [(a / ASR_RATE, b / ASR_RATE) for a, b in regions])  # fmt: skip
        await self._transcribe(batch)
        await self._embed(batch)
        return buf[last - buf_start :], last

    async def _transcribe(self, batch: _Batch) -> None:
        if len(batch.audio) < ASR_RATE // 4:
            return
        offset = batch.start / ASR_RATE
        result = await self.models.asr.transcribe(
            Audio(batch.audio, ASR_RATE),
            TranscribeOptions(language=self.language, prompt=self._prompt or None, word_timestamps=True),
        )
        kept = 0.0  # seconds of speech kept from this batch
        for segment in result.segments:
            if not segment.text.strip() or segment.no_speech_prob >= NO_SPEECH_PROB:
                continue
            if segment.avg_logprob <= MIN_AVG_LOGPROB:
                continue
            words = [TimedWord(offset + w.start, offset + w.end, w.word) for w in segment.words]
            if not words:  # a backend without word times: the segment as one "word"
                words = [TimedWord(offset + segment.start, offset + segment.end, " " + segment.text.strip())]
            self._collected.pieces.append(words)
            kept += segment.end - segment.start
            self._prompt = segment.text.strip()[-200:]
        if kept and result.language:
            languages = self._collected.languages
            languages[result.language] = languages.get(result.language, 0.0) + kept

    async def _embed(self, batch: _Batch) -> None:
        spans = diarize.windows(batch.regions)
        self._collected.regions.extend(batch.regions)
        if not spans:
            return
        offset = batch.start / ASR_RATE
        vectors = await self.models.speaker.embed(batch.audio, [(a - offset, b - offset) for a, b in spans])
        self._collected.spans.extend(spans)
        self._collected.vectors.append(vectors)

    def _finish(self, duration_s: float) -> MeetingTranscript:
        c = self._collected
        speech_s = sum(b - a for a, b in c.regions)
        language = max(c.languages, key=c.languages.__getitem__) if c.languages else self.language
        if not c.pieces:
            return MeetingTranscript([], 0, language, duration_s, speech_s)
        vectors = np.concatenate(c.vectors) if c.vectors else np.zeros((0, 256), np.float32)
        durations = np.array([b - a for a, b in c.spans])
        labels = diarize.cluster(vectors, durations, self.clustering)
        found = diarize.turns(c.regions, c.spans, labels)
        segments, order = _renumber(list(_split_by_speaker(c.pieces, found)))
        raw = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        centroids = [raw[labels == label].mean(axis=0) for label in order]  # order: cluster labels by first words
        return MeetingTranscript(segments, len(order), language, duration_s, speech_s, centroids)


def _take(closed: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """The first regions that fit in one batch (at least one); removed from `closed`."""
    count = 1
    while count < len(closed) and closed[count][1] - closed[0][0] <= limit:
        count += 1
    taken = closed[:count]
    del closed[:count]
    return taken


def _speaker_at(t: float, found: list[diarize.SpeakerTurn], starts: np.ndarray) -> int:
    """The speaker of the turn at `t`, or of the nearest turn (a word in a pause the VAD left out)."""
    if not found:
        return 0
    i = int(np.searchsorted(starts, t, side="right")) - 1
    candidates = [j for j in (i, i + 1) if 0 <= j < len(found)]
    best = min(candidates, key=lambda j: 0.0 if found[j].start <= t <= found[j].end
               else min(abs(t - found[j].start), abs(t - found[j].end)))  # fmt: skip
    return found[best].speaker


def _split_by_speaker(pieces: list[list[TimedWord]], found: list[diarize.SpeakerTurn]) -> Iterator[MeetingSegment]:
    """Each ASR segment, cut where the speaker of its words changes."""
    starts = np.array([t.start for t in found])
    for words in pieces:
        run: list[TimedWord] = []
        speaker = -1
        for word in words:
            who = _speaker_at((word.start + word.end) / 2, found, starts)
            if run and who != speaker:
                yield MeetingSegment(run[0].start, run[-1].end, speaker, "".join(w.text for w in run).strip())
                run = []
            run.append(word)
            speaker = who
        if run:
            yield MeetingSegment(run[0].start, run[-1].end, speaker, "".join(w.text for w in run).strip())


def _renumber(segments: list[MeetingSegment]) -> tuple[list[MeetingSegment], dict[int, int]]:
    """Speakers numbered in order of their first words (a cluster with no words is no speaker); and the number
    each cluster label got."""
    order: dict[int, int] = {}
    out = []
    for s in segments:
        if not s.text:
            continue
        order.setdefault(s.speaker, len(order))
        out.append(MeetingSegment(s.start, s.end, order[s.speaker], s.text))
    return out, order


async def _aiter(blocks: Iterable[np.ndarray] | AsyncIterator[np.ndarray]) -> AsyncIterator[np.ndarray]:
    """Blocks from an async source as they come, or from a blocking one (a file being decoded) off the loop."""
    if isinstance(blocks, AsyncIterator):
        async for block in blocks:
            yield block
        return
    it = iter(blocks)

    def step() -> np.ndarray | None:
        return next(it, None)

    while True:
        got = await asyncio.to_thread(step)
        if got is None:
            return
        yield got
