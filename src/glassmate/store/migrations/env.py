"""Alembic's environment for glassmate's database. Migrations run from code (glassmate.store.migrate.upgrade, on
first use of a database) with a connection passed in; `alembic` on the command line (alembic.ini at the
repository's root) uses GLASSMATE_DATABASE_URL or the default SQLite file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from glassmate.store.migrate import include_name, metadata

config = context.config


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata(), include_name=include_name,
                      render_as_batch=True, compare_type=True)  # fmt: skip
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from glassmate.config import Settings

    with create_engine(Settings().db_url).begin() as conn:
        run(conn)
