"""A two-hour recording (a FLAC file of two tone "voices" taking turns) imported through the meetings service with
fake models: decoded block by block, copied into the store, transcribed with speakers and noted, while the
process's memory stays flat (measured every 10 % of the audio). Slow: about a minute."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import numpy as np
import pytest

from glassmate.audio import ASR_RATE
from glassmate.config import Settings
from glassmate.meetings.audio_io import AudioWriter
from glassmate.meetings.service import Meetings
from glassmate.store.db import Database
from glassmate.testing import fake_models
from glassmate.testing.fakes import ScriptedLLM
from tests.unit.test_meetings_api import NOTES, RegionASR

pytestmark = pytest.mark.slow
HOURS = 2.0


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def write_dialogue(path: Path, hours: float) -> int:
    """Lines of 2 s alternating between 220 and 660 Hz, 0.8 s apart, written 30 s at a time; the lines written."""
    t = np.arange(int(2.0 * ASR_RATE)) / ASR_RATE
    voices = [(0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32) for f in (220, 660)]
    pause = np.zeros(int(0.8 * ASR_RATE), np.float32)
    writer = AudioWriter(path, fmt="flac")
    lines, block = 0, []
    while writer.samples < hours * 3600 * ASR_RATE:
        block += [voices[lines % 2], pause]
        lines += 1
        if len(block) >= 20:
            writer.write(np.concatenate(block))
            block = []
    writer.close()
    return lines


async def test_a_two_hour_recording_is_processed_in_flat_memory(tmp_path: Path) -> None:
    source = tmp_path / "two-hours.flac"
    lines = await asyncio.to_thread(write_dialogue, source, HOURS)
    settings = Settings(home=tmp_path / "home")
    llm = ScriptedLLM([json.dumps(NOTES)] * 100)
    meetings = Meetings(db=Database(url=settings.db_url), models=fake_models(settings, asr=RegionASR(), llm=llm),
                        settings=settings)  # fmt: skip
    meeting_id = meetings.new(owner="cli", source="import", filename=source.name)
    samples: list[tuple[float, float]] = []

    def progress(stage: str, fraction: float) -> None:
        if stage == "transcribing" and (not samples or fraction - samples[-1][0] >= 0.1):
            samples.append((fraction, rss_mb()))

    await meetings.import_file(meeting_id, source, progress=progress)
    found = meetings.get(meeting_id)
    assert found["status"] == "done", found.get("error")
    assert found["duration_s"] == pytest.approx(HOURS * 3600, abs=60)  # written 20 lines at a time
    assert [s["name"] for s in found["speakers"]] == ["Speaker 1", "Speaker 2"]
    assert abs(len(found["segments"]) - lines) <= lines // 100
    assert {s["speaker_index"] for s in found["segments"][::2]} == {0}  # turns alternate all the way through
    assert (settings.meetings_dir / f"{meeting_id}.flac").stat().st_size > 0

    # Memory: from the first tenth of the audio to the end, RSS may grow by what the words and vectors take
    # (about 10 MB for two hours), not by the audio (a 2-hour float32 recording is 460 MB).
    assert len(samples) >= 8
    after_first_tenth = [mb for fraction, mb in samples if fraction >= 0.1]
    growth = max(after_first_tenth) - after_first_tenth[0]
    print(f"RSS through the recording: {[round(mb) for _, mb in samples]} MB; growth {growth:.0f} MB")
    assert growth < 60, samples
    await meetings.aclose()
