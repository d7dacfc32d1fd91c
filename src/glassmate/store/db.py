"""The database: one engine per process, its schema migrated to the newest on first use (store/migrate.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, DateTime, String, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class _Credential:
    """A named secret token: shown once, stored as a hash, revocable."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # sha256 of the token: tokens are 256-bit random strings, so a fast hash is enough and nothing
    # stored here lets anyone connect.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Device(_Credential, Base):
    """A pair of glasses (or a browser standing in for them) allowed to open realtime sessions."""

    __tablename__ = "devices"


class ApiKey(_Credential, Base):
    """A key for the OpenAI-compatible REST API."""

    __tablename__ = "api_keys"


class Database:
    """Owns the engine and session factory for one database URL."""

    def __init__(self, *, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._opening = threading.Lock()  # two threads' first use (a server's start-up tasks) migrate once

    @property
    def engine(self) -> Engine:
        if self._engine is not None:
            return self._engine
        with self._opening:
            return self._open()

    def _open(self) -> Engine:
        if self._engine is None:
            if self.url.startswith("sqlite:///"):
                from pathlib import Path

                Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            from glassmate.store.migrate import upgrade

            self._engine = create_engine(self.url)
            if self.url.startswith("sqlite"):
                event.listen(self._engine, "connect", _secure_delete)
            upgrade(self._engine)
        return self._engine

    def session(self) -> Session:
        """A new ORM session (use as a context manager)."""
        if self._sessions is None:
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions()

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
    """SQLite zeroes what a deletion frees: a forgotten memory's words do not stay readable in the file's free
    pages (memory/privacy.py)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def locking_engine(url: str) -> Engine:
    """An engine for transactions that must not interleave (the ledger, the job scheduler): on SQLite, WAL +
    synchronous=FULL and BEGIN IMMEDIATE transactions (the write lock taken at BEGIN, so two processes never both
    read the same due rows and then race to write them); on PostgreSQL, row locks do that job. Its schema is
    migrated to the newest, as Database.engine's is."""
    from glassmate.store.migrate import upgrade

    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True)
        upgrade(engine)
        return engine
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's BEGIN below, not the driver's deferred one
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "busy_timeout=60000",
            "foreign_keys=ON",
            "secure_delete=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock now, not at the first write

    upgrade(engine)
    return engine


def delete_rows(s: Session, statement: Any) -> int:
    """Run a DELETE statement; how many rows it removed."""
    result = s.execute(statement)
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0
