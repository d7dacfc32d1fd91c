"""Meetings over REST with fake models: two tone "voices" are told apart, notes come from a scripted LLM, every
audio format imports, bad input fails the meeting with a stable code and nothing else."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from glassmate.api.app import create_app
from glassmate.audio import ASR_RATE, Audio
from glassmate.config import Settings
from glassmate.providers.asr.base import ASR, Segment, TranscribeOptions, Transcript, Word
from glassmate.testing import fake_models
from glassmate.testing.fakes import ScriptedLLM
from glassmate.testing.meetings import encode

LINES = 8
NOTES = {"title": "Tone talk", "summary": "Two voices took turns.", "action_items": [],
         "decisions": ["Keep the budget at 40,000 euros"], "open_questions": []}  # fmt: skip


class RegionASR(ASR):
    """One segment per loud stretch of the audio, one word per 0.5 s of it: words are where the sound is."""

    name = "region-asr"

    async def _transcribe_impl(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        loud = np.abs(samples[: len(samples) // 160 * 160]).reshape(-1, 160).mean(axis=1) > 0.02
        segments, start = [], None
        for i, on in enumerate([*loud, False]):
            if on and start is None:
                start = i
            elif not on and start is not None:
                a, b = start / 100, i / 100
                words = tuple(Word(t, min(b, t + 0.5), f" w{int(t * 10)}") for t in np.arange(a, b, 0.5))
                segments.append(Segment(a, b, "".join(w.word for w in words), words))
                start = None
        return Transcript(" ".join(s.text for s in segments), "en", 1.0, len(samples) / ASR_RATE, segments)


def dialogue(lines: int = LINES) -> Audio:
    """Two "voices" (220 Hz and 660 Hz tones) taking turns, 2 s each, 0.8 s apart."""
    t = np.arange(int(2.0 * ASR_RATE)) / ASR_RATE
    pause = np.zeros(int(0.8 * ASR_RATE), np.float32)
    parts = [pause]
    for i in range(lines):
        parts += [(0.3 * np.sin(2 * np.pi * (220 if i % 2 == 0 else 660) * t)).astype(np.float32), pause]
    return Audio(np.concatenate(parts), ASR_RATE)


class Api:
    def __init__(self, http: TestClient, token: str, other: str, llm: ScriptedLLM, home: Path) -> None:
        self.http, self.token, self.other, self.llm, self.home = http, token, other, llm, home

    def call(self, method: str, path: str, *, token: str | None = None, **kw: Any) -> Any:
        return self.http.request(method, path, headers={"authorization": f"Bearer {token or self.token}"}, **kw)

    def upload(self, data: bytes, name: str = "talk.wav") -> str:
        r = self.call("POST", "/v1/meetings", files={"file": (name, data, "application/octet-stream")})
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "processing"
        return str(r.json()["id"])

    def finished(self, meeting_id: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.call("GET", f"/v1/meetings/{meeting_id}").json()
            if found["status"] in ("done", "failed"):
                return dict(found)
            time.sleep(0.05)
        raise AssertionError(f"meeting {meeting_id} still {found['status']}")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(home=tmp_path)
    llm = ScriptedLLM([json.dumps(NOTES)] * 20)
    app = create_app(settings, models=fake_models(settings, asr=RegionASR(), llm=llm))
    _, token = app.state.services.devices.add("glasses")
    _, other = app.state.services.devices.add("someone-else")
    with TestClient(app) as http:
        yield Api(http, token, other, llm, tmp_path)


def test_an_uploaded_meeting_is_transcribed_with_speakers_and_noted(api: Api) -> None:
    meeting_id = api.upload(encode(dialogue(), "wav"))
    found = api.finished(meeting_id)
    assert found["status"] == "done", found
    assert [s["name"] for s in found["speakers"]] == ["Speaker 1", "Speaker 2"]
    speakers = [s["speaker"] for s in found["segments"]]
    assert speakers == ["Speaker 1", "Speaker 2"] * (LINES // 2)
    first = found["segments"][0]
    assert 0.7 < first["start"] < 0.9 and 2.7 < first["end"] < 2.9 and first["text"].startswith("w")
    assert found["notes"]["title"] == "Tone talk" and found["title"] == "Tone talk"
    assert found["duration_s"] == pytest.approx(dialogue().duration_s, abs=0.1)
    assert found["audio_kept"] and (api.home / "meetings" / f"{meeting_id}.flac").is_file()

    listed = api.call("GET", "/v1/meetings").json()["data"]
    assert [m["id"] for m in listed] == [meeting_id] and "segments" not in listed[0]

    renamed = api.call("PATCH", f"/v1/meetings/{meeting_id}/speakers/1", json={"name": "Wang Wei"}).json()
    assert renamed["segments"][1]["speaker"] == "Wang Wei"
    text = api.call("GET", f"/v1/meetings/{meeting_id}/markdown").text
    assert (
        text.startswith("# Tone talk")
        and "- Keep the budget at 40,000 euros" in text
        and "**Wang Wei** [00:03]" in text
    )


def test_meetings_belong_to_their_caller(api: Api) -> None:
    meeting_id = api.upload(encode(dialogue(2), "wav"))
    api.finished(meeting_id)
    assert api.call("GET", f"/v1/meetings/{meeting_id}", token=api.other).status_code == 404
    assert api.call("GET", "/v1/meetings", token=api.other).json()["data"] == []
    assert api.call("DELETE", f"/v1/meetings/{meeting_id}", token=api.other).status_code == 404
    r = api.call("DELETE", f"/v1/meetings/{meeting_id}")
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert api.call("GET", f"/v1/meetings/{meeting_id}").json()["error"]["code"] == "meeting-not-found"
    assert not list((api.home / "meetings").glob(f"{meeting_id}*"))  # its audio is gone too


@pytest.mark.parametrize("fmt", ["flac", "mp3", "ogg", "webm", "m4a"])
def test_each_audio_format_imports(api: Api, fmt: str) -> None:
    found = api.finished(api.upload(encode(dialogue(4), fmt), f"talk.{fmt}"))
    assert found["status"] == "done", found
    assert [s["speaker"] for s in found["segments"]] == ["Speaker 1", "Speaker 2"] * 2


def test_a_corrupt_file_fails_with_a_code(api: Api) -> None:
    found = api.finished(api.upload(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 40, "broken.wav"))
    assert found["status"] == "failed" and found["error"]["code"] == "audio-unreadable"
    assert api.llm.calls == []


def test_a_recording_cut_off_midway_keeps_what_was_recorded(api: Api) -> None:
    data = encode(dialogue(), "flac")
    found = api.finished(api.upload(data[: len(data) // 2], "cut.flac"))
    assert found["status"] == "done", found
    assert 2 <= len(found["segments"]) < LINES  # the lines before the cut
    assert len(found["speakers"]) == 2


def test_silence_only_is_done_with_no_speech_and_no_llm_call(api: Api) -> None:
    silence = Audio(np.zeros(10 * ASR_RATE, np.float32), ASR_RATE)
    found = api.finished(api.upload(encode(silence, "wav")))
    assert found["status"] == "done" and found["segments"] == [] and found["speakers"] == []
    assert found["warnings"] == ["no speech was heard in the recording"] and found["title"] == "No speech"
    assert api.llm.calls == []


def test_bad_uploads_are_refused_at_once(api: Api) -> None:
    r = api.call("POST", "/v1/meetings", files={"file": ("notes.txt", b"hello", "text/plain")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "audio-format-unsupported"
    r = api.call("POST", "/v1/meetings", files={"file": ("empty.wav", b"", "audio/wav")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "audio-empty"
    r = api.http.post("/v1/meetings", files={"file": ("a.wav", b"x", "audio/wav")})
    assert r.status_code == 401
    r = api.call("PATCH", "/v1/meetings/mtg_nope/speakers/0", json={"name": "X"})
    assert r.status_code == 404


def test_meetings_are_searched_over_rest(api: Api) -> None:
    meeting_id = api.upload(encode(dialogue(), "wav"))
    assert api.finished(meeting_id)["status"] == "done"
    hits = api.call("GET", "/v1/meetings", params={"q": "budget"}).json()["data"]
    assert [h["id"] for h in hits] == [meeting_id]
    assert hits[0]["matches"][0] == {"kind": "decision", "text": "Keep the budget at 40,000 euros"}
    assert "segments" not in hits[0] and hits[0]["rank"] >= 0
    assert api.call("GET", "/v1/meetings", params={"q": "budget"}, token=api.other).json()["data"] == []
    assert api.call("GET", "/v1/meetings", params={"q": "holiday"}).json()["data"] == []

    api.call("PATCH", f"/v1/meetings/{meeting_id}/speakers/0", json={"name": "Wang Wei"})
    assert [h["id"] for h in api.call("GET", "/v1/meetings", params={"q": "wang"}).json()["data"]] == [meeting_id]
    assert api.call("GET", "/v1/meetings", params={"q": "x" * 201}).status_code == 400
    api.call("DELETE", f"/v1/meetings/{meeting_id}")
    assert api.call("GET", "/v1/meetings", params={"q": "budget"}).json()["data"] == []


def tone_speech(freq: float, seconds: float) -> Audio:
    """One tone "voice" speaking `seconds` in lines of 2 s with short pauses."""
    t = np.arange(int(2.0 * ASR_RATE)) / ASR_RATE
    line = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    pause = np.zeros(int(0.5 * ASR_RATE), np.float32)
    return Audio(np.concatenate([pause, *[np.concatenate([line, pause]) for _ in range(int(seconds / 2))]]), ASR_RATE)


def test_the_wearers_enrolled_voice_names_their_speaker(api: Api) -> None:
    def enrol(audio: Audio, name: str) -> Any:
        return api.call("PUT", "/v1/voiceprint", files={"file": ("me.wav", encode(audio, "wav"))}, data={"name": name})

    short = enrol(tone_speech(660, 4), "Li Na")
    assert short.status_code == 400 and short.json()["error"]["code"] == "voice-too-short"
    missing = api.call("GET", "/v1/voiceprint")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "voice-not-enrolled"

    enrolled = enrol(tone_speech(660, 12), "Li Na")
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["name"] == "Li Na" and enrolled.json()["speech_s"] >= 8
    assert api.call("GET", "/v1/voiceprint").json()["name"] == "Li Na"
    assert api.call("GET", "/v1/voiceprint", token=api.other).status_code == 404  # one caller's voice only

    found = api.finished(api.upload(encode(dialogue(), "wav")))
    assert [s["name"] for s in found["speakers"]] == ["Speaker 1", "Li Na"]  # the 660 Hz voice speaks second
    assert found["segments"][1]["speaker"] == "Li Na"

    corrupt = api.call("PUT", "/v1/voiceprint", files={"file": ("me.wav", b"RIFF\x00\x00garbage" * 50)})
    assert corrupt.status_code == 400 and corrupt.json()["error"]["code"] == "audio-unreadable"
    assert api.call("GET", "/v1/voiceprint").json()["name"] == "Li Na"  # the enrolled voice is kept

    absent = enrol(tone_speech(440, 12), "Someone else")  # a voice not in the meeting names nobody
    assert absent.status_code == 200
    found = api.finished(api.upload(encode(dialogue(), "wav")))
    assert [s["name"] for s in found["speakers"]] == ["Speaker 1", "Speaker 2"]

    assert api.call("DELETE", "/v1/voiceprint").json()["deleted"] is True
    assert api.call("DELETE", "/v1/voiceprint").status_code == 404
