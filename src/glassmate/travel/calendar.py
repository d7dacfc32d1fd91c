"""Calendars in: an .ics file read with `icalendar`, its sound events kept, its broken ones reported, and the
occurrences of a time window listed with `recurring-ical-events` (RRULE, RDATE, EXDATE, moved and cancelled
occurrences).

Time zones: a TZID with its VTIMEZONE, an IANA name, or a Windows name as Outlook and Exchange write them
("W. Europe Standard Time") all become zoneinfo zones (icalendar maps them); a calendar-wide X-WR-TIMEZONE (Google)
is applied with `x-wr-timezone`. Floating times (no zone at all) are read in the wearer's zone, with a warning.
All-day events stay dates, their end exclusive as in the file (RFC 5545)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import x_wr_timezone

from glassmate.errors import BadInputError

log = logging.getLogger("glassmate.travel")

MAX_WINDOW = dt.timedelta(days=400)  # what one listing may span (recurrences are expanded into it)
MAX_OCCURRENCES = 5000


class CalendarError(BadInputError):
    """A calendar that cannot be used at all (nothing was imported): calendar-unreadable or calendar-empty."""

    http_status = 422


@dataclass
class Occurrence:
    uid: str
    summary: str
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    location: str
    all_day: bool
    calendar: str = ""
    alarms: tuple[dt.datetime, ...] = ()  # when the event's own VALARMs go off (not those acknowledged)
    mode: str = ""  # flight, train, hotel, car: set by a booking; a calendar event's is read from its summary
    number: str = ""  # the flight or train number of a booking

    def sort_key(self, zone: str) -> dt.datetime:
        """When it starts, in UTC (an all-day event at midnight in `zone`)."""
        if isinstance(self.start, dt.datetime):
            return self.start.astimezone(dt.UTC)
        return dt.datetime(self.start.year, self.start.month, self.start.day, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)

    def to_json(self) -> dict[str, Any]:
        return {"uid": self.uid, "summary": self.summary, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "location": self.location, "all_day": self.all_day,
                "calendar": self.calendar}  # fmt: skip


@dataclass
class ReadCalendar:
    """What an import keeps: the calendar of its sound parts (as .ics text), how many events, what was left out."""

    ics: str
    name: str
    events: int
    warnings: list[str] = field(default_factory=list)


def read_calendar(data: bytes, *, zone: str) -> ReadCalendar:
    """The sound part of an .ics file. CalendarError when nothing in it is usable."""
    text = data.decode("utf-8-sig", errors="replace") if data[:3] == b"\xef\xbb\xbf" else data
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalendarError(f"this is not a readable iCalendar file: {exc}", code="calendar-unreadable") from exc
    # Bare events and zones (a file cut out of a calendar, as some mail programs attach them) count as one.
    loose = [c for c in calendars if c.name in ("VEVENT", "VTIMEZONE")]
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if loose:
        wrapper = icalendar.Calendar()
        for component in loose:
            wrapper.add_component(component)
        calendars.append(wrapper)
    if not calendars:
        raise CalendarError("the file has neither a VCALENDAR nor events", code="calendar-unreadable")
    warnings: list[str] = []
    out = icalendar.Calendar()
    out.add("prodid", "-//glassmate//travel import//EN")
    out.add("version", "2.0")
    name = ""
    seen_zones: set[str] = set()
    kept = 0
    floating = 0
    for calendar in calendars:
        name = name or str(calendar.get("X-WR-CALNAME", ""))
        try:
            calendar = x_wr_timezone.to_standard(calendar)
        except Exception as exc:  # an X-WR-TIMEZONE that names no zone
            warnings.append(f"the calendar's X-WR-TIMEZONE was not applied: {exc}")
        for tz in calendar.walk("VTIMEZONE"):
            tzid = str(tz.get("TZID", ""))
            if tzid and tzid not in seen_zones:
                seen_zones.add(tzid)
                out.add_component(tz)
        for event in calendar.walk("VEVENT"):
            problem = _problem(event)
            uid = str(event.get("UID", "")) or "(no UID)"
            if problem:
                warnings.append(f"event {uid} ({event.get('SUMMARY', '')!s}) left out: {problem}")
                continue
            start = event.decoded("DTSTART")
            if isinstance(start, dt.datetime) and start.tzinfo is None:
                floating += 1
            out.add_component(event)
            kept += 1
    if kept == 0:
        detail = f": {warnings[0]}" if warnings else ""
        raise CalendarError(f"the calendar has no usable event{detail}", code="calendar-empty")
    if floating:
        warnings.append(f"{floating} event(s) have no time zone: read as {zone}")
    return ReadCalendar(ics=out.to_ical().decode("utf-8"), name=name, events=kept, warnings=warnings)


def _problem(event: Any) -> str:
    """Why an event cannot be used, or ''."""
    try:
        start = event.decoded("DTSTART")
    except KeyError:
        return "no DTSTART"
    except (ValueError, TypeError) as exc:
        return f"unreadable DTSTART ({exc})"
    if not isinstance(start, dt.date):
        return "unreadable DTSTART"
    try:
        end = event.end
    except (ValueError, TypeError, icalendar.InvalidCalendar) as exc:
        return f"unreadable DTEND or DURATION ({exc})"
    if end is not None and _as_utc(end) < _as_utc(start):
        return "it ends before it starts"
    if any(event.get(key) is not None for key in ("RRULE", "RDATE", "EXDATE")):
        try:
            recurring_ical_events.of(_alone(event)).at(start.year)
        except Exception as exc:  # the library's errors for a bad repeat rule are of several kinds
            return f"its repeat rule cannot be read ({exc})"
    return ""


def _alone(event: Any) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add_component(event)
    return calendar


def _as_utc(value: dt.date) -> dt.datetime:
    """A point to compare by: a date as its midnight, a floating time as if UTC."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _alarms(event: Any, zone: ZoneInfo) -> tuple[dt.datetime, ...]:
    """When the occurrence's VALARMs go off (relative to its start or end, or absolute; repeats included), as
    icalendar computes them; a floating or all-day event's alarms are read in the wearer's zone."""
    if not event.walk("VALARM"):
        return ()
    try:
        alarms = icalendar.Alarms(event)
        alarms.set_local_timezone(zone)
        return tuple(sorted(a.trigger for a in alarms.active if isinstance(a.trigger, dt.datetime)))
    except Exception as exc:  # a TRIGGER icalendar cannot place: the event stays, without its alarms
        log.info("an alarm of event %s cannot be placed: %s", event.get("UID", ""), exc)
        return ()


def occurrences(ics: str, start: dt.datetime, end: dt.datetime, *, zone: str, calendar: str = "") -> list[Occurrence]:
    """The occurrences that overlap [start, end), in start order; floating times read in `zone`."""
    if end <= start:
        raise BadInputError("the window's end must be after its start", code="window-invalid")
    if end - start > MAX_WINDOW:
        raise BadInputError(f"a window may span at most {MAX_WINDOW.days} days", code="window-invalid")
    tz = ZoneInfo(zone)
    parsed = icalendar.Calendar.from_ical(ics)
    # recurring-ical-events tells an occurrence's end in its start's zone; a flight's DTEND is often in the zone it
    # lands in: that zone, per event, for the end (the same instant).
    end_zones: dict[str, dt.tzinfo] = {}
    for event in parsed.walk("VEVENT"):
        own = event.get("DTEND")
        if own is not None and isinstance(own.dt, dt.datetime) and own.dt.tzinfo is not None:
            end_zones.setdefault(str(event.get("UID", "")), own.dt.tzinfo)
    found: list[Occurrence] = []
    # The window in the wearer's zone: an all-day event is the day there, whatever offset the window was given in.
    for event in recurring_ical_events.of(parsed).between(start.astimezone(tz), end.astimezone(tz)):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        first = event.decoded("DTSTART")
        last = event.end if event.end is not None else first
        if not isinstance(first, dt.date) or not isinstance(last, dt.date):
            continue  # not a point in time (a bare TIME value): nothing to list
        all_day = not isinstance(first, dt.datetime)
        if all_day and last <= first:  # a date without DTEND or DURATION lasts the day (RFC 5545 3.6.1)
            last = first + dt.timedelta(days=1)
        if isinstance(first, dt.datetime) and first.tzinfo is None:  # floating: the wearer's zone
            first = first.replace(tzinfo=tz)
        if isinstance(last, dt.datetime) and last.tzinfo is None:
            last = last.replace(tzinfo=tz)
        elif isinstance(last, dt.datetime) and (own_zone := end_zones.get(str(event.get("UID", "")))) is not None:
            last = last.astimezone(own_zone)
        found.append(Occurrence(uid=str(event.get("UID", "")), summary=str(event.get("SUMMARY", "")), start=first,
                                end=last, location=str(event.get("LOCATION", "")), all_day=all_day,
                                calendar=calendar, alarms=_alarms(event, tz)))  # fmt: skip
        if len(found) > MAX_OCCURRENCES:
            raise BadInputError(f"more than {MAX_OCCURRENCES} occurrences in the window: ask for a shorter one",
                                code="window-invalid")  # fmt: skip
    found.sort(key=lambda o: o.sort_key(zone))
    return found
