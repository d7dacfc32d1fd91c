from collections.abc import Iterator
from pathlib import Path

import pytest

from glassmate.config import get_settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/integration is marked `integration` (a `pytestmark` in a conftest marks nothing),
    so that `-m integration` and `-m "not integration"` select what they say."""
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads settings from its own environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the session's tests (Debian's package; CI installs it and sets
    GLASSMATE_REQUIRE_POSTGRES=1 so that a missing server fails instead of skipping)."""
    import os

    from glassmate.testing.postgres import postgres_bin, postgres_server

    if postgres_bin() is None:
        if os.environ.get("GLASSMATE_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required here but not installed")
        pytest.skip("PostgreSQL is not installed (apt install postgresql)")
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: an SQLite file, then a new database on the session's PostgreSQL server."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server = make_url(request.getfixturevalue("postgres_url"))
    name = f"test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
