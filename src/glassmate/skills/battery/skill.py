"""The glasses' battery level, as the device last reported it (`device.state`)."""

from __future__ import annotations

from glassmate.skills.base import Skill, SkillPolicy
from glassmate.skills.tools import ToolContext, tool

TEXTS = {
    "en": {
        "unknown": "The glasses haven't reported their battery yet.",
        "level": "Battery is at {percent} percent.",
        "charging": "Battery is at {percent} percent, charging.",
    },
    "zh": {
        "unknown": "眼镜还没有报告电量。",
        "level": "电量还有百分之{percent}。",
        "charging": "电量还有百分之{percent}，正在充电。",
    },
    "de": {
        "unknown": "Die Brille hat ihren Akkustand noch nicht gemeldet.",
        "level": "Der Akku ist bei {percent} Prozent.",
        "charging": "Der Akku ist bei {percent} Prozent und lädt.",
    },
}


class BatterySkill(Skill):
    name = "battery"
    policy = SkillPolicy(icon="battery")

    @tool(timeout_s=2, side_effects=False)
    async def battery_level(self, ctx: ToolContext) -> str:
        """Tell how much battery the glasses have left and whether they are charging."""
        level = ctx.turn.device.battery_level
        if level is None:
            return ctx.text(TEXTS, "unknown")
        key = "charging" if ctx.turn.device.charging else "level"
        return ctx.text(TEXTS, key, percent=round(level * 100))
