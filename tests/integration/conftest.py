"""Integration tests run the real embedded models (prepared by `glassmate models prepare`) on small inputs."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from glassmate.config import Settings
from glassmate.runtime import Models

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def models() -> Iterator[Models]:
    """One set of real providers for the whole session (they load lazily, once)."""
    settings = Settings()
    built = Models(settings=settings)
    for key in ("llm", "asr", "vad", "tts", "ocr"):
        built.store.ensure(key)  # fail loudly, naming the fix, if the models are not prepared
    yield built


def render_label(lines: list[str], size: tuple[int, int] = (640, 360), font_size: int = 40) -> np.ndarray:
    """A product label: dark text on white, like a shelf tag seen by the glasses."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_size)
    y = 40
    for line in lines:
        draw.text((30, y), line, fill="black", font=font)
        y += int(font_size * 1.8)
    return np.asarray(image)


def jpeg_bytes(pixels: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
