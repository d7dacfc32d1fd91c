"""The meetings table: one row per recording, its transcript, speakers and notes (JSON), and where its audio is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from glassmate.store.db import Base


class MeetingRow(Base):
    __tablename__ = "meetings"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), index=True)  # "device:NAME" or "key:NAME"
    source: Mapped[str] = mapped_column(String(20))  # glasses, upload, import
    filename: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), index=True)  # recording, processing, done, failed
    stage: Mapped[str] = mapped_column(String(40), default="")  # what processing is doing now
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    error_code: Mapped[str | None] = mapped_column(String(60), default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    title: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    speech_s: Mapped[float] = mapped_column(Float, default=0.0)
    audio_path: Mapped[str | None] = mapped_column(String(500), default=None)  # None once retention removed it
    speakers: Mapped[list[str]] = mapped_column(JSON, default=list)  # display names, "Speaker 1"…
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    text: Mapped[str] = mapped_column(Text, default="")  # title, notes and transcript as plain text (search)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class VoiceprintRow(Base):
    """A caller's enrolled voice (the wearer's): its name and mean speaker vector."""

    __tablename__ = "voiceprints"

    owner: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    vector: Mapped[list[float]] = mapped_column(JSON)
    speech_s: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
