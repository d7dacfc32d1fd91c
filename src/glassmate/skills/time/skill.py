"""The local time, said in the wearer's language."""

from __future__ import annotations

import time

from glassmate.skills.base import Skill, SkillPolicy
from glassmate.skills.tools import ToolContext, tool

TEXTS = {
    "en": {"now": "It's {hhmm}."},
    "zh": {"now": "现在是{hour}点{minute}分。"},
    "de": {"now": "Es ist {hour} Uhr {minute}."},
}


class TimeSkill(Skill):
    name = "time"
    policy = SkillPolicy(icon="clock")

    @tool(timeout_s=2, side_effects=False)
    async def current_time(self, ctx: ToolContext) -> str:
        """Tell the current local time."""
        now = time.localtime(ctx.turn.now)
        return ctx.text(TEXTS, "now", hhmm=time.strftime("%H:%M", now), hour=now.tm_hour, minute=f"{now.tm_min:02d}")
