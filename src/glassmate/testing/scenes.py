"""Synthetic camera scenes: product labels and codes, rendered for tests, the demo and benchmarks."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont


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
