"""The OpenAI-compatible REST API on the real embedded models, through the official SDK."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.runtime import Models
from glassmate.testing.corpus import normalize, word_errors
from glassmate.testing.server import serve_in_thread


@pytest.fixture(scope="module")
def client(models: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = Settings(home=tmp_path_factory.mktemp("api"))
    app = create_app(settings, models=models)
    _, key = app.state.services.api_keys.add("integration")
    with serve_in_thread(app) as base:
        yield openai.OpenAI(api_key=key, base_url=f"{base}/v1", max_retries=0, timeout=120)


def test_glassmate_answers_arithmetic(client: Any) -> None:
    reply = client.chat.completions.create(
        model="glassmate", messages=[{"role": "user", "content": "What is 2+3?"}], temperature=0
    )
    assert "5" in reply.choices[0].message.content


def test_speech_then_transcription_round_trip(client: Any) -> None:
    wav = client.audio.speech.create(model="tts-1", voice="alloy", input="Turn left at the next corner.",
                                     response_format="wav").read()  # fmt: skip
    text = client.audio.transcriptions.create(model="whisper-1", file=("say.wav", wav, "audio/wav"), language="en")
    # Within one word: Piper's voice varies from run to run, and Whisper tiny.en (English) once heard "Turn luck at
    # the next corner." (and "Current left…" in 1 of 30 syntheses tried apart); every other word must be right.
    said = normalize("Turn left at the next corner.")
    assert word_errors(said, normalize(text.text)) <= 1, text.text


def test_mp3_upload_is_transcribed(client: Any, tmp_path: Path) -> None:
    mp3 = client.audio.speech.create(model="tts-1", voice="alloy", input="Good morning.", response_format="mp3").read()
    text = client.audio.transcriptions.create(model="whisper-1", file=("say.mp3", mp3, "audio/mpeg"), language="en")
    assert "morning" in text.text.lower()


@pytest.fixture(scope="module")
def server(models: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    settings = Settings(home=tmp_path_factory.mktemp("remote"))
    app = create_app(settings, models=models)
    _, key = app.state.services.api_keys.add("remote-providers")
    with serve_in_thread(app) as base:
        yield f"{base}/v1", key


async def test_remote_asr_and_tts_providers_against_a_real_server(server: tuple[str, str], models: Models) -> None:
    """glassmate's OpenAI-compatible ASR and TTS providers, talking to an OpenAI-compatible server (ours)."""
    from glassmate.audio import pcm16_to_audio
    from glassmate.config import RemoteSettings
    from glassmate.providers.asr.base import TranscribeOptions
    from glassmate.providers.asr.openai_compat import OpenAICompatASR
    from glassmate.providers.tts.openai_compat import OpenAICompatTTS

    base, key = server
    tts = OpenAICompatTTS(settings=RemoteSettings(base_url=base, api_key=key, model="tts-1"), voice="alloy")
    asr = OpenAICompatASR(settings=RemoteSettings(base_url=base, api_key=key, model="whisper-1"))
    try:
        chunks = [c async for c in tts.stream("The museum opens at ten. Tickets cost twelve euros.")]
        assert [c.sample_rate for c in chunks] == [24_000, 24_000]
        audio = pcm16_to_audio(b"".join(c.pcm16 for c in chunks), 24_000)
        result = await asr.transcribe(audio, TranscribeOptions(language="en", word_timestamps=True))
        # Piper's synthesis varies from run to run ("tickets" was once heard as "take its"): most words must come
        # through, not every one.
        words = set(re.findall(r"\w+", result.text.lower()))
        assert (
            len(words & {"the", "museum", "opens", "at", "10", "ten", "tickets", "cost", "12", "twelve", "euros"}) >= 6
        )
        assert result.segments and result.language
    finally:
        await tts.aclose()
        await asr.aclose()
