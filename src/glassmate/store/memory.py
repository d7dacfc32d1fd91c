"""The memory tables: what the wearer asked the glasses to remember (with its sentence vector), and the
conversation of each device's last session (so that a reconnect continues it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from glassmate.store.db import Base


class MemoryRow(Base):
    __tablename__ = "memories"
    __table_args__ = (Index("ix_memories_owner_created", "owner", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))  # "device:NAME" or "key:NAME"
    text: Mapped[str] = mapped_column(Text)  # what to remember, in the wearer's words
    language: Mapped[str] = mapped_column(String(8), default="en")
    # The embedder's unit vector of `text` (float32 bytes) and which embedder made it: vectors of another model
    # are not comparable, so a changed model re-embeds (memory/service.py).
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    embedder: Mapped[str] = mapped_column(String(60))
    lat: Mapped[float | None] = mapped_column(Float, default=None)  # the glasses' last GPS fix
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    place: Mapped[str] = mapped_column(String(200), default="")  # the nearest named place on the map, if close
    # What was in view: the codes and text read from the camera frame (not the image, unless asked for).
    in_view: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    image: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # the frame, when the wearer asked
    source: Mapped[str] = mapped_column(String(20), default="voice")  # voice, api
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))


class ConversationRow(Base):
    """A device's conversation with the assistant: the exchanges of its last session, kept after a disconnect for
    `memory.resume_history_s` (a reconnect continues it) and deleted by retention (`transcripts_days`)."""

    __tablename__ = "conversations"

    owner: Mapped[str] = mapped_column(String(120), primary_key=True)
    exchanges: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{user, assistant, at}]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
