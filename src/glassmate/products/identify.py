"""What product is in this frame, and what does it cost here? A cascade of cues, cheapest and surest first:

1. codes: an EAN-13/EAN-8/UPC-A/UPC-E barcode, or a GS1 Digital Link QR code, gives the GTIN: an exact match;
2. text: OCR of the package or shelf tag, matched on its distinctive words (brand, rare name words, size:
   products/textmatch.py) against names in English and Chinese;
3. appearance: when neither is sure, the package's artwork against the catalog's reference images (ORB +
   RANSAC homography, products/appearance.py).

Each candidate carries the cue that found it and a confidence; a price printed in view ("2,49 €", "¥12.80")
is read as the price here.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassmate.products import textmatch
from glassmate.products.catalog import Catalog, PricedOffer
from glassmate.products.gtin import InvalidGTINError, from_digital_link, normalise
from glassmate.providers.codes.base import CodeScanner
from glassmate.providers.ocr.base import OCR, TextLine
from glassmate.store.catalog import Product

PRODUCT_FORMATS = ("EAN13", "EAN8", "UPCA", "UPCE", "QRCode")
BARCODE_CONFIDENCE = 0.99
APPEARANCE_CERTAIN = 0.6  # 24+ geometrically consistent keypoint matches: no need to read the text
_PRICE = re.compile(
    r"(?P<pre>€|EUR|\$|USD|£|GBP|¥|￥|CNY|RMB)?\s*(?P<amount>\d{1,5}(?:[.,]\d{2}))\s*(?P<post>€|EUR|USD|GBP|CNY|RMB|元)?",
    re.IGNORECASE,
)
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "CNY", "￥": "CNY", "RMB": "CNY", "元": "CNY"}


@dataclass(frozen=True)
class Candidate:
    product: Product
    cue: str  # barcode, digital-link, text
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {"gtin": self.product.gtin, "name": self.product.name_en, "name_zh": self.product.name_zh,
                "cue": self.cue, "confidence": round(self.confidence, 3)}  # fmt: skip


@dataclass(frozen=True)
class PriceHere:
    amount_minor: int
    currency: str
    text: str


@dataclass
class Identification:
    candidates: list[Candidate] = field(default_factory=list)  # best first
    price_here: PriceHere | None = None
    offers: list[PricedOffer] = field(default_factory=list)  # of the best candidate, cheapest first
    unknown_codes: list[str] = field(default_factory=list)  # valid GTINs in view that the catalog lacks
    lines: list[TextLine] = field(default_factory=list)  # what the OCR read
    timings_ms: dict[str, float] = field(default_factory=dict)  # per stage: codes, text (OCR and matching)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def read_price(lines: list[TextLine], default_currency: str) -> PriceHere | None:
    """The most prominent price in view (the tallest text that reads as an amount of money)."""
    found = []
    for line in lines:
        for m in _PRICE.finditer(line.text):
            symbol = (m.group("pre") or m.group("post") or "").upper()
            currency = _SYMBOLS.get(symbol, symbol) or default_currency
            if not (m.group("pre") or m.group("post") or re.search(r"price|preis|价", line.text, re.I)):
                continue  # a bare number with two decimals is not a price without a sign or a label
            amount = m.group("amount").replace(",", ".")
            minor = round(float(amount) * (1 if currency == "JPY" else 100))
            height = abs(line.box[3][1] - line.box[0][1]) if len(line.box) == 4 else 0
            found.append((height, PriceHere(minor, currency, m.group(0).strip())))
    return max(found, key=lambda f: f[0])[1] if found else None


def _words(lines: list[TextLine]) -> list[str]:
    text = " ".join(line.text for line in lines)
    latin = re.findall(r"[A-Za-z][A-Za-z&']+", text)
    cjk = re.findall(r"[\u4e00-\u9fff]{2,}", text)
    return latin + [c[i : i + 2] for c in cjk for i in range(0, len(c) - 1)]


def text_candidates(catalog: Catalog, lines: list[TextLine], limit: int = 5) -> list[Candidate]:
    """The catalog's products that the text in view names, weighed by how distinctive the words read are
    (products/textmatch.py); those below `products.min_text_confidence` are not offered at all."""
    seen = " ".join(line.text for line in lines if line.confidence >= 0.5)
    if len(seen.strip()) < 3:
        return []
    pool = catalog.search_names(_words(lines), limit=40)
    ranked = textmatch.rank(seen, pool, catalog_size=catalog.size(), document_frequency=catalog.document_frequencies)
    floor = catalog.settings.min_text_confidence
    return [Candidate(m.product, "text", round(m.confidence, 3)) for m in ranked[:limit] if m.confidence >= floor]


class Identifier:
    def __init__(self, *, catalog: Catalog, ocr: OCR, codes: CodeScanner) -> None:
        self.catalog = catalog
        self.ocr = ocr
        self.codes = codes

    async def identify(self, pixels: np.ndarray, *, with_offers: bool = True) -> Identification:
        pixels = _bounded(pixels)
        result = Identification()
        start = time.perf_counter()
        effort = self.catalog.settings.barcode_effort_ms
        for code in await self.codes.scan(pixels, PRODUCT_FORMATS, effort_ms=effort):
            try:
                if code.format == "QRCode":
                    gtin = from_digital_link(code.text)
                    cue = "digital-link"
                else:
                    gtin = normalise(code.text, upce=code.format == "UPCE")
                    cue = "barcode"
            except InvalidGTINError:
                continue
            if gtin is None:
                continue
            product = await asyncio.to_thread(self.catalog.find, gtin)  # SQL: never on the event loop
            if product is None:
                result.unknown_codes.append(gtin)
            elif all(c.product.gtin != gtin for c in result.candidates):
                result.candidates.append(Candidate(product, cue, BARCODE_CONFIDENCE))
        result.timings_ms["codes"] = (time.perf_counter() - start) * 1000
        if result.unknown_codes and not result.candidates:
            # A product code the catalog lacks names a product the catalog lacks: no guess from its text or
            # artwork (those would name a look-alike with confidence), only "I don't know this product".
            return result
        # Without a code, the artwork next (tens of milliseconds): a package it recognises beyond doubt needs
        # no OCR. Otherwise the text: OCR (also for a shelf price, "the price here", when a code identified the
        # product), matched on its distinctive words; the artwork's guess wins only where the text is unsure.
        seen: list[Candidate] = []
        if not result.candidates:
            start = time.perf_counter()
            seen = await self._appearance(pixels)
            result.timings_ms["appearance"] = (time.perf_counter() - start) * 1000
            if seen and seen[0].confidence >= APPEARANCE_CERTAIN:
                result.candidates = seen
        if not result.candidates or result.best is None or result.best.cue != "appearance":
            start = time.perf_counter()
            text = await self.ocr.read(pixels)
            result.lines = text.lines
            result.price_here = read_price(text.lines, self.catalog.settings.currency)
            if not result.candidates:
                result.candidates = await asyncio.to_thread(text_candidates, self.catalog, text.lines)
            result.timings_ms["text"] = (time.perf_counter() - start) * 1000
            best = result.best
            if seen and (best is None or (best.cue == "text" and best.confidence < self.catalog.settings.min_confidence
                                          and seen[0].confidence > best.confidence)):  # fmt: skip
                others = [c for c in result.candidates if all(c.product.gtin != s.product.gtin for s in seen)]
                result.candidates = seen + others
        if with_offers and result.best is not None:
            result.offers = await asyncio.to_thread(self.catalog.offers, result.best.product.gtin)
        return result

    async def _appearance(self, pixels: np.ndarray) -> list[Candidate]:
        """The package's artwork against the catalog's reference images."""
        index = await asyncio.to_thread(self.catalog.appearance)
        matches = await asyncio.to_thread(index.match, pixels)
        products = await asyncio.to_thread(lambda: [self.catalog.find(m.gtin) for m in matches])
        pairs = zip(matches, products, strict=True)
        return [Candidate(product, "appearance", m.confidence) for m, product in pairs if product is not None]


MAX_SIDE = 2000  # a phone's 12-50 MP photo is read at this size: codes and text stay legible, time stays bounded


def _bounded(pixels: np.ndarray) -> np.ndarray:
    h, w = pixels.shape[:2]
    scale = MAX_SIDE / max(h, w)
    if scale >= 1:
        return pixels
    import cv2

    return cv2.resize(pixels, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
