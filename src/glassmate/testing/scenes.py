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


def write_y4m(path: str, pixels: np.ndarray, frames: int = 10) -> None:
    """A still scene as a Y4M video (4:2:0, full-range BT.601): Chromium's --use-file-for-fake-video-capture
    plays it as the camera."""
    rgb = pixels[: pixels.shape[0] // 2 * 2, : pixels.shape[1] // 2 * 2].astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    v = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    height, width = y.shape

    def half(plane: np.ndarray) -> np.ndarray:
        return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    planes = [np.clip(p, 0, 255).astype(np.uint8).tobytes() for p in (y, half(u), half(v))]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + b"".join(planes))
