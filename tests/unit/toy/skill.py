"""`count`: counts slowly, and cannot be interrupted once started (like a payment)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from glassmate.skills.base import Output, Skill, SkillPolicy
from glassmate.skills.tools import ToolContext, tool

WORDS = {"en": ["one", "two", "three", "four", "five"], "zh": ["一", "二", "三", "四", "五"],
         "de": ["eins", "zwei", "drei", "vier", "fünf"]}  # fmt: skip


class CountSkill(Skill):
    name = "count"
    policy = SkillPolicy(icon="count", remembered=False)

    @tool(timeout_s=10, cancellable=False)
    async def count_slowly(self, ctx: ToolContext, to: int = 3) -> AsyncGenerator[Output, None]:
        """Count out loud, slowly, from one.

        Args:
            to: the number to count to, at most five.
        """
        for i, word in enumerate(WORDS[ctx.language][: max(1, min(to, 5))]):
            await asyncio.sleep(0.15)
            yield word if i == 0 else f" {word}"
