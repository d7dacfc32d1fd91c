"""The travel skill's store: calendars imported per caller, bookings read from pasted confirmations, their
occurrences in a window, and the reminders planned from them (again every day, `plan_days` ahead) or set by the
wearer."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import math
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from glassmate.config import TravelSettings
from glassmate.errors import BadInputError, GlassmateError, NotFoundError
from glassmate.navigation.service import Navigation
from glassmate.providers.llm.base import LLM
from glassmate.scheduler import Fired, Scheduler, add_job
from glassmate.store.db import Database
from glassmate.store.travel import BookingRow, CalendarRow
from glassmate.travel import airports, booking_questions, bookings
from glassmate.travel.bookings import Booking, BookingReader
from glassmate.travel.calendar import Occurrence, occurrences, read_calendar
from glassmate.travel.reminders import JOB, Inbox, Reminder, ReminderStore
from glassmate.travel.rules import plan

log = logging.getLogger("glassmate.travel")


PLAN_JOB = "travel-plan"  # the scheduler job that plans an owner's reminders again (key: "OWNER|DATE")


class Travel:
    def __init__(self, *, db: Database, settings: TravelSettings, scheduler: Scheduler,
                 llm: Callable[[], LLM] | None = None) -> None:  # fmt: skip
        self.db = db
        self.settings = settings
        self.scheduler = scheduler
        self.llm = llm  # reads booking confirmations (loaded on first use)
        self.reminders = ReminderStore(lambda: scheduler.sessions)
        self.inbox = Inbox(self.reminders)  # the open sessions reminders are delivered to

    def register(self) -> None:
        """Fire reminders and plan jobs in this process (the server does; a CLI only schedules them)."""
        self.scheduler.register(JOB, ReminderStore.fire, grace_s=self.settings.stale_after_min * 60,
                                after=self.inbox.fired, prepare=ReminderStore.load)  # fmt: skip
        self.scheduler.register(PLAN_JOB, self._plan_job)

    def import_calendar(self, owner: str, data: bytes, *, filename: str = "",
                        now: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
        """Keep the sound part of an .ics file and plan its reminders from `now`: {"id", "name", "events",
        "warnings", "reminders"}. Nothing is stored when nothing is usable (CalendarError)."""
        now = now or dt.datetime.now(dt.UTC)
        read = read_calendar(data, zone=self.settings.timezone)
        row = CalendarRow(id=uuid.uuid4().hex, owner=owner, name=read.name[:200], filename=filename[:300],
                          ics=read.ics, events=read.events, warnings=read.warnings)  # fmt: skip
        with self.scheduler.sessions() as s, s.begin():
            s.add(row)
            added = self._plan(s, row, now)
            self._next_plan(s, owner, now)
        self.scheduler.wake()
        return {"id": row.id, "name": row.name, "events": row.events, "warnings": row.warnings, "reminders": added}

    def calendars(self, owner: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(CalendarRow).where(CalendarRow.owner == owner)
                             .order_by(CalendarRow.imported_at)).all()  # fmt: skip
        return [{"id": r.id, "name": r.name, "filename": r.filename, "events": r.events, "warnings": r.warnings,
                 "imported_at": r.imported_at.isoformat()} for r in rows]  # fmt: skip

    def events(self, owner: str, start: dt.datetime, end: dt.datetime,
               calendar: str | None = None) -> list[Occurrence]:  # fmt: skip
        """The occurrences of the caller's calendars (or of one) overlapping [start, end), in start order."""
        start, end = self._aware(start), self._aware(end)
        with self.db.session() as s:
            query = select(CalendarRow).where(CalendarRow.owner == owner)
            if calendar is not None:
                query = query.where(CalendarRow.id == calendar)
            rows = s.scalars(query).all()
        if calendar is not None and not rows:
            raise NotFoundError(f"no calendar {calendar!r} for this caller", code="calendar-not-found")
        found: list[Occurrence] = []
        for row in rows:
            found += occurrences(row.ics, start, end, zone=self.settings.timezone, calendar=row.id)
        if calendar is None:
            found += [o for o in self._booked(owner) if self._overlaps(o, start, end)]
        return sorted(found, key=lambda o: o.sort_key(self.settings.timezone))

    def delete(self, owner: str, calendar: str) -> None:
        """Remove an import and cancel its reminders that have not fired."""
        with self.scheduler.sessions() as s, s.begin():
            row = s.get(CalendarRow, calendar)
            if row is None or row.owner != owner:
                raise NotFoundError(f"no calendar {calendar!r} for this caller", code="calendar-not-found")
            self.reminders.cancel_source(s, owner, f"calendar:{row.id}")
            s.delete(row)

    # -- bookings -------------------------------------------------------------------------------------------

    async def import_booking(self, owner: str, text: str, *, language: str | None = None,
                             now: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
        """Read a pasted confirmation into a booking, keep it and plan its reminders: {"id", "kind", "booking",
        "complete", "missing": [{"field", "question"}], "assumed", "warnings", "reminders", "created"}. The same
        text pasted again is the same booking ("created": false). Nothing is stored when the text is not a
        booking (BookingError)."""
        now = now or dt.datetime.now(dt.UTC)
        digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
        existing = await asyncio.to_thread(self._booking_by_text, owner, digest)
        if existing is not None:
            return {**self._booking_json(existing), "reminders": 0, "created": False}
        if self.llm is None:
            raise RuntimeError("this Travel has no LLM to read bookings with")
        today = now.astimezone(ZoneInfo(self.settings.timezone)).date()
        checked, _ = await BookingReader(self.llm, zone=self.settings.timezone).read(text, today=today)
        row = BookingRow(id=f"bkg_{uuid.uuid4().hex[:20]}", owner=owner, kind=checked.booking.kind,
                         reference=(checked.booking.reference or "")[:40], booking=checked.booking.to_json(),
                         missing=bookings.missing(checked.booking), assumed=checked.assumed,
                         warnings=checked.warnings, language=language or booking_questions.language_of(text), text=text,
                         text_sha256=digest)  # fmt: skip
        try:
            added = await asyncio.to_thread(self._save_booking, row, now)
        except IntegrityError:  # the same text pasted twice at once: the first one stored is the booking
            existing = await asyncio.to_thread(self._booking_by_text, owner, digest)
            if existing is None:
                raise
            return {**self._booking_json(existing), "reminders": 0, "created": False}
        log.info("booking %s (%s) for %s: %d field(s) asked for, %d reminder(s)", row.id, row.kind, owner,
                 len(row.missing), added)  # fmt: skip
        return {**self._booking_json(row), "reminders": added, "created": True}

    def bookings(self, owner: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(BookingRow).where(BookingRow.owner == owner)
                             .order_by(BookingRow.created_at)).all()  # fmt: skip
        return [self._booking_json(r) for r in rows]

    def booking(self, owner: str, booking_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self._booking_json(self._own_booking(s, owner, booking_id))

    def complete_booking(self, owner: str, booking_id: str, values: dict[str, Any],
                         now: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
        """Set fields the wearer was asked for ({"segments.0.departs": "12:55"}), checked like the text's, and plan
        the booking's reminders again."""
        now = now or dt.datetime.now(dt.UTC)
        with self.scheduler.sessions() as s, s.begin():
            row = self._own_booking(s, owner, booking_id)
            booking = bookings.fill(Booking.model_validate(row.booking), values)
            row.booking, row.missing = booking.to_json(), bookings.missing(booking)
            row.updated_at = now
            added = self._plan_booking(s, row, now)
            self._next_plan(s, owner, now)
            answer = {**self._booking_json(row), "reminders": added, "created": False}
        self.scheduler.wake()
        return answer

    def delete_booking(self, owner: str, booking_id: str) -> None:
        with self.scheduler.sessions() as s, s.begin():
            row = self._own_booking(s, owner, booking_id)
            self.reminders.cancel_source(s, owner, f"booking:{row.id}")
            s.delete(row)

    def _booking_by_text(self, owner: str, digest: str) -> BookingRow | None:
        with self.db.session() as s:
            return s.scalars(select(BookingRow).where(BookingRow.owner == owner,
                                                      BookingRow.text_sha256 == digest)).first()  # fmt: skip

    def _save_booking(self, row: BookingRow, now: dt.datetime) -> int:
        with self.scheduler.sessions() as s, s.begin():
            s.add(row)
            s.flush()
            added = self._plan_booking(s, row, now)
            self._next_plan(s, row.owner, now)
        self.scheduler.wake()
        return added

    @staticmethod
    def _own_booking(s: Session, owner: str, booking_id: str) -> BookingRow:
        row = s.get(BookingRow, booking_id)
        if row is None or row.owner != owner:
            raise NotFoundError(f"no booking {booking_id!r} for this caller", code="booking-not-found")
        return row

    @staticmethod
    def _booking_json(row: BookingRow) -> dict[str, Any]:
        booking = Booking.model_validate(row.booking)
        return {"id": row.id, "kind": row.kind, "booking": booking.to_json(), "complete": bookings.complete(booking),
                "missing": booking_questions.questions(booking, row.language), "assumed": row.assumed,
                "warnings": row.warnings, "created_at": row.created_at.isoformat()}  # fmt: skip

    def _booked(self, owner: str) -> list[Occurrence]:
        with self.db.session() as s:
            rows = s.scalars(select(BookingRow).where(BookingRow.owner == owner)).all()
        return [o for r in rows for o in bookings.occurrences(r.id, Booking.model_validate(r.booking))]

    def _overlaps(self, o: Occurrence, start: dt.datetime, end: dt.datetime) -> bool:
        zone = self.settings.timezone
        begin = o.sort_key(zone)
        finish = Occurrence(o.uid, o.summary, o.end, o.end, "", o.all_day).sort_key(zone)
        return begin < end and max(finish, begin + dt.timedelta(seconds=1)) > start

    def _plan_booking(self, s: Session, row: BookingRow, now: dt.datetime) -> int:
        """Plan a booking's reminders from now to `plan_days` ahead, in the caller's transaction."""
        until = now + dt.timedelta(days=self.settings.plan_days)
        found = bookings.occurrences(row.id, Booking.model_validate(row.booking))
        return self._replan(s, row.owner, f"booking:{row.id}", found, now, until)

    # -- reminders ------------------------------------------------------------------------------------------

    def remind(self, owner: str, at: dt.datetime, subject: str, *, source: str = "voice") -> Reminder:
        """A one-off reminder; `at` without a zone is the wearer's time."""
        at = self._aware(at)
        if at <= dt.datetime.now(dt.UTC):
            raise BadInputError("a reminder's time must be in the future", code="reminder-in-past")
        subject = " ".join(subject.split())
        if not subject:
            raise BadInputError("a reminder needs something to remind of", code="reminder-empty")
        reminder = self.reminders.custom(owner, at, subject, zone=self.settings.timezone, source=source)
        self.scheduler.wake()
        return reminder

    def pending(self, owner: str, limit: int = 200) -> list[Reminder]:
        """The reminders still to come, soonest first."""
        return self.reminders.of_owner(owner, limit=limit)

    async def refine_leave_by(self, owner: str, here: tuple[float, float], navigation: Navigation,
                              now: dt.datetime | None = None) -> Reminder | None:  # fmt: skip
        """The next leave-by reminder (within `refine_within_h`) moved to the walking time from `here` to its
        airport or station, when the map has a walking route there of at most `max_walk_min`; otherwise None and
        the reminder keeps its estimate. The airport's place is airportsdata's, a station's the map's."""
        now = now or dt.datetime.now(dt.UTC)
        horizon = now + dt.timedelta(hours=self.settings.refine_within_h)
        pending = await asyncio.to_thread(self.pending, owner)
        leave = next((r for r in pending if r.kind == "leave" and r.event_at is not None
                      and now < r.event_at <= horizon), None)  # fmt: skip
        if leave is None or leave.event_at is None:
            return None
        there = await self._place_of(leave, here, navigation)
        if there is None:
            return None
        try:
            route = await (await navigation.router()).route(here, there)
        except GlassmateError as exc:  # off the map, no route, no map, the routing server down: the estimate stays
            log.info("leave-by %s keeps its estimate: %s", leave.id, exc.code)
            return None
        walk = max(1, math.ceil(route.duration_s / 60))
        if walk > self.settings.max_walk_min:
            return None
        buffer = int(leave.params.get("buffer_min", 0))
        due = leave.event_at - dt.timedelta(minutes=buffer + walk)
        if leave.params.get("way") == "walk" and leave.params.get("way_min") == walk:
            return leave
        return await asyncio.to_thread(self.reminders.move, owner, leave.id, due,
                                       {"way_min": walk, "way": "walk", "walk_m": round(route.distance_m)})  # fmt: skip

    @staticmethod
    async def _place_of(r: Reminder, here: tuple[float, float], navigation: Navigation) -> tuple[float, float] | None:
        """Where a trip leaves from: the airport (airportsdata, by the event's location: "FRA", "Frankfurt
        Airport") or the station the map names so (the nearest of that name)."""
        if r.params.get("mode") == "flight":
            found = airports.lookup(r.location)
            return (found[0].lat, found[0].lon) if len(found) == 1 else None
        if not r.location:
            return None
        try:
            places = (await navigation.aload()).places
        except GlassmateError:
            return None
        hits = places.search(r.location, near=here, limit=1)
        return (hits[0].place.lat, hits[0].place.lon) if hits else None

    def cancel_reminder(self, owner: str, reminder_id: str) -> None:
        if not self.reminders.cancel(owner, reminder_id):
            raise NotFoundError(f"no pending reminder {reminder_id!r} for this caller", code="reminder-not-found")

    def _plan(self, s: Session, row: CalendarRow, now: dt.datetime) -> int:
        """Plan one calendar's reminders from now to `plan_days` ahead, in the caller's transaction."""
        until = now + dt.timedelta(days=self.settings.plan_days)
        # Occurrences that start up to a day after `until` still have reminders before it (check-in opens 24 h
        # before); those after `until` are planned by a later day's run.
        found = occurrences(row.ics, now - dt.timedelta(days=1), until + dt.timedelta(days=2),
                            zone=self.settings.timezone, calendar=row.id)  # fmt: skip
        return self._replan(s, row.owner, f"calendar:{row.id}", found, now, until)

    def _replan(self, s: Session, owner: str, source: str, found: list[Occurrence], now: dt.datetime,
                until: dt.datetime) -> int:  # fmt: skip
        """Make a source's reminders up to `until` those its occurrences plan; the number added."""
        planned = [p for o in found for p in plan(owner, source, o, self.settings, now) if p.due_at <= until]
        added, cancelled = self.reminders.replace_plan(s, owner, source, planned, until)
        if added or cancelled:
            log.info("%s: %d reminder(s) planned, %d cancelled", source, added, cancelled)
        return added

    def _next_plan(self, s: Session, owner: str, now: dt.datetime) -> None:
        tomorrow = now + dt.timedelta(days=1)
        add_job(s, PLAN_JOB, f"{owner}|{tomorrow.date().isoformat()}", tomorrow, owner=owner)

    def _plan_job(self, s: Session, job: Fired) -> None:
        """Every day: plan each of the owner's calendars and bookings a day further, then the next day's run."""
        for row in s.scalars(select(CalendarRow).where(CalendarRow.owner == job.owner)).all():
            self._plan(s, row, job.fired_at)
        for booked in s.scalars(select(BookingRow).where(BookingRow.owner == job.owner)).all():
            self._plan_booking(s, booked, job.fired_at)
        self._next_plan(s, job.owner, job.fired_at)

    def _aware(self, when: dt.datetime) -> dt.datetime:
        return when if when.tzinfo is not None else when.replace(tzinfo=ZoneInfo(self.settings.timezone))
