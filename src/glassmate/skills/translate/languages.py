"""Language names as people say them (English, German and Chinese names, German inflections) to the translator's
language codes. One list, in intents/lists.yaml, serves the intents' {language} slot and this lookup."""

from __future__ import annotations

from functools import cache

from glassmate.providers.translate.base import LANGUAGES
from glassmate.skills.intents import path_lists

_FILLERS = {"the", "in", "into", "to", "das", "die", "ins", "auf", "zu", "nach", "language", "sprache"}


@cache
def names() -> dict[str, str]:
    """Every name in the list (casefolded) to its code."""
    values = path_lists("glassmate.skills.translate")["language"]["values"]
    return {str(v["in"]).casefold(): str(v["out"]) for v in values}


def language_code(said: str | None) -> str | None:
    """The code of a language named as said ("German", "ins Deutsche", "德语", "de"); None if not known."""
    if not said:
        return None
    by_name = names()
    text = said.casefold().strip(" .,!?。，！？")
    if text in LANGUAGES:
        return text
    if text in by_name:
        return by_name[text]
    for word in text.split():
        if word not in _FILLERS and word in by_name:
            return by_name[word]
    return next((code for name, code in by_name.items() if not name.isascii() and name in text), None)
