"""The travel tables: imported calendars (their sound parts as .ics text, expanded when listed)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from glassmate.store.db import Base


class CalendarRow(Base):
    __tablename__ = "travel_calendars"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), index=True)  # "device:NAME" or "key:NAME"
    name: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(300), default="")
    ics: Mapped[str] = mapped_column(Text)  # the events and zones that were sound, as iCalendar text
    events: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
