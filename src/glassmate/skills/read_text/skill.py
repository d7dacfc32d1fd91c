"""Reading what is in view: the text aloud, verbatim; or the text and codes as data for the agent's answer."""

from __future__ import annotations

import asyncio

import numpy as np

from glassmate.agent.prompt import FRESH_FRAME_S, SceneContext, read_scene
from glassmate.errors import ToolError
from glassmate.skills.base import Skill, SkillPolicy
from glassmate.skills.tools import ToolContext, tool

TEXTS = {
    "en": {"no_camera": "I can't see anything right now. Is the camera on?", "no_text": "I don't see any text."},
    "zh": {"no_camera": "我现在什么也看不到。摄像头开着吗？", "no_text": "我没有看到文字。"},
    "de": {"no_camera": "Ich sehe gerade nichts. Ist die Kamera an?", "no_text": "Ich sehe keinen Text."},
}


async def frame_in_view(ctx: ToolContext) -> np.ndarray:
    """The turn's camera frame as pixels (decoded off the event loop); ToolError, which the wearer hears, when
    there is no recent frame."""
    frame = ctx.turn.frame
    if frame is None or frame.age_s() > FRESH_FRAME_S:
        raise ToolError(ctx.text(TEXTS, "no_camera"), code="no-frame")
    return await asyncio.to_thread(frame.pixels)


async def scene_in_view(ctx: ToolContext) -> SceneContext:
    """OCR and codes of the turn's frame."""
    return await read_scene(await frame_in_view(ctx), ocr=ctx.models.ocr, codes=ctx.models.codes)


class ReadTextSkill(Skill):
    name = "read-text"
    policy = SkillPolicy(icon="text", models=("ocr", "codes"))

    @tool(timeout_s=20, side_effects=False)
    async def read_text(self, ctx: ToolContext) -> str:
        """Read aloud, word for word, the text the camera sees (a sign, a label, a page)."""
        scene = await scene_in_view(ctx)
        if not scene.lines:
            return ctx.text(TEXTS, "no_text")
        separator = "。" if ctx.language == "zh" else ". "
        return separator.join(line.text for line in scene.lines) + separator.strip()

    @tool(
        timeout_s=20,
        returns="data",
        examples=(
            "What's on this menu?",
            "Does the sign say when they open?",
            "Which gate is written on the board?",
            "What are the ingredients on this label?",
            "菜单上有什么菜？",
            "牌子上写的营业时间是几点？",
            "这个说明书上怎么说？",
            "Was steht auf der Speisekarte?",
            "Steht auf dem Schild, wann der Zug fährt?",
            "Welche Zutaten stehen drauf?",
        ),
        side_effects=False,
    )
    async def look(self, ctx: ToolContext) -> str:
        """Get the text and barcodes the camera sees now, to answer a question about what the wearer is
        looking at (a menu, a sign, a label)."""
        return (await scene_in_view(ctx)).describe()
