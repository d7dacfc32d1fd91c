"""The OCR interface: an RGB image in, lines of text with boxes and confidences out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glassmate.errors import ImageDecodeError
from glassmate.providers.base import Provider

Point = tuple[float, float]


@dataclass(frozen=True)
class TextLine:
    text: str
    confidence: float
    box: tuple[Point, ...]  # four corners, clockwise from top-left, in pixels


@dataclass
class OCRResult:
    lines: list[TextLine] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def check_rgb(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageDecodeError(f"expected an RGB uint8 image, got shape {image.shape} {image.dtype}")
    if min(image.shape[:2]) < 8:
        raise ImageDecodeError(f"the image is {image.shape[1]}x{image.shape[0]}: too small to read")


class OCR(Provider):
    """Read text. Backends write `_read_impl`; lines below `min_confidence` are dropped."""

    min_confidence: float = 0.5

    async def read(self, image: np.ndarray) -> OCRResult:
        check_rgb(image)
        with self._measure("read") as metrics:
            result = await self._read_impl(image)
            result.lines = [line for line in result.lines if line.confidence >= self.min_confidence]
            metrics.extra["lines"] = len(result.lines)
        return result

    async def _read_impl(self, image: np.ndarray) -> OCRResult:
        raise NotImplementedError
