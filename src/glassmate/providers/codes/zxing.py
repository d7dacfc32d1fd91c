"""zxing-cpp: QR, EAN/UPC, DataMatrix and more, in-process."""

from __future__ import annotations

import asyncio

import numpy as np

from glassmate.providers.codes.base import Code, CodeScanner


def _to_gray(image: np.ndarray) -> np.ndarray:
    # zxing binarizes luminance anyway; converting here saves it a copy of three channels.
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.ascontiguousarray((image.astype(np.float32) @ weights).astype(np.uint8))


class ZXingScanner(CodeScanner):
    name = "zxing-cpp"

    def _scan(self, image: np.ndarray, formats: tuple[str, ...]) -> list[Code]:
        import zxingcpp

        wanted = zxingcpp.barcode_formats_from_str(",".join(formats))
        found = []
        for result in zxingcpp.read_barcodes(_to_gray(image), formats=wanted):
            pos = result.position
            corners = (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
            found.append(
                Code(
                    format=result.format.name,
                    text=result.text,
                    raw=bytes(result.bytes),
                    position=tuple((int(p.x), int(p.y)) for p in corners),  # type: ignore[arg-type]
                    orientation=int(result.orientation),
                )
            )
        return found

    async def _scan_impl(self, image: np.ndarray, formats: tuple[str, ...]) -> list[Code]:
        # zxing-cpp is thread-safe and releases the GIL: no engine lock needed.
        return await asyncio.to_thread(self._scan, image, formats)
