"""English turns go to the English-only Whisper; everything else to the multilingual one. And the WER helpers."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest

from glassmate.audio import Audio
from glassmate.config import ASRSettings, Settings
from glassmate.providers.asr import faster_whisper
from glassmate.providers.asr.base import TranscribeOptions
from glassmate.providers.asr.faster_whisper import FasterWhisperASR
from glassmate.runtime import Models
from glassmate.testing.corpus import normalize, word_errors


class FakeWhisper:
    """Stands in for faster-whisper's model: remembers which folder it was loaded from and what it was asked."""

    loaded: ClassVar[list[str]] = []

    def __init__(self, path: str, **_: Any) -> None:
        self.path = path
        self.calls: list[dict[str, Any]] = []
        FakeWhisper.loaded.append(path)

    def detect_language(self, samples: np.ndarray) -> tuple[str, float, list[tuple[str, float]]]:
        return "de", 0.9, [("de", 0.9), ("en", 0.1)]

    def transcribe(self, samples: np.ndarray, **kwargs: Any) -> tuple[list[Any], Any]:
        self.calls.append(kwargs)
        segment = SimpleNamespace(start=0.0, end=1.0, text=f" from {Path(self.path).name}", words=None,
                                  avg_logprob=-0.1, no_speech_prob=0.01)  # fmt: skip
        info = SimpleNamespace(language=kwargs["language"] or "de", language_probability=1.0, duration=1.0)
        return [segment], info


@pytest.fixture
def fake_whisper(monkeypatch: pytest.MonkeyPatch) -> type[FakeWhisper]:
    FakeWhisper.loaded = []
    monkeypatch.setattr(faster_whisper, "_windowed_model_class", lambda: FakeWhisper)
    return FakeWhisper


AUDIO = Audio(np.zeros(16_000, np.float32) + 0.01, 16_000)


async def test_english_goes_to_the_english_model_and_the_rest_to_the_multilingual_one(fake_whisper) -> None:
    asr = FasterWhisperASR(model_dir=Path("/m/base"), settings=ASRSettings(), english_dir=Path("/m/tiny_en"))
    assert (await asr.transcribe(AUDIO, TranscribeOptions(language="en"))).text == "from tiny_en"
    assert (await asr.transcribe(AUDIO, TranscribeOptions(language="zh"))).text == "from base"
    # Detection needs the multilingual model, even when English is among the candidates.
    detected = await asr.transcribe(AUDIO, TranscribeOptions(candidates=("en", "de")))
    assert (detected.text, detected.language) == ("from base", "de")
    # Translating English speech into English is not transcription: the multilingual model's task.
    assert (await asr.transcribe(AUDIO, TranscribeOptions(language="en", task="translate"))).text == "from base"
    await asr.aclose()


async def test_without_an_english_model_everything_goes_to_the_one_model(fake_whisper) -> None:
    asr = FasterWhisperASR(model_dir=Path("/m/base"), settings=ASRSettings())
    assert (await asr.transcribe(AUDIO, TranscribeOptions(language="en"))).text == "from base"
    await asr.load()
    assert fake_whisper.loaded == ["/m/base"]  # loaded once
    await asr.aclose()


async def test_load_warms_both_models(fake_whisper) -> None:
    asr = FasterWhisperASR(model_dir=Path("/m/base"), settings=ASRSettings(), english_dir=Path("/m/tiny_en"))
    await asr.load()
    assert sorted(fake_whisper.loaded) == ["/m/base", "/m/tiny_en"]
    await asr.aclose()


def test_settings_choose_the_english_model(tmp_path: Path) -> None:
    class Store:
        def folder(self, key: str) -> Path:
            return tmp_path / key

    def asr(**changes: Any) -> FasterWhisperASR:
        settings = Settings(home=tmp_path).model_copy(update={"asr": ASRSettings(**changes)})
        built = Models(settings=settings, store=Store()).asr  # type: ignore[arg-type]
        assert isinstance(built, FasterWhisperASR)
        return built

    assert asr().english_dir == tmp_path / "asr_en"
    assert asr(english_model=False).english_dir is None
    # Someone who chose their own Whisper gets it for English too, unless they name an English model as well.
    assert asr(model_dir=tmp_path / "large").english_dir is None
    assert asr(model_dir=tmp_path / "large", english_model_dir=tmp_path / "medium.en").english_dir == (
        tmp_path / "medium.en"
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Press 1 to list users, 2 to kick all.", "press one to list users two to kick all"),
        ("Please enter your PIN followed by #.", "please enter your pin followed by pound"),
        ("Agent logged-in. It's 3,000 dollars!", "agent logged in it's three zero zero zero dollars"),
        ("At the tone, the time will be exactly...", "at the tone the time will be exactly"),
        ("Room 115", "room one hundred fifteen"),
    ],
)
def test_normalize(text: str, words: str) -> None:
    assert normalize(text) == words.split()


def test_word_errors_count_substitutions_deletions_and_insertions() -> None:
    def errors(reference: str, hypothesis: str) -> int:
        return word_errors(reference.split(), hypothesis.split())

    assert errors("a b c", "a b c") == 0
    assert errors("a b c", "a x c") == 1
    assert errors("a b c", "a c") == 1
    assert errors("a b c", "a b c d e") == 2
    assert errors("a b c", "") == 3
    assert errors("", "a") == 1


async def test_a_spoken_turn_is_decoded_once_and_may_not_loop(fake_whisper) -> None:
    """A realtime turn is decoded once (no temperature fallback); with nothing to stop a loop then ("the side of the
    side of…", 893 characters from tiny.en after a hesitation), the decoding may not repeat 6 tokens and stops
    at what the audio can hold. A meeting keeps Whisper's fallback."""
    asr = FasterWhisperASR(model_dir=Path("/m/base"), settings=ASRSettings(), english_dir=Path("/m/tiny_en"))
    await asr.transcribe(AUDIO, TranscribeOptions(language="en", fallback=False))
    await asr.transcribe(AUDIO, TranscribeOptions(language="en"))
    (model,) = asr._models.values()
    turn, meeting = model.calls
    assert turn["temperature"] == 0.0 and turn["no_repeat_ngram_size"] == 6 and turn["max_new_tokens"] == 36
    assert not {"temperature", "no_repeat_ngram_size", "max_new_tokens"} & set(meeting)
    assert faster_whisper.most_tokens(2.0) == 48 and faster_whisper.most_tokens(60.0) == 224  # Whisper's own limit
