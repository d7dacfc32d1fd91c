"""Alembic migrations: a new database is migrated to exactly the models' schema; a database made before
migrations (tables straight from the models) is stamped and upgraded; SQLite and PostgreSQL."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

from glassmate.store.db import Database
from glassmate.store.migrate import BASELINE, current, include_name, metadata, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server = make_url(request.getfixturevalue("postgres_url"))
    name = f"migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True})
        return list(compare_metadata(context, metadata()))


def test_a_new_database_gets_the_models_schema(empty_url: str) -> None:
    engine = create_engine(empty_url)
    upgrade(engine)
    assert _differences(engine) == []
    assert current(engine) == "0002"
    upgrade(engine)  # again: nothing to do
    assert current(engine) == "0002"
    engine.dispose()


def test_a_database_from_before_migrations_is_stamped_and_upgraded(empty_url: str) -> None:
    engine = create_engine(empty_url)
    baseline_tables = [t for name, t in metadata().tables.items() if not name.startswith("travel_")]
    metadata().create_all(engine, tables=baseline_tables)  # what the server did before migrations
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO devices (name, token_hash, created_at) VALUES ('glasses', 'h', '2026-01-01')"))
    assert current(engine) is None
    upgrade(engine)
    assert current(engine) == "0002" and "travel_calendars" in inspect(engine).get_table_names()
    with engine.connect() as conn:  # nothing was lost
        assert conn.execute(text("SELECT name FROM devices")).scalar_one() == "glasses"
    assert _differences(engine) == []
    engine.dispose()


def test_the_database_object_migrates_on_first_use(empty_url: str) -> None:
    db = Database(url=empty_url)
    assert current(db.engine) == "0002"
    assert BASELINE == "0001"
    db.dispose()
