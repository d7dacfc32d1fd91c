"""zxing-cpp: QR, EAN/UPC, DataMatrix and more, in-process."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from glassmate.providers.codes import enhance
from glassmate.providers.codes.base import Code, CodeScanner


def _to_gray(image: np.ndarray) -> np.ndarray:
    # zxing binarizes luminance anyway; converting here saves it a copy of three channels.
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.ascontiguousarray((image.astype(np.float32) @ weights).astype(np.uint8))


def _code(result: Any, view: enhance.View | None = None) -> Code:
    pos = result.position
    corners = (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
    points = [view.to_frame(p.x, p.y) if view else (int(p.x), int(p.y)) for p in corners]
    return Code(
        format=result.format.name,
        text=result.text,
        raw=bytes(result.bytes),
        position=tuple(points),  # type: ignore[arg-type]
        orientation=int(result.orientation),
    )


AGREEING_VIEWS = 2


def _box(code: Code) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in code.position], [p[1] for p in code.position]
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: Code, b: Code) -> bool:
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = _box(a), _box(b)
    return ax0 <= bx1 and bx0 <= ax1 and ay0 <= by1 and by0 <= ay1


def _winners(votes: dict[tuple[str, str], list[Code]]) -> tuple[list[Code], bool]:
    """The codes enough views agree on, each beating every other code read at its place; and whether some place
    is still disputed (two codes there with as many votes)."""
    ranked = sorted(votes.values(), key=len, reverse=True)
    winners: list[Code] = []
    disputed = False
    for i, reads in enumerate(ranked):
        if len(reads) < AGREEING_VIEWS:
            break
        rivals = [other for other in ranked[:i] + ranked[i + 1 :] if any(_overlap(reads[0], o) for o in other)]
        if any(len(other) == len(reads) for other in rivals):
            disputed = True
        elif all(len(other) < len(reads) for other in rivals):
            winners.append(reads[0])
    return winners, disputed


class ZXingScanner(CodeScanner):
    name = "zxing-cpp"

    def _scan(self, image: np.ndarray, formats: tuple[str, ...]) -> list[Code]:
        import zxingcpp

        wanted = zxingcpp.barcode_formats_from_str(",".join(formats))
        return [_code(result) for result in zxingcpp.read_barcodes(_to_gray(image), formats=wanted)]

    def _scan_views(self, image: np.ndarray, formats: tuple[str, ...], budget_s: float) -> list[Code]:
        import zxingcpp

        linear = [f for f in formats if f in enhance.LINEAR_FORMATS]
        if not linear:
            return []
        deadline = time.perf_counter() + budget_s
        wanted = zxingcpp.barcode_formats_from_str(",".join(linear))
        # A code read in one view only may be a misread (sharpening and thresholds invent bars; an EAN-13's check
        # digit passes one misread in ten): a code counts once two views agree on it, and of two codes read at
        # the same place, the one more views agree on.
        votes: dict[tuple[str, str], list[Code]] = {}
        for view in enhance.views(_to_gray(image)):
            binarizer = getattr(zxingcpp.Binarizer, view.binarizer)
            for result in zxingcpp.read_barcodes(view.pixels, formats=wanted, binarizer=binarizer):
                code = _code(result, view)
                votes.setdefault((code.format, code.text), []).append(code)
            agreed, disputed = _winners(votes)
            if agreed and not disputed:
                return agreed
            if time.perf_counter() > deadline:
                return agreed
        return _winners(votes)[0]

    async def _scan_impl(self, image: np.ndarray, formats: tuple[str, ...]) -> list[Code]:
        # zxing-cpp is thread-safe and releases the GIL: no engine lock needed.
        return await asyncio.to_thread(self._scan, image, formats)

    async def _scan_harder(self, image: np.ndarray, formats: tuple[str, ...], budget_s: float) -> list[Code]:
        return await asyncio.to_thread(self._scan_views, image, formats, budget_s)
