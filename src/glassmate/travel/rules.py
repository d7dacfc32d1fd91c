"""The reminder rules: what to remind the wearer of for one occurrence of a calendar event.

- The event's own alarms (VALARM), as the calendar program set them.
- A flight: check-in opens (`checkin_before_h`, 24 h before departure), leave-by (departure − the airport buffer −
  the way there), boarding (`boarding_before_min` before departure).
- A train: leave-by (departure − the station buffer − the way there).
- A rental car: leave-by (the pick-up − the way there).
- A hotel: on the day, at the check-in time of a timed event or at `hotel_reminder` of an all-day one.

The way there is a configured estimate (`travel.way_min`) until the wearer's glasses report where they are and the
map covers the trip: then the walking time from the navigation router replaces it (Travel.refine_leave_by).

Offsets before a departure are exact durations (24 h before 07:05 across a DST change is 06:05 or 08:05 on the wall
clock, as airlines count); times of day ("at 09:00 on the day") are wall-clock times in the event's zone, through
zoneinfo. Which events are flights, trains or hotels is read from the summary: the words (in Chinese, English and
German) and a flight or train number; an event that is none of them keeps only its own alarms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from glassmate.config import TravelSettings
from glassmate.travel.calendar import Occurrence

Mode = Literal["flight", "train", "hotel", "car", "event"]

# Not \b around codes: Chinese characters count as word characters ("乘坐G1次" has no boundary before G).
_A, _Z = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"
_FLIGHT_WORDS = re.compile(r"(?i)\b(?:flight|flug|fl\.|vol)\b|航班|班机|飞往|起飞|✈")
# IATA airline designator (two letters, or a letter and a digit) and 1-4 digits: LH 720, CA1831, U2 4512.
_FLIGHT_NUMBER = re.compile(_A + r"((?:[A-Z]{2}|[A-Z]\d|\d[A-Z])\s?\d{1,4})" + _Z)
_ROUTE = re.compile(_A + r"[A-Z]{3}\s*(?:-|–|→|to|nach)\s*[A-Z]{3}" + _Z)  # FRA → MUC
_TRAIN_WORDS = re.compile(r"(?i)\b(?:train|zug|bahn|railjet|eurostar|tgv)\b|火车|高铁|动车|列车|车次")
# Long-distance train numbers: ICE 123, IC 2013, EC 7, RJX 60, TGV 9576; China's G1, D312, K1159 (with 次 or alone).
_TRAIN_NUMBER = re.compile(_A + r"((?:ICE|IC|EC|ECE|RJX?|TGV|IR)\s?\d{1,5}|[GDCZTKY]\d{1,4})" + _Z)
_HOTEL_WORDS = re.compile(
    r"(?i)\b(?:hotel|hostel|motel|inn|airbnb|unterkunft|übernachtung|lodging)\b|酒店|宾馆|住宿|入住"
)


def classify(summary: str) -> tuple[Mode, str]:
    """What kind of trip an event's summary names, and its flight or train number ('' when none is given)."""
    flight = _FLIGHT_NUMBER.search(summary)
    if _FLIGHT_WORDS.search(summary) or (flight and _ROUTE.search(summary)):
        return "flight", _compact(flight.group(1)) if flight else ""
    train = _TRAIN_NUMBER.search(summary)
    # A bare G7 is not a train; G7次 (China Railway's "train number …") and ICE 577 are.
    numbered = train is not None and (train.group(1)[0] not in "GDCZTKY" or summary[train.end() :].startswith("次"))
    if _TRAIN_WORDS.search(summary) or numbered:
        return "train", _compact(train.group(1)) if train else ""
    if _HOTEL_WORDS.search(summary):
        return "hotel", ""
    return "event", ""


def trip_of(occurrence: Occurrence) -> tuple[Mode, str]:
    """The kind of trip and its number: a booking's own, or read from a calendar event's summary."""
    if occurrence.mode in ("flight", "train", "hotel", "car"):
        return occurrence.mode, occurrence.number  # type: ignore[return-value]
    return classify(occurrence.summary)


def _compact(number: str) -> str:
    """LH720 → "LH 720", "ICE 123" stays; Chinese train numbers (G1) stay as written."""
    match = re.fullmatch(r"([A-Z]{2,4}|[A-Z]\d|\d[A-Z])\s?(\d+)", number)
    if match and not re.fullmatch(r"[GDCZTKY]\d+", number):
        return f"{match.group(1)} {match.group(2)}"
    return number


@dataclass(frozen=True)
class Planned:
    """A reminder to schedule."""

    id: str
    kind: str  # alarm, checkin, leave, boarding, hotel
    due_at: dt.datetime  # aware
    subject: str
    location: str
    event_at: dt.datetime | None
    zone: str
    params: dict[str, Any] = field(default_factory=dict)


def reminder_id(owner: str, source: str, uid: str, kind: str, due_at: dt.datetime) -> str:
    """The same reminder planned again (a daily re-plan, the same file imported twice) gets the same id."""
    digest = hashlib.sha256(f"{owner}|{source}|{uid}|{kind}|{due_at.astimezone(dt.UTC).isoformat()}".encode())
    return f"rem_{digest.hexdigest()[:24]}"


def plan(owner: str, source: str, occurrence: Occurrence, settings: TravelSettings,
         now: dt.datetime) -> list[Planned]:  # fmt: skip
    """The reminders of one occurrence that are still ahead of `now`."""
    zone = _zone_of(occurrence, settings.timezone)
    start = _start(occurrence, zone)
    # Offsets are exact durations, so they are taken in UTC (Python subtracts a timedelta from a zoned time on its
    # wall clock: 24 h before 17:45 on the day clocks go forward would be 17:45, 23 hours before).
    utc_start = start.astimezone(dt.UTC)
    mode, number = trip_of(occurrence)
    base: dict[str, Any] = {"mode": mode, "number": number, "all_day": occurrence.all_day}
    out: list[tuple[str, dt.datetime, dict[str, Any]]] = [("alarm", when, {}) for when in occurrence.alarms]
    if mode in ("flight", "train") and not occurrence.all_day:
        buffer = settings.airport_buffer_min if mode == "flight" else settings.station_buffer_min
        way = settings.way_min
        out.append(("leave", utc_start - dt.timedelta(minutes=buffer + way),
                    {"buffer_min": buffer, "way_min": way, "way": "estimate"}))  # fmt: skip
    if mode == "car" and not occurrence.all_day:  # a rental car's pick-up
        out.append(("leave", utc_start - dt.timedelta(minutes=settings.way_min),
                    {"buffer_min": 0, "way_min": settings.way_min, "way": "estimate"}))  # fmt: skip
    if mode == "flight" and not occurrence.all_day:
        out.append(("checkin", utc_start - dt.timedelta(hours=settings.checkin_before_h), {}))
        out.append(("boarding", utc_start - dt.timedelta(minutes=settings.boarding_before_min), {}))
    if mode == "hotel":
        if occurrence.all_day:
            hour, minute = (int(part) for part in settings.hotel_reminder.split(":"))
            day = occurrence.start
            out.append(("hotel", dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone), {}))
        else:
            out.append(("hotel", start, {}))
    event_at = None if occurrence.all_day else start
    planned = []
    for kind, due, extra in out:
        if due <= now:
            continue
        due = due.astimezone(zone)
        planned.append(Planned(id=reminder_id(owner, source, occurrence.uid, kind, due), kind=kind, due_at=due,
                               subject=occurrence.summary[:300], location=occurrence.location[:300],
                               event_at=event_at, zone=zone.key, params={**base, **extra}))  # fmt: skip
    return planned


def _zone_of(occurrence: Occurrence, wearer_zone: str) -> ZoneInfo:
    """The zone the event's times are told in: its start's zone when that is an IANA zone, else the wearer's."""
    tz = occurrence.start.tzinfo if isinstance(occurrence.start, dt.datetime) else None
    if isinstance(tz, ZoneInfo):
        return tz
    return ZoneInfo(wearer_zone)


def _start(occurrence: Occurrence, zone: ZoneInfo) -> dt.datetime:
    if isinstance(occurrence.start, dt.datetime):
        return occurrence.start
    day = occurrence.start
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)
