"""Travel reminders: the rules (flight check-in, leave-by, boarding; train leave-by; hotel; the file's own VALARMs)
in the right zone and across DST changes; planned from an import, re-planned daily, cancelled with their calendar;
fired by the scheduler and delivered to the glasses, waiting while they are offline; the wearer's times read in
three languages."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from glassmate.config import TravelSettings
from glassmate.errors import BadInputError
from glassmate.scheduler import Scheduler
from glassmate.skills.travel.speech import parse_when, reminder_text, summary_text
from glassmate.store import Database
from glassmate.travel.calendar import occurrences, read_calendar
from glassmate.travel.reminders import JOB, Reminder
from glassmate.travel.rules import plan
from glassmate.travel.service import PLAN_JOB, Travel

BERLIN, SHANGHAI = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

TRIP = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
BEGIN:VEVENT
UID:flight-lh720
SUMMARY:Flight to Beijing (LH 720)
DTSTART;TZID=Europe/Berlin:20270328T174500
DTEND;TZID=Asia/Shanghai:20270329T103500
LOCATION:Frankfurt FRA
END:VEVENT
BEGIN:VEVENT
UID:train
SUMMARY:ICE 577 nach München
DTSTART;TZID=Europe/Berlin:20270326T080000
DTEND;TZID=Europe/Berlin:20270326T120000
LOCATION:Frankfurt(Main)Hbf
BEGIN:VALARM
TRIGGER:-PT1H
ACTION:DISPLAY
DESCRIPTION:Train
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:hotel
SUMMARY:Hotel Beijing
DTSTART;VALUE=DATE:20270329
DTEND;VALUE=DATE:20270401
END:VEVENT
BEGIN:VEVENT
UID:lunch
SUMMARY:Lunch with Anna
DTSTART;TZID=Europe/Berlin:20270325T123000
DTEND;TZID=Europe/Berlin:20270325T133000
END:VEVENT
END:VCALENDAR
""".encode()
NOW = dt.datetime(2027, 3, 20, 12, 0, tzinfo=UTC)


def _planned(ics: bytes, zone: str = "Asia/Shanghai", now: dt.datetime = NOW) -> dict[tuple[str, str], dt.datetime]:
    settings = TravelSettings(timezone=zone)
    read = read_calendar(ics, zone=zone)
    found = occurrences(read.ics, now, now + dt.timedelta(days=30), zone=zone)
    return {(o.uid, p.kind): p.due_at for o in found for p in plan("device:g", "calendar:c", o, settings, now)}


def test_the_rules_of_a_flight_a_train_a_hotel_and_an_event_with_no_rule() -> None:
    due = _planned(TRIP)
    # The flight leaves Frankfurt at 17:45 on the day Europe's clocks go forward (CEST, +02:00).
    departure = dt.datetime(2027, 3, 28, 17, 45, tzinfo=BERLIN).astimezone(UTC)  # offsets taken in UTC
    assert due[("flight-lh720", "boarding")] == departure - dt.timedelta(minutes=30)
    assert due[("flight-lh720", "leave")] == departure - dt.timedelta(minutes=120 + 45)
    # Check-in opens 24 hours before: an exact duration, so across the change it is 16:45 on the wall clock.
    checkin = due[("flight-lh720", "checkin")]
    assert checkin == departure - dt.timedelta(hours=24)
    assert checkin.astimezone(BERLIN).hour == 16 and checkin.astimezone(UTC).hour == 15
    assert due[("train", "leave")] == dt.datetime(2027, 3, 26, 8, 0, tzinfo=BERLIN) - dt.timedelta(minutes=15 + 45)
    assert due[("train", "alarm")] == dt.datetime(2027, 3, 26, 7, 0, tzinfo=BERLIN)  # the file's own VALARM
    assert ("train", "checkin") not in due  # no check-in for a train
    # An all-day stay: 09:00 on its first day in the wearer's zone.
    assert due[("hotel", "hotel")] == dt.datetime(2027, 3, 29, 9, 0, tzinfo=SHANGHAI)
    assert not [key for key in due if key[0] == "lunch"]  # an event with no alarm and no rule: nothing


def test_a_wall_clock_reminder_stays_at_its_hour_across_a_dst_change() -> None:
    stay = b"""BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:stay
SUMMARY:Hotel Adlon
DTSTART;VALUE=DATE:20270328
DTEND;VALUE=DATE:20270330
END:VEVENT
BEGIN:VEVENT
UID:weekly
SUMMARY:Train RE 4 to Aachen
DTSTART;TZID=Europe/Berlin:20270321T090000
DTEND;TZID=Europe/Berlin:20270321T100000
RRULE:FREQ=WEEKLY;COUNT=3
END:VEVENT
END:VCALENDAR
"""
    due = _planned(stay, zone="Europe/Berlin")
    hotel = due[("stay", "hotel")]
    assert hotel.astimezone(BERLIN).hour == 9 and hotel.utcoffset() == dt.timedelta(hours=2)  # CEST that day
    settings = TravelSettings(timezone="Europe/Berlin")
    read = read_calendar(stay, zone="Europe/Berlin")
    leaves = sorted(p.due_at for o in occurrences(read.ics, NOW, NOW + dt.timedelta(days=30), zone="Europe/Berlin")
                    for p in plan("g", "c", o, settings, NOW) if p.kind == "leave")  # fmt: skip
    # 09:00 every Sunday on the wall clock, before and after the change: 08:00 leave-by, UTC 07:00 then 06:00.
    assert [t.astimezone(BERLIN).strftime("%m-%d %H:%M") for t in leaves] == ["03-21 08:00", "03-28 08:00",
                                                                              "04-04 08:00"]  # fmt: skip
    assert [t.astimezone(UTC).hour for t in leaves] == [7, 6, 6]


def test_reminders_already_past_are_not_planned() -> None:
    late = NOW.replace(month=3, day=28, hour=15, minute=0)  # after check-in opened, before boarding
    kinds = {kind for (uid, kind) in _planned(TRIP, now=late) if uid == "flight-lh720"}
    assert kinds == {"boarding"}


@pytest.fixture
def travel(tmp_path: Path) -> Travel:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    service = Travel(db=Database(url=url), settings=TravelSettings(timezone="Asia/Shanghai", plan_days=14),
                     scheduler=Scheduler(url))  # fmt: skip
    service.register()
    return service


def test_an_import_plans_reminders_a_removal_cancels_them(travel: Travel) -> None:
    body = travel.import_calendar("device:g", TRIP, now=NOW)
    pending = travel.pending("device:g")
    assert body["reminders"] == len(pending) == 6  # flight ×3, train ×2, hotel
    assert [r.kind for r in pending][:2] == ["alarm", "leave"]  # soonest first: the train's alarm, then leave-by
    assert travel.pending("device:other") == []
    again = travel.import_calendar(
        "device:g", TRIP, now=NOW
    )  # the same file twice: a second calendar, its own reminders
    assert again["reminders"] == 6
    travel.delete("device:g", again["id"])
    assert len(travel.pending("device:g")) == 6
    with travel.scheduler.sessions() as s:
        from sqlalchemy import func, select

        from glassmate.store.jobs import JobRow

        query = select(JobRow.state, func.count()).where(JobRow.kind == JOB).group_by(JobRow.state)
        states = {state: n for state, n in s.execute(query)}
    assert states == {"scheduled": 6, "cancelled": 6}


def test_the_daily_plan_reaches_further_each_day(travel: Travel) -> None:
    weekly = b"""BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:commute
SUMMARY:Zug ICE 1001 nach Berlin
DTSTART;TZID=Europe/Berlin:20270322T070000
DTEND;TZID=Europe/Berlin:20270322T110000
RRULE:FREQ=WEEKLY
END:VEVENT
END:VCALENDAR
"""
    travel.import_calendar("device:g", weekly, now=NOW)
    first = [r.due_at for r in travel.pending("device:g")]
    assert len(first) == 2  # 14 days ahead: two Mondays
    day = NOW
    for _ in range(7):  # a week of daily plan jobs (each fires, plans, and schedules the next day's)
        day += dt.timedelta(days=1, minutes=1)
        fired = travel.scheduler.run_due(day)
        assert [job.kind for job in fired if job.kind == PLAN_JOB] == [PLAN_JOB]
    later = [r.due_at for r in travel.reminders.of_owner("device:g", states=("scheduled", "fired"))]
    assert len(later) == 3 and later[:2] == first  # nothing doubled, one more Monday (the first has gone off)


class Glasses:
    """A fake pair of glasses: what the Inbox hands to its session."""

    def __init__(self, fail: bool = False) -> None:
        self.got: list[list[Reminder]] = []
        self.fail = fail

    async def __call__(self, reminders: list[Reminder]) -> None:
        if self.fail:
            raise ConnectionError("the session closed mid-sentence")
        self.got.append(reminders)


def test_a_fired_reminder_goes_to_the_connected_glasses_once_and_waits_while_they_are_off(travel: Travel) -> None:
    async def main() -> None:
        now = dt.datetime.now(UTC)
        travel.remind("device:g", now + dt.timedelta(seconds=1), "call Anna")
        travel.remind("device:g", now + dt.timedelta(seconds=2), "water the plants")
        glasses = Glasses()
        travel.inbox.attach("device:g", glasses)
        fired = travel.scheduler.run_due(now + dt.timedelta(seconds=1))
        await travel.scheduler.after(fired)  # what the running scheduler does after its commit
        assert [[r.subject for r in batch] for batch in glasses.got] == [["call Anna"]]
        travel.inbox.detach("device:g", glasses)  # the glasses go off
        await travel.scheduler.after(travel.scheduler.run_due(now + dt.timedelta(seconds=3)))
        assert len(glasses.got) == 1
        assert [r.subject for r in travel.reminders.of_owner("device:g", states=("fired",))] == ["water the plants"]
        broken = Glasses(fail=True)  # they come back, and the session closes while speaking: it waits again
        travel.inbox.attach("device:g", broken)
        assert await travel.inbox.deliver("device:g") == 0
        travel.inbox.detach("device:g", broken)
        travel.inbox.attach("device:g", glasses)  # and again, for good
        assert await travel.inbox.deliver("device:g", "device:absent") == 1
        assert [r.subject for r in glasses.got[-1]] == ["water the plants"]
        assert await travel.inbox.deliver("device:g") == 0  # never twice
        delivered = travel.reminders.of_owner("device:g", states=("delivered",))
        assert len(delivered) == 2 and all(r.late_s is not None for r in delivered)

    asyncio.run(main())


def test_bad_one_off_reminders_are_refused_with_their_codes(travel: Travel) -> None:
    with pytest.raises(BadInputError) as past:
        travel.remind("device:g", dt.datetime.now(UTC) - dt.timedelta(minutes=1), "too late")
    with pytest.raises(BadInputError) as empty:
        travel.remind("device:g", dt.datetime.now(UTC) + dt.timedelta(minutes=1), "  ")
    assert (past.value.code, empty.value.code) == ("reminder-in-past", "reminder-empty")
    assert travel.pending("device:g") == []


# -- the wearer's times, and what is said ---------------------------------------------------------------------

AFTERNOON = dt.datetime(2026, 11, 30, 14, 20, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("language", "said", "expected"),
    [
        ("en", "at 5", "2026-11-30 17:00"), ("en", "at 5 pm", "2026-11-30 17:00"), ("en", "at 9", "2026-11-30 21:00"),
        ("en", "at 17:30", "2026-11-30 17:30"), ("en", "at five", "2026-11-30 17:00"),
        ("en", "at 9 in the morning", "2026-12-01 09:00"), ("en", "tomorrow at 5", "2026-12-01 17:00"),
        ("en", "in 10 minutes", "2026-11-30 14:30"), ("en", "in an hour", "2026-11-30 15:20"),
        ("en", "in half an hour", "2026-11-30 14:50"), ("en", "at half past six", "2026-11-30 18:30"),
        ("zh", "五点", "2026-11-30 17:00"), ("zh", "下午五点", "2026-11-30 17:00"), ("zh", "3点20", "2026-11-30 15:20"),
        ("zh", "明天早上八点半", "2026-12-01 08:30"), ("zh", "晚上十点一刻", "2026-11-30 22:15"),
        ("zh", "十分钟后", "2026-11-30 14:30"), ("zh", "两个小时后", "2026-11-30 16:20"),
        ("zh", "半小时后", "2026-11-30 14:50"),
        ("de", "um 5", "2026-11-30 17:00"), ("de", "um 17 Uhr", "2026-11-30 17:00"),
        ("de", "um halb sechs", "2026-11-30 17:30"), ("de", "um 5 Uhr 30", "2026-11-30 17:30"),
        ("de", "um viertel vor drei", "2026-11-30 14:45"), ("de", "morgen um 9", "2026-12-01 09:00"),
        ("de", "in 10 Minuten", "2026-11-30 14:30"), ("de", "in einer Stunde", "2026-11-30 15:20"),
        ("en", "sometime", None), ("zh", "等一下", None), ("de", "irgendwann", None),
    ],
)  # fmt: skip
def test_the_wearers_times_are_read_in_three_languages(language: str, said: str, expected: str | None) -> None:
    when = parse_when(said, language, AFTERNOON)
    assert (when.strftime("%Y-%m-%d %H:%M") if when else None) == expected


def test_in_an_hour_across_a_dst_change_is_an_hour_of_elapsed_time() -> None:
    before = dt.datetime(2027, 3, 28, 1, 30, tzinfo=BERLIN)  # clocks jump from 02:00 to 03:00
    after = parse_when("in an hour", "en", before)
    assert after is not None and after.astimezone(UTC) - before.astimezone(UTC) == dt.timedelta(hours=1)
    assert after.astimezone(BERLIN).strftime("%H:%M") == "03:30"


def test_what_a_reminder_says_in_three_languages() -> None:
    departure = dt.datetime(2027, 3, 28, 17, 45, tzinfo=BERLIN)
    checkin = Reminder(id="r", kind="checkin", subject="Flight to Beijing (LH 720)", location="FRA",
                       event_at=departure, due_at=departure - dt.timedelta(hours=24), zone="Europe/Berlin",
                       state="fired", params={"mode": "flight", "number": "LH 720"})  # fmt: skip
    now = checkin.due_at
    assert reminder_text(checkin, "en", now) == "Check-in for flight LH 720 is open now. It departs tomorrow at 17:45."
    assert reminder_text(checkin, "zh", now) == "航班LH 720现在可以值机了，明天17点45分起飞。"
    assert (
        reminder_text(checkin, "de", now) == "Der Check-in für Flug LH 720 ist jetzt offen. Abflug morgen um 17:45 Uhr."
    )
    call = Reminder(id="c", kind="custom", subject="call Anna", location="", event_at=None, due_at=now,
                    zone="Asia/Shanghai", state="fired")  # fmt: skip
    assert reminder_text(call, "en", now) == "Reminder: call Anna."
    assert summary_text([checkin, call], "en") == "While you were away, 2 reminders came due: flight LH 720, call Anna."
    assert summary_text([checkin, call], "zh") == "你不在的时候有2条提醒：航班LH 720、call Anna。"
