"""The memory skill on the glasses, through the real server and the official SDK's realtime client: remember with
the GPS fix (and the nearest place on the real Helsinki map) and the text in view, recall with when and where,
forget that; a photo kept lights the HUD's camera indicator, a meeting its audio indicator; the conversation
continues after a reconnect, and not after `resume_history_s`; "forget everything from today"."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openai import AsyncOpenAI

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.testing import FakeASR, fake_models
from glassmate.testing.fakes import FakeOCR, ScriptedLLM
from glassmate.testing.scenes import jpeg_bytes, render_qr_scene
from glassmate.testing.server import serve_in_thread
from tests.unit.test_pay_flow import said, until
from tests.unit.test_session_flows import send_audio, utterance

CATHEDRAL = (60.17047, 24.95222)  # Helsinki Cathedral, on the embedded OpenStreetMap extract


@pytest.fixture
def glasses(helsinki_home: Path, tmp_path: Path) -> Iterator[Any]:
    servers: list[Any] = []

    def start(transcripts: list[Any], llm: Any = None, **memory: Any) -> tuple[AsyncOpenAI, Any]:
        # The fake embedder compares letters, not meaning: its similarities are lower than the real model's.
        memory = {"min_similarity": 0.1, **memory}
        settings = Settings(home=helsinki_home, database_url=f"sqlite:///{tmp_path}/s{len(servers)}.db",
                            travel={"timezone": "Europe/Helsinki"}, memory=memory)  # fmt: skip
        models = fake_models(settings, asr=FakeASR(transcripts), ocr=FakeOCR(["LEVEL 3", "Exit B"]),
                             llm=llm or ScriptedLLM())  # fmt: skip
        settings.meetings_dir.mkdir(parents=True, exist_ok=True)
        app = create_app(settings, models=models)
        _, token = app.state.services.devices.add("glasses")
        cm = serve_in_thread(app)
        base = cm.__enter__()
        servers.append(cm)
        ws = base.replace("http", "ws") + "/v1"
        return AsyncOpenAI(api_key=token, base_url=f"{base}/v1", websocket_base_url=ws), app

    yield start
    for cm in servers:
        cm.__exit__(None, None, None)


FRAME = {"type": "input_image.append", "image": base64.b64encode(jpeg_bytes(render_qr_scene("x"))).decode()}


async def ask(conn: Any) -> list[Any]:
    await send_audio(conn, utterance())
    return await until(conn, lambda e: e.type == "response.done")


async def test_remember_with_where_and_what_is_in_view_then_recall_and_forget(glasses: Any) -> None:
    client, app = glasses(["Remember that I parked on level three.", "Where did I park?", "Forget that."])
    memories = app.state.services.memories
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send({"type": "device.state", "gps": {"lat": CATHEDRAL[0], "lon": CATHEDRAL[1]}})  # type: ignore[arg-type]
        await conn.send(FRAME)  # type: ignore[arg-type]
        kept = await ask(conn)
        assert said(kept) == "Got it. I'll remember: I parked on level three."
        assert kept[-1].response.metadata["route"] == "memory"
        [memory] = memories.list("device:glasses")
        assert (memory.where.lat, memory.where.lon) == CATHEDRAL and memory.where.place
        assert memory.in_view == {"text": ["LEVEL 3", "Exit B"]} and not memory.has_image
        recalled = said(await ask(conn))
        clock = memory.created_at.astimezone(ZoneInfo("Europe/Helsinki")).strftime("%H:%M")
        assert recalled == (f"You told me today at {clock} near {memory.where.place}: I parked on level three. "
                            "You were looking at “LEVEL 3 / Exit B”.")  # fmt: skip
        assert said(await ask(conn)) == "Forgotten: I parked on level three."
    assert memories.list("device:glasses") == []


async def test_a_photo_kept_lights_the_camera_indicator_and_a_meeting_the_audio_one(glasses: Any) -> None:
    client, app = glasses(["Remember what this looks like.", "Record this meeting.", "Stop recording."])
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(FRAME)  # type: ignore[arg-type]
        await send_audio(conn, utterance())
        lit = await until(conn, lambda e: e.type == "privacy.indicator")
        assert (lit[-1].audio, lit[-1].camera) == (False, True)  # type: ignore[attr-defined]
        answer = await until(conn, lambda e: e.type == "response.done")
        assert "I kept a photo of this" in said(lit + answer)
        off = await until(conn, lambda e: e.type == "privacy.indicator", limit_s=6)
        assert (off[-1].audio, off[-1].camera) == (False, False)  # type: ignore[attr-defined]
        await send_audio(conn, utterance())
        on = await until(conn, lambda e: e.type == "privacy.indicator")
        assert on[-1].audio is True  # type: ignore[attr-defined]
        await until(conn, lambda e: e.type == "response.done")
        await send_audio(conn, utterance())
        stopped = await until(conn, lambda e: e.type == "privacy.indicator")
        assert stopped[-1].audio is False  # type: ignore[attr-defined]
    [memory] = app.state.services.memories.list("device:glasses")
    assert memory.has_image and memory.text == "LEVEL 3 / Exit B"
    assert app.state.services.memories.image("device:glasses", memory.id) == base64.b64decode(FRAME["image"])


async def test_the_conversation_continues_after_a_reconnect(glasses: Any) -> None:
    llm = ScriptedLLM(["Paris is the capital of France.", "About 2.1 million people live there."])
    client, app = glasses(["What is the capital of France?", "How many people live there?"], llm=llm)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        assert said(await ask(conn)) == "Paris is the capital of France."
    async with client.realtime.connect(model="glassmate") as conn:  # the connection dropped; a new one
        await conn.recv()
        assert said(await ask(conn)) == "About 2.1 million people live there."
    second = [m.content for m in llm.calls[-1]]
    assert "What is the capital of France?" in second and "Paris is the capital of France." in second
    conversations = app.state.services.conversations
    for _ in range(50):  # the server saves as the session ends, just after the client left
        saved = [e["user"] for e in conversations.get("device:glasses")]
        if len(saved) == 2:
            break
        await asyncio.sleep(0.05)
    assert saved == ["What is the capital of France?", "How many people live there?"]


async def test_an_old_conversation_is_not_continued(glasses: Any) -> None:
    llm = ScriptedLLM(["Paris.", "I don't know what you mean."])
    client, _ = glasses(["What is the capital of France?", "How many people live there?"], llm=llm,
                        resume_history_s=0)  # fmt: skip
    for _ in range(2):
        async with client.realtime.connect(model="glassmate") as conn:
            await conn.recv()
            await ask(conn)
    assert "What is the capital of France?" not in [m.content for m in llm.calls[-1]]


async def test_forget_everything_from_today_in_chinese(glasses: Any) -> None:
    client, app = glasses([("记住我的储物柜是42号", "zh"), ("忘掉今天的所有内容", "zh"), ("我让你记住了什么", "zh")])
    services = app.state.services
    services.payments.fund("device:glasses", 1_000, "EUR")
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        assert said(await ask(conn)) == "好的，我记住了：我的储物柜是42号。"
        assert said(await ask(conn)) == "今天的内容都已删除：1条记忆、0个会议和我们的对话。"
        assert said(await ask(conn)) == "你还没有让我记住任何东西。"
    assert services.memories.list("device:glasses") == []
