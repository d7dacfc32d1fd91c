"""Calendars over REST: import (what is sound is kept, the rest reported), the occurrences of a window, one
caller's calendars invisible to another, and the bad inputs with their codes; nothing half-imported."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.testing import fake_models

TRIP = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r
X-WR-CALNAME:Beijing trip\r
BEGIN:VEVENT\r
UID:flight\r
SUMMARY:LH 720 Frankfurt - Beijing\r
DTSTART;TZID=W. Europe Standard Time:20261202T174500\r
DTEND;TZID=W. Europe Standard Time:20261203T023500\r
LOCATION:FRA\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:hotel\r
SUMMARY:Hotel Beijing\r
DTSTART;VALUE=DATE:20261203\r
DTEND;VALUE=DATE:20261206\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:broken\r
SUMMARY:Train\r
DTSTART:20261205T100000Z\r
DTEND:20261205T090000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""


class Api:
    def __init__(self, http: TestClient, token: str, other: str) -> None:
        self.http, self.token, self.other = http, token, other

    def call(self, method: str, path: str, *, token: str | None = None, **kw: Any) -> Any:
        return self.http.request(method, path, headers={"authorization": f"Bearer {token or self.token}"}, **kw)

    def upload(self, data: bytes, name: str = "trip.ics", token: str | None = None) -> Any:
        return self.call("POST", "/v1/travel/import", files={"file": (name, data, "text/calendar")}, token=token)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(home=tmp_path, travel={"timezone": "Asia/Shanghai"})
    app = create_app(settings, models=fake_models(settings))
    _, token = app.state.services.devices.add("glasses")
    _, other = app.state.services.devices.add("someone-else")
    with TestClient(app) as http:
        yield Api(http, token, other)


def test_a_calendar_is_imported_and_its_events_listed(api: Api) -> None:
    r = api.upload(TRIP)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["events"] == 2 and body["name"] == "Beijing trip"
    assert len(body["warnings"]) == 1 and "broken" in body["warnings"][0]
    week = {"start": "2026-12-01T00:00:00+08:00", "end": "2026-12-10T00:00:00+08:00"}
    events = api.call("GET", "/v1/travel/events", params=week).json()["events"]
    # in start order: the hotel's day begins at midnight in the wearer's zone (16:00 UTC), before the flight
    # leaves Frankfurt (16:45 UTC)
    assert [(e["uid"], e["start"], e["end"], e["all_day"]) for e in events] == [
        ("hotel", "2026-12-03", "2026-12-06", True),
        ("flight", "2026-12-02T17:45:00+01:00", "2026-12-03T02:35:00+01:00", False),
    ]
    assert events[0]["calendar"] == body["id"]
    # a window without an offset is read in the wearer's zone (Asia/Shanghai): 23:00-23:30 there is before the
    # flight (00:45 there); read as UTC it would be during the flight
    early = {"start": "2026-12-02T23:00:00", "end": "2026-12-02T23:30:00"}
    assert api.call("GET", "/v1/travel/events", params=early).json()["events"] == []
    utc = {"start": "2026-12-02T23:00:00Z", "end": "2026-12-02T23:30:00Z"}
    during = api.call("GET", "/v1/travel/events", params=utc).json()["events"]
    assert [e["uid"] for e in during] == ["hotel", "flight"]
    one = api.call("GET", "/v1/travel/events", params={"start": "2026-12-01T00:00:00Z", "end": "2026-12-10T00:00:00Z",
                                                        "calendar": body["id"]})  # fmt: skip
    assert len(one.json()["events"]) == 2
    assert [c["id"] for c in api.call("GET", "/v1/travel/calendars").json()["calendars"]] == [body["id"]]


def test_another_callers_calendars_are_not_seen(api: Api) -> None:
    calendar = api.upload(TRIP).json()["id"]
    window = {"start": "2026-12-01T00:00:00Z", "end": "2026-12-10T00:00:00Z"}
    assert api.call("GET", "/v1/travel/events", params=window, token=api.other).json()["events"] == []
    r = api.call("GET", "/v1/travel/events", params={**window, "calendar": calendar}, token=api.other)
    assert r.status_code == 404 and r.json()["error"]["code"] == "calendar-not-found"
    assert api.call("DELETE", f"/v1/travel/calendars/{calendar}", token=api.other).status_code == 404
    assert api.call("DELETE", f"/v1/travel/calendars/{calendar}").status_code == 204
    assert api.call("GET", "/v1/travel/events", params=window).json()["events"] == []


@pytest.mark.parametrize(("data", "status", "code"), [
    (b"\x89PNG\r\n\x1a\n not a calendar", 422, "calendar-unreadable"),
    (b"", 400, "calendar-empty"),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VTODO\r\nUID:t\r\nSUMMARY:Pack\r\nEND:VTODO\r\n"
     b"END:VCALENDAR\r\n", 422, "calendar-empty"),
])  # fmt: skip
def test_unusable_files_are_refused_and_nothing_is_stored(api: Api, data: bytes, status: int, code: str) -> None:
    r = api.upload(data)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    assert api.call("GET", "/v1/travel/calendars").json()["calendars"] == []


def test_a_real_corrupt_export_is_refused(api: Api) -> None:
    data = (resources.files("icalendar") / "tests/calendars/parsing_error_in_UTC_offset.ics").read_bytes()
    r = api.upload(data)
    assert r.status_code == 422 and r.json()["error"]["code"] == "calendar-unreadable"


def test_bad_windows_and_no_token(api: Api) -> None:
    api.upload(TRIP)
    r = api.call("GET", "/v1/travel/events", params={"start": "2026-12-10T00:00:00Z", "end": "2026-12-01T00:00:00Z"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "window-invalid"
    r = api.call("GET", "/v1/travel/events", params={"start": "yesterday", "end": "2026-12-01T00:00:00Z"})
    assert r.status_code == 400
    assert api.http.get("/v1/travel/events", params={"start": "2026-12-01T00:00:00Z",
                                                      "end": "2026-12-02T00:00:00Z"}).status_code == 401  # fmt: skip


def test_reminders_over_rest_are_set_listed_and_cancelled_per_caller(api: Api) -> None:
    import datetime as dt

    at = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).replace(microsecond=0)
    r = api.call("POST", "/v1/travel/reminders", json={"at": at.isoformat(), "text": "call Anna"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["kind"] == "custom" and made["subject"] == "call Anna" and made["source"] == "api"
    assert dt.datetime.fromisoformat(made["due_at"]) == at and made["due_at"].endswith("+08:00")  # the wearer's zone
    assert [x["id"] for x in api.call("GET", "/v1/travel/reminders").json()["reminders"]] == [made["id"]]
    assert api.call("GET", "/v1/travel/reminders", token=api.other).json()["reminders"] == []
    assert api.call("DELETE", f"/v1/travel/reminders/{made['id']}", token=api.other).status_code == 404
    assert api.call("DELETE", f"/v1/travel/reminders/{made['id']}").status_code == 204
    assert api.call("DELETE", f"/v1/travel/reminders/{made['id']}").json()["error"]["code"] == "reminder-not-found"
    assert api.call("GET", "/v1/travel/reminders").json()["reminders"] == []
    past = api.call("POST", "/v1/travel/reminders", json={"at": "2020-01-01T09:00:00Z", "text": "too late"})
    assert (past.status_code, past.json()["error"]["code"]) == (400, "reminder-in-past")
    bad = api.call("POST", "/v1/travel/reminders", json={"at": "at five", "text": "x", "extra": 1})
    assert bad.status_code == 400


def test_an_import_answers_how_many_reminders_it_planned(api: Api) -> None:
    body = api.upload(TRIP).json()
    listed = api.call("GET", "/v1/travel/reminders").json()["reminders"]
    assert body["reminders"] == len(listed)
    # The trip's date may be past when the test runs: then nothing is planned, and that is what it says.
    assert all(x["kind"] in ("checkin", "leave", "boarding", "hotel") for x in listed)


CTRIP = (Path(__file__).parents[1] / "data" / "bookings" / "written" / "zh_ctrip_flight.txt").read_text()
CTRIP_LEG = {"number": "CA 1831", "from_code": None, "from_place": "北京首都国际机场T3", "to_code": None,
             "to_place": "上海虹桥国际机场T2", "date": "2027年1月15日", "departs": "08:00", "arrives": None,
             "arrival_date": None}  # fmt: skip


def test_bookings_over_rest_are_read_asked_answered_and_removed_per_caller(api: Api) -> None:
    import json

    llm = api.http.app.state.services.models.llm  # type: ignore[attr-defined]
    llm.script.append(json.dumps(CTRIP_LEG, ensure_ascii=False))
    r = api.call("POST", "/v1/travel/bookings", json={"text": CTRIP})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "flight" and body["complete"] and body["created"]
    seg = body["booking"]["segments"][0]
    assert (seg["from_code"], seg["to_code"], seg["date"], seg["departs"]) == ("PEK", "SHA", "2027-01-15", "08:00:00")
    assert body["missing"] == [{"field": "segments.0.arrives", "question": "航班CA 1831几点到达？"}]
    assert api.call("POST", "/v1/travel/bookings", json={"text": CTRIP}).status_code == 200  # the same text
    assert [b["id"] for b in api.call("GET", "/v1/travel/bookings").json()["bookings"]] == [body["id"]]
    path = f"/v1/travel/bookings/{body['id']}"
    assert api.call("GET", path, token=api.other).json()["error"]["code"] == "booking-not-found"
    r = api.call("PATCH", path, json={"values": {"segments.0.arrives": "10:15"}})
    assert r.status_code == 200 and r.json()["missing"] == []
    r = api.call("PATCH", path, json={"values": {"segments.0.arrives": "soon"}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "booking-invalid-date"
    day = {"start": "2027-01-15T00:00:00+08:00", "end": "2027-01-16T00:00:00+08:00"}
    events = api.call("GET", "/v1/travel/events", params=day).json()["events"]
    assert [(e["summary"], e["start"], e["end"]) for e in events] == [
        ("Flight CA 1831 PEK → SHA", "2027-01-15T08:00:00+08:00", "2027-01-15T10:15:00+08:00")
    ]
    assert api.call("DELETE", path, token=api.other).status_code == 404
    assert api.call("DELETE", path).status_code == 204
    assert api.call("GET", "/v1/travel/reminders").json()["reminders"] == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "Grandma's apple pie. Bake 45 minutes. Posted 12.03.2026"}, 422, "booking-unrecognized"),
        (
            {"text": "Booking reference: Q4T8ZB\nFlight LH 1234 FRA - XQZ\n14.05.2027 10:05"},
            422,
            "booking-unknown-airport",
        ),
        ({"text": "Flight LH 400 Frankfurt (FRA) - New York (JFK) on 31.02.2027, 10:05"}, 422, "booking-invalid-date"),
        ({"text": ""}, 400, "invalid-request"),
        ({"text": "x", "extra": 1}, 400, "invalid-request"),
    ],
)
def test_bad_booking_texts_are_refused_and_nothing_is_stored(api: Api, body: dict[str, Any], status: int,
                                                             code: str) -> None:  # fmt: skip
    import json

    llm = api.http.app.state.services.models.llm  # type: ignore[attr-defined]
    llm.script.append(json.dumps({**CTRIP_LEG, "number": "LH 1234", "from_code": "FRA"}))
    r = api.call("POST", "/v1/travel/bookings", json=body)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert api.call("GET", "/v1/travel/bookings").json()["bookings"] == []
