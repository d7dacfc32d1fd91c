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
