from collections.abc import Iterator

import pytest

from glassmate.config import get_settings


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads settings from its own environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
