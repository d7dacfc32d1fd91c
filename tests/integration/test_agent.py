"""The agent on the real embedded models: for utterances no intent matches, the right tool is chosen (the tools are
offered by the sentence-embedding model, the choice is the LLM's), and a question that needs no tool is answered."""

from __future__ import annotations

import pytest

from glassmate.runtime import Models
from glassmate.skills.base import SkillEnv, Turn
from glassmate.skills.installed import default_skills
from glassmate.skills.routing import Skills
from glassmate.skills.tools import ToolContext


@pytest.fixture(scope="module")
def skills(models: Models) -> Skills:
    models.store.ensure("embed")
    return Skills.build(default_skills(), SkillEnv(models=models, settings=models.settings))


@pytest.mark.parametrize(
    ("said", "skill"),
    [
        ("Is it already past noon?", "time"),
        ("电池快没了吗？", "battery"),
        ("Reicht der Akku noch für eine Stunde?", "battery"),
        ("Kennst du dieses Produkt?", "identify"),
        ("我要用这个二维码付钱。", "pay"),
    ],
)
async def test_the_agent_calls_the_right_tool(skills: Skills, said: str, skill: str) -> None:
    turn = Turn(text=said)
    assert skills.match(turn) is None  # no intent: this is the agent's decision
    route = skills.route(turn)
    ctx = ToolContext(turn=turn, env=skills.env)
    answer = "".join([out async for out in route.run(ctx) if isinstance(out, str)])
    assert route.matched_by == "agent" and ctx.trace.skills[-1] == skill, (said, ctx.trace.skills, answer)
    assert answer  # the tool's own words (or why it could not: no camera, no glasses to pay with)


async def test_a_question_that_needs_no_tool_is_answered(skills: Skills) -> None:
    turn = Turn(text="What is 2+3?")
    ctx = ToolContext(turn=turn, env=skills.env)
    answer = "".join([out async for out in skills.route(turn).run(ctx) if isinstance(out, str)])
    assert ctx.trace.skills == ["ask"] and "5" in answer


async def test_a_data_tool_is_read_back_and_answered(skills: Skills) -> None:
    """ "Anything vegetarian on this menu?": the agent reads the view (`look`), then answers from it."""
    from glassmate.skills.base import Frame
    from glassmate.testing.scenes import jpeg_bytes, render_label

    frame = Frame(jpeg_bytes(render_label(["MENU", "Veggie burger 9.50", "Fish soup 12.00"])), 0)
    turn = Turn(text="Is there anything vegetarian on this menu?", frame=frame)
    ctx = ToolContext(turn=turn, env=skills.env)
    answer = "".join([out async for out in skills.route(turn).run(ctx) if isinstance(out, str)])
    assert ctx.trace.skills == ["read-text", "ask"] and answer and "{" not in answer


async def test_a_callers_tool_round_trip(models: Models) -> None:
    """REST: the caller's tool is called (returned to it), and its result is turned into an answer, not a repeat
    of the call."""
    from glassmate.providers.llm.base import ChatMessage, ToolSpec

    taxi = ToolSpec("book_taxi", "Book a taxi to a place.",
                    {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]})  # fmt: skip
    skills = Skills.build(default_skills(), SkillEnv(models=models, settings=models.settings), caller_tools=[taxi])
    asked = Turn(text="Get me a taxi to the station.")
    ctx = ToolContext(turn=asked, env=skills.env)
    assert [out async for out in skills.route(asked).run(ctx)] == []
    (call,) = ctx.trace.caller_calls
    assert call.name == "book_taxi" and "station" in call.arguments.get("to", "").lower()
    transcript = [ChatMessage("user", asked.text), ChatMessage("assistant", "", tool_calls=(call,)),
                  ChatMessage("tool", "booked: car 7, arrives in 4 minutes", tool_call_id=call.id)]  # fmt: skip
    after = ToolContext(turn=Turn(text=asked.text, transcript=transcript), env=skills.env)
    answer = "".join([out async for out in skills.agent_route().run(after) if isinstance(out, str)])
    assert after.trace.caller_calls == [] and answer and "{" not in answer
