"""Alembic migrations: a new database is migrated to exactly the models' schema; a database made before
migrations (tables straight from the models) is stamped and upgraded; SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from glassmate.store.db import Database
from glassmate.store.migrate import BASELINE, current, head, include_name, metadata, upgrade

HEAD = head()


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True})
        return list(compare_metadata(context, metadata()))


def test_a_new_database_gets_the_models_schema(any_db_url: str) -> None:
    engine = create_engine(any_db_url)
    upgrade(engine)
    assert _differences(engine) == []
    assert current(engine) == HEAD
    upgrade(engine)  # again: nothing to do
    assert current(engine) == HEAD
    engine.dispose()


def test_a_database_from_before_migrations_is_stamped_and_upgraded(any_db_url: str) -> None:
    engine = create_engine(any_db_url)
    baseline_tables = [
        t
        for name, t in metadata().tables.items()
        if not name.startswith(("travel_", "jobs", "memories", "conversations"))
    ]  # later revisions' tables
    metadata().create_all(engine, tables=baseline_tables)  # what the server did before migrations
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO devices (name, token_hash, created_at) VALUES ('glasses', 'h', '2026-01-01')"))
    assert current(engine) is None
    upgrade(engine)
    assert current(engine) == HEAD and "travel_calendars" in inspect(engine).get_table_names()
    with engine.connect() as conn:  # nothing was lost
        assert conn.execute(text("SELECT name FROM devices")).scalar_one() == "glasses"
    assert _differences(engine) == []
    engine.dispose()


def test_the_database_object_migrates_on_first_use(any_db_url: str) -> None:
    db = Database(url=any_db_url)
    assert current(db.engine) == HEAD
    assert BASELINE == "0001"
    db.dispose()
