"""Durable jobs that fire once at their time: travel reminders, the expiry of unconfirmed payments.

Jobs are rows of the store (store/jobs.py), so they survive a restart, and any number of server processes may run
a scheduler on one PostgreSQL database. Each round a scheduler claims the due jobs of the kinds it has handlers for
with `SELECT … FOR UPDATE SKIP LOCKED` (the pattern of PostgreSQL-backed queues such as procrastinate and
pgqueuer; on SQLite, BEGIN IMMEDIATE serialises the rounds of all processes), runs each handler inside that same
transaction and marks the job done in it. A job therefore fires exactly once: a process that dies in the middle of
a round rolls the whole round back, and the next round (its own after a restart, or another process's) fires it
again from the start. What a handler does outside the database (speaking a reminder) comes after the commit, in the
kind's `after` callback, and must be safe to repeat.

A job whose time passed while no server ran fires at the next start and is marked late (`late_s`); past its kind's
grace period it is marked missed, and its handler is told (a reminder of a boarding an hour ago is summarised, not
spoken as if it were news). APScheduler 3 does not support two schedulers on one job store (its maintainer's
answer in agronholm/apscheduler#129 and #231), and 4.0 is still a pre-release, hence this small one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from glassmate.store.db import locking_engine
from glassmate.store.jobs import JobRow

log = logging.getLogger("glassmate.scheduler")

LATE_AFTER = timedelta(seconds=10)  # a job fired later than this after its time is logged as late
MAX_ATTEMPTS = 3  # a handler that raises is tried again RETRY_AFTER later, then the job is marked failed
RETRY_AFTER = timedelta(seconds=30)


def _utc(when: datetime) -> datetime:
    """A time as stored: UTC (SQLite keeps no offset, so every stored time must be in the same zone)."""
    if when.tzinfo is None:
        raise ValueError("a job's time needs a time zone")
    return when.astimezone(UTC)


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@dataclass(frozen=True)
class Fired:
    """A job at the moment it fires, as its handler sees it."""

    id: str
    kind: str
    key: str
    owner: str
    payload: dict[str, Any]
    due_at: datetime
    fired_at: datetime
    missed: bool  # later than the kind's grace period

    @property
    def late_s(self) -> float:
        return max(0.0, (self.fired_at - self.due_at).total_seconds())


Handler = Callable[[Session, Fired], None]  # runs inside the claiming transaction: database work only
After = Callable[[list[Fired]], Awaitable[None]]  # runs after the commit, on the event loop
# Before a round's handlers: load what they need at once. What it returns is held until the round ends (the
# session's identity map holds its objects only weakly).
Prepare = Callable[[Session, list[Fired]], Any]


@dataclass(frozen=True)
class JobKind:
    handler: Handler
    grace: timedelta | None  # None: a late job is run in full however late
    after: After | None
    prepare: Prepare | None = None


def add_job(s: Session, kind: str, key: str, due_at: datetime, *, owner: str = "",
            payload: dict[str, Any] | None = None) -> JobRow:  # fmt: skip
    """Schedule a job in the caller's transaction, so that it exists exactly when what it is about does. The same
    (kind, key) again moves a job that has not fired yet; one that has fired is left as it was."""
    row = s.scalar(select(JobRow).where(JobRow.kind == kind, JobRow.key == key))
    if row is None:
        row = JobRow(id=f"job_{uuid.uuid4().hex[:20]}", kind=kind, key=key, owner=owner, due_at=_utc(due_at),
                     payload=payload or {}, state="scheduled", attempts=0)  # fmt: skip
        s.add(row)
    elif row.state == "scheduled":
        row.due_at = _utc(due_at)
        row.payload = payload or {}
    return row


def cancel_job(s: Session, kind: str, key: str) -> bool:
    """Cancel a job that has not fired, in the caller's transaction; False when there is none."""
    row = s.scalar(select(JobRow).where(JobRow.kind == kind, JobRow.key == key, JobRow.state == "scheduled"))
    if row is None:
        return False
    row.state = "cancelled"
    return True


class Scheduler:
    def __init__(self, url: str, *, poll_s: float = 1.0, batch: int = 500) -> None:
        self.url = url
        self.poll_s = poll_s  # how soon a job another process scheduled earlier than the next known one is seen
        self.batch = batch  # jobs claimed per round (one transaction)
        self.kinds: dict[str, JobKind] = {}
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            self._engine = locking_engine(self.url)
            self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        return self._sessions

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def register(self, kind: str, handler: Handler, *, grace_s: float | None = None, after: After | None = None,
                 prepare: Prepare | None = None) -> None:  # fmt: skip
        """Handle the jobs of `kind` in this process. Only registered kinds are claimed: a process without the
        handler leaves them to one that has it."""
        grace = None if grace_s is None else timedelta(seconds=grace_s)
        self.kinds[kind] = JobKind(handler=handler, grace=grace, after=after, prepare=prepare)

    # -- scheduling -----------------------------------------------------------------------------------------

    def schedule(self, kind: str, key: str, due_at: datetime, *, owner: str = "",
                 payload: dict[str, Any] | None = None) -> str:  # fmt: skip
        """Schedule (or move) one job in a transaction of its own; returns its id."""
        with self.sessions() as s, s.begin():
            job_id = add_job(s, kind, key, due_at, owner=owner, payload=payload).id
        self.wake()
        return job_id

    def cancel(self, kind: str, key: str) -> bool:
        with self.sessions() as s, s.begin():
            return cancel_job(s, kind, key)

    def wake(self) -> None:
        """A job was scheduled in this process: look again now (it may be due before the one slept towards)."""
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to wake
                self._loop.call_soon_threadsafe(self._wake.set)

    def next_due(self) -> datetime | None:
        """When the earliest scheduled job of a registered kind is due."""
        with self.sessions() as s:
            when = s.scalar(select(func.min(JobRow.due_at)).where(JobRow.state == "scheduled",
                                                                  JobRow.kind.in_(self.kinds)))  # fmt: skip
        return None if when is None else _aware(when)

    def pending(self) -> int:
        with self.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(JobRow).where(JobRow.state == "scheduled")) or 0)

    # -- firing ---------------------------------------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> list[Fired]:
        """Fire the due jobs (at most `batch`) in one transaction; returns those that fired."""
        now = _utc(now or datetime.now(UTC))
        fired: list[Fired] = []
        with self.sessions() as s, s.begin():
            query = (select(JobRow)
                     .where(JobRow.state == "scheduled", JobRow.due_at <= now, JobRow.kind.in_(self.kinds))
                     .order_by(JobRow.due_at).limit(self.batch))  # fmt: skip
            if s.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)  # rows another process is firing are passed over
            claimed: list[tuple[JobRow, Fired]] = []
            for row in s.scalars(query).all():
                kind = self.kinds[row.kind]
                due = _aware(row.due_at)
                missed = kind.grace is not None and now - due > kind.grace
                claimed.append((row, Fired(id=row.id, kind=row.kind, key=row.key, owner=row.owner,
                                           payload=dict(row.payload or {}), due_at=due, fired_at=now,
                                           missed=missed)))  # fmt: skip
            fired = [job for _, job in self._handle(s, claimed, now)]
            if fired:  # one executemany, not an ORM flush of each row: a round may fire hundreds
                table = JobRow.__table__
                assert isinstance(table, Table)
                s.execute(update(table).where(table.c.id == bindparam("job_id")),
                          [{"job_id": job.id, "state": "missed" if job.missed else "done", "fired_at": now,
                            "late_s": job.late_s} for job in fired])  # fmt: skip
        late = [job for job in fired if job.fired_at - job.due_at > LATE_AFTER]
        if late:
            log.info("%d job(s) fired late (up to %.0f s), %d of them missed", len(late),
                     max(job.late_s for job in late), sum(job.missed for job in late))  # fmt: skip
        return fired

    def _handle(self, s: Session, claimed: list[tuple[JobRow, Fired]],
                now: datetime) -> list[tuple[JobRow, Fired]]:  # fmt: skip
        """Run the handlers; returns the jobs whose handler succeeded. All of them in one savepoint first (one
        flush for a round of hundreds); if one raises, again one by one, each in its own savepoint, so that a
        failing handler undoes only its own work."""
        held = []
        for name, kind in self.kinds.items():
            jobs = [job for row, job in claimed if row.kind == name]
            if jobs and kind.prepare is not None:
                held.append(kind.prepare(s, jobs))
        try:
            with s.begin_nested():
                for row, job in claimed:
                    self.kinds[row.kind].handler(s, job)
            return claimed
        except Exception as exc:
            if len(claimed) == 1:
                self._failed(claimed[0][0], exc, now)
                return []
        done = []
        for row, job in claimed:
            try:
                with s.begin_nested():
                    self.kinds[row.kind].handler(s, job)
            except Exception as exc:
                self._failed(row, exc, now)
                continue
            done.append((row, job))
        return done

    @staticmethod
    def _failed(row: JobRow, exc: Exception, now: datetime) -> None:
        row.attempts += 1
        row.error = f"{type(exc).__name__}: {exc}"[:1000]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = "failed"
            log.error("job %s (%s) failed %d times; giving up: %s", row.id, row.kind, row.attempts, row.error)
        else:
            row.due_at = now + RETRY_AFTER * row.attempts
            log.warning("job %s (%s) failed (attempt %d): %s", row.id, row.kind, row.attempts, row.error)

    async def after(self, fired: list[Fired]) -> None:
        """Run the kinds' after-commit callbacks for what fired (their failures are logged, never raised)."""
        by_kind: dict[str, list[Fired]] = {}
        for job in fired:
            by_kind.setdefault(job.kind, []).append(job)
        for kind, jobs in by_kind.items():
            callback = self.kinds[kind].after
            if callback is not None:
                try:
                    await callback(jobs)
                except Exception:
                    log.exception("after %d %s job(s) fired: the callback failed", len(jobs), kind)

    async def run(self) -> None:
        """Fire jobs as they come due, until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            wait = self.poll_s
            try:
                fired = await asyncio.to_thread(self.run_due)
                await self.after(fired)
                if len(fired) >= self.batch:
                    continue  # more may be due right now
                due = await asyncio.to_thread(self.next_due)
                if due is not None:
                    wait = min(wait, max(0.0, (due - datetime.now(UTC)).total_seconds()))
            except Exception:  # the database is away for a moment: try again next round
                log.warning("the scheduler's round failed; trying again", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
