"""Alembic migrations: a new database is migrated to exactly the models' schema; a database made before
migrations (tables straight from the models) gets the baseline's tables it lacks and is upgraded; SQLite and
PostgreSQL."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from glassmate.store.db import Database
from glassmate.store.migrate import BASELINE, _config, current, head, include_name, metadata, upgrade

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


def test_a_database_from_before_migrations_is_upgraded(any_db_url: str) -> None:
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


def _from_before_meetings(url: str) -> Engine:
    """A database as a version from before meetings made it: the models' tables straight, without the meetings'
    and the later revisions' tables."""
    engine = create_engine(url)
    early = [
        t
        for name, t in metadata().tables.items()
        if not name.startswith(("travel_", "jobs", "memories", "conversations", "meetings", "voiceprints"))
    ]
    metadata().create_all(engine, tables=early)
    return engine


def test_a_database_from_before_meetings_existed_gets_the_tables_it_lacks(any_db_url: str) -> None:
    """A version from before meetings made no `meetings` or `voiceprints` table; stamping such a database as the
    baseline left them missing (meetings then failed, and retention logged an error every round)."""
    engine = _from_before_meetings(any_db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO devices (name, token_hash, created_at) VALUES ('glasses', 'h', '2026-01-01')"))
    upgrade(engine)
    assert current(engine) == HEAD
    assert {"meetings", "voiceprints"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:  # nothing was lost
        assert conn.execute(text("SELECT name FROM devices")).scalar_one() == "glasses"
    assert _differences(engine) == []
    engine.dispose()


def test_a_database_stamped_without_the_meetings_tables_gets_them(any_db_url: str) -> None:
    """The same database, stamped as the baseline and upgraded by a version before the fix (as happened): the
    next upgrade creates what it lacks."""
    engine = _from_before_meetings(any_db_url)
    with engine.begin() as conn:
        command.stamp(_config(conn), BASELINE)
    upgrade(engine, "0005")
    assert "meetings" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert {"meetings", "voiceprints"} <= set(inspect(engine).get_table_names())
    assert _differences(engine) == []
    engine.dispose()


def test_the_database_object_migrates_on_first_use(any_db_url: str) -> None:
    db = Database(url=any_db_url)
    assert current(db.engine) == HEAD
    assert BASELINE == "0001"
    db.dispose()
