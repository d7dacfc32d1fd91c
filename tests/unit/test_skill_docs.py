"""docs/skills.md's example is the timer skill tested here: the page shows these files, and the skill works."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from glassmate.skills.base import Turn
from glassmate.skills.installed import default_skills
from glassmate.testing import FakeASR, fake_skills
from tests.unit.test_session_flows import collect, send_audio, utterance
from tests.unit.timer_skill.skill import TimerSkill

ROOT = Path(__file__).parents[2]


def test_the_page_shows_the_tested_files() -> None:
    page = (ROOT / "docs" / "skills.md").read_text()
    shown = re.findall(r"<!-- file: (\S+) -->\n```\w+\n(.*?)```", page, flags=re.S)
    assert len(shown) == 4
    for path, text in shown:
        assert (ROOT / path).read_text() == text, path


@pytest.mark.parametrize(("said", "minutes"), [("Set a timer for five minutes.", 5), ("十分钟后提醒我。", 10),
                                               ("Stell einen Timer auf 3 Minuten.", 3)])  # fmt: skip
def test_the_timer_is_reached_in_three_languages(said: str, minutes: int) -> None:
    route = fake_skills([*default_skills(), TimerSkill]).route(Turn(text=said))
    assert (route.skill, route.matched_by, route.args) == ("timer", "intent", {"minutes": minutes})


async def test_the_timer_rings_in_a_session(make_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TimerSkill, "seconds_per_minute", 0.2)
    client, _ = make_server(skills=[*default_skills(), TimerSkill], asr=FakeASR(["Set a timer for two minutes."]))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await send_audio(conn, utterance())
        set_ = await collect(conn, "response.done")
        rang = await collect(conn, "response.done")
    assert set_[-1].response.output[0].content[0].transcript == "Timer set for 2 minutes."
    assert rang[-1].response.output[0].content[0].transcript == "Time's up!"
    assert rang[-1].response.metadata["route"] == "timer"
