"""A countdown timer: "set a timer for 5 minutes", "定时十分钟", "Stell einen Timer auf 3 Minuten"."""

from __future__ import annotations

import asyncio

from glassmate.errors import ToolError
from glassmate.skills.base import Skill, SkillPolicy
from glassmate.skills.tools import ToolContext, tool

TEXTS = {
    "en": {"set": "Timer set for {minutes} minutes.", "done": "Time's up!", "glasses": "Timers run on the glasses."},
    "zh": {"set": "已设定{minutes}分钟的计时。", "done": "时间到了！", "glasses": "计时器要在眼镜上使用。"},
    "de": {
        "set": "Timer auf {minutes} Minuten gestellt.",
        "done": "Die Zeit ist um!",
        "glasses": "Timer gibt es auf der Brille.",
    },
}


class TimerSkill(Skill):
    name = "timer"
    # Still a command while translation runs; its answers are not conversation for the LLM.
    policy = SkillPolicy(icon="timer", command_while_busy=True, remembered=False)
    seconds_per_minute = 60.0  # a test makes minutes short

    @tool(timeout_s=2, examples=("Remind me in ten minutes.", "十分钟后叫我。", "Weck mich in einer Viertelstunde."))
    async def start_timer(self, ctx: ToolContext, minutes: int) -> str:
        """Start a countdown; the glasses say when it is over.

        Args:
            minutes: how long, 1 to 180 minutes.
        """
        if self.port is None:  # a REST request: no glasses to ring
            raise ToolError(ctx.text(TEXTS, "glasses"), code="needs-glasses")
        if not 1 <= minutes <= 180:
            raise ToolError("A timer can run from 1 to 180 minutes.", code="timer-range")
        self.port.spawn(self._ring(minutes, ctx.language), name="timer")  # owned by the session: ends with it
        return ctx.text(TEXTS, "set", minutes=minutes)

    async def _ring(self, minutes: int, language: str) -> None:
        await asyncio.sleep(minutes * self.seconds_per_minute)
        assert self.port is not None
        await self.port.say(TEXTS[language]["done"], skill=self.name, language=language)
