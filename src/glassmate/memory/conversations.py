"""A device's conversation with the assistant, kept across a reconnect: the exchanges of its session are saved as
they happen, and a session that opens within `memory.resume_history_s` of the last one continues them (a dropped
connection, a tunnel, glasses put back on). Older conversations are not resumed, and retention deletes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from glassmate.config import MemorySettings
from glassmate.skills.base import Exchange
from glassmate.store.db import Database, delete_rows
from glassmate.store.memory import ConversationRow


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


class Conversations:
    def __init__(self, *, db: Database, settings: MemorySettings) -> None:
        self.db = db
        self.settings = settings

    def save(self, owner: str, exchanges: Sequence[Exchange], *, now: dt.datetime | None = None) -> None:
        """The session's exchanges now (each with the time it was saved at, if it has none yet)."""
        try:
            self._save(owner, exchanges, now)
        except IntegrityError:  # another session of the device made the row first: update it
            self._save(owner, exchanges, now)

    def _save(self, owner: str, exchanges: Sequence[Exchange], now: dt.datetime | None) -> None:
        now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        with self.db.session() as s, s.begin():
            row = s.get(ConversationRow, owner)
            kept = {(e["user"], e["assistant"]): e["at"] for e in (row.exchanges if row is not None else [])}
            data = [{"user": e.user, "assistant": e.assistant, "at": kept.get((e.user, e.assistant), now.isoformat())}
                    for e in exchanges]  # fmt: skip
            if row is None:
                s.add(ConversationRow(owner=owner, exchanges=data, updated_at=now))
            else:
                row.exchanges, row.updated_at = data, now

    def resume(self, owner: str, *, now: dt.datetime | None = None) -> tuple[list[Exchange], float]:
        """The exchanges to continue with, and how many seconds ago the conversation last changed (none when it
        is older than `resume_history_s`)."""
        if self.settings.resume_history_s <= 0:
            return [], 0.0
        now = now or dt.datetime.now(dt.UTC)
        with self.db.session() as s:
            row = s.get(ConversationRow, owner)
        if row is None:
            return [], 0.0
        age = (now - _aware(row.updated_at)).total_seconds()
        if age > self.settings.resume_history_s:
            return [], age
        return [Exchange(e["user"], e["assistant"]) for e in row.exchanges], max(0.0, age)

    def get(self, owner: str) -> list[dict[str, str]]:
        with self.db.session() as s:
            row = s.get(ConversationRow, owner)
        return list(row.exchanges) if row is not None else []

    def forget_since(self, owner: str, since: dt.datetime | None) -> int:
        """Delete the owner's exchanges saved at or after `since` (all when None); how many."""
        with self.db.session() as s, s.begin():
            row = s.get(ConversationRow, owner)
            if row is None:
                return 0
            if since is None:
                count = len(row.exchanges)
                s.delete(row)
                return count
            kept = [e for e in row.exchanges if dt.datetime.fromisoformat(e["at"]) < since]
            count = len(row.exchanges) - len(kept)
            if kept:
                row.exchanges = kept
            else:
                s.delete(row)
            return count

    def purge(self, before: dt.datetime) -> int:
        """Delete every conversation last changed before `before` (retention); how many."""
        with self.db.session() as s, s.begin():
            gone = delete_rows(s, delete(ConversationRow).where(ConversationRow.updated_at < before.astimezone(dt.UTC)))
        return gone
