from pathlib import Path

import httpx
import pytest

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.errors import EmptyTextError, UnsupportedLanguageError
from glassmate.providers.translate import detect_language
from glassmate.providers.translate.llm import LLMTranslator
from glassmate.testing import ScriptedLLM, fake_models
from glassmate.testing.server import serve_in_thread


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Where is the train station?", "en"),
        ("Wo ist der Bahnhof? Ich möchte nach Berlin.", "de"),
        ("我想买一杯咖啡。", "zh"),
        ("Où est la gare, s'il vous plaît ?", "fr"),
        ("¿Dónde está la estación?", "es"),
        ("東京駅はどこですか", "ja"),
        ("Где вокзал?", "ru"),
    ],
)
def test_language_identification(text: str, language: str) -> None:
    assert detect_language(text) == language


async def test_translator_prompt_carries_languages_example_and_glossary() -> None:
    llm = ScriptedLLM(["“Guten Morgen, Frau Virtanen.”"])
    result = await LLMTranslator(llm=llm).translate(
        "Good morning, Ms Virtanen.", target="de", glossary={"Ms Virtanen": "Frau Virtanen"}
    )
    assert result.text == "Guten Morgen, Frau Virtanen."  # quotes stripped
    assert (result.source_language, result.target_language) == ("en", "de")
    system, example_q, example_a, user = llm.calls[0]
    assert "translator" in system.content and "Translate this English into German." in example_q.content
    assert example_a.content == "Wo ist der Bahnhof?"
    assert user.content.startswith("Translate this English into German.")
    assert "Ms Virtanen → Frau Virtanen" in user.content and user.content.endswith("\nGood morning, Ms Virtanen.")


async def test_the_prompt_before_the_text_does_not_depend_on_the_direction() -> None:
    """A conversation flips direction with every speaker: the shared system prompt stays in llama.cpp's cache."""
    llm = ScriptedLLM(["Wo ist der Bahnhof?", "Where is it?"])
    translator = LLMTranslator(llm=llm)
    await translator.translate("Where is the station?", source="en", target="de")
    await translator.translate("Wo ist es?", source="de", target="en", glossary={"Bahnhof": "station"})
    first, second = llm.calls
    assert first[0] == second[0]  # the system prompt: cached across directions
    assert "English into German" in first[-1].content and "German into English" in second[-1].content


async def test_same_language_is_returned_unchanged_and_bad_input_is_refused() -> None:
    translator = LLMTranslator(llm=ScriptedLLM())
    assert (await translator.translate("Hello there.", target="en")).text == "Hello there."
    with pytest.raises(EmptyTextError):
        await translator.translate("  ", target="de")
    with pytest.raises(UnsupportedLanguageError):
        await translator.translate("Hello", target="tlh")


def test_translate_endpoint(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    app = create_app(settings, models=fake_models(settings, llm=ScriptedLLM(["Wo ist der Bahnhof?"])))
    _, key = app.state.services.api_keys.add("t")
    with serve_in_thread(app) as base:
        headers = {"authorization": f"Bearer {key}"}
        ok = httpx.post(f"{base}/v1/translate", headers=headers, json={"text": "Where is the station?", "target": "de"})
        assert ok.status_code == 200
        assert ok.json() == {"translation": "Wo ist der Bahnhof?", "source_language": "en", "target_language": "de"}
        bad = httpx.post(f"{base}/v1/translate", headers=headers, json={"text": "Hi", "target": "xx"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "language-unsupported"
        anonymous = httpx.post(f"{base}/v1/translate", json={"text": "Hi", "target": "de"})
        assert anonymous.status_code == 401


def test_commands_survive_a_filler_word_whisper_hears_before_them() -> None:
    from glassmate.skills.base import Turn
    from glassmate.testing import fake_skills

    skills = fake_skills()
    for said, route in [("and stop translating.", "translate"), ("OK, stop translation please", "translate"),
                        ("and stop", "stop"), ("Wait, stop.", "stop")]:  # fmt: skip
        assert skills.route(Turn(text=said)).skill == route, said
