"""Tesseract (Debian's binary) as a fallback OCR: no neural detector, but many languages."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from collections import defaultdict

import numpy as np
from PIL import Image

from glassmate.config import OCRSettings
from glassmate.errors import ProviderError, ProviderUnreachableError
from glassmate.providers.ocr.base import OCR, OCRResult, TextLine


class TesseractOCR(OCR):
    name = "tesseract"

    def __init__(self, *, settings: OCRSettings, binary: str = "tesseract") -> None:
        super().__init__()
        self.settings = settings
        self.binary = binary
        self.min_confidence = settings.min_confidence

    async def _read_impl(self, image: np.ndarray) -> OCRResult:
        if shutil.which(self.binary) is None:
            raise ProviderUnreachableError("tesseract is not installed; install it with: apt-get install tesseract-ocr")
        png = io.BytesIO()
        Image.fromarray(image).save(png, format="PNG")
        proc = await asyncio.create_subprocess_exec(
            self.binary,
            "stdin",
            "stdout",
            "-l",
            self.settings.tesseract_languages,
            "tsv",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate(png.getvalue())
        if proc.returncode != 0:
            raise ProviderError(f"tesseract failed: {err.decode(errors='replace').strip()[:200]}")
        return _parse_tsv(out.decode("utf-8", errors="replace"))


def _parse_tsv(tsv: str) -> OCRResult:
    """Group tesseract's word rows into lines with a bounding box and the mean word confidence."""
    words: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") == "5" and (row.get("text") or "").strip() and float(row.get("conf") or -1) >= 0:
            words[(row["block_num"], row["par_num"], row["line_num"])].append(row)
    lines = []
    for group in words.values():
        x0 = min(int(w["left"]) for w in group)
        y0 = min(int(w["top"]) for w in group)
        x1 = max(int(w["left"]) + int(w["width"]) for w in group)
        y1 = max(int(w["top"]) + int(w["height"]) for w in group)
        conf = sum(float(w["conf"]) for w in group) / len(group) / 100.0
        text = " ".join(w["text"] for w in group)
        lines.append(TextLine(text, round(conf, 4), ((x0, y0), (x1, y0), (x1, y1), (x0, y1))))
    return OCRResult(lines)
