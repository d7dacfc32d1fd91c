"""Phrase tables: a value may be called `language` (the translation skill's "Translating to {language}")."""

from glassmate.skills.tools import Phrases, phrase
from glassmate.skills.translate.skill import TEXTS


def test_a_value_named_language_fills_the_text() -> None:
    """Found by an integration test: the agent called start_translation and `ctx.text(TEXTS, "on",
    language="German")` raised TypeError, because `language` was also phrase()'s own parameter."""
    assert phrase(TEXTS, "en", "on", language="German").startswith("Translating to German.")
    assert Phrases("de").text(TEXTS, "on", language="Chinesisch").startswith("Ich übersetze ins Chinesisch")
