"""The travel tables: imported calendars (their sound parts as .ics text, expanded when listed), bookings read from
confirmations, and reminders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
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


class ReminderRow(Base):
    """A reminder: planned from a calendar (the event's own alarm, or a travel rule), or set by voice. Its job
    (kind "reminder", key = id) fires it: state scheduled → fired → delivered to the glasses; or cancelled (its
    calendar was removed), or missed (it fired past the grace period: summarised on delivery, not spoken as news)."""

    __tablename__ = "travel_reminders"
    __table_args__ = (Index("ix_travel_reminders_owner_state", "owner", "state"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # alarm, checkin, leave, boarding, hotel, custom
    source: Mapped[str] = mapped_column(String(80), default="", index=True)  # "calendar:ID", "voice", "api"
    subject: Mapped[str] = mapped_column(String(300), default="")  # the event's summary, or what to do
    location: Mapped[str] = mapped_column(String(300), default="")
    event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)  # UTC
    zone: Mapped[str] = mapped_column(String(64), default="UTC")  # the zone its times are told in
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the rule's figures (number, minutes)
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    late_s: Mapped[float | None] = mapped_column(Float, default=None)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))


class BookingRow(Base):
    """A booking read from a pasted confirmation (flight, train, hotel, car rental): the checked fields as JSON
    (travel.bookings.Booking), what is still asked for, and the text it was read from. The same text pasted again
    by the same caller is the same booking."""

    __tablename__ = "travel_bookings"
    __table_args__ = (UniqueConstraint("owner", "text_sha256", name="uq_travel_bookings_owner_text"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # flight, train, hotel, car
    reference: Mapped[str] = mapped_column(String(40), default="")
    booking: Mapped[dict[str, Any]] = mapped_column(JSON)
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)  # fields still asked for
    assumed: Mapped[list[str]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the questions
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
