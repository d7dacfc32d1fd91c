"""Who spoke when: speech regions (VAD) are cut into overlapping windows, each window becomes a speaker vector
(d-vector), the vectors are clustered into speakers, and each moment of speech gets the speaker of the window
centred nearest to it, so a change of speaker inside one long region is found too.

Clustering: the d-vectors of one recording share a large common part (the room, the microphone, the language):
on the real two-speaker pyannote sample, windows of different speakers have cosine 0.80–0.91, the same speaker
0.88–0.97. Subtracting the recording's mean vector first separates them (DER 46 % -> 9 %, bench/meetings.py).
Centring cannot tell one speaker from two on its own (it spreads any cloud of points), so clusters whose
*uncentred* mean vectors are this alike are merged again: they are one voice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

WINDOW_S = 1.5  # long enough for a stable vector (0.8 s windows: DER 46 %, 1.5 s: 9 % on the real sample)
STEP_S = 0.75
MIN_REGION_S = 0.3  # shorter speech (a cough, a click) gets no window of its own
MAX_POINTS = 2000  # average-linkage needs n² memory: past this many windows, cluster a sample, assign the rest
FRAME_S = 0.01


@dataclass(frozen=True)
class ClusterSettings:
    # Average-linkage cut on centred vectors (cosine distance; 1.0 = orthogonal). Chosen on the synthetic voices
    # and the real sample (bench/meetings.py lists the sweep).
    threshold: float = 1.1
    # Two clusters whose uncentred mean vectors are at least this alike are one speaker.
    same_voice: float = 0.96
    # A speaker with less speech than this in total is absorbed by the nearest other speaker.
    min_speaker_s: float = 2.0
    max_speakers: int = 12


@dataclass(frozen=True)
class SpeakerTurn:
    start: float
    end: float
    speaker: int  # 0-based, numbered in order of first speech


def windows(regions: Sequence[tuple[float, float]], *, window_s: float = WINDOW_S, step_s: float = STEP_S
            ) -> list[tuple[float, float]]:  # fmt: skip
    """Overlapping windows over each speech region (a short region is one window of its own length)."""
    out: list[tuple[float, float]] = []
    for start, end in regions:
        if end - start < MIN_REGION_S:
            continue
        if end - start <= window_s:
            out.append((start, end))
            continue
        t = start
        while t + window_s < end:
            out.append((t, t + window_s))
            t += step_s
        out.append((end - window_s, end))
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def _centroids(vectors: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    return _unit(np.stack([vectors[labels == k].mean(axis=0) for k in range(count)]))


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Labels 0..k-1 in order of first appearance."""
    order = {int(v): i for i, v in enumerate(dict.fromkeys(labels.tolist()))}
    return np.array([order[int(v)] for v in labels], dtype=np.int32)


def cluster(vectors: np.ndarray, durations: np.ndarray | None = None, settings: ClusterSettings | None = None
            ) -> np.ndarray:  # fmt: skip
    """A speaker label per vector (0-based, in order of first appearance)."""
    s = settings or ClusterSettings()
    n = len(vectors)
    if n == 0:
        return np.zeros(0, np.int32)
    if n == 1:
        return np.zeros(1, np.int32)
    durations = np.full(n, STEP_S) if durations is None else durations
    raw = _unit(np.asarray(vectors, np.float64))
    offsets = raw - raw.mean(axis=0)
    if float(np.linalg.norm(offsets, axis=1).max()) < 1e-6:  # all alike: one voice (and nothing to centre)
        return np.zeros(n, np.int32)
    centred = _unit(offsets)
    # Average linkage on at most MAX_POINTS vectors (evenly spread over the recording); the rest go to the
    # nearest cluster centre, so memory does not grow with the length of the meeting.
    sample = np.linspace(0, n - 1, min(n, MAX_POINTS)).astype(int)
    tree = linkage(centred[sample], method="average", metric="cosine")
    sampled = fcluster(tree, t=s.threshold, criterion="distance") - 1
    k = int(sampled.max()) + 1
    if k > s.max_speakers:
        sampled = fcluster(tree, t=s.max_speakers, criterion="maxclust") - 1
        k = int(sampled.max()) + 1
    labels = np.argmax(centred @ _centroids(centred[sample], sampled, k).T, axis=1)
    labels = _merge_same_voices(raw, labels, s.same_voice)
    labels = _absorb_small(centred, labels, durations, s.min_speaker_s)
    return _renumber(labels)


def _merge_same_voices(raw: np.ndarray, labels: np.ndarray, same_voice: float) -> np.ndarray:
    labels = _renumber(labels)
    while True:
        k = int(labels.max()) + 1
        if k < 2:
            return labels
        centres = _centroids(raw, labels, k)
        sim = centres @ centres.T
        np.fill_diagonal(sim, -1)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] < same_voice:
            return labels
        labels = _renumber(np.where(labels == max(a, b), min(a, b), labels))


def _absorb_small(centred: np.ndarray, labels: np.ndarray, durations: np.ndarray, min_s: float) -> np.ndarray:
    labels = _renumber(labels)
    while True:
        k = int(labels.max()) + 1
        if k < 2:
            return labels
        totals = np.array([durations[labels == i].sum() for i in range(k)])
        smallest = int(np.argmin(totals))
        if totals[smallest] >= min_s:
            return labels
        centres = _centroids(centred, labels, k)
        keep = [i for i in range(k) if i != smallest]
        members = labels == smallest
        nearest = np.array(keep)[np.argmax(centred[members] @ centres[keep].T, axis=1)]
        labels = labels.copy()
        labels[members] = nearest
        labels = _renumber(labels)


def turns(regions: Sequence[tuple[float, float]], spans: Sequence[tuple[float, float]], labels: np.ndarray,
          *, min_turn_s: float = 0.4) -> list[SpeakerTurn]:  # fmt: skip
    """Speaker turns: each 10 ms of speech gets the label of the window centred nearest to it; a turn shorter
    than `min_turn_s` between two of the same speaker is theirs (a window's noise, not a change of speaker)."""
    if not spans:
        return []
    centres = np.array([(a + b) / 2 for a, b in spans])
    found: list[SpeakerTurn] = []
    for start, end in regions:
        if end - start < MIN_REGION_S:
            continue
        times = np.arange(start, end, FRAME_S) + FRAME_S / 2
        nearest = np.searchsorted(centres, times).clip(1, len(centres) - 1)
        left_closer = np.abs(times - centres[nearest - 1]) <= np.abs(centres[nearest] - times)
        frame_labels = labels[np.where(left_closer, nearest - 1, nearest)]
        cuts = np.flatnonzero(np.diff(frame_labels)) + 1
        bounds = [0, *cuts.tolist(), len(times)]
        for a, b in pairwise(bounds):
            found.append(SpeakerTurn(start + a * FRAME_S, min(end, start + b * FRAME_S), int(frame_labels[a])))
    return _smooth(found, min_turn_s)


def _smooth(found: list[SpeakerTurn], min_turn_s: float) -> list[SpeakerTurn]:
    out: list[SpeakerTurn] = []
    for i, turn in enumerate(found):
        prev = out[-1] if out else None
        nxt = found[i + 1] if i + 1 < len(found) else None
        short = turn.end - turn.start < min_turn_s
        if short and prev is not None and nxt is not None and prev.speaker == nxt.speaker and prev.end >= turn.start:
            turn = SpeakerTurn(turn.start, turn.end, prev.speaker)
        if prev is not None and prev.speaker == turn.speaker and turn.start - prev.end < 0.05:
            out[-1] = SpeakerTurn(prev.start, turn.end, prev.speaker)
        else:
            out.append(turn)
    return out
