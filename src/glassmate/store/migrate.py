"""The database's schema, brought up to date by Alembic migrations (store/migrations/versions) on first use.

Every schema change is a migration from now on: change the models, then write the revision with
`.venv/bin/alembic revision --autogenerate --rev-id NNNN -m "what changed"` and read what it wrote. A database
made before migrations existed (its tables were created straight from the models) gets the baseline revision's
tables that it lacks (a version from before meetings had no `meetings`), and is then upgraded. Two processes
starting together on PostgreSQL take turns on an advisory lock; on SQLite the loser of the race retries once the
winner's transaction is done."""

from __future__ import annotations

import logging
import time
from importlib import resources
from typing import Any

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

log = logging.getLogger("glassmate.store")

BASELINE = "0001"  # the schema as it was when migrations began
_LOCK_KEY = 0x676C6173  # PostgreSQL advisory lock id ("glas")
# Tables kept by code outside the models: the meetings' full-text index (SQLite FTS5 and its shadow tables).
_UNMANAGED_PREFIXES = ("meeting_search",)


def metadata() -> MetaData:
    """The models' metadata, with every module that defines tables imported."""
    from glassmate.store import catalog, jobs, ledger, meetings, memory, travel  # noqa: F401  (registers their tables)
    from glassmate.store.db import Base

    return Base.metadata


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """What Alembic compares: not the full-text index's tables, which meetings/search.py creates itself."""
    return not (type_ == "table" and name is not None and name.startswith(_UNMANAGED_PREFIXES))


def _config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("glassmate.store") / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (the newest by default)."""
    from alembic import command

    for attempt in range(5):
        try:
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
                config = _config(connection)
                tables = set(inspect(connection).get_table_names())
                if "alembic_version" not in tables and "devices" in tables:
                    # The baseline revision creates only the tables such a database lacks (0001_baseline.py).
                    log.info("database made before migrations: bringing it to revision %s, then on", BASELINE)
                command.upgrade(config, revision)
            return
        except OperationalError as exc:  # SQLite: another process holds the write lock
            if engine.dialect.name != "sqlite" or attempt == 4:
                raise
            log.info("database busy while migrating (%s); trying again", exc.orig)
            time.sleep(0.2 * (attempt + 1))


def current(engine: Engine) -> str | None:
    """The revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        rev: str | None = MigrationContext.configure(connection).get_current_revision()
        return rev


def head() -> str:
    """The newest revision the migrations define."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(resources.files("glassmate.store") / "migrations"))
    rev = ScriptDirectory.from_config(config).get_current_head()
    assert rev is not None
    return rev
