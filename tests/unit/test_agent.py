"""Typed tools, the agent loop and one path for REST and glasses, with fake models."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.errors import ToolError
from glassmate.providers.llm.base import ToolCall
from glassmate.providers.llm.tools_schema import ReplyStream
from glassmate.skills.base import Output, Skill, SkillPolicy, Turn
from glassmate.skills.installed import default_skills
from glassmate.skills.tools import ToolContext, tool, tools_of
from glassmate.testing import FakeEmbedder, ScriptedLLM, fake_models, fake_skills
from glassmate.testing.server import serve_in_thread


class Weather(Skill):
    """A toy skill: a data tool the agent reads back, a reply tool, one that fails, and one that hangs."""

    name = "weather"
    policy = SkillPolicy(icon="sun")

    @tool(returns="data", examples=("Is it going to rain today?", "What's the forecast?", "Wie wird das Wetter?"))
    async def forecast(self, ctx: ToolContext, city: str, days: int = 1) -> str:
        """The weather forecast for a city.

        Args:
            city: the city, as named by the wearer.
            days: how many days ahead, 1 to 7.
        """
        if city == "Atlantis":
            raise ToolError("I have no forecast for Atlantis.")
        return f"{city}: rain for {days} day(s), 12 °C"

    @tool(timeout_s=0.2)
    async def slow_report(self, ctx: ToolContext) -> AsyncGenerator[Output, None]:
        """A report that takes too long."""
        yield "Starting."
        await asyncio.sleep(5)

    @tool(agent=False)
    async def broken(self, ctx: ToolContext) -> str:
        """A tool with a bug."""
        raise RuntimeError("bug")


def test_the_schema_comes_from_the_signature_and_the_docstring() -> None:
    forecast = next(t for t in tools_of(Weather(env=None)) if t.name == "forecast")  # type: ignore[arg-type]
    assert forecast.description == "The weather forecast for a city."
    assert forecast.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "the city, as named by the wearer."},
            "days": {"type": "integer", "default": 1, "description": "how many days ahead, 1 to 7."},
        },
        "required": ["city"],
    }
    assert forecast.policy.returns == "data" and forecast.policy.examples
    assert forecast.validate({"city": "Oslo", "days": "3"}) == {"city": "Oslo", "days": 3}
    with pytest.raises(ToolError) as bad:
        forecast.validate({"days": 2})
    assert bad.value.code == "tool-arguments" and "city" in bad.value.message
    with pytest.raises(ToolError):
        forecast.validate({"city": "Oslo", "colour": "red"})  # no arguments beyond the schema


def test_a_tool_needs_a_docstring_and_an_async_method() -> None:
    with pytest.raises(TypeError):

        class NotAsync(Skill):
            name = "x"

            @tool
            def sync(self, ctx: ToolContext) -> str:  # type: ignore[misc]
                return ""

    class NoDoc(Skill):
        name = "y"

        @tool
        async def undocumented(self, ctx: ToolContext) -> str:
            return ""

    with pytest.raises(TypeError, match="docstring"):
        tools_of(NoDoc(env=None))  # type: ignore[arg-type]


async def test_a_tool_timeout_is_a_tool_error() -> None:
    skills = fake_skills([*default_skills(), Weather])
    ctx = ToolContext(turn=Turn(text="report"), env=skills.env)
    said = []
    with pytest.raises(ToolError) as late:
        async for out in skills.tools["slow_report"].run(ctx, {}):
            said.append(out)
    assert said == ["Starting."] and late.value.code == "tool-timeout"


async def run_agent(skills: Any, text: str, **turn: Any) -> tuple[str, Any]:
    ctx = ToolContext(turn=Turn(text=text, **turn), env=skills.env)
    out = [o async for o in skills.agent_route().run(ctx)]
    return "".join(o for o in out if isinstance(o, str)), ctx.trace


async def test_the_agent_answers_itself_when_no_tool_is_about_the_turn() -> None:
    llm = ScriptedLLM(["Five."])
    skills = fake_skills([*default_skills(), Weather], llm=llm)
    said, trace = await run_agent(skills, "Two plus three?")
    assert said == "Five." and trace.skills == ["ask"]
    assert llm.tools_seen == [[]]  # retrieval found nothing close: no tool was offered


async def test_the_agent_feeds_a_data_tool_back_and_then_answers() -> None:
    llm = ScriptedLLM([ToolCall("c1", "forecast", {"city": "Oslo"}), "Rain in Oslo today."])
    skills = fake_skills([*default_skills(), Weather], llm=llm)
    said, trace = await run_agent(skills, "What's the forecast for Oslo?")
    assert said == "Rain in Oslo today." and trace.skills == ["weather", "ask"]
    assert llm.tools_seen[0] == ["forecast"]  # one tool, the one the turn is about
    tool_message = llm.calls[1][-1]
    assert tool_message.role == "tool" and "Oslo: rain" in tool_message.content and tool_message.tool_call_id == "c1"
    assert llm.calls[1][-2].tool_calls[0].name == "forecast"


async def test_a_tool_its_skill_does_not_offer_now_is_not_shown_to_the_model() -> None:
    """Skill.offers: a tool that means nothing in the session's state (how far is it, with no route) is left out
    of retrieval, as if it did not exist; once it applies it is offered again."""

    class OfflineWeather(Weather):
        online = False

        def offers(self, tool: str) -> bool:
            return tool != "forecast" or self.online

    llm = ScriptedLLM(["I can't tell.", ToolCall("c1", "forecast", {"city": "Oslo"}), "Rain."])
    skills = fake_skills([*default_skills(), OfflineWeather], llm=llm)
    await run_agent(skills, "What's the forecast for Oslo?")
    skills.skills["weather"].online = True
    said, _ = await run_agent(skills, "What's the forecast for Oslo?")
    assert "forecast" not in llm.tools_seen[0] and llm.tools_seen[1] == ["forecast"] and said == "Rain."


async def test_the_model_sees_its_tool_mistakes_and_the_loop_is_bounded() -> None:
    bad_args = ToolCall("c1", "forecast", {"town": "Oslo"})
    unknown = ToolCall("c2", "launch_rocket", {})
    llm = ScriptedLLM([bad_args, unknown, ToolCall("c3", "forecast", {"city": "Oslo"}), "Never reached."])
    skills = fake_skills([*default_skills(), Weather], llm=llm)
    await run_agent(skills, "What's the forecast?")
    assert len(llm.calls) == 3  # agent.max_steps: the third call may only answer
    assert "error: forecast: city" in llm.calls[1][-1].content and "launch_rocket" in llm.calls[2][-1].content


async def test_a_tool_error_goes_back_to_the_model_and_a_reply_tool_answers_directly() -> None:
    llm = ScriptedLLM([ToolCall("c1", "forecast", {"city": "Atlantis"}), "I don't know that place."])
    skills = fake_skills([*default_skills(), Weather], llm=llm)
    said, _ = await run_agent(skills, "Is it going to rain in Atlantis today?")
    assert llm.calls[1][-1].content == "error: I have no forecast for Atlantis." and said == "I don't know that place."

    llm = ScriptedLLM([ToolCall("c1", "current_time", {})])
    skills = fake_skills(llm=llm)
    said, trace = await run_agent(skills, "what is the time now, do you know the time", now=0)
    assert said.startswith("It's ") and trace.skills == ["time"] and len(llm.calls) == 1


async def test_payment_never_runs_from_the_llm_alone() -> None:
    """The pay tool only opens the confirmation; over REST (no glasses) it refuses with its reason."""
    skills = fake_skills()
    pay = skills.tools["pay"]
    assert pay.policy.needs_confirmation and not pay.policy.cancellable
    with pytest.raises(ToolError) as refused:
        async for _ in pay.run(ToolContext(turn=Turn(text="pay"), env=skills.env), {}):
            pass
    assert refused.value.code == "needs-glasses"


def test_reply_stream_speaks_an_answer_as_it_arrives() -> None:
    reply = ReplyStream()
    pieces = [
        reply.feed(c) for c in ['{"ans', 'wer": "Hel', 'lo \\"wor', 'ld\\" \\u00e4', "\\u4f60\\u", '597d", ', "}"]
    ]
    assert "".join(pieces) == 'Hello "world" ä你好' and pieces[2] == 'lo "wor' and reply.answering
    call = ReplyStream()
    assert [call.feed(c) for c in ['{"tool": "forecast", ', '"arguments": {"city": "Oslo"}}']] == ["", ""]
    assert call.result().tool_calls[0].arguments == {"city": "Oslo"}


# -- one path for REST and glasses ----------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    marker = request.node.get_closest_marker("fakes")
    settings = Settings(home=tmp_path)
    app = create_app(settings, models=fake_models(settings, **(marker.kwargs if marker else {})))
    app.state.services.skills = [*default_skills(), Weather]
    _, key = app.state.services.api_keys.add("tests")
    with serve_in_thread(app) as base:
        yield {"app": app, "client": openai.OpenAI(api_key=key, base_url=f"{base}/v1", max_retries=0)}


@pytest.mark.parametrize(
    ("said", "route"),
    [("几点了？", "time"), ("Wie spät ist es?", "time"), ("Was ist das?", "identify"), ("这是什么？", "identify"),
     ("stopp", "stop"), ("Wie viel Akku habe ich noch?", "battery")],
)  # fmt: skip
def test_rest_routes_every_language_like_the_glasses(api: dict[str, Any], said: str, route: str) -> None:
    reply = api["client"].chat.completions.create(model="glassmate", messages=[{"role": "user", "content": said}])
    extra = reply.model_extra["glassmate"]
    assert (extra["route"], extra["matched_by"]) == (route, "intent"), extra
    if route == "time":
        assert reply.choices[0].message.content.startswith("现在是" if said == "几点了？" else "Es ist")


@pytest.mark.fakes(llm=ScriptedLLM([ToolCall("call_9", "book_taxi", {"to": "station"}), "Your taxi is booked."]))
def test_a_callers_tool_is_returned_as_a_tool_call_and_the_conversation_goes_on(api: dict[str, Any]) -> None:
    parameters = {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]}
    taxi = {
        "type": "function",
        "function": {"name": "book_taxi", "description": "Book a taxi.", "parameters": parameters},
    }
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Get me a taxi to the station."}]
    first = api["client"].chat.completions.create(model="glassmate", messages=messages, tools=[taxi])
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls" and call.function.name == "book_taxi"
    assert json.loads(call.function.arguments) == {"to": "station"}
    assert first.model_extra["glassmate"]["matched_by"] == "agent"
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "booked: car 7, 4 minutes"}]  # fmt: skip
    second = api["client"].chat.completions.create(model="glassmate", messages=messages, tools=[taxi])
    assert second.choices[0].message.content == "Your taxi is booked."
    llm = api["app"].state.services.models.llm
    assert [m.role for m in llm.calls[1][-3:]] == ["user", "assistant", "tool"]
    assert llm.calls[1][-1].content == "booked: car 7, 4 minutes" and llm.calls[1][-1].tool_call_id == call.id


@pytest.mark.fakes(llm=ScriptedLLM([ToolCall("call_9", "book_taxi", {"to": "station"})]))
def test_a_callers_tool_call_streams_in_openais_shape(api: dict[str, Any]) -> None:
    taxi = {"type": "function", "function": {"name": "book_taxi", "description": "Book a taxi.",
            "parameters": {"type": "object", "properties": {"to": {"type": "string"}}}}}  # fmt: skip
    stream = api["client"].chat.completions.create(
        model="glassmate", messages=[{"role": "user", "content": "A taxi to the station."}], tools=[taxi], stream=True
    )
    chunks = list(stream)
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].function.name == "book_taxi" and chunks[-1].choices[0].finish_reason == "tool_calls"


def test_the_fake_embedder_is_deterministic() -> None:
    async def both() -> Any:
        e = FakeEmbedder()
        return await e.embed(["hello world", "hello world", "你好"])

    vectors = asyncio.run(both())
    assert (vectors[0] == vectors[1]).all() and abs(float(vectors[0] @ vectors[0]) - 1) < 1e-5


@pytest.mark.fakes(llm=ScriptedLLM([ToolCall("c1", "forecast", {"city": "Oslo"})] * 2))
def test_a_bug_in_a_tool_is_logged_and_never_sent_as_a_traceback(
    api: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(self: Any, ctx: ToolContext, city: str, days: int = 1) -> str:
        raise RuntimeError("secret internals")

    broken.__glassmate_tool__ = Weather.forecast.__glassmate_tool__  # type: ignore[attr-defined]
    broken.__doc__, broken.__name__ = Weather.forecast.__doc__, "forecast"
    monkeypatch.setattr(Weather, "forecast", broken)
    with pytest.raises(openai.InternalServerError) as failed:
        api["client"].chat.completions.create(
            model="glassmate", messages=[{"role": "user", "content": "What's the forecast for Oslo?"}]
        )
    assert failed.value.body["code"] == "internal-error" and "secret" not in str(failed.value.body)  # type: ignore[index]
    assert "secret internals" in caplog.text  # the traceback is in the server's log
    stream = api["client"].chat.completions.create(
        model="glassmate", messages=[{"role": "user", "content": "What's the forecast for Oslo?"}], stream=True
    )
    with pytest.raises(openai.APIError) as mid_stream:
        list(stream)
    assert "secret" not in str(mid_stream.value)
