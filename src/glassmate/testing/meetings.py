"""Synthetic meetings for tests and the bench: scripted lines spoken by different voices (Piper's joe and
espeak-ng's variants), laid out with pauses, and the reference speaker turns (where each voice is audible)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glassmate.audio import ASR_RATE, Audio, decode_audio

# Voices that a person can tell apart: Piper's neural joe first, then espeak-ng variants of clearly different
# pitch and timbre.
VOICES = ("piper", "en-us+m3", "en+f3", "en-gb+m1", "en+f5")

Reference = list[tuple[float, float, str]]


@dataclass(frozen=True)
class Meeting:
    audio: Audio  # 16 kHz mono
    reference: Reference  # (start s, end s, "S1".."Sn") where each voice is audible
    lines: tuple[tuple[int, str], ...]


def espeak(text: str, voice: str, *, speed: int = 165) -> Audio:
    """One line in an espeak-ng voice (variant syntax: "en+f3"), at 16 kHz."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text], capture_output=True,
                         check=True).stdout  # fmt: skip
    return decode_audio(wav).resampled(ASR_RATE)


def _audible(samples: np.ndarray, *, floor: float = 0.01) -> tuple[int, int]:
    """First and last sample louder than `floor` (TTS pads its lines with silence)."""
    loud = np.flatnonzero(np.abs(samples) > floor)
    return (int(loud[0]), int(loud[-1]) + 1) if len(loud) else (0, 0)


async def speak_line(text: str, voice: str, piper_tts: object | None = None) -> Audio:
    if voice == "piper":
        if piper_tts is None:
            raise ValueError("the piper voice needs a TTS provider")
        chunk = await piper_tts.synthesize(text, language="en")  # type: ignore[attr-defined]
        from glassmate.audio import pcm16_to_audio

        return pcm16_to_audio(chunk.pcm16, chunk.sample_rate).resampled(ASR_RATE)
    return await asyncio.to_thread(espeak, text, voice)


async def scripted_meeting(lines: Sequence[tuple[int, str]], *, voices: Sequence[str] = VOICES,
                           tts: object | None = None, gap_s: float = 0.5, seed: int = 0) -> Meeting:  # fmt: skip
    """`lines` as (speaker index, text), spoken one after another with pauses of about `gap_s`."""
    rng = np.random.default_rng(seed)
    pieces: list[np.ndarray] = []
    reference: Reference = []
    at = int(0.5 * ASR_RATE)
    pieces.append(np.zeros(at, np.float32))
    for speaker, text in lines:
        audio = await speak_line(text, voices[speaker], tts)
        samples = audio.samples.astype(np.float32)
        peak = float(np.abs(samples).max()) or 1.0
        samples = samples * (0.5 / peak)
        a, b = _audible(samples)
        reference.append(((at + a) / ASR_RATE, (at + b) / ASR_RATE, f"S{speaker + 1}"))
        pause = np.zeros(int(max(0.15, rng.normal(gap_s, gap_s / 3)) * ASR_RATE), np.float32)
        pieces.extend([samples, pause])
        at += len(samples) + len(pause)
    noise = np.random.default_rng(seed + 1).normal(0, 0.002, at).astype(np.float32)  # a quiet room, not digital 0
    return Meeting(Audio(np.concatenate(pieces) + noise, ASR_RATE), _merge(reference), tuple(lines))


def _merge(reference: Reference) -> Reference:
    """Adjacent lines of one speaker with a short pause between them are one turn."""
    out: Reference = []
    for start, end, who in reference:
        if out and out[-1][2] == who and start - out[-1][1] < 1.0:
            out[-1] = (out[-1][0], end, who)
        else:
            out.append((start, end, who))
    return out


def encode(audio: Audio, fmt: str) -> bytes:
    """`audio` as a file: wav or flac (libsndfile), mp3, ogg (Opus), webm (Opus) or m4a (AAC) (FFmpeg via PyAV)."""
    import io

    import soundfile

    if fmt in ("wav", "flac"):
        buf = io.BytesIO()
        soundfile.write(buf, audio.samples, audio.sample_rate, format=fmt.upper())
        return buf.getvalue()
    import av

    codecs = {"mp3": ("libmp3lame", "mp3", 16_000), "ogg": ("libopus", "ogg", 48_000),
              "webm": ("libopus", "webm", 48_000), "m4a": ("aac", "mp4", 16_000)}  # fmt: skip
    codec, container_format, rate = codecs[fmt]
    samples = audio.resampled(rate).samples.astype(np.float32)
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=container_format) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        frame_size = 960 if codec == "libopus" else 1152
        for start in range(0, len(samples), frame_size):
            piece = samples[start : start + frame_size]
            frame = av.AudioFrame.from_ndarray(piece.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


# A weekly planning meeting of three people with known decisions and action items (for the bench's action-item
# recall and held-out DER: none of it was used to tune the diarization or the prompts).
PLANNING: tuple[tuple[int, str], ...] = (
    (0, "Good morning everyone, let's start the weekly planning meeting."),
    (1, "Morning. I have the sales numbers from last week ready."),
    (0, "Great. The first topic is the budget for the trade fair in March."),
    (2, "The stand costs twelve thousand euros, which is more than we planned."),
    (1, "We could share the stand with our partner company to cut the cost."),
    (0, "Good idea. So we decide to share the stand with the partner."),
    (2, "I will call the partner company tomorrow and ask them."),
    (0, "Thanks. The next topic is the new website."),
    (1, "The designer sent us three drafts on Monday."),
    (2, "I like the second draft best, it looks much cleaner."),
    (0, "Then we go with the second draft."),
    (1, "I will send our feedback to the designer by Wednesday."),
    (0, "Perfect. The third topic is hiring a new support engineer."),
    (2, "We had four candidates, and two of them were strong."),
    (1, "Can we invite both of them for a second interview?"),
    (0, "Yes, we will invite both strong candidates."),
    (2, "I will schedule the second interviews for next week."),
    (0, "Then the customer survey. The results came in yesterday."),
    (1, "Most customers are happy, but the delivery times are a problem."),
    (2, "Delivery takes nine days on average, and that is too long."),
    (0, "Anna from logistics will prepare a report on the delivery times by Friday."),
    (1, "Good, I will forward the survey results to Anna today."),
    (0, "The last topic is the office party in December."),
    (2, "We need to book a restaurant soon, the good places fill up quickly."),
    (1, "I can book the restaurant this week."),
    (0, "Great. The budget for the party is fifty euros per person."),
    (2, "Should we invite our partners as well?"),
    (0, "Let's decide that next week."),
    (1, "Okay. Is there anything else?"),
    (0, "No, that's all. Thank you everyone, see you next Monday."),
)


@dataclass(frozen=True)
class ExpectedAction:
    keywords: tuple[str, ...]  # the task names at least one of these
    owner: str  # "Speaker N" (the N-th voice to speak) or the name said
    due: str | None = None


PLANNING_ACTIONS = (
    ExpectedAction(("partner",), "Speaker 3", "tomorrow"),
    ExpectedAction(("designer", "feedback"), "Speaker 2", "Wednesday"),
    ExpectedAction(("interview",), "Speaker 3", "next week"),
    ExpectedAction(("report", "delivery"), "Anna", "Friday"),
    ExpectedAction(("survey",), "Speaker 2", "today"),
    ExpectedAction(("restaurant",), "Speaker 2", "this week"),
)
