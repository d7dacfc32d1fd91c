"""The OpenAI-compatible REST API, driven by the official `openai` SDK against a real server with fake models."""

from __future__ import annotations

import asyncio
import base64
import io
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest

from glassmate.api.app import create_app
from glassmate.audio import encode_audio
from glassmate.config import Settings
from glassmate.providers.asr.base import Segment, Transcript, Word
from glassmate.providers.llm.base import ToolCall
from glassmate.testing import FakeASR, FakeCodeScanner, FakeOCR, ScriptedLLM, fake_models, tone
from glassmate.testing.hostile import silent_flac
from glassmate.testing.scenes import jpeg_bytes, render_label
from glassmate.testing.server import serve_in_thread


class WordsASR(FakeASR):
    """A fake ASR whose transcript has two segments with word timings."""

    async def _transcribe_impl(self, samples, options):  # type: ignore[no-untyped-def]
        words = (Word(0.0, 0.4, " Hello"), Word(0.5, 0.9, " there."))
        return Transcript(
            "Hello there. Bye.", options.language or "en", 1.0, 2.0,
            [Segment(0.0, 1.0, "Hello there.", words), Segment(1.2, 1.9, "Bye.")],
        )  # fmt: skip


@pytest.fixture
def api(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    marker = request.node.get_closest_marker("fakes")
    settings = Settings(home=tmp_path)
    models = fake_models(settings, **(marker.kwargs if marker else {}))
    models.llm.model_name = "qwen-test"
    app = create_app(settings, models=models)
    _, key = app.state.services.api_keys.add("tests")
    with serve_in_thread(app) as base:
        yield {"base": base, "key": key, "client": openai.OpenAI(api_key=key, base_url=f"{base}/v1", max_retries=0)}


def wav_file(seconds: float = 1.0) -> bytes:
    return tone(seconds).to_wav()


def test_models_lists_the_assistant_and_the_llm(api: dict[str, Any]) -> None:
    ids = [m.id for m in api["client"].models.list()]
    assert ids[:2] == ["glassmate", "qwen-test"]


@pytest.mark.fakes(llm=ScriptedLLM(["Paris is the capital."]))
def test_chat_with_the_underlying_model(api: dict[str, Any]) -> None:
    reply = api["client"].chat.completions.create(
        model="qwen-test", messages=[{"role": "user", "content": "Capital of France?"}]
    )
    assert reply.choices[0].message.content == "Paris is the capital."
    assert reply.choices[0].finish_reason == "stop"


@pytest.mark.fakes(llm=ScriptedLLM(["It is sunny in Helsinki today."]))
def test_chat_streaming(api: dict[str, Any]) -> None:
    stream = api["client"].chat.completions.create(
        model="qwen-test", messages=[{"role": "user", "content": "Weather?"}], stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "It is sunny in Helsinki today."
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


@pytest.mark.fakes(llm=ScriptedLLM([ToolCall("call_1", "get_weather", {"city": "Helsinki"})]))
def test_chat_with_tools_returns_tool_calls(api: dict[str, Any]) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]  # fmt: skip
    reply = api["client"].chat.completions.create(
        model="qwen-test", messages=[{"role": "user", "content": "Weather in Helsinki?"}], tools=tools
    )
    call = reply.choices[0].message.tool_calls[0]
    assert reply.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and '"Helsinki"' in call.function.arguments


@pytest.mark.fakes(ocr=FakeOCR(["OAT MILK 1L", "2.49 EUR"]), llm=ScriptedLLM(["It costs 2.49 euros."]))
def test_glassmate_model_answers_about_an_image(api: dict[str, Any]) -> None:
    image = base64.b64encode(jpeg_bytes(render_label(["OAT MILK 1L"]))).decode()
    reply = api["client"].chat.completions.create(
        model="glassmate",
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "How much is this?"},
            {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{image}"}},
        ]}],
    )  # fmt: skip
    assert reply.choices[0].message.content == "It costs 2.49 euros."
    extra = reply.model_extra["glassmate"]  # type: ignore[index]
    # "How much is this?" goes to the product skill; no catalog product in view, so the LLM answers from the OCR.
    assert extra["route"] == "identify"


@pytest.mark.fakes(codes=FakeCodeScanner([("QRCode", "https://pay.example/42")]))
def test_glassmate_routes_deterministic_phrases_without_the_llm(api: dict[str, Any]) -> None:
    image = base64.b64encode(jpeg_bytes(render_label(["x"]))).decode()
    reply = api["client"].chat.completions.create(
        model="glassmate",
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{image}"}},
        ]}],
    )  # fmt: skip
    assert reply.choices[0].message.content == "That's a QR code: https://pay.example/42."
    # The product skill claims "what is this"; with no catalog product in view it says what it sees.
    assert reply.model_extra["glassmate"]["route"] == "identify"  # type: ignore[index]


@pytest.mark.fakes(asr=WordsASR())
@pytest.mark.parametrize("fmt", ["json", "text", "srt", "vtt", "verbose_json"])
def test_transcription_in_every_format(api: dict[str, Any], fmt: str) -> None:
    result = api["client"].audio.transcriptions.create(
        model="whisper-1", file=("clip.wav", wav_file(), "audio/wav"), response_format=fmt,
        timestamp_granularities=["word", "segment"] if fmt == "verbose_json" else openai.omit,
    )  # fmt: skip
    if fmt == "json":
        assert result.text == "Hello there. Bye."
    elif fmt == "text":
        assert result.strip() == "Hello there. Bye."
    elif fmt == "srt":
        assert "1\n00:00:00,000 --> 00:00:01,000\nHello there." in result
    elif fmt == "vtt":
        assert result.startswith("WEBVTT") and "00:00:01.200 --> 00:00:01.900\nBye." in result
    else:
        assert result.language == "en" and len(result.segments) == 2
        assert [w.word for w in result.words] == ["Hello", "there."]


def test_translation_endpoint(api: dict[str, Any]) -> None:
    result = api["client"].audio.translations.create(model="whisper-1", file=("clip.wav", wav_file(), "audio/wav"))
    assert result.text == "hello"


@pytest.mark.parametrize("fmt", ["wav", "pcm", "flac", "mp3", "opus"])
def test_speech_formats(api: dict[str, Any], fmt: str) -> None:
    with api["client"].audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input="Hello there. This is glassmate.", response_format=fmt
    ) as response:
        data = response.read()
    assert len(data) > 100
    if fmt == "wav":
        assert data[:4] == b"RIFF"
        with wave.open(io.BytesIO(data[:44])) as w:
            assert w.getframerate() == 24_000
    if fmt == "pcm":
        assert len(data) % 2 == 0 and np.abs(np.frombuffer(data, "<i2")).max() > 100


def test_a_wrong_key_is_refused(api: dict[str, Any]) -> None:
    bad = openai.OpenAI(api_key="sk-gm-wrong", base_url=f"{api['base']}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.models.list()
    assert info.value.status_code == 401 and info.value.body["code"] == "invalid_api_key"  # type: ignore[index]


def test_an_unknown_model_is_404(api: dict[str, Any]) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        api["client"].chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
    assert info.value.body["code"] == "model_not_found"  # type: ignore[index]


def test_an_oversized_upload_is_413(api: dict[str, Any]) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        api["client"].audio.transcriptions.create(model="whisper-1", file=("big.wav", b"\x00" * 27_000_000))
    assert info.value.status_code == 413


def test_wrong_content_type_and_garbage_are_400(api: dict[str, Any]) -> None:
    headers = {"authorization": f"Bearer {api['key']}"}
    r = httpx.post(f"{api['base']}/v1/chat/completions", content=b"model=glassmate", headers=headers)
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = httpx.post(f"{api['base']}/v1/audio/transcriptions", headers=headers,
                   files={"file": ("x.wav", b"not audio at all")}, data={"model": "whisper-1"})  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]["code"] == "audio-unreadable"


def test_rate_limit_answers_429_with_retry_after(api: dict[str, Any]) -> None:
    headers = {"authorization": f"Bearer {api['key']}"}
    statuses = [httpx.get(f"{api['base']}/v1/models", headers=headers) for _ in range(40)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and int(limited[0].headers["retry-after"]) >= 1  # 30 requests of burst, then 2 a second


async def test_a_full_model_queue_answers_503_before_streaming(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, server={"max_waiting": 1})  # type: ignore[arg-type]
    models = fake_models(settings, llm=ScriptedLLM(["slow " * 30] * 10, delay_s=0.02))
    models.llm.model_name = "qwen-test"
    app = create_app(settings, models=models)
    _, key = app.state.services.api_keys.add("queue")
    body = {"model": "qwen-test", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with serve_in_thread(app) as base:
        async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {key}"}, timeout=30) as c:

            async def one() -> tuple[int, str]:
                async with c.stream("POST", "/v1/chat/completions", json=body) as r:
                    await r.aread()
                    return r.status_code, r.headers.get("retry-after", "")

            results = await asyncio.gather(*(one() for _ in range(4)))
            health = await c.get("/healthz")  # the event loop stayed free meanwhile
    statuses = sorted(s for s, _ in results)
    assert statuses.count(200) >= 1 and statuses.count(503) >= 1
    assert all(retry == "2" for s, retry in results if s == 503)
    assert health.status_code == 200


@pytest.mark.fakes(asr=FakeASR(["ok"] * 5))
@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3", "webm"])
def test_uploads_in_every_container_are_decoded(api: dict[str, Any], fmt: str) -> None:
    data = encode_audio(tone(1.0, rate=48_000), fmt)
    result = api["client"].audio.transcriptions.create(model="whisper-1", file=(f"clip.{fmt}", data))
    assert result.text == "ok"


def test_tool_call_arguments_that_are_not_json_are_a_400(api: dict[str, Any]) -> None:
    messages = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{not json"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]  # fmt: skip
    for model in ("glassmate", "qwen-test"):
        with pytest.raises(openai.BadRequestError) as bad:
            api["client"].chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]
        assert bad.value.body["param"] == "messages.1.tool_calls.0"  # type: ignore[index]


def test_the_integration_marker_selects_the_integration_tests() -> None:
    import subprocess
    import sys

    root = Path(__file__).parents[2]
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "integration", "-p", "no:cacheprovider",
         str(root / "tests" / "integration")],
        capture_output=True, text=True, cwd=root, check=False,
    )  # fmt: skip
    assert " collected" in collected.stdout and "no tests collected" not in collected.stdout, collected.stdout[-300:]


def test_an_audio_bomb_is_refused_from_its_header_without_decoding(
    api: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import soundfile

    bomb = silent_flac(3600)
    assert len(bomb) < 1_000_000

    def no_decoding(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the audio was decoded")

    monkeypatch.setattr(soundfile, "read", no_decoding)
    with pytest.raises(openai.APIStatusError) as refused:
        api["client"].audio.transcriptions.create(model="whisper-1", file=("bomb.flac", bomb, "audio/flac"))
    assert refused.value.status_code == 413 and refused.value.body["code"] == "audio-too-long"  # type: ignore[index]
    health = httpx.get(f"{api['base']}/healthz", timeout=5)
    assert health.status_code == 200


@pytest.mark.parametrize(
    ("fields", "code"),
    [({"language": "klingon"}, "invalid-language"), ({"prompt": "x" * 100_000}, "prompt-too-long")],
)
def test_transcription_options_that_are_the_callers_mistake_are_400(
    api: dict[str, Any], fields: dict[str, str], code: str
) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        api["client"].audio.transcriptions.create(model="whisper-1", file=("a.wav", wav_file(), "audio/wav"), **fields)  # type: ignore[arg-type]
    assert bad.value.body["code"] == code  # type: ignore[index]


def test_a_wav_with_zero_bits_per_sample_and_a_lone_surrogate_are_400(api: dict[str, Any]) -> None:
    import struct

    fmt = struct.pack("<HHIIHH", 1, 1, 16_000, 0, 0, 0)
    data = b"\x00" * 100
    wav = (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
           + b"data" + struct.pack("<I", len(data)) + data)  # fmt: skip
    with pytest.raises(openai.BadRequestError):
        api["client"].audio.transcriptions.create(model="whisper-1", file=("zero.wav", wav, "audio/wav"))
    body = '{"model": "glassmate", "messages": [{"role": "user", "content": "hi \\ud800"}]}'
    headers = {"authorization": f"Bearer {api['key']}", "content-type": "application/json"}
    reply = httpx.post(f"{api['base']}/v1/chat/completions", content=body, headers=headers)
    assert reply.status_code == 400 and reply.json()["error"]["param"] == "messages.0.content"
