"""The diarization error rate (NIST's md-eval definition): missed speech + false alarm + speaker confusion, over
the reference's speech time, with a collar around each reference boundary left out and the best one-to-one
mapping of hypothesis to reference speakers (Hungarian). Overlapping reference speech counts once per speaker.
Checked against pyannote.metrics 4.2 on the pyannote sample (bench/meetings.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

Labelled = tuple[float, float, str]  # start s, end s, speaker
STEP_S = 0.01


@dataclass(frozen=True)
class DER:
    der: float
    missed: float
    false_alarm: float
    confusion: float
    scored_s: float  # reference speech time scored (outside the collars)


def read_rttm(path: Path) -> list[Labelled]:
    """The SPEAKER lines of an RTTM file as (start, end, speaker)."""
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start, duration = float(parts[3]), float(parts[4])
            out.append((start, start + duration, parts[7]))
    return out


def _frames(segments: Iterable[Labelled], n: int) -> dict[str, np.ndarray]:
    tracks: dict[str, np.ndarray] = {}
    for start, end, speaker in segments:
        track = tracks.setdefault(speaker, np.zeros(n, bool))
        track[round(start / STEP_S) : round(end / STEP_S)] = True
    return tracks


def diarization_error(reference: Sequence[Labelled], hypothesis: Sequence[Labelled], *, collar: float = 0.25) -> DER:
    """The DER of `hypothesis` against `reference` (speaker names need not match)."""
    end = max([e for _, e, _ in [*reference, *hypothesis]], default=0.0)
    n = int(np.ceil(end / STEP_S)) + 1
    scored = np.ones(n, bool)
    for start, stop, _ in reference:
        for t in (start, stop):
            scored[max(0, round((t - collar) / STEP_S)) : round((t + collar) / STEP_S)] = False
    ref_tracks, hyp_tracks = _frames(reference, n), _frames(hypothesis, n)
    ref = np.stack(list(ref_tracks.values()))[:, scored] if ref_tracks else np.zeros((0, scored.sum()), bool)
    hyp = np.stack(list(hyp_tracks.values()))[:, scored] if hyp_tracks else np.zeros((0, scored.sum()), bool)
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    total = float(n_ref.sum())
    if total == 0:
        return DER(0.0 if not n_hyp.sum() else 1.0, 0.0, float(n_hyp.sum() > 0), 0.0, 0.0)
    overlap = ref.astype(np.int32) @ hyp.T.astype(np.int32)  # frames each pair shares
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ((), ())
    correct = float(overlap[rows, cols].sum()) if overlap.size else 0.0
    missed = float(np.maximum(n_ref - n_hyp, 0).sum())
    false_alarm = float(np.maximum(n_hyp - n_ref, 0).sum())
    confusion = float(np.minimum(n_ref, n_hyp).sum()) - correct
    return DER((missed + false_alarm + confusion) / total, missed / total, false_alarm / total, confusion / total,
               total * STEP_S)  # fmt: skip
