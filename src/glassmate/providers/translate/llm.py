"""Translation by an LLM (the embedded Qwen, or any OpenAI-compatible one), prompted for a faithful, terse
translation with examples and the session's glossary."""

from __future__ import annotations

from glassmate.providers.llm.base import LLM, ChatMessage, GenerationOptions
from glassmate.providers.translate.base import Translator, language_name

# One example per target language steers a small model towards "just the translation".
_EXAMPLES = {
    "en": ("Wo ist der Bahnhof?", "Where is the train station?"),
    "de": ("Where is the train station?", "Wo ist der Bahnhof?"),
    "zh": ("Where is the train station?", "火车站在哪里？"),
    "fr": ("Where is the train station?", "Où est la gare ?"),
    "es": ("Where is the train station?", "¿Dónde está la estación de tren?"),
}


RULES = (
    "You are a translator. Reply with the translation only: no quotes, no notes, no transliteration. "
    "Keep names, numbers and units as they are."
)


class LLMTranslator(Translator):
    """The system prompt is the same whatever the direction: in a conversation the direction flips with every
    speaker, and the shared prefix stays in llama.cpp's cache. The direction, one example for the target
    language and the glossary follow it."""

    name = "llm-translator"

    def __init__(self, *, llm: LLM, one_shot: bool = True) -> None:
        super().__init__()
        self.llm = llm
        self.one_shot = one_shot  # bench/translation.py measures what the example is worth

    @staticmethod
    def _request(text: str, source: str, target: str, glossary: dict[str, str] | None = None) -> str:
        src, tgt = language_name(source), language_name(target)
        request = f"Translate this {src} into {tgt}."
        if glossary:
            request += " Always translate these terms as given: " + "; ".join(f"{k} → {v}" for k, v in glossary.items())
        return f"{request}\n{text}"

    def messages(self, text: str, source: str, target: str, glossary: dict[str, str]) -> list[ChatMessage]:
        messages = [ChatMessage("system", RULES)]
        example = _EXAMPLES.get(target) if self.one_shot else None
        if example and source != target:
            example_source = "de" if target == "en" else "en"
            messages += [
                ChatMessage("user", self._request(example[0], example_source, target)),
                ChatMessage("assistant", example[1]),
            ]
        return [*messages, ChatMessage("user", self._request(text, source, target, glossary))]

    async def _translate_impl(self, text: str, source: str, target: str, glossary: dict[str, str]) -> str:
        options = GenerationOptions(temperature=0.0, max_tokens=min(512, 32 + len(text) * 3))
        result = await self.llm.chat(self.messages(text, source, target, glossary), options=options)
        return result.text.strip().strip('"“”')
