"""The wearer's voice, enrolled once: the mean speaker vector of some seconds of their speech. After a meeting is
diarized, the speaker whose mean vector is nearest to it, if near enough, gets the wearer's name instead of
"Speaker N".

A meeting's speakers and an enrolment are compared uncentred: centring on the meeting's mean (what diarization
does) makes the speakers of a two-person meeting point opposite ways, so any voice, enrolled or not, would match
one of them. Measured on the five synthetic voices (enrolled from three other sentences, 14-16 s of speech; 7
meetings of 2-3 voices; bench/meetings.py, "enrolment"): the enrolled voice's own speaker scored 0.83-0.95, other
speakers up to 0.89 (the two espeak male voices, which diarization also confuses). The threshold, 0.85, is tuned
on these: of 15 meetings with the enrolled voice, 12 named it right and 3 missed it (Piper's voice, 0.83-0.88 to
itself); of 20 without it, 5 named someone. The real sample is too short to enrol from (5.8 s of its longer
speaker).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from glassmate.errors import BadInputError
from glassmate.meetings import diarize
from glassmate.meetings.pipeline import MEETING_VAD
from glassmate.runtime import Models

MIN_SPEECH_S = 8.0  # less speech than this gives an unsteady vector
MAX_SPEECH_S = 120.0  # more adds nothing; the rest of the file is not read
MATCH = 0.85  # cosine of a speaker's mean vector to the enrolment to be named (see the module's docstring)


class VoiceTooShort(BadInputError):
    code = "voice-too-short"


async def enrol(models: Models, blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, float]:
    """The unit mean speaker vector of the speech in `blocks` (16 kHz; up to MAX_SPEECH_S of it is used) and the
    seconds of speech it came from."""
    kept = list(blocks)
    audio = np.concatenate(kept) if kept else np.zeros(0, np.float32)
    kept_s, cut = 0.0, []
    for a_ms, b_ms in models.vad.stream(MEETING_VAD).regions(audio):  # the first MAX_SPEECH_S of speech
        a, b = a_ms / 1000, b_ms / 1000
        if kept_s >= MAX_SPEECH_S:
            break
        cut.append((a, min(b, a + MAX_SPEECH_S - kept_s)))
        kept_s += cut[-1][1] - a
    regions = cut
    speech_s = kept_s
    if speech_s < MIN_SPEECH_S:
        raise VoiceTooShort(f"the recording has {speech_s:.1f} s of speech; enrolling a voice needs at least "
                            f"{MIN_SPEECH_S:.0f} s (read a paragraph aloud)")  # fmt: skip
    spans = diarize.windows(regions)
    vectors = await models.speaker.embed(audio, spans)
    return unit(vectors.mean(axis=0)), speech_s


def unit(v: np.ndarray) -> np.ndarray:
    return (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)


def match(centroids: Sequence[np.ndarray], voice: np.ndarray, threshold: float = MATCH) -> int | None:
    """The index of the speaker whose mean vector is the enrolled voice, or None when none is near enough."""
    if not len(centroids):
        return None
    scores = np.array([float(unit(c) @ unit(voice)) for c in centroids])
    best = int(scores.argmax())
    return best if scores[best] >= threshold else None
