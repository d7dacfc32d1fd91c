"""Reminders on the glasses, through the real server (its scheduler running) and the official SDK's realtime
client: one set by voice goes off as speech plus a HUD card; those that came due while the glasses were off are
summarised when they connect; the trip questions answered from an imported calendar."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.testing import FakeASR, fake_models
from glassmate.testing.server import serve_in_thread
from tests.unit.test_pay_flow import said, until
from tests.unit.test_session_flows import send_audio, utterance


@pytest.fixture
def glasses(tmp_path: Path) -> Iterator[Any]:
    servers: list[Any] = []

    def start(transcripts: list[str | tuple[str, str]]) -> tuple[AsyncOpenAI, Any]:
        settings = Settings(home=tmp_path / f"s{len(servers)}", travel={"timezone": "Europe/Berlin"})
        app = create_app(settings, models=fake_models(settings, asr=FakeASR(transcripts)))
        _, token = app.state.services.devices.add("glasses")
        cm = serve_in_thread(app)
        base = cm.__enter__()
        servers.append(cm)
        ws = base.replace("http", "ws") + "/v1"
        return AsyncOpenAI(api_key=token, base_url=f"{base}/v1", websocket_base_url=ws), app

    yield start
    for cm in servers:
        cm.__exit__(None, None, None)


def card_titled(title: str) -> Any:
    return lambda ev: ev.type == "hud.card" and ev.card["title"] == title


async def test_a_reminder_set_by_voice_goes_off_as_speech_and_a_card(glasses: Any) -> None:
    client, app = glasses(["Remind me in 1 minute to call Anna."])
    travel = app.state.services.travel
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await send_audio(conn, utterance())
        answer = await until(conn, lambda e: e.type == "response.done")
        assert "OK, I'll remind you today at" in said(answer) and "call Anna" in said(answer)
        assert answer[-1].response.metadata["route"] == "travel"
        [pending] = await asyncio.to_thread(travel.pending, "device:glasses")
        assert pending.subject == "call Anna" and pending.kind == "custom"
        # Not a minute of waiting in a unit test: the reminder is moved to now, as a later scheduler round sees it.
        await asyncio.to_thread(app.state.services.scheduler.schedule, "reminder", pending.id,
                                dt.datetime.now(dt.UTC))  # fmt: skip
        shown = await until(conn, card_titled("Reminder"))
        assert shown[-1].card["lines"] == ["Reminder: call Anna."] and shown[-1].card["priority"] == "high"
        spoken = await until(conn, lambda e: e.type == "response.done")
        assert said(spoken) == "Reminder: call Anna."
    assert await asyncio.to_thread(travel.pending, "device:glasses") == []
    delivered = travel.reminders.of_owner("device:glasses", states=("delivered",))
    assert [r.id for r in delivered] == [pending.id]


async def test_reminders_that_came_due_while_the_glasses_were_off_are_summarised_on_connect(glasses: Any) -> None:
    client, app = glasses([])
    travel = app.state.services.travel
    now = dt.datetime.now(dt.UTC)
    for minutes, what in ((90, "take the medicine"), (60, "call Anna")):  # due while nobody was connected
        travel.reminders.custom("device:glasses", now - dt.timedelta(minutes=minutes), what, zone="Europe/Berlin")
    for _ in range(50):  # the running scheduler fires them (late, past the grace: missed) with no one to tell
        if len(travel.reminders.of_owner("device:glasses", states=("fired",))) == 2:
            break
        await asyncio.sleep(0.1)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        shown = await until(conn, card_titled("Missed reminders"))
        assert [line.split("  ", 1)[1] for line in shown[-1].card["lines"]] == ["take the medicine", "call Anna"]
        spoken = await until(conn, lambda e: e.type == "response.done")
        assert said(spoken) == "While you were away, 2 reminders came due: take the medicine, call Anna."
    assert len(travel.reminders.of_owner("device:glasses", states=("delivered",))) == 2


TRIP = b"""BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:flight
SUMMARY:Flight to Beijing (LH 720)
DTSTART;TZID=Europe/Berlin:{day}T174500
DTEND;TZID=Asia/Shanghai:{next}T103500
LOCATION:Frankfurt Airport
END:VEVENT
END:VCALENDAR
"""


async def test_the_trip_questions_are_answered_from_the_calendar(glasses: Any) -> None:
    client, app = glasses(["What's next on my trip?", ("Wann geht mein Flug?", "de"), ("我什么时候该出发？", "zh")])
    day = dt.date.today() + dt.timedelta(days=3)
    ics = TRIP.replace(b"{day}", day.strftime("%Y%m%d").encode()).replace(
        b"{next}", (day + dt.timedelta(days=1)).strftime("%Y%m%d").encode()
    )
    app.state.services.travel.import_calendar("device:glasses", ics)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        answers = []
        for _ in range(3):
            await send_audio(conn, utterance())
            answers.append(said(await until(conn, lambda e: e.type == "response.done")))
    weekday = day.strftime("%A")
    assert answers[0] == f"Next on your trip: flight LH 720, on {weekday} at 17:45, from Frankfurt Airport."
    assert answers[1].startswith("Dein Flug LH 720 geht am ") and "um 17:45 Uhr, ab Frankfurt Airport." in answers[1]
    # 17:45 − 120 minutes at the airport − 45 on the way (the configured estimate: no GPS fix here)
    assert answers[2].endswith("15点00分就要出发：航班LH 720在17点45分出发，路上约45分钟，在机场预留120分钟。")
