"""The wearer's control over what the glasses kept: forgetting ("forget everything from today"), retention (a
background job deletes what is older than each kind's setting), and an export of everything kept for a device.

What "deleted" means here: the rows are gone from the database files, not only from the tables. SQLite keeps a
deleted row's bytes in free pages and in its write-ahead log until they are reused, so the store runs with
`secure_delete` (freed content is zeroed), full-text indexes are merged after a deletion (their old segments
still hold the words), and the log is checkpointed and truncated; tests read the files afterwards
(tests/unit/test_privacy.py). PostgreSQL frees deleted rows at its next VACUUM (autovacuum), not at once.

Payment records are not the wearer's to delete: accounting law keeps them (settings.retention.payments_years);
forgetting leaves them and says so, and the export includes them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from glassmate.config import RetentionSettings
from glassmate.memory.conversations import Conversations
from glassmate.memory.service import Memories
from glassmate.store.db import Database
from glassmate.store.ledger import LedgerAccount, LedgerPayment, LedgerRefund
from glassmate.store.meetings import MeetingRow, VoiceprintRow
from glassmate.store.memory import MemoryRow
from glassmate.store.travel import BookingRow, CalendarRow, ReminderRow

log = logging.getLogger("glassmate.privacy")

KINDS = ("memories", "meetings", "transcripts", "payments")


def today_began(zone: str, now: float | None = None) -> dt.datetime:
    """Midnight of the wearer's today (in `zone`, their time zone), as "forget everything from today" means it."""
    local = dt.datetime.fromtimestamp(time.time() if now is None else now, ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Forgotten:
    """How many of each kind were deleted."""

    memories: int = 0
    meetings: int = 0
    exchanges: int = 0  # of the conversation with the assistant
    meeting_audio: int = 0  # recordings whose audio alone went (retention keeps their notes longer)
    kept_payments: int = 0  # payment records in the span, kept by law

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    @property
    def total(self) -> int:
        return self.memories + self.meetings + self.exchanges + self.meeting_audio


@dataclass
class Privacy:
    db: Database
    memories: Memories
    conversations: Conversations
    meetings: Any  # glassmate.meetings.service.Meetings
    settings: RetentionSettings
    rounds: int = 0  # retention rounds the server's task has run (tests wait for the first)

    # -- forgetting -----------------------------------------------------------------------------------------

    def forget_since(self, owner: str, since: dt.datetime | None) -> Forgotten:
        """Delete what the glasses kept for `owner` from `since` on (everything when None): memories, meetings
        (transcripts, notes, audio) and the conversation. Payment records stay (counted in `kept_payments`)."""
        done = Forgotten()
        done.memories = self.memories.forget_since(owner, since)
        done.exchanges = self.conversations.forget_since(owner, since)
        query = select(MeetingRow.id).where(MeetingRow.owner == owner)
        payments = select(LedgerPayment.id).where(LedgerPayment.owner == owner)
        if since is not None:
            query = query.where(MeetingRow.created_at >= since.astimezone(dt.UTC))
            payments = payments.where(LedgerPayment.created_at >= since.astimezone(dt.UTC))
        with self.db.session() as s:
            meeting_ids = list(s.scalars(query))
            done.kept_payments = len(list(s.scalars(payments)))
        for meeting_id in meeting_ids:
            self.meetings.delete(meeting_id, owner=owner)
        done.meetings = len(meeting_ids)
        self.scrub()
        log.info("forgot for %s: %s", owner, done.as_dict())
        return done

    def purge(self, now: dt.datetime | None = None) -> Forgotten:
        """Retention, for every owner: delete memories, meetings and conversations older than their kind's setting
        (0 keeps them), and meeting audio older than meetings.audio_retention_days."""
        now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        done = Forgotten()
        cfg = self.settings
        if cfg.memories_days:
            cutoff = now - dt.timedelta(days=cfg.memories_days)
            with self.db.session() as s:
                owners = set(s.scalars(select(MemoryRow.owner).where(MemoryRow.created_at < cutoff)))
            for owner in owners:
                done.memories += self.memories.forget_before(owner, cutoff)
        if cfg.transcripts_days:
            done.exchanges = self.conversations.purge(now - dt.timedelta(days=cfg.transcripts_days))
        if cfg.meetings_days:
            cutoff = now - dt.timedelta(days=cfg.meetings_days)
            with self.db.session() as s:
                old = list(s.execute(select(MeetingRow.id, MeetingRow.owner).where(
                    MeetingRow.created_at < cutoff, MeetingRow.status.in_(("done", "failed")))))  # fmt: skip
            for meeting_id, owner in old:
                self.meetings.delete(meeting_id, owner=owner)
            done.meetings = len(old)
        done.meeting_audio = self.meetings.purge_audio(now)
        if done.total:
            self.scrub()
            log.info("retention deleted %s", done.as_dict())
        return done

    async def run(self) -> None:
        """Enforce retention now and then every `every_s` (a server task; deleting twice is harmless, so every
        replica may run it)."""
        while True:
            try:
                await asyncio.to_thread(self.purge)
            except Exception:  # the database is away for a moment: the next round tries again
                log.warning("retention round failed", exc_info=True)
            self.rounds += 1
            await asyncio.sleep(self.settings.every_s)

    def scrub(self) -> None:
        """Make deleted rows unreadable in the database files (SQLite: merge the full-text index, checkpoint and
        truncate the write-ahead log; secure_delete zeroed the freed pages). Nothing to do on PostgreSQL."""
        engine = self.db.engine
        if engine.dialect.name != "sqlite":
            return
        with engine.begin() as conn:
            found = conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'meeting_search'")).first()
            if found is not None:
                conn.execute(text("INSERT INTO meeting_search(meeting_search) VALUES ('optimize')"))
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- export ---------------------------------------------------------------------------------------------

    def export(self, owner: str, *, now: dt.datetime | None = None) -> bytes:
        """Everything kept for `owner` as a zip: one JSON file per kind, memory photos and meeting audio as
        files, and a manifest. Secrets (PIN and token hashes) are not data of the wearer's and are left out."""
        now = now or dt.datetime.now(dt.UTC)
        buffer = io.BytesIO()
        manifest: dict[str, Any] = {"owner": owner, "exported_at": now.isoformat(), "files": {}}
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:

            def put(name: str, data: Any, count: int | None = None) -> None:
                zf.writestr(name, json.dumps(data, ensure_ascii=False, indent=2, default=str))
                manifest["files"][name] = count if count is not None else len(data)

            memories = self.memories.list(owner, limit=10_000_000)
            put("memories.json", [m.as_dict() for m in memories])
            for m in memories:
                if m.has_image:
                    image = self.memories.image(owner, m.id)
                    if image:
                        zf.writestr(f"memories/{m.id}.jpg", image)
            put("conversation.json", self.conversations.get(owner))
            with self.db.session() as s:
                meetings = list(s.scalars(select(MeetingRow).where(MeetingRow.owner == owner)))
                calendars = list(s.scalars(select(CalendarRow).where(CalendarRow.owner == owner)))
                bookings = list(s.scalars(select(BookingRow).where(BookingRow.owner == owner)))
                reminders = list(s.scalars(select(ReminderRow).where(ReminderRow.owner == owner)))
                voice = s.get(VoiceprintRow, owner)
                payments = list(s.scalars(select(LedgerPayment).where(LedgerPayment.owner == owner)))
                refunds = list(s.scalars(select(LedgerRefund).where(LedgerRefund.owner == owner)))
                wallets = list(s.scalars(select(LedgerAccount).where(LedgerAccount.kind == "wallet",
                                                                     LedgerAccount.owner == owner)))  # fmt: skip
            put("meetings.json", [_columns(m, skip=("audio_path",)) | {"audio": _audio_name(m)} for m in meetings])
            for row in meetings:
                name = _audio_name(row)
                if name is not None and row.audio_path and Path(row.audio_path).is_file():
                    zf.write(row.audio_path, name)
            put("voiceprint.json", [_columns(voice, skip=("vector",))] if voice is not None else [])
            put("calendars.json", [_columns(c) for c in calendars])
            put("bookings.json", [_columns(b) for b in bookings])
            put("reminders.json", [_columns(r) for r in reminders])
            put("payments.json", {"wallets": [_columns(w) for w in wallets],
                                  "payments": [_columns(p, skip=("request",)) for p in payments],
                                  "refunds": [_columns(r) for r in refunds]}, count=len(payments))  # fmt: skip
            zf.writestr("manifest.json", json.dumps(manifest, indent=2))
        return buffer.getvalue()


def _columns(row: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


def _audio_name(row: MeetingRow) -> str | None:
    return f"meetings/{row.id}{Path(row.audio_path).suffix}" if row.audio_path else None
