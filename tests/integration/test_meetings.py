"""Meetings with the real models: a real two-person recording (the pyannote sample, with reference turns), a
synthetic two-voice meeting, and recordings with no speech at all."""

from __future__ import annotations

import numpy as np

from glassmate.audio import ASR_RATE
from glassmate.meetings.audio_io import blocks
from glassmate.meetings.der import diarization_error, read_rttm
from glassmate.meetings.pipeline import MeetingTranscriber
from glassmate.runtime import Models
from glassmate.testing.material import pyannote_sample
from glassmate.testing.meetings import scripted_meeting
from glassmate.testing.signals import music

SCRIPT = [
    (0, "Good morning, let's look at the budget for next quarter."),
    (1, "I think we should cut the travel costs by ten percent."),
    (0, "That sounds reasonable. What about the launch?"),
    (1, "Anna will send the revised numbers by Friday."),
    (0, "Great, then we meet again next Tuesday."),
    (1, "Perfect, see you then."),
]


def _hypothesis(segments: list) -> list[tuple[float, float, str]]:
    return [(s.start, s.end, str(s.speaker)) for s in segments]


async def test_the_real_two_person_call_is_diarized(models: Models) -> None:
    sample = pyannote_sample()
    result = await MeetingTranscriber(models=models).run(blocks(sample.audio))
    assert result.speakers == 2 and result.language == "en"
    text = " ".join(s.text for s in result.segments)
    assert "New Jersey" in text and "Chicago" in text
    der = diarization_error(read_rttm(sample.rttm), _hypothesis(result.segments), collar=0.25)
    assert der.der < 0.15, der  # 7.8 % measured (bench/meetings.py)


async def test_a_synthetic_two_voice_meeting_is_diarized(models: Models) -> None:
    meeting = await scripted_meeting(SCRIPT, tts=models.tts)
    samples = meeting.audio.samples
    chunks = [samples[i : i + 10 * ASR_RATE] for i in range(0, len(samples), 10 * ASR_RATE)]
    result = await MeetingTranscriber(models=models).run(chunks)
    assert result.speakers == 2
    der = diarization_error(meeting.reference, _hypothesis(result.segments))
    assert der.der < 0.15, der
    assert "Friday" in " ".join(s.text for s in result.segments if s.speaker == result.segments[1].speaker)


async def test_music_and_silence_hold_no_speech(models: Models) -> None:
    for audio in (music(20.0).samples, np.zeros(20 * ASR_RATE, np.float32)):
        result = await MeetingTranscriber(models=models).run([audio])
        assert result.segments == [] and result.speakers == 0


ENROLMENT = [
    "The quick brown fox jumps over the lazy dog while the farmer watches from the old wooden gate.",
    "Every morning I walk to the station, buy a newspaper and read it on the train to the office.",
    "My favourite season is autumn, when the leaves turn red and gold and the air smells of rain.",
]


async def test_an_enrolled_voice_is_named_and_an_absent_one_is_not(models: Models) -> None:
    from glassmate.meetings.voiceprint import enrol, match
    from glassmate.testing.meetings import VOICES, speak_line

    async def voiceprint(voice: str) -> np.ndarray:
        lines = [(await speak_line(text, voice, models.tts)).samples for text in ENROLMENT]
        vector, speech_s = await enrol(models, [np.concatenate(lines)])
        assert speech_s >= 8
        return vector

    # espeak's en+f3 opens, en-us+m3 answers. (Piper's voice is the borderline one: its own speaker scores
    # 0.83-0.88 against its enrolment, so it is sometimes missed; bench/meetings.py counts those.)
    meeting = await scripted_meeting(SCRIPT, voices=("en+f3", "en-us+m3"))
    result = await MeetingTranscriber(models=models).run([meeting.audio.samples])
    assert result.speakers == 2
    assert match(result.centroids, await voiceprint("en+f3")) == 0
    assert match(result.centroids, await voiceprint("en-us+m3")) == 1
    assert match(result.centroids, await voiceprint("en+f5")) is None
    assert match(result.centroids, await voiceprint(VOICES[0])) is None  # Piper's voice is not in this one
