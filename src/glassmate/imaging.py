"""Images from clients: size limits checked before decoding, then decoded to RGB arrays."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from glassmate.config import ImageSettings
from glassmate.errors import ImageDecodeError, ImageTooLargeError

MIN_SIDE = 8  # pixels: thinner images are not photos, and break resizing (a 1x50000 strip scales to width 0)


def image_size(data: bytes, settings: ImageSettings | None = None) -> tuple[int, int]:
    """An image's width and height from its header alone, with every limit checked before any pixel is decoded:
    bytes, pixels (decompression bombs included) and the smallest side."""
    limits = settings or ImageSettings()
    if not data:
        raise ImageDecodeError("the image is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise ImageTooLargeError(f"the image is {len(data) / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.0f} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as header:  # reads the header only
                width, height = header.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(f"the image is too large to decode safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError("the data is not an image glassmate can read (JPEG, PNG, WebP)") from exc
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(
            f"the image is {width}x{height} ({width * height / 1e6:.0f} MP); the limit is "
            f"{limits.max_pixels / 1e6:.0f} MP: send a smaller frame"
        )
    if min(width, height) < MIN_SIDE:
        raise ImageDecodeError(f"the image is {width}x{height}: each side needs at least {MIN_SIDE} pixels")
    return width, height


def load_image(data: bytes, settings: ImageSettings | None = None, *, max_side: int | None = None) -> np.ndarray:
    """Decode image bytes (JPEG, PNG, WebP…) into an RGB uint8 array of shape (h, w, 3). With `max_side`, a JPEG is
    decoded at a reduced scale right away (libjpeg's draft mode: a 6000x6000 photo never takes 108 MB)."""
    image_size(data, settings)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if max_side is not None:
                image.draft("RGB", (max_side, max_side))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(f"the image is too large to decode safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError("the data is not an image glassmate can read (JPEG, PNG, WebP)") from exc
    return np.asarray(image.convert("RGB"))


def load_image_file(path: str, settings: ImageSettings | None = None) -> np.ndarray:
    with open(path, "rb") as fh:
        return load_image(fh.read(), settings)
