"""A meeting recorded through the realtime session (fake models): started and stopped by voice, the audio kept,
people's words captioned as a live transcript and not answered, commands still answered, notes written after;
a dropped connection keeps and processes what was recorded."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import numpy as np

from glassmate.audio import ASR_RATE
from glassmate.providers.asr.base import ASR, TranscribeOptions, Transcript
from glassmate.testing import ScriptedLLM, silence
from tests.unit.test_meetings_api import NOTES, RegionASR
from tests.unit.test_session_flows import collect, send_audio


class SessionAndMeetingASR(ASR):
    """Live turns (no word times asked) get the scripted texts in order; the meeting's processing (word times)
    gets one word per half second of sound, as RegionASR."""

    name = "session-meeting-asr"

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        self.texts = texts
        self.region = RegionASR()

    async def _transcribe_impl(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        if options.word_timestamps:
            return await self.region._transcribe_impl(samples, options)
        text = self.texts.pop(0) if self.texts else "hello"
        return Transcript(text, "en", 1.0, len(samples) / ASR_RATE, [])


def voice(freq: float, seconds: float = 2.0) -> np.ndarray:
    """One line in a tone "voice", at the session's 24 kHz input rate, with a pause after it."""
    t = np.arange(int(seconds * 24_000)) / 24_000
    line = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.concatenate([silence(0.3, rate=24_000).samples, line, silence(1.0, rate=24_000).samples])


def meeting_row(app: Any, *, status: tuple[str, ...] = ("done", "failed"), timeout: float = 20.0) -> dict[str, Any]:
    meetings = app.state.services.meetings
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = meetings.recent()
        if found and found[0]["status"] in status:
            return dict(meetings.get(found[0]["id"]))
        time.sleep(0.05)
    raise AssertionError(f"no meeting reached {status}: {meetings.recent()}")


async def test_a_meeting_recorded_by_voice_with_two_voices_gets_notes(make_server: Any) -> None:
    asr = SessionAndMeetingASR(["Record this meeting.", "Let's look at the budget.", "I will send the numbers.",
                                "What time is it?", "Fine by me.", "Stop recording.",
                                "What did we decide about the budget?"])  # fmt: skip
    client, app = make_server(asr=asr, llm=ScriptedLLM([json.dumps(NOTES)] * 10))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await send_audio(conn, voice(220))
        started = await collect(conn, "response.done")
        assert started[-1].response.metadata["route"] == "meeting"
        updates = [e for e in started if e.type == "meeting.updated"]
        assert updates and updates[0].meeting["status"] == "recording"
        assert any(e.type == "hud.card" and e.card["id"] == "meeting" and e.card["title"] == "● REC" for e in started)

        for freq in (220, 660):  # people talking: a live transcript line each, no answer
            await send_audio(conn, voice(freq))
            heard = await collect(conn, "meeting.updated")
            assert not any(e.type == "response.created" for e in heard)
            assert heard[-1].meeting["line"]["text"] in ("Let's look at the budget.", "I will send the numbers.")
            assert heard[-1].meeting["line"]["at"] > 0

        await send_audio(conn, voice(220))  # a command still works while recording
        answered = await collect(conn, "response.done")
        assert answered[-1].response.metadata["route"] == "time"

        await send_audio(conn, voice(660))
        await collect(conn, "meeting.updated")
        await send_audio(conn, voice(220))
        stopped = await collect(conn, "response.done")
        spoken = "".join(e.delta for e in stopped if e.type == "response.output_audio_transcript.delta")
        assert spoken.startswith("Recorded ") and "notes" in spoken
        assert any(e.type == "meeting.updated" and e.meeting["status"] == "processing" for e in stopped)
        done = await collect(conn, "meeting.updated")
        while done[-1].meeting["status"] not in ("done", "failed"):
            done = await collect(conn, "meeting.updated")
        assert done[-1].meeting["status"] == "done" and done[-1].meeting["title"] == "Tone talk"

        await send_audio(conn, voice(660))  # asked later: answered from the notes
        recalled = await collect(conn, "response.done")
        assert recalled[-1].response.metadata["route"] == "meeting"
        spoken = "".join(e.delta for e in recalled if e.type == "response.output_audio_transcript.delta")
        assert spoken == "In “Tone talk” (today) you decided: Keep the budget at 40,000 euros."

    found = meeting_row(app)
    assert found["source"] == "glasses" and found["audio_kept"]
    assert [s["name"] for s in found["speakers"]] == ["Speaker 1", "Speaker 2"]
    assert {s["speaker"] for s in found["segments"]} == {"Speaker 1", "Speaker 2"}
    assert 12 < found["duration_s"] < 20  # the five lines after "record this meeting", 3.3 s each


async def test_a_dropped_connection_keeps_and_processes_the_recording(make_server: Any) -> None:
    asr = SessionAndMeetingASR(["Record this meeting.", "First point.", "Second point."])
    client, app = make_server(asr=asr, llm=ScriptedLLM([json.dumps(NOTES)] * 10))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await send_audio(conn, voice(220))
        await collect(conn, "response.done")
        for freq in (220, 660):
            await send_audio(conn, voice(freq))
            await collect(conn, "meeting.updated")
        await asyncio.sleep(1.2)  # one flush to the file
    found = await asyncio.to_thread(meeting_row, app)
    assert found["status"] == "done", found
    assert found["duration_s"] > 5 and len(found["speakers"]) == 2


async def test_the_record_button_starts_and_stops_a_recording(make_server: Any) -> None:
    asr = SessionAndMeetingASR(["Let's begin.", "First point."])
    client, app = make_server(asr=asr, llm=ScriptedLLM([json.dumps(NOTES)] * 10))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send({"type": "device.button", "button": "record"})
        started = await collect(conn, "response.done")
        assert started[-1].response.metadata["route"] == "meeting"
        assert any(e.type == "meeting.updated" and e.meeting["status"] == "recording" for e in started)
        for freq in (220, 660):
            await send_audio(conn, voice(freq))
            await collect(conn, "meeting.updated")
        await conn.send({"type": "device.button", "button": "record"})
        stopped = await collect(conn, "response.done")
        assert any(e.type == "meeting.updated" and e.meeting["status"] == "processing" for e in stopped)
    found = await asyncio.to_thread(meeting_row, app)
    assert found["status"] == "done" and len(found["speakers"]) == 2
