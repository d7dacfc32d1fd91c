"""The barcode interface: find QR codes and product barcodes in a frame."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from glassmate.errors import BadInputError
from glassmate.providers.base import Provider
from glassmate.providers.ocr.base import check_rgb

Point = tuple[int, int]

# The formats glasses care about: payments and links (QR), products (EAN/UPC), labels (DataMatrix).
DEFAULT_FORMATS = ("QRCode", "EAN13", "EAN8", "UPCA", "UPCE", "DataMatrix")
KNOWN_FORMATS = (
    "QRCode",
    "MicroQRCode",
    "RMQRCode",
    "EAN13",
    "EAN8",
    "UPCA",
    "UPCE",
    "DataMatrix",
    "Code128",
    "Code39",
    "Code93",
    "Codabar",
    "ITF",
    "PDF417",
    "Aztec",
    "MaxiCode",
)


@dataclass(frozen=True)
class Code:
    format: str  # e.g. "QRCode", "EAN13"
    text: str
    raw: bytes
    position: tuple[Point, Point, Point, Point]  # top-left, top-right, bottom-right, bottom-left
    orientation: int = 0  # degrees

    def as_dict(self) -> dict[str, object]:
        return {
            "format": self.format,
            "text": self.text,
            "position": [list(p) for p in self.position],
            "orientation": self.orientation,
        }


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(formats)
    unknown = [f for f in chosen if f not in KNOWN_FORMATS]
    if unknown or not chosen:
        raise BadInputError(
            f"unknown barcode format(s) {unknown or chosen}; choose from {', '.join(KNOWN_FORMATS)}",
            code="codes-format-unknown",
        )
    return chosen


class CodeScanner(Provider):
    """Scan for codes. Asking for fewer formats is much faster (QR alone ~15x faster than all)."""

    async def scan(
        self, image: np.ndarray, formats: Iterable[str] = DEFAULT_FORMATS, *, effort_ms: float = 0.0
    ) -> list[Code]:
        """The codes in `image`. When the plain scan finds none, up to `effort_ms` more go to second looks at the
        frame (crops, upscaling, sharpening, local thresholds: providers/codes/enhance.py) for 1-D codes."""
        check_rgb(image)
        chosen = check_formats(formats)
        with self._measure("scan") as metrics:
            codes = await self._scan_impl(image, chosen)
            if not codes and effort_ms > 0:
                codes = await self._scan_harder(image, chosen, effort_ms / 1000)
                metrics.extra["harder"] = True
            metrics.extra["found"] = len(codes)
        return codes

    async def _scan_impl(self, image: np.ndarray, formats: tuple[str, ...]) -> list[Code]:
        raise NotImplementedError

    async def _scan_harder(self, image: np.ndarray, formats: tuple[str, ...], budget_s: float) -> list[Code]:
        """Backends that can look harder do so here within `budget_s`; by default they cannot."""
        return []
