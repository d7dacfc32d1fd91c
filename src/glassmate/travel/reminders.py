"""Reminders in the store: planned from calendars, set by voice or REST, fired by the job scheduler, then handed to
the wearer's glasses by the Inbox.

A reminder and its scheduler job are written in one transaction, and its job's handler marks it fired in the
scheduler's transaction, so a reminder fires exactly once whatever restarts. Delivery comes after: the Inbox claims
a device's fired reminders (fired → delivered, in a transaction of its own, so two server processes never both
deliver one) and hands them to that device's open sessions; if none is open they wait, and a session that opens
gets them all at once. Delivery that fails (the session closed mid-sentence) puts them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from glassmate.scheduler import Fired, add_job, cancel_job
from glassmate.store.travel import ReminderRow
from glassmate.travel.rules import Planned

log = logging.getLogger("glassmate.travel")

JOB = "reminder"  # the scheduler job that fires a reminder (key: the reminder's id)
PENDING = ("scheduled",)


def _utc(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.UTC)


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


@dataclass(frozen=True)
class Reminder:
    """A reminder as the API and the glasses see it."""

    id: str
    kind: str
    subject: str
    location: str
    event_at: dt.datetime | None
    due_at: dt.datetime
    zone: str
    state: str
    source: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    late_s: float | None = None

    @classmethod
    def of(cls, row: ReminderRow) -> Reminder:
        due = _aware(row.due_at)
        assert due is not None
        return cls(id=row.id, kind=row.kind, subject=row.subject, location=row.location,
                   event_at=_aware(row.event_at), due_at=due, zone=row.zone, state=row.state,
                   source=row.source, params=dict(row.params or {}), late_s=row.late_s)  # fmt: skip

    def local(self, when: dt.datetime) -> dt.datetime:
        from zoneinfo import ZoneInfo

        return when.astimezone(ZoneInfo(self.zone))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "subject": self.subject, "location": self.location,
                "event_at": None if self.event_at is None else self.local(self.event_at).isoformat(),
                "due_at": self.local(self.due_at).isoformat(), "state": self.state, "source": self.source,
                "params": self.params, "late_s": self.late_s}  # fmt: skip


class ReminderStore:
    """The reminders' rows and their jobs, written together (`sessions` is the scheduler's)."""

    def __init__(self, sessions: Callable[[], sessionmaker[Session]]) -> None:
        self._sessions = sessions

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self._sessions()

    def add(self, s: Session, owner: str, source: str, planned: Planned) -> bool:
        """Schedule one planned reminder in the caller's transaction; False when it already was."""
        row = s.get(ReminderRow, planned.id)
        if row is not None:
            return False
        s.add(ReminderRow(id=planned.id, owner=owner, kind=planned.kind, source=source, subject=planned.subject,
                          location=planned.location,
                          event_at=None if planned.event_at is None else _utc(planned.event_at),
                          zone=planned.zone, due_at=_utc(planned.due_at), params=planned.params,
                          state="scheduled"))  # fmt: skip
        add_job(s, JOB, planned.id, planned.due_at, owner=owner)
        return True

    def replace_plan(self, s: Session, owner: str, source: str, planned: Iterable[Planned],
                     until: dt.datetime) -> tuple[int, int]:  # fmt: skip
        """Make the source's scheduled reminders up to `until` exactly `planned`: new ones added, ones no longer
        planned (the event moved or was removed) cancelled. Returns (added, cancelled)."""
        wanted = {p.id: p for p in planned}
        added = sum(self.add(s, owner, source, p) for p in wanted.values())
        cancelled = 0
        stale = s.scalars(select(ReminderRow).where(ReminderRow.owner == owner, ReminderRow.source == source,
                                                    ReminderRow.state == "scheduled",
                                                    ReminderRow.due_at <= _utc(until)))  # fmt: skip
        for row in stale:
            if row.id not in wanted:
                self._cancel(s, row)
                cancelled += 1
        return added, cancelled

    def cancel_source(self, s: Session, owner: str, source: str) -> int:
        rows = s.scalars(select(ReminderRow).where(ReminderRow.owner == owner, ReminderRow.source == source,
                                                   ReminderRow.state == "scheduled")).all()  # fmt: skip
        for row in rows:
            self._cancel(s, row)
        return len(rows)

    def move(self, owner: str, reminder_id: str, due_at: dt.datetime, params: dict[str, Any]) -> Reminder | None:
        """Move a reminder that has not gone off (its job with it) and update its figures; None when it went off
        or is not the owner's. A later re-plan keeps the move: the reminder's id stays."""
        with self.sessions() as s, s.begin():
            row = s.get(ReminderRow, reminder_id)
            if row is None or row.owner != owner or row.state != "scheduled":
                return None
            row.due_at, row.params = _utc(due_at), {**(row.params or {}), **params}
            add_job(s, JOB, row.id, due_at, owner=owner)
            return Reminder.of(row)

    def cancel(self, owner: str, reminder_id: str) -> bool:
        with self.sessions() as s, s.begin():
            row = s.get(ReminderRow, reminder_id)
            if row is None or row.owner != owner or row.state != "scheduled":
                return False
            self._cancel(s, row)
            return True

    @staticmethod
    def _cancel(s: Session, row: ReminderRow) -> None:
        row.state = "cancelled"
        cancel_job(s, JOB, row.id)

    def custom(self, owner: str, at: dt.datetime, subject: str, *, zone: str, source: str = "voice") -> Reminder:
        """A one-off reminder ("remind me at 5 to call Anna")."""
        planned = Planned(id=f"rem_{uuid.uuid4().hex[:24]}", kind="custom", due_at=at, subject=subject[:300],
                          location="", event_at=None, zone=zone)  # fmt: skip
        with self.sessions() as s, s.begin():
            self.add(s, owner, source, planned)
            row = s.get_one(ReminderRow, planned.id)
            return Reminder.of(row)

    def of_owner(self, owner: str, *, states: Iterable[str] = PENDING, limit: int = 200) -> list[Reminder]:
        with self.sessions() as s:
            rows = s.scalars(select(ReminderRow).where(ReminderRow.owner == owner, ReminderRow.state.in_(states))
                             .order_by(ReminderRow.due_at).limit(limit)).all()  # fmt: skip
        return [Reminder.of(row) for row in rows]

    # -- the scheduler's side -------------------------------------------------------------------------------

    @staticmethod
    def load(s: Session, jobs: list[Fired]) -> list[ReminderRow]:
        """Before a round fires: its reminders in one query (the handler then finds them in the session)."""
        return list(s.scalars(select(ReminderRow).where(ReminderRow.id.in_([job.key for job in jobs]))))

    @staticmethod
    def fire(s: Session, job: Fired) -> None:
        """The handler of JOB, in the scheduler's transaction: the reminder is now waiting for the glasses."""
        row = s.get(ReminderRow, job.key)
        if row is None or row.state != "scheduled":
            return  # cancelled after its job was claimed: nothing to say
        row.state = "fired"
        row.fired_at = job.fired_at
        row.late_s = job.late_s

    # -- delivery -------------------------------------------------------------------------------------------

    def claim(self, owners: Iterable[str]) -> dict[str, list[Reminder]]:
        """Take the owners' fired reminders for delivery (fired → delivered), oldest first, in one transaction
        (a burst of reminders for many devices is one commit, not one each)."""
        now = dt.datetime.now(dt.UTC)
        wanted = sorted(set(owners))
        found: dict[str, list[Reminder]] = {}
        with self.sessions() as s, s.begin():
            for i in range(0, len(wanted), 500):  # bounded IN lists
                chunk = wanted[i : i + 500]
                query = (select(ReminderRow).where(ReminderRow.owner.in_(chunk), ReminderRow.state == "fired")
                         .order_by(ReminderRow.due_at))  # fmt: skip
                if s.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                for row in s.scalars(query).all():
                    row.state = "delivered"
                    row.delivered_at = now
                    found.setdefault(row.owner, []).append(Reminder.of(row))
        return found

    def unclaim(self, ids: Iterable[str]) -> None:
        """Delivery failed: the reminders wait again."""
        with self.sessions() as s, s.begin():
            for row in s.scalars(select(ReminderRow).where(ReminderRow.id.in_(list(ids)))):
                if row.state == "delivered":
                    row.state = "fired"
                    row.delivered_at = None

    def owners_waiting(self, owners: Iterable[str]) -> set[str]:
        """Which of `owners` have fired reminders waiting (one cheap query, for the Inbox's poll)."""
        wanted = sorted(set(owners))
        found: set[str] = set()
        with self.sessions() as s:
            for i in range(0, len(wanted), 500):
                rows = s.execute(select(ReminderRow.owner).where(ReminderRow.owner.in_(wanted[i : i + 500]),
                                                                 ReminderRow.state == "fired").distinct())  # fmt: skip
                found.update(owner for (owner,) in rows)
        return found


Sink = Callable[[list[Reminder]], Awaitable[None]]  # says and shows reminders on one session's glasses


class Inbox:
    """The open sessions of each owner, and the delivery of their fired reminders to them. Reminders fired by
    this process are pushed at once (`fired`); those fired by another process are found by a poll every
    `poll_s`."""

    def __init__(self, store: ReminderStore, *, poll_s: float = 1.0) -> None:
        self.store = store
        self.poll_s = poll_s
        self._sinks: dict[str, list[Sink]] = {}
        self._claiming = asyncio.Lock()  # one claim at a time from this process

    def attach(self, owner: str, sink: Sink) -> None:
        self._sinks.setdefault(owner, []).append(sink)

    def detach(self, owner: str, sink: Sink) -> None:
        sinks = self._sinks.get(owner, [])
        with contextlib.suppress(ValueError):
            sinks.remove(sink)
        if not sinks:
            self._sinks.pop(owner, None)

    async def fired(self, jobs: list[Fired]) -> None:
        """The scheduler's after-commit callback: deliver to those who are connected here."""
        await self.deliver(*{job.owner for job in jobs})

    async def deliver(self, *owners: str) -> int:
        """Hand the owners' waiting reminders to their newest open session here; returns how many."""
        here = [owner for owner in owners if self._sinks.get(owner)]
        if not here:
            return 0  # not connected to this process
        async with self._claiming:
            claimed = await asyncio.to_thread(self.store.claim, here)
        handed = await asyncio.gather(*(self._hand(owner, reminders) for owner, reminders in claimed.items()))
        return sum(handed)

    async def _hand(self, owner: str, reminders: list[Reminder]) -> int:
        sinks = self._sinks.get(owner)
        try:
            if not sinks:
                raise ConnectionError("the glasses went away")
            await sinks[-1](reminders)
        except BaseException as exc:  # the session closed mid-delivery, or failed: they wait for the next
            await asyncio.shield(asyncio.to_thread(self.store.unclaim, [r.id for r in reminders]))
            if not isinstance(exc, Exception):
                raise
            log.warning("delivering %d reminder(s) to %s failed: %s", len(reminders), owner, exc)
            return 0
        log.info("%d reminder(s) delivered to %s", len(reminders), owner)
        return len(reminders)

    async def run(self) -> None:
        """Deliver what other processes fired for the owners connected here, until cancelled."""
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                waiting = await asyncio.to_thread(self.store.owners_waiting, list(self._sinks))
                if waiting:
                    await self.deliver(*waiting)
            except Exception:
                log.warning("reminder delivery round failed; trying again", exc_info=True)
