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
