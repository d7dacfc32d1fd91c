"""The job scheduler's table (glassmate/scheduler.py): one row per job that fires once at `due_at`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from glassmate.store.db import Base


class JobRow(Base):
    """state: scheduled → done (fired, `late_s` after its time), missed (fired past its kind's grace period: the
    handler was told), failed (its handler raised three times), or cancelled."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("kind", "key"),  # scheduling the same thing twice is one job
        Index("ix_jobs_state_due", "state", "due_at"),  # the due jobs, found every round
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # which handler: "reminder", "payment-expiry"
    key: Mapped[str] = mapped_column(String(200))  # what it is about, unique per kind: a reminder's or payment's id
    owner: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    late_s: Mapped[float | None] = mapped_column(Float, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
