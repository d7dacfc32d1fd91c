"""Provider machinery: streaming from threads, cancellation, error mapping, input checks (no models)."""

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import aclosing

import numpy as np
import pytest

from glassmate.audio import Audio
from glassmate.config import LLMSettings, RemoteSettings
from glassmate.errors import (
    BadInputError,
    EmptyAudioError,
    EmptyTextError,
    ImageDecodeError,
    ProviderError,
    ProviderUnreachableError,
)
from glassmate.providers.base import Provider
from glassmate.providers.codes.base import check_formats
from glassmate.providers.llm.base import ChatMessage, ToolCall
from glassmate.providers.llm.openai_compat import OpenAICompatLLM
from glassmate.testing import FakeASR, FakeCodeScanner, FakeOCR, FakeTTS, ScriptedLLM, silence


class Counting(Provider):
    name = "counting"

    def __init__(self) -> None:
        super().__init__()
        self.produced = 0
        self.finished = threading.Event()

    def numbers(self) -> Iterator[int]:
        try:
            for i in range(1000):
                time.sleep(0.002)
                self.produced += 1
                yield i
        finally:
            self.finished.set()


async def test_iterate_blocking_streams_items_in_order() -> None:
    p = Counting()
    items = []
    async for item in p._iterate_blocking(p.numbers):
        items.append(item)
        if len(items) == 5:
            break
    assert items == [0, 1, 2, 3, 4]


async def test_closing_the_stream_stops_the_worker_and_frees_the_engine() -> None:
    p = Counting()
    stream = p._iterate_blocking(p.numbers)
    async for _ in stream:
        break
    await stream.aclose()
    assert p.finished.is_set()
    assert p.produced < 1000
    assert p._engine_lock.acquire(blocking=False)
    p._engine_lock.release()


async def test_cancelling_the_consumer_stops_the_worker() -> None:
    p = Counting()

    async def consume() -> None:
        async for _ in p._iterate_blocking(p.numbers):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert p.finished.is_set() and p.produced < 1000


async def test_worker_errors_reach_the_consumer() -> None:
    p = Counting()

    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("engine exploded")

    with pytest.raises(ValueError, match="exploded"):
        async for _ in p._iterate_blocking(broken):
            pass


async def test_unexpected_errors_become_provider_errors_without_traceback_text() -> None:
    class Broken(ScriptedLLM):
        async def _chat_impl(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise KeyError("internal detail")

    with pytest.raises(ProviderError) as info:
        await Broken().chat([ChatMessage("user", "hi")])
    assert info.value.code == "provider-error"
    assert "internal detail" not in info.value.message


async def test_scripted_llm_streams_and_calls_tools() -> None:
    llm = ScriptedLLM(["Two plus three is five.", ToolCall("c1", "pay", {"amount": 3})])
    text = "".join([d async for d in llm.stream([ChatMessage("user", "2+3?")])])
    assert text == "Two plus three is five."
    result = await llm.chat([ChatMessage("user", "pay")])
    assert result.tool_calls[0].name == "pay"
    assert llm.last_metrics is not None and llm.last_metrics.method == "chat"


async def test_llm_refuses_an_empty_conversation() -> None:
    with pytest.raises(BadInputError):
        await ScriptedLLM().chat([])
    with pytest.raises(BadInputError):
        await ScriptedLLM().chat([ChatMessage("system", "x"), ChatMessage("user", "  ")])


async def test_asr_refuses_empty_audio_and_resamples() -> None:
    asr = FakeASR(["hello world"])
    with pytest.raises(EmptyAudioError):
        await asr.transcribe(Audio(np.zeros(0, np.float32), 16_000))
    result = await asr.transcribe(silence(1.0, rate=48_000))
    assert result.text == "hello world"
    assert asr.durations == [pytest.approx(1.0, abs=0.01)]


async def test_tts_refuses_empty_text_and_streams_sentences() -> None:
    tts = FakeTTS()
    with pytest.raises(EmptyTextError):
        await tts.synthesize("   ")
    chunks = [c async for c in tts.stream("One. Two words.")]
    assert [c.text for c in chunks] == ["One.", "Two words."]


async def test_ocr_and_codes_refuse_non_rgb_input() -> None:
    with pytest.raises(ImageDecodeError):
        await FakeOCR().read(np.zeros((10, 10), np.uint8))
    with pytest.raises(ImageDecodeError):
        await FakeCodeScanner().scan(np.zeros((2, 2, 3), np.uint8))


def test_unknown_barcode_format_is_refused() -> None:
    with pytest.raises(BadInputError) as info:
        check_formats(["QRCode", "Hologram"])
    assert info.value.code == "codes-format-unknown"


async def test_unreachable_remote_endpoint_gives_a_typed_error() -> None:
    llm = OpenAICompatLLM(
        settings=RemoteSettings(base_url="http://127.0.0.1:9/v1", model="qwen", max_retries=0, timeout_s=2),
        defaults=LLMSettings(),
    )
    try:
        with pytest.raises(ProviderUnreachableError) as info:
            await llm.chat([ChatMessage("user", "hi")])
        assert info.value.code == "provider-unreachable"
        with pytest.raises(ProviderUnreachableError):
            async for _ in llm.stream([ChatMessage("user", "hi")]):
                pass
    finally:
        await llm.aclose()


async def test_closing_an_llm_stream_stops_generation_at_once() -> None:
    class ThreadedLLM(ScriptedLLM):
        def __init__(self) -> None:
            super().__init__()
            self.counter = Counting()

        async def _stream_impl(self, messages, options):  # type: ignore[no-untyped-def]
            async with aclosing(self.counter._iterate_blocking(self.counter.numbers)) as numbers:
                async for i in numbers:
                    yield str(i)

    llm = ThreadedLLM()
    stream = llm.stream([ChatMessage("user", "count")])
    async for _ in stream:
        break
    await stream.aclose()
    assert llm.counter.finished.is_set(), "the worker must stop when the stream is closed, not at GC"
    assert llm.counter.produced < 1000


def test_whisper_encodes_the_audio_plus_padding_within_its_30_second_window() -> None:
    from glassmate.providers.asr.faster_whisper import encoder_frames

    assert encoder_frames(1.5, min_window_s=10) == 1000  # short commands: the minimum window
    assert encoder_frames(1.5, min_window_s=20) == 2000
    assert encoder_frames(9.2, min_window_s=10) == 1200  # 10 s of audio + 2 s of padding
    assert encoder_frames(45.0, min_window_s=10) == 3000  # never more than Whisper's window
    assert encoder_frames(1.5, min_window_s=30) == 3000  # the shortcut switched off
