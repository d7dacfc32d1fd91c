"""Small text helpers shared by speech and captions."""

from __future__ import annotations

import re

# Split after sentence-final punctuation (Latin and CJK), keeping the punctuation with its sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])\s+|(?<=[。！？；])")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, in order, without empty pieces."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s and s.strip()]
