"""Travel over REST (API key or device token; each caller sees its own calendars).

- `POST /v1/travel/import` (multipart `file`, an .ics export of Google Calendar, Outlook/Exchange, Apple or
  Thunderbird): keeps the sound events and answers `{"id", "events", "warnings"}`; the broken parts are named in
  `warnings`. 422 `calendar-unreadable` / `calendar-empty` when nothing is usable (then nothing is stored).
- `GET /v1/travel/calendars`: the caller's imports. `DELETE /v1/travel/calendars/{id}` removes one.
- `GET /v1/travel/events?start=ISO&end=ISO[&calendar=ID]`: the occurrences overlapping the window, recurrences
  expanded and exceptions applied: `{"events": [{"uid", "summary", "start", "end", "location", "all_day",
  "calendar"}]}`; times ISO 8601 with their UTC offset, all-day events as dates (end exclusive). A window
  without an offset is read in the wearer's zone (`travel.timezone`).
- `POST /v1/travel/bookings` `{"text": "<a pasted confirmation>", "language"?}`: a flight, train, hotel or car
  rental booking read by the LLM and checked (travel.bookings): 201 `{"id", "kind", "booking", "complete",
  "missing": [{"field", "question"}], "assumed", "warnings", "reminders", "created"}`, 200 for a text pasted
  before; 422 booking-unrecognized / booking-unknown-airport / booking-invalid-date, nothing stored.
  `PATCH /v1/travel/bookings/{id}` `{"values": {"segments.0.departs": "12:55"}}` answers its questions;
  `GET /v1/travel/bookings[/{id}]`, `DELETE /v1/travel/bookings/{id}` (its reminders are cancelled).
- `GET /v1/travel/reminders`: the reminders still to come, soonest first: `{"reminders": [{"id", "kind",
  "subject", "location", "event_at", "due_at", "state", "source", "params", "late_s"}]}` (kind: alarm, checkin,
  leave, boarding, hotel, custom). `POST /v1/travel/reminders` `{"at": ISO, "text": "call Anna"}` sets a one-off
  reminder; `DELETE /v1/travel/reminders/{id}` cancels one that has not gone off.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from glassmate.api.common import ApiError, caller
from glassmate.travel.service import Travel

router = APIRouter()


def _travel(request: Request) -> Travel:
    travel: Travel = request.app.state.services.travel
    return travel


@router.post("/v1/travel/import")
async def import_calendar(request: Request, file: UploadFile, owner: str = Depends(caller)) -> Any:
    travel = _travel(request)
    limit = travel.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if not data:
        raise ApiError(400, "the file is empty", code="calendar-empty", param="file")
    if len(data) > limit:
        raise ApiError(413, f"the file is larger than {limit // (1024 * 1024)} MB", code="file-too-large",
                       param="file")  # fmt: skip
    return await asyncio.to_thread(travel.import_calendar, owner, data, filename=file.filename or "")


@router.get("/v1/travel/calendars")
async def list_calendars(request: Request, owner: str = Depends(caller)) -> Any:
    return {"calendars": await asyncio.to_thread(_travel(request).calendars, owner)}


@router.delete("/v1/travel/calendars/{calendar_id}", status_code=204)
async def delete_calendar(request: Request, calendar_id: str, owner: str = Depends(caller)) -> Response:
    await asyncio.to_thread(_travel(request).delete, owner, calendar_id)
    return Response(status_code=204)


@router.get("/v1/travel/events")
async def list_events(request: Request, start: dt.datetime, end: dt.datetime,
                      calendar: str | None = Query(None, max_length=40),
                      owner: str = Depends(caller)) -> Any:  # fmt: skip
    found = await asyncio.to_thread(_travel(request).events, owner, start, end, calendar)
    return {"events": [o.to_json() for o in found]}


class NewBooking(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000)  # a pasted or forwarded confirmation
    language: Literal["zh", "en", "de"] | None = None  # of the questions for what it lacks (default: the text's)


class BookingAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: dict[str, str | None] = Field(max_length=50)  # {"segments.0.departs": "12:55", "checkin_date": "…"}


@router.post("/v1/travel/bookings", status_code=201)
async def add_booking(request: Request, body: NewBooking, response: Response, owner: str = Depends(caller)) -> Any:
    found = await _travel(request).import_booking(owner, body.text, language=body.language)
    if not found["created"]:
        response.status_code = 200  # the same text again: the booking it already is
    return found


@router.get("/v1/travel/bookings")
async def list_bookings(request: Request, owner: str = Depends(caller)) -> Any:
    return {"bookings": await asyncio.to_thread(_travel(request).bookings, owner)}


@router.get("/v1/travel/bookings/{booking_id}")
async def get_booking(request: Request, booking_id: str, owner: str = Depends(caller)) -> Any:
    return await asyncio.to_thread(_travel(request).booking, owner, booking_id)


@router.patch("/v1/travel/bookings/{booking_id}")
async def answer_booking(request: Request, booking_id: str, body: BookingAnswers,
                         owner: str = Depends(caller)) -> Any:  # fmt: skip
    return await asyncio.to_thread(_travel(request).complete_booking, owner, booking_id, body.values)


@router.delete("/v1/travel/bookings/{booking_id}", status_code=204)
async def delete_booking(request: Request, booking_id: str, owner: str = Depends(caller)) -> Response:
    await asyncio.to_thread(_travel(request).delete_booking, owner, booking_id)
    return Response(status_code=204)


class NewReminder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: dt.datetime  # without an offset: the wearer's zone
    text: str = Field(min_length=1, max_length=300)


@router.get("/v1/travel/reminders")
async def list_reminders(request: Request, owner: str = Depends(caller)) -> Any:
    found = await asyncio.to_thread(_travel(request).pending, owner)
    return {"reminders": [r.to_json() for r in found]}


@router.post("/v1/travel/reminders", status_code=201)
async def add_reminder(request: Request, body: NewReminder, owner: str = Depends(caller)) -> Any:
    reminder = await asyncio.to_thread(_travel(request).remind, owner, body.at, body.text, source="api")
    return reminder.to_json()


@router.delete("/v1/travel/reminders/{reminder_id}", status_code=204)
async def cancel_reminder(request: Request, reminder_id: str, owner: str = Depends(caller)) -> Response:
    await asyncio.to_thread(_travel(request).cancel_reminder, owner, reminder_id)
    return Response(status_code=204)
