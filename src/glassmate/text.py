"""Small text helpers shared by speech and captions."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

# Split after sentence-final punctuation (Latin and CJK), keeping the punctuation with its sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])\s+|(?<=[。！？；])")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, in order, without empty pieces."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s and s.strip()]


@functools.cache
def _simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """What names are compared by: casefolded, accents dropped, spaces squeezed, Chinese in simplified characters
    ("Café  Ekberg" → "cafe ekberg", "赫爾辛基座堂" → "赫尔辛基座堂")."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    folded = " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
    if any("\u3400" <= c <= "\u9fff" for c in folded):
        folded = str(_simplified().convert(folded))
    return folded


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: what spoken commands are compared by."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text.lower())).strip()


def casefold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`text` casefolded (German ß becomes ss) and, for each character of the result, the index of the
    character of `text` it came from, so that a span found in the folded text maps back to the original."""
    folded: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        for piece in ch.casefold():
            folded.append(piece)
            offsets.append(i)
    return "".join(folded), offsets
