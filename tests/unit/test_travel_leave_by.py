"""Leave-by from the walking time on the real central-Helsinki map: a train from Helsinki's central station, the
wearer at the cathedral; the estimate stays when the map does not cover the way (the airport is 17 km out of the
extract) or the wearer is somewhere else entirely."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from glassmate.config import Settings
from glassmate.navigation.service import Navigation
from glassmate.scheduler import Scheduler
from glassmate.store import Database
from glassmate.store.travel import CalendarRow
from glassmate.travel.service import Travel

CATHEDRAL = (60.17031, 24.95223)
BERLIN = (52.52, 13.405)
NOW = dt.datetime(2027, 5, 3, 6, 0, tzinfo=dt.UTC)  # 09:00 in Helsinki

TRIP = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:train\r
SUMMARY:Train IC 27 to Turku\r
DTSTART;TZID=Europe/Helsinki:20270503T120000\r
DTEND;TZID=Europe/Helsinki:20270503T140000\r
LOCATION:Helsinki railway station\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:flight\r
SUMMARY:Flight AY 1331 HEL - BER\r
DTSTART;TZID=Europe/Helsinki:20270503T190000\r
DTEND;TZID=Europe/Helsinki:20270503T200000\r
LOCATION:HEL\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_the_leave_by_reminder_follows_the_walk_when_the_map_covers_it(helsinki_home: Path, tmp_path: Path) -> None:
    settings = Settings(home=helsinki_home, travel={"timezone": "Europe/Helsinki"})
    url = f"sqlite:///{tmp_path / 'store.db'}"
    travel = Travel(db=Database(url=url), settings=settings.travel, scheduler=Scheduler(url))
    travel.import_calendar("device:g", TRIP, now=NOW)
    navigation = Navigation(settings)

    def leave(subject: str) -> dt.datetime:
        return next(r.due_at for r in travel.pending("device:g") if r.kind == "leave" and r.subject.startswith(subject))

    train = dt.datetime(2027, 5, 3, 9, 0, tzinfo=dt.UTC)
    assert leave("Train") == train - dt.timedelta(minutes=15 + 45)  # the station buffer and the configured way

    moved = asyncio.run(travel.refine_leave_by("device:g", CATHEDRAL, navigation, now=NOW))
    assert moved is not None and moved.params["way"] == "walk"
    walk = moved.params["way_min"]
    assert 8 <= walk <= 16, walk  # ~800 m through the centre at 1.3 m/s
    assert leave("Train") == train - dt.timedelta(minutes=15 + walk)
    # The daily re-plan keeps the move (the reminder's id is the same).
    with travel.scheduler.sessions() as s, s.begin():
        travel._plan(s, s.scalars(select(CalendarRow)).one(), NOW + dt.timedelta(minutes=5))
    assert leave("Train") == train - dt.timedelta(minutes=15 + walk)

    # From Berlin the map has no way: the estimate stays (for the train's reminder as it was moved).
    assert asyncio.run(travel.refine_leave_by("device:g", BERLIN, navigation, now=NOW)) is None

    # After the train, the next leave-by is the flight's: Helsinki-Vantaa is off the central extract.
    later = dt.datetime(2027, 5, 3, 9, 30, tzinfo=dt.UTC)
    assert asyncio.run(travel.refine_leave_by("device:g", CATHEDRAL, navigation, now=later)) is None
    flight = dt.datetime(2027, 5, 3, 16, 0, tzinfo=dt.UTC)
    assert leave("Flight") == flight - dt.timedelta(minutes=120 + 45)
