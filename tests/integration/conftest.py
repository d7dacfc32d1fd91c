"""Integration tests run the real embedded models (prepared by `glassmate models prepare`) on small inputs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from glassmate.config import Settings
from glassmate.runtime import Models


@pytest.fixture(scope="session")
def models() -> Iterator[Models]:
    """One set of real providers for the whole session (they load lazily, once)."""
    settings = Settings()
    built = Models(settings=settings)
    for key in ("llm", "asr", "asr_en", "vad", "tts", "ocr", "embed", "speaker", "turn"):
        built.store.ensure(key)  # fail loudly, naming the fix, if the models are not prepared
    yield built
