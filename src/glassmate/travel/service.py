"""The travel skill's store: calendars imported per caller, their occurrences in a window, and the reminders
planned from them (again every day, `plan_days` ahead) or set by the wearer."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from glassmate.config import TravelSettings
from glassmate.errors import BadInputError, NotFoundError
from glassmate.scheduler import Fired, Scheduler, add_job
from glassmate.store.db import Database
from glassmate.store.travel import CalendarRow
from glassmate.travel.calendar import Occurrence, occurrences, read_calendar
from glassmate.travel.reminders import JOB, Inbox, Reminder, ReminderStore
from glassmate.travel.rules import plan

log = logging.getLogger("glassmate.travel")


PLAN_JOB = "travel-plan"  # the scheduler job that plans an owner's reminders again (key: "OWNER|DATE")


class Travel:
    def __init__(self, *, db: Database, settings: TravelSettings, scheduler: Scheduler) -> None:
        self.db = db
        self.settings = settings
        self.scheduler = scheduler
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
        return sorted(found, key=lambda o: o.sort_key(self.settings.timezone))

    def delete(self, owner: str, calendar: str) -> None:
        """Remove an import and cancel its reminders that have not fired."""
        with self.scheduler.sessions() as s, s.begin():
            row = s.get(CalendarRow, calendar)
            if row is None or row.owner != owner:
                raise NotFoundError(f"no calendar {calendar!r} for this caller", code="calendar-not-found")
            self.reminders.cancel_source(s, owner, f"calendar:{row.id}")
            s.delete(row)

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
        source = f"calendar:{row.id}"
        planned = [p for o in found for p in plan(row.owner, source, o, self.settings, now) if p.due_at <= until]
        added, cancelled = self.reminders.replace_plan(s, row.owner, source, planned, until)
        if added or cancelled:
            log.info("calendar %s: %d reminder(s) planned, %d cancelled", row.id, added, cancelled)
        return added

    def _next_plan(self, s: Session, owner: str, now: dt.datetime) -> None:
        tomorrow = now + dt.timedelta(days=1)
        add_job(s, PLAN_JOB, f"{owner}|{tomorrow.date().isoformat()}", tomorrow, owner=owner)

    def _plan_job(self, s: Session, job: Fired) -> None:
        """Every day: plan each of the owner's calendars a day further, then the next day's run."""
        for row in s.scalars(select(CalendarRow).where(CalendarRow.owner == job.owner)).all():
            self._plan(s, row, job.fired_at)
        self._next_plan(s, job.owner, job.fired_at)

    def _aware(self, when: dt.datetime) -> dt.datetime:
        from zoneinfo import ZoneInfo

        return when if when.tzinfo is not None else when.replace(tzinfo=ZoneInfo(self.settings.timezone))
