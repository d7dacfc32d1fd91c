"""Repeat: says the last answer again (also the double tap)."""

from __future__ import annotations

from glassmate.skills.base import Skill, SkillPolicy
from glassmate.skills.tools import ToolContext, tool

TEXTS = {"en": {"nothing": "I haven't said anything yet."}, "zh": {"nothing": "我还什么都没说呢。"},
         "de": {"nothing": "Ich habe noch nichts gesagt."}}  # fmt: skip


class RepeatSkill(Skill):
    name = "repeat"
    policy = SkillPolicy(icon="repeat", remembered=False, buttons=("double_tap",))

    @tool(timeout_s=2, side_effects=False)
    async def repeat_last(self, ctx: ToolContext) -> str:
        """Say the last answer again."""
        last = next((ex.assistant for ex in reversed(ctx.turn.history) if ex.assistant), None)
        return last or ctx.text(TEXTS, "nothing")
