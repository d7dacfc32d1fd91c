"""The OpenAI-compatible ASR and TTS providers: the requests they send and how they read the answers.

The HTTP peer here is an httpx MockTransport that answers as OpenAI's API documents; the LLM provider is
tested against a real server in tests/integration/test_remote_llm.py.
"""

import json

import httpx
import numpy as np
import pytest
from openai import AsyncOpenAI

from glassmate.config import RemoteSettings
from glassmate.errors import ProviderAuthError
from glassmate.providers.asr.base import TranscribeOptions
from glassmate.providers.asr.openai_compat import OpenAICompatASR
from glassmate.providers.tts.openai_compat import OpenAICompatTTS
from glassmate.testing import tone


def _client(handler) -> AsyncOpenAI:  # type: ignore[no-untyped-def]
    return AsyncOpenAI(
        base_url="http://remote.test/v1",
        api_key="sk-test",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )


async def test_remote_transcription_sends_wav_and_reads_verbose_json() -> None:
    seen: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["path"] = request.url.path
        seen["auth"] = request.headers["authorization"]
        body = request.read()
        seen["has_wav"] = b"RIFF" in body and b'name="model"' in body and b"whisper-1" in body
        seen["language"] = b'name="language"' in body
        return httpx.Response(
            200,
            json={
                "text": "Hello there.",
                "language": "english",
                "duration": 1.0,
                "segments": [{"id": 0, "start": 0.0, "end": 1.0, "text": " Hello there.", "avg_logprob": -0.2}],
                "words": [{"word": "Hello", "start": 0.0, "end": 0.4}, {"word": "there", "start": 0.5, "end": 0.9}],
            },
        )

    asr = OpenAICompatASR(settings=RemoteSettings(model="whisper-1"))
    asr._client = _client(handler)
    result = await asr.transcribe(tone(1.0, rate=48_000), TranscribeOptions(language="en", word_timestamps=True))
    assert seen == {"path": "/v1/audio/transcriptions", "auth": "Bearer sk-test", "has_wav": True, "language": True}
    assert result.text == "Hello there."
    assert [w.word for w in result.segments[0].words] == ["Hello", "there"]
    await asr.aclose()


async def test_remote_transcription_maps_a_refused_key() -> None:
    asr = OpenAICompatASR(settings=RemoteSettings(model="whisper-1"))
    asr._client = _client(lambda r: httpx.Response(401, json={"error": {"message": "bad key", "type": "auth"}}))
    with pytest.raises(ProviderAuthError):
        await asr.transcribe(tone(0.5))
    await asr.aclose()


async def test_remote_speech_asks_for_pcm_per_sentence() -> None:
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.read())
        requests.append(payload)
        pcm = (np.zeros(2400, dtype="<i2")).tobytes()  # 0.1 s at 24 kHz
        return httpx.Response(200, content=pcm, headers={"content-type": "audio/pcm"})

    tts = OpenAICompatTTS(settings=RemoteSettings(model="tts-1"), voice="alloy")
    tts._client = _client(handler)
    chunks = [c async for c in tts.stream("First sentence. Second one!")]
    assert [r["input"] for r in requests] == ["First sentence.", "Second one!"]
    assert all(r["response_format"] == "pcm" and r["voice"] == "alloy" for r in requests)
    assert [c.sample_rate for c in chunks] == [24_000, 24_000]
    assert chunks[0].duration_s == pytest.approx(0.1)
    await tts.aclose()
