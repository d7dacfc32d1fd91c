"""Stop: ends the answer that is playing (the new turn cancels it) and says nothing."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from glassmate.skills.base import Output, Skill, SkillPolicy
from glassmate.skills.tools import ToolContext, tool


class StopSkill(Skill):
    name = "stop"
    policy = SkillPolicy(icon="stop", command_while_busy=True, remembered=False, summary_card=False)

    @tool(timeout_s=1)
    async def stop_speaking(self, ctx: ToolContext) -> AsyncGenerator[Output, None]:
        """Stop talking at once (the wearer said stop, quiet, enough)."""
        return
        yield  # an answer of silence
