"""Which catalog product does the text on a package name? A match rests on distinctive words.

Each product is a bag of terms: the words of its brand and names (Latin words, Chinese character pairs) and its
size ("1 L" and "1000 ml" are the same term, `size:1000ml`). A term weighs what it tells apart: its inverse
document frequency in the catalog, so "Organic", printed on a hundred products, weighs little and a brand or a
rare name word weighs a lot. For a product and what the OCR read:

- coverage: the weight of its terms that were read, over the weight of all its terms (per script: an English
  label is not penalised for the Chinese name it does not print);
- precision: the weight of the read catalog words that belong to it, over the weight of all read catalog words
  ("Lemon" read on the package contradicts "Vanilla" in the name);
- sufficiency: whether the read words could single out one product among N at all (their weight against
  log N): one common word never can;
- brand: a name read without its brand could be another brand's product of that name.

confidence = coverage × precision² × sufficiency (× 0.7 without the brand), lowered when a second product explains
the text about as well.
The threshold at which the assistant says "this is" (products.min_confidence) is calibrated on photos of
products that are not in the catalog (bench/products.py, `out_of_catalog`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from glassmate.store.catalog import Product
from glassmate.text import fold

_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(ml|cl|l|kg|g)(?![a-z])", re.IGNORECASE)
_LATIN = re.compile(r"[a-z][a-z']+")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_TO_BASE = {"ml": ("ml", 1.0), "cl": ("ml", 10.0), "l": ("ml", 1000.0), "g": ("g", 1.0), "kg": ("g", 1000.0)}
# Words on every package that say nothing about which product it is.
STOPWORDS = frozenset({"and", "the", "with", "of", "for", "in", "on", "net", "wt", "contains", "demo", "data"})
FUZZY_MIN_LENGTH = 5  # OCR slips ("Alpenhot") are forgiven in words this long or longer
FUZZY_RATIO = 86
UNBRANDED = 0.7  # the confidence of a match whose brand was not read is this much lower


def size_term(quantity: float, unit: str) -> str | None:
    base, factor = _TO_BASE.get(unit.lower(), (None, 0.0))
    if base is None or not quantity:
        return None
    return f"size:{quantity * factor:g}{base}"


def terms(text: str) -> tuple[set[str], set[str]]:
    """(Latin words and sizes, Chinese character pairs and sizes) in `text`."""
    folded = fold(text)  # casefolded, no accents (as the catalog's full-text index), simplified Chinese
    sizes = set()
    for amount, unit in _SIZE.findall(folded):
        term = size_term(float(amount.replace(",", ".")), unit)
        if term:
            sizes.add(term)
    latin = {w.strip("'") for w in _LATIN.findall(_SIZE.sub(" ", folded))} - STOPWORDS
    cjk = {run[i : i + 2] for run in _CJK_RUN.findall(folded) for i in range(len(run) - 1)}
    return {w for w in latin if len(w) >= 2} | sizes, cjk | sizes


@dataclass(frozen=True)
class ProductTerms:
    product: Product
    latin: frozenset[str]
    cjk: frozenset[str]
    brand: frozenset[str]

    @classmethod
    def of(cls, product: Product) -> ProductTerms:
        latin: set[str] = set()
        cjk: set[str] = set()
        for name in (product.brand, *product.names()):
            lat, han = terms(name)
            latin |= lat
            cjk |= han
        size = size_term(product.quantity or 0, product.unit)
        if size:
            latin.add(size)
            cjk.add(size)
        brand_latin, brand_cjk = terms(product.brand)
        return cls(product, frozenset(latin), frozenset(cjk), frozenset(brand_latin | brand_cjk))

    @property
    def all(self) -> frozenset[str]:
        return self.latin | self.cjk


@dataclass(frozen=True)
class TextMatch:
    product: Product
    confidence: float
    coverage: float
    precision: float
    sufficiency: float
    read: tuple[str, ...]  # the product's terms that were read


def _read(term: str, seen: set[str], seen_latin: list[str]) -> float:
    """1 when `term` was read, 0.8 when a slightly misread word was (long words only), else 0."""
    if term in seen:
        return 1.0
    fuzzy = len(term) >= FUZZY_MIN_LENGTH and not term.startswith("size:") and seen_latin
    if fuzzy and max(fuzz.ratio(term, s) for s in seen_latin) >= FUZZY_RATIO:
        return 0.8
    return 0.0


def rank(
    text: str,
    candidates: Iterable[Product],
    *,
    catalog_size: int,
    document_frequency: Callable[[Iterable[str]], dict[str, int]],
) -> list[TextMatch]:
    """The candidates that the text names, best first, with a calibrated confidence."""
    seen_latin, seen_cjk = terms(text)
    seen = seen_latin | seen_cjk
    products = [ProductTerms.of(p) for p in candidates]
    if not seen or not products:
        return []
    wanted = seen | {t for p in products for t in p.all}
    df = document_frequency(wanted)
    n = max(catalog_size, 1)

    def weight(term: str) -> float:
        return math.log((n + 1) / (df.get(term, 0) + 1)) + 0.05

    known_seen = {t for t in seen if df.get(t, 0) > 0}  # read words the catalog uses at all
    seen_words = sorted(t for t in seen_latin if not t.startswith("size:"))
    needed = math.log(n + 1)
    matches = []
    for p in products:
        read = {t: _read(t, seen, seen_words) for t in p.all}
        got = {t: r for t, r in read.items() if r > 0}
        if not got:
            continue

        def share(group: frozenset[str], read: dict[str, float] = read) -> float:
            total = sum(weight(t) for t in group)
            return sum(weight(t) * read[t] for t in group) / total if total else 0.0

        coverage = max(share(p.latin), share(p.cjk))
        evidence = sum(weight(t) * r for t, r in got.items())
        explained = {s for s in known_seen if s in got}
        unexplained = sum(weight(s) for s in known_seen - explained)
        precision = evidence / (evidence + unexplained) if evidence + unexplained else 0.0
        sufficiency = min(1.0, evidence / needed)
        # A name without its brand could be any brand's product of that name, one the catalog may not have.
        branded = 1.0 if not p.brand or any(t in got for t in p.brand) else UNBRANDED
        confidence = coverage * precision**2 * sufficiency * branded
        matches.append(TextMatch(p.product, confidence, coverage, precision, sufficiency, tuple(sorted(got))))
    # A second product that explains the text about as well makes each less certain (a tie halves both).
    adjusted = []
    for i, m in enumerate(matches):
        rival = max((o.confidence for j, o in enumerate(matches) if j != i), default=0.0)
        ratio = min(1.0, rival / m.confidence) if m.confidence else 1.0
        adjusted.append(TextMatch(m.product, m.confidence * (1 - 0.5 * ratio**2), m.coverage, m.precision,
                                  m.sufficiency, m.read))  # fmt: skip
    adjusted.sort(key=lambda m: (-m.confidence, m.product.gtin))
    return adjusted
