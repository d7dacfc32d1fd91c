"""Second looks at a frame whose plain scan found no barcode: the views of it in which a hard code becomes legible.

A phone or glasses camera misses product barcodes that are small in the frame, blurred, curved round a bottle
or lit unevenly. Tried in order, cheapest and likeliest first, until one reads or the time budget is spent:

1. crops around barcode-like regions: rows of strong horizontal gradient and weak vertical gradient (the bars),
   found on a small copy of the frame in about 3 ms, each crop upscaled so that a narrow bar spans a few pixels;
2. the same crop sharpened (unsharp mask) and read with a global threshold instead of zxing's local one;
3. the crop binarised with a local (adaptive) threshold: uneven light, glare and shadows;
4. the whole frame, upscaled when small, sharpened.

zxing-cpp itself tries both polarities (light bars on dark) and rotations in each view.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

LINEAR_FORMATS = frozenset({"EAN13", "EAN8", "UPCA", "UPCE", "Code128", "Code39", "Code93", "Codabar", "ITF"})
FIND_SIDE = 640  # barcode-like regions are looked for on a copy this large
MIN_BAR_SPAN = 900  # a crop is upscaled until its longer side is this many pixels (at most 4x)
MAX_REGIONS = 4


@dataclass(frozen=True)
class View:
    pixels: np.ndarray  # grayscale, uint8
    binarizer: str  # zxing-cpp's Binarizer name: LocalAverage, GlobalHistogram or FixedThreshold
    offset: tuple[int, int]  # where the view's (0, 0) lies in the frame
    scale: float  # view pixels per frame pixel
    name: str

    def to_frame(self, x: float, y: float) -> tuple[int, int]:
        return round(self.offset[0] + x / self.scale), round(self.offset[1] + y / self.scale)


def barcode_regions(gray: np.ndarray, limit: int = MAX_REGIONS) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1, in frame pixels) around areas that look like 1-D barcodes, largest first: the bars
    make a strong gradient across them and a weak one along them (both orientations are looked for)."""
    import cv2

    h, w = gray.shape
    factor = min(1.0, FIND_SIDE / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    gx = np.abs(cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3)).astype(np.int32)
    gy = np.abs(cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3)).astype(np.int32)
    boxes: list[tuple[float, tuple[int, int, int, int]]] = []
    for across, along, kernel in ((gx, gy, (21, 7)), (gy, gx, (7, 21))):
        grad = np.clip(across - along, 0, 255).astype(np.uint8)
        grad = cv2.blur(grad, (7, 7))
        _, mask = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        square = np.ones((3, 3), np.uint8)
        mask = cv2.dilate(cv2.erode(mask, square, iterations=3), square, iterations=3)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            x, y, bw, bh = cv2.boundingRect(contour)
            area = cv2.contourArea(contour)
            if area < 0.002 * small.size or min(bw, bh) < 6:
                continue
            # A margin: the quiet zone beside the bars, and the bars that the mask's erosion cut off.
            mx, my = round(0.25 * bw) + 4, round(0.25 * bh) + 4
            x0, y0 = max(0, x - mx), max(0, y - my)
            x1, y1 = min(small.shape[1], x + bw + mx), min(small.shape[0], y + bh + my)
            frame_box = (int(x0 / factor), int(y0 / factor), int(x1 / factor), int(y1 / factor))
            boxes.append((area, frame_box))
    boxes.sort(key=lambda b: -b[0])
    return [box for _, box in boxes[:limit]]


def _sharpened(gray: np.ndarray) -> np.ndarray:
    import cv2

    blurred = cv2.GaussianBlur(gray, (0, 0), 2.0)
    return cv2.addWeighted(gray, 1.8, blurred, -0.8, 0)


def _upscaled(gray: np.ndarray, target: int = MIN_BAR_SPAN) -> tuple[np.ndarray, float]:
    import cv2

    scale = min(4.0, target / max(gray.shape))
    if scale <= 1.05:
        return gray, 1.0
    size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
    return cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC), scale


def views(gray: np.ndarray) -> Iterator[View]:
    """The second looks at `gray`, likeliest first; each is computed only when asked for."""
    import cv2

    for x0, y0, x1, y1 in barcode_regions(gray):
        crop, scale = _upscaled(gray[y0:y1, x0:x1])
        yield View(crop, "LocalAverage", (x0, y0), scale, "crop")
        sharp = _sharpened(crop)
        yield View(sharp, "GlobalHistogram", (x0, y0), scale, "crop-sharpened")
        block = max(15, (min(crop.shape) // 6) | 1)
        binary = cv2.adaptiveThreshold(sharp, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 5)
        yield View(binary, "FixedThreshold", (x0, y0), scale, "crop-binarised")
    whole, scale = _upscaled(gray, target=min(2000, 2 * max(gray.shape)))
    yield View(_sharpened(whole), "GlobalHistogram", (0, 0), scale, "frame-sharpened")
