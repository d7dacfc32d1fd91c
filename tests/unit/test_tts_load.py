"""The TTS the warm-up loads is the one that speaks."""

from __future__ import annotations


async def test_the_voice_is_loaded_and_has_spoken_once_before_the_first_answer() -> None:
    """The warm-up calls `load` on the TTS: with Piper behind the language switch, Piper must load (and speak a
    word, which its first sentence would otherwise pay for) rather than wait for the first answer."""
    from glassmate.providers.tts.espeak import EspeakTTS, MultiVoiceTTS
    from glassmate.testing.fakes import FakeTTS

    class Piper(FakeTTS):
        loaded = 0

        async def load(self) -> None:
            self.loaded += 1

    piper = Piper()
    tts = MultiVoiceTTS(piper=piper, espeak=EspeakTTS(binary="espeak-ng"), piper_languages=("en",))
    await tts.load()
    assert piper.loaded == 1
