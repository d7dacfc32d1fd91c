"""The travel skill's store: calendars imported per caller, their occurrences in a window."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from glassmate.config import TravelSettings
from glassmate.errors import NotFoundError
from glassmate.store.db import Database
from glassmate.store.travel import CalendarRow
from glassmate.travel.calendar import Occurrence, occurrences, read_calendar


class Travel:
    def __init__(self, *, db: Database, settings: TravelSettings) -> None:
        self.db = db
        self.settings = settings

    def import_calendar(self, owner: str, data: bytes, *, filename: str = "") -> dict[str, Any]:
        """Keep the sound part of an .ics file: {"id", "name", "events", "warnings"}. Nothing is stored when
        nothing is usable (CalendarError)."""
        read = read_calendar(data, zone=self.settings.timezone)
        row = CalendarRow(id=uuid.uuid4().hex, owner=owner, name=read.name[:200], filename=filename[:300],
                          ics=read.ics, events=read.events, warnings=read.warnings)  # fmt: skip
        with self.db.session() as s:
            s.add(row)
            s.commit()
        return {"id": row.id, "name": row.name, "events": row.events, "warnings": row.warnings}

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
        with self.db.session() as s:
            row = s.get(CalendarRow, calendar)
            if row is None or row.owner != owner:
                raise NotFoundError(f"no calendar {calendar!r} for this caller", code="calendar-not-found")
            s.delete(row)
            s.commit()

    def _aware(self, when: dt.datetime) -> dt.datetime:
        from zoneinfo import ZoneInfo

        return when if when.tzinfo is not None else when.replace(tzinfo=ZoneInfo(self.settings.timezone))
