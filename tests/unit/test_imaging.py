import io

import numpy as np
import pytest
from PIL import Image

from glassmate.config import ImageSettings
from glassmate.errors import ImageDecodeError, ImageTooLargeError
from glassmate.imaging import load_image


def _encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


def test_jpeg_is_decoded_to_rgb() -> None:
    pixels = load_image(_encode(Image.new("L", (64, 48), 128), "JPEG"))
    assert pixels.shape == (48, 64, 3) and pixels.dtype == np.uint8


def test_fifty_megapixel_image_is_refused_before_decoding() -> None:
    # A 1-bit 50 MP PNG is a few kB on disk: only the header check can stop it cheaply.
    data = _encode(Image.new("1", (8_660, 5_775), 1))
    with pytest.raises(ImageTooLargeError) as info:
        load_image(data)
    assert info.value.code == "image-too-large"
    assert "50 MP" in info.value.message


def test_too_many_bytes_is_refused() -> None:
    with pytest.raises(ImageTooLargeError):
        load_image(b"\xff" * 2_000, ImageSettings(max_bytes=1_000))


@pytest.mark.parametrize("data", [b"", b"hello", b"\xff\xd8\xff\xe0" + b"\x00" * 50])
def test_corrupt_images_are_refused(data: bytes) -> None:
    with pytest.raises(ImageDecodeError) as info:
        load_image(data)
    assert info.value.code == "image-unreadable"


def test_truncated_png_is_refused() -> None:
    data = _encode(Image.new("RGB", (200, 200), "red"))
    with pytest.raises(ImageDecodeError):
        load_image(data[: len(data) // 2])


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_when_asked() -> None:
    """libjpeg's draft mode: a 4000x3000 photo asked for at 1000 px is decoded at 1/2-1/8 scale, never in full."""
    import io

    from PIL import Image

    from glassmate.imaging import load_image

    buf = io.BytesIO()
    Image.new("RGB", (4000, 3000), (200, 30, 30)).save(buf, format="JPEG", quality=80)
    pixels = load_image(buf.getvalue(), max_side=1000)
    assert max(pixels.shape[:2]) <= 2000 and pixels.shape[2] == 3  # at most half the width: never decoded whole
    assert load_image(buf.getvalue()).shape[:2] == (3000, 4000)
