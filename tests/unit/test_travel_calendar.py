"""Calendar import on real exports (the calendars that icalendar and recurring-ical-events ship for their own
tests: Google, Outlook, Exchange, Thunderbird, Apple files and broken ones), and on the structures travel needs."""

import datetime as dt
from importlib import resources
from pathlib import Path

import pytest

from glassmate.errors import BadInputError
from glassmate.travel.calendar import CalendarError, occurrences, read_calendar

BERLIN = "Europe/Berlin"


def shipped(package: str, path: str) -> bytes:
    return (resources.files(package) / path).read_bytes()


def window(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)


def listed(data: bytes, start: str, end: str, zone: str = BERLIN) -> list[dict[str, object]]:
    read = read_calendar(data, zone=zone)
    return [o.to_json() for o in occurrences(read.ics, *window(start, end), zone=zone)]


def test_a_weekly_event_with_one_deleted_occurrence() -> None:
    """Thunderbird: weekly, COUNT=8, one EXDATE; Europe/Berlin with its VTIMEZONE."""
    found = listed(shipped("recurring_ical_events", "test/calendars/each_week_but_one_deleted.ics"),
                   "2019-03-01T00:00:00+01:00", "2019-06-01T00:00:00+02:00")  # fmt: skip
    starts = [e["start"] for e in found]
    assert len(starts) == 7 and "2019-03-11T00:30:00+01:00" not in starts  # the EXDATE (23:30Z the day before)
    assert starts[0] == "2019-03-04T00:30:00+01:00"
    assert "2019-04-01T00:30:00+02:00" in starts  # after the change to summer time: the same wall-clock time


def test_exchange_windows_time_zone_names() -> None:
    """Exchange Server 2010 writes TZID:Eastern Standard Time (a Windows name)."""
    found = listed(shipped("icalendar", "tests/calendars/issue_836_do_not_quote_tzid.ics"),
                   "2024-10-01T00:00:00Z", "2024-11-30T00:00:00Z")  # fmt: skip
    assert [(e["start"], e["end"]) for e in found] == [("2024-10-28T17:00:00-04:00", "2024-10-28T18:00:00-04:00")]


def test_outlook_zone_names_without_a_vtimezone() -> None:
    data = b"""BEGIN:VCALENDAR\r
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r
VERSION:2.0\r
BEGIN:VEVENT\r
UID:flight-1\r
SUMMARY:LH 720 Frankfurt - Beijing\r
LOCATION:Frankfurt Airport\r
DTSTART;TZID=W. Europe Standard Time:20261202T174500\r
DTEND;TZID=China Standard Time:20261203T093500\r
END:VEVENT\r
END:VCALENDAR\r
"""
    [flight] = listed(data, "2026-12-01T00:00:00Z", "2026-12-05T00:00:00Z")
    # the end in its own zone (recurring-ical-events gives it in the start's: 02:35+01:00, the same instant)
    assert flight["start"] == "2026-12-02T17:45:00+01:00" and flight["end"] == "2026-12-03T09:35:00+08:00"
    assert flight["location"] == "Frankfurt Airport" and flight["all_day"] is False


def test_all_day_events_stay_dates() -> None:
    """Outlook's German holidays: all-day events, end exclusive as in the file."""
    found = listed(shipped("recurring_ical_events", "test/calendars/Germany_Holidays.ics"),
                   "2019-01-01T00:00:00+01:00", "2019-01-07T00:00:00+01:00")  # fmt: skip
    assert found[0]["start"] == "2019-01-01" and found[0]["all_day"] is True
    assert found[0]["end"] == "2019-01-02"


def test_a_weekly_event_keeps_its_wall_clock_time_across_the_dst_change() -> None:
    data = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:test\r
BEGIN:VEVENT\r
UID:train\r
SUMMARY:ICE 1001 Berlin - Munich\r
DTSTART;TZID=Europe/Berlin:20260320T090000\r
DTEND;TZID=Europe/Berlin:20260320T130000\r
RRULE:FREQ=WEEKLY;COUNT=3\r
END:VEVENT\r
END:VCALENDAR\r
"""
    found = listed(data, "2026-03-01T00:00:00Z", "2026-04-30T00:00:00Z")
    assert [e["start"] for e in found] == ["2026-03-20T09:00:00+01:00", "2026-03-27T09:00:00+01:00",
                                           "2026-04-03T09:00:00+02:00"]  # fmt: skip


def test_an_event_without_a_time_zone_is_read_in_the_wearers_zone_with_a_warning() -> None:
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:f\r\nSUMMARY:Hotel check-in\r\n" \
           b"DTSTART:20261205T150000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"  # fmt: skip
    read = read_calendar(data, zone="Asia/Shanghai")
    assert read.events == 1 and read.warnings == ["1 event(s) have no time zone: read as Asia/Shanghai"]
    [event] = occurrences(read.ics, *window("2026-12-05T00:00:00+08:00", "2026-12-06T00:00:00+08:00"),
                          zone="Asia/Shanghai")  # fmt: skip
    assert event.to_json()["start"] == "2026-12-05T15:00:00+08:00"


def test_broken_events_are_reported_and_the_sound_ones_kept() -> None:
    data = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:t\r
BEGIN:VEVENT\r
UID:good\r
SUMMARY:Flight\r
DTSTART:20261201T080000Z\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:backwards\r
DTSTART:20261201T100000Z\r
DTEND:20261201T090000Z\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:no-start\r
SUMMARY:Lost\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:bad-rule\r
DTSTART:20261201T080000Z\r
RRULE:FREQ=SOMETIMES\r
END:VEVENT\r
END:VCALENDAR\r
"""
    read = read_calendar(data, zone=BERLIN)
    assert read.events == 1
    assert [w.split(" (")[0] for w in read.warnings] == ["event backwards", "event no-start", "event bad-rule"]
    assert "ends before it starts" in read.warnings[0] and "no DTSTART" in read.warnings[1]


@pytest.mark.parametrize("data", [
    b"\x00\x01garbage",
    b"BEGIN:VCALENDAR\r\nfoo\r\n",
    shipped("icalendar", "tests/calendars/fuzz_testcase_invalid_month.ics"),
])  # fmt: skip
def test_a_corrupt_file_is_unreadable(data: bytes) -> None:
    with pytest.raises(CalendarError) as caught:
        read_calendar(data, zone=BERLIN)
    assert caught.value.code == "calendar-unreadable" and caught.value.http_status == 422


def test_a_calendar_with_nothing_usable_is_empty() -> None:
    with pytest.raises(CalendarError) as caught:
        read_calendar(shipped("recurring_ical_events", "test/calendars/issue_97_simple_todo.ics"), zone=BERLIN)
    assert caught.value.code == "calendar-empty"


def test_windows_are_checked() -> None:
    read = read_calendar(shipped("recurring_ical_events", "test/calendars/one_event.ics"), zone=BERLIN)
    for start, end in [("2020-01-02T00:00:00Z", "2020-01-01T00:00:00Z"), ("2020-01-01T00:00:00Z",
                                                                         "2022-01-01T00:00:00Z")]:  # fmt: skip
        with pytest.raises(BadInputError) as caught:
            occurrences(read.ics, *window(start, end), zone=BERLIN)
        assert caught.value.code == "window-invalid"


def test_every_shipped_calendar_imports_or_is_refused_cleanly() -> None:
    """258 .ics files from the two libraries' own tests (real exports, RFC examples, fuzzing finds): each is
    imported or refused with calendar-unreadable / calendar-empty; what is imported lists without an error."""
    files = [*Path(str(resources.files("icalendar") / "tests")).rglob("*.ics"),
             *Path(str(resources.files("recurring_ical_events") / "test" / "calendars")).glob("*.ics")]  # fmt: skip
    assert len(files) > 200
    outcome = {"imported": 0, "calendar-unreadable": 0, "calendar-empty": 0}
    for path in files:
        try:
            read = read_calendar(path.read_bytes(), zone=BERLIN)
        except CalendarError as exc:
            outcome[exc.code] += 1
            continue
        outcome["imported"] += 1
        occurrences(read.ics, *window("2019-01-01T00:00:00Z", "2020-01-31T00:00:00Z"), zone=BERLIN)
    assert outcome["imported"] > 150, outcome


def test_an_end_in_another_zone_keeps_its_zone() -> None:
    flight = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:lh720\r
SUMMARY:LH 720 FRA - PEK\r
DTSTART;TZID=Europe/Berlin:20261202T174500\r
DTEND;TZID=Asia/Shanghai:20261203T103500\r
END:VEVENT\r
END:VCALENDAR\r
"""
    (event,) = listed(flight, "2026-12-01", "2026-12-05")
    assert (event["start"], event["end"]) == ("2026-12-02T17:45:00+01:00", "2026-12-03T10:35:00+08:00")
