"""Translation with the embedded LLM, and a two-sided recording (two voices, two languages)."""

import numpy as np

from glassmate.audio import Audio, pcm16_to_audio
from glassmate.runtime import Models
from glassmate.skills.translate.recording import translate_recording


async def test_embedded_translator_en_de_and_zh_en(models: Models) -> None:
    de = await models.translator.translate("I would like a cup of coffee, please.", target="de")
    assert "kaffee" in de.text.lower() and de.source_language == "en"
    en = await models.translator.translate("我想买一杯咖啡。", target="en")
    assert "coffee" in en.text.lower() and en.source_language == "zh"


async def test_a_two_sided_recording_is_transcribed_and_translated_by_side(models: Models) -> None:
    async def say(text: str, language: str) -> np.ndarray:
        chunk = await models.tts.synthesize(text, language=language)
        return pcm16_to_audio(chunk.pcm16, chunk.sample_rate).resampled(16_000).samples

    gap = np.zeros(16_000, np.float32)
    conversation = np.concatenate([
        gap, await say("Excuse me, where is the train station?", "en"), gap,
        await say("Guten Tag, wie geht es Ihnen?", "de"), gap,
    ])  # fmt: skip
    rows = await translate_recording(models, Audio(conversation, 16_000), "en")
    assert [spoken.source_language for _, _, spoken, _ in rows] == ["en", "de"]
    assert rows[0][3] is None  # the wearer's own language is not translated
    assert rows[1][3] is not None and rows[1][3].target_language == "en" and rows[1][3].text
    assert rows[0][0] < rows[1][0]
