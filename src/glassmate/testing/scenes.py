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


def render_qr_scene(payload: str, size: tuple[int, int] = (640, 480), *, seed: int = 0) -> np.ndarray:
    """A merchant's QR code on a counter, as the glasses see it: the code (segno, a dev dependency) placed off
    centre on a grey, slightly noisy background with a printed caption."""
    import segno  # only tests, the demo and benchmarks draw codes

    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=4, border=4)
    code = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    scene = Image.new("RGB", size, (150, 140, 130))
    x = int(rng.integers(10, max(11, size[0] - code.width - 10)))
    y = int(rng.integers(10, max(11, size[1] - code.height - 40)))
    scene.paste(code, (x, y))
    ImageDraw.Draw(scene).text((x, y + code.height + 6), "SCAN TO PAY", fill="black",
                               font=ImageFont.load_default(size=20))  # fmt: skip
    pixels = np.asarray(scene).astype(np.int16) + rng.integers(-6, 7, size=(size[1], size[0], 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)
