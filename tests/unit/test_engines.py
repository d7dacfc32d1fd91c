"""The engine scheduler: one thread per model, the most urgent caller first, nothing held while waiting."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import numpy as np
import pytest

from glassmate.engines import Engine, Priority, current_priority, priority
from glassmate.testing import FakeASR, silence, tone
from glassmate.testing.fakes import BusyLLM
from tests.unit.test_session_flows import collect, send_audio


async def test_jobs_run_most_urgent_first_then_oldest_first() -> None:
    engine = Engine("test")
    gate = threading.Event()
    order: list[str] = []
    started = threading.Event()
    first = engine.submit(lambda: (started.set(), gate.wait()))  # holds the engine while the others queue up
    await asyncio.to_thread(started.wait)
    jobs = []
    for name, level in [("bulk", Priority.BULK), ("rest-1", Priority.REQUEST), ("turn", Priority.INTERACTIVE),
                        ("rest-2", Priority.REQUEST), ("meeting", Priority.BACKGROUND)]:  # fmt: skip
        jobs.append(engine.submit(lambda name=name: order.append(name), level=level))
    assert engine.waiting == 5
    gate.set()
    for job in [first, *jobs]:
        await asyncio.wrap_future(job)
    assert order == ["turn", "rest-1", "rest-2", "meeting", "bulk"]


async def test_a_job_cancelled_while_queued_is_dropped_and_errors_reach_the_caller() -> None:
    engine = Engine("test")
    gate = threading.Event()
    ran: list[str] = []
    blocker = asyncio.ensure_future(engine.run(gate.wait))
    waiting = asyncio.ensure_future(engine.run(lambda: ran.append("dropped")))
    await asyncio.sleep(0.05)
    waiting.cancel()
    await asyncio.sleep(0.01)  # the cancellation reaches the queued job on the loop's next turn
    gate.set()
    await blocker

    def broken() -> None:
        raise ValueError("engine said no")

    with pytest.raises(ValueError, match="engine said no"):
        await engine.run(broken)
    assert ran == [] and engine.waiting == 0


async def test_the_callers_context_sets_the_priority() -> None:
    assert current_priority() is Priority.REQUEST
    engine = Engine("test")
    seen: list[Priority | None] = []
    with priority(Priority.BACKGROUND):
        await engine.run(lambda: seen.append(engine.running))

        async def child() -> None:
            await engine.run(lambda: seen.append(engine.running))

        await asyncio.create_task(child())  # a task started inside the block inherits it
    await engine.run(lambda: seen.append(engine.running))
    assert seen == [Priority.BACKGROUND, Priority.BACKGROUND, Priority.REQUEST]


async def test_a_stream_closed_early_frees_the_engine() -> None:
    llm = BusyLLM(["one two three four five six"], busy_s=0.0)
    llm.delay_s = 0.05
    from glassmate.providers.llm.base import ChatMessage

    async with asyncio.timeout(5):
        stream = llm.stream([ChatMessage("user", "hi")])
        async for _ in stream:
            break
        await stream.aclose()
        assert await llm._run_blocking(lambda: "free") == "free"


async def _until(condition: Any) -> None:
    while not condition():  # noqa: ASYNC110 - the condition is another thread's state
        await asyncio.sleep(0.02)


async def test_a_login_and_a_realtime_turn_stay_fast_while_16_rest_chats_wait(make_server: Any) -> None:
    """Sixteen REST chat requests queue on the one LLM (each holds it 0.25 s). A device's request (its token checked
    and the store read in worker threads) is answered while most of them still wait, since no thread is held by
    a waiting call; and the
    wearer's realtime turn, which needs the LLM too, is served as soon as the call on the engine ends: next,
    ahead of the queue."""
    llm = BusyLLM(busy_s=0.25)
    client, app = make_server(llm=llm, asr=FakeASR(["Tell me a joke about cats"]))
    base = str(client.base_url).removesuffix("/v1/")
    headers = {"Authorization": f"Bearer {client.api_key}"}
    finished: list[str] = []
    _, key = app.state.services.api_keys.add("app")
    rest_client = client.with_options(api_key=key)

    async def chat(i: int) -> None:
        await rest_client.chat.completions.create(model="glassmate", messages=[{"role": "user", "content": f"Q{i}?"}])
        finished.append(f"rest-{i}")

    rest = [asyncio.create_task(chat(i)) for i in range(16)]
    async with asyncio.timeout(30):
        await _until(lambda: llm._jobs.waiting >= 12)
        async with httpx.AsyncClient(base_url=base) as http:
            answer = await http.get("/v1/memories", headers=headers)
        assert answer.status_code == 200
        assert len(finished) <= 4, f"the login waited for the queue: {finished}"

        async with client.realtime.connect(model="glassmate") as conn:
            await conn.recv()
            queued_before = len(llm.served)
            await send_audio(conn, np.concatenate([silence(0.3, rate=24_000).samples, tone(0.8, rate=24_000).samples,
                                                   silence(1.0, rate=24_000).samples]))  # fmt: skip
            events = await collect(conn, "response.done")
        assert events[-1].response.status == "completed"
        assert events[-1].response.metadata["route"] == "ask"
        # The turn's LLM call ran at INTERACTIVE priority, right after the call that held the engine.
        turn_at = llm.served.index("INTERACTIVE")
        assert turn_at <= queued_before + 1, llm.served
        assert len(finished) < 12, "the turn waited for the REST queue"
        await asyncio.gather(*rest)
    assert llm.served.count("REQUEST") == 16 and len(finished) == 16


async def test_healthz_says_warming_up_until_a_first_turn_needs_nothing_more(tmp_path: Any) -> None:
    """The server answers at once, saying `warming_up` while the warm-up loads the models (here the fake LLM's
    prefill holds it); then `ready`, with the artwork index built and the prompt prefilled."""
    from glassmate.api.app import create_app
    from glassmate.config import Settings
    from glassmate.testing import FakeASR, fake_models
    from glassmate.testing.fakes import FakeTurn
    from glassmate.testing.server import serve_in_thread

    settings = Settings(home=tmp_path)
    llm = BusyLLM(busy_s=1.5)
    asr, turn = FakeASR(), FakeTurn()
    app = create_app(settings, models=fake_models(settings, llm=llm, asr=asr, turn=turn), preload=True)
    app.state.services.devices.add("glasses")  # the database is migrated before the server starts, as `serve` does
    built: list[str] = []
    catalog = app.state.services.catalog
    original = catalog.appearance
    catalog.appearance = lambda: (built.append("artwork"), original())[1]
    with serve_in_thread(app) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            first = (await http.get("/healthz")).json()
            async with asyncio.timeout(20):
                while (await http.get("/healthz")).json()["state"] == "warming_up":  # noqa: ASYNC110 - a server's
                    await asyncio.sleep(0.1)
            last = (await http.get("/healthz")).json()
    assert first["status"] == "ok" and first["state"] == "warming_up" and first["warm"] is False
    assert last["state"] == "ready" and last["warm"] is True, app.state.services.warm_error
    assert built == ["artwork"] and llm.served  # the warm-up built the index and prefilled the prompt
    # and ran once what a spoken turn runs: Whisper in English (tiny.en) and in another language (base), Smart Turn
    assert len(asr.durations) == 2 and len(turn.asked) == 1
