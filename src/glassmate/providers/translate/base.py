"""The translator interface, and language identification of short texts.

Translation is a provider so that a dedicated MT model can drop in; today's implementations prompt an LLM (the
embedded Qwen, or a bigger one behind any OpenAI-compatible endpoint). No language pair is hard-coded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from glassmate.errors import EmptyTextError, UnsupportedLanguageError
from glassmate.providers.base import Provider

LANGUAGES = {
    "en": "English", "de": "German", "zh": "Chinese (Simplified)", "fr": "French", "es": "Spanish",
    "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "fi": "Finnish", "pl": "Polish",
    "ru": "Russian", "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "tr": "Turkish", "hi": "Hindi",
}  # fmt: skip

# Frequent short words that tell Latin-script languages apart; enough for a sentence or two.
_STOPWORDS = {
    "en": "the and is are you i to of a in it that this what how where my your have do not with for be",
    "de": "der die das und ist sind ich du sie es nicht ein eine mit zu wie wo was ist haben bitte danke",
    "fr": "le la les et est sont je tu vous il elle ne pas un une avec pour que qui où comment merci",
    "es": "el la los las y es son yo tú usted no un una con para que dónde cómo gracias por",
    "it": "il lo la gli le e è sono io tu non un una con per che dove come grazie",
    "nl": "de het een en is zijn ik jij je niet met voor dat wat waar hoe dank",
    "pt": "o a os as e é são eu você não um uma com para que onde como obrigado",
    "sv": "och är jag du inte en ett med för att vad var hur tack",
    "fi": "ja on olen sinä ei kanssa että mitä missä miten kiitos",
    "pl": "i jest są ja ty nie z do że co gdzie jak dziękuję",
    "tr": "ve bir bu ne nerede nasıl teşekkür değil ben sen",
}
_WORDS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}


def language_name(code: str) -> str:
    """The English name of a language code, or UnsupportedLanguageError."""
    base = code.lower().split("-")[0]
    if base not in LANGUAGES:
        raise UnsupportedLanguageError(f"language {code!r} is not supported; use one of {', '.join(sorted(LANGUAGES))}")
    return LANGUAGES[base]


def detect_language(text: str) -> str:
    """The language of a short text, by script and then by frequent words (offline, instant)."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7af]", text):
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh"
    if re.search(r"[\u0400-\u04ff]", text):
        return "ru"
    if re.search(r"[\u0600-\u06ff]", text):
        return "ar"
    if re.search(r"[\u0900-\u097f]", text):
        return "hi"
    words = re.findall(r"[a-zà-öø-ÿäöüßąćęłńóśźżğışç']+", text.lower())
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _WORDS.items()}
    if re.search(r"[äöüß]", text.lower()):
        scores["de"] += 1
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "en"


@dataclass(frozen=True)
class Translation:
    text: str
    source_language: str
    target_language: str


class Translator(Provider):
    """Translate text. Backends write `_translate_impl`."""

    max_chars = 4000

    async def translate(
        self, text: str, *, target: str, source: str | None = None, glossary: Mapping[str, str] | None = None
    ) -> Translation:
        """`text` in `target` (ISO 639-1); the source language is detected when not given."""
        text = text.strip()
        if not text:
            raise EmptyTextError("there is no text to translate")
        if len(text) > self.max_chars:
            raise EmptyTextError(f"the text is {len(text)} characters; the limit is {self.max_chars}",
                                 code="text-too-long")  # fmt: skip
        target = target.lower().split("-")[0]
        language_name(target)
        src = (source or detect_language(text)).lower().split("-")[0]
        language_name(src)
        if src == target:
            return Translation(text, src, target)
        with self._measure("translate") as metrics:
            out = await self._translate_impl(text, src, target, dict(glossary or {}))
            metrics.extra["chars"] = len(text)
        return Translation(out.strip(), src, target)

    async def _translate_impl(self, text: str, source: str, target: str, glossary: dict[str, str]) -> str:
        raise NotImplementedError
