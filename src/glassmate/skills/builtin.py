"""Skills answered without the LLM: fast, predictable, and never at the mercy of a small model's parsing."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncGenerator

from glassmate.skills.ask import SceneContext, answer, read_scene
from glassmate.skills.base import SkillContext, Turn


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: what the intent patterns match against."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text.lower())).strip()


class PatternSkill:
    """A skill chosen when the whole utterance matches one of its patterns (regexes over `normalise`d text)."""

    name = "pattern"
    cancellable = True
    patterns: tuple[str, ...] = ()

    def match(self, turn: Turn) -> bool:
        said = normalise(turn.text)
        return any(re.fullmatch(p, said) for p in self.patterns)


class StopSkill(PatternSkill):
    """ "Stop" / "be quiet": ends what is playing; answers with silence."""

    name = "stop"
    patterns = (
        r"((and|wait|ok|okay|no|hey|oh) )?(please )?"
        r"(stop|cancel|be quiet|quiet|shut up|never ?mind|enough)( please)?( it)?",
    )

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        return
        yield  # an async generator that yields nothing


class RepeatSkill(PatternSkill):
    name = "repeat"
    patterns = (
        r"(can you |could you |please )?(repeat( that| it)?|say (that|it) again|what did you say|pardon)( please)?",
    )

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        last = next((ex.assistant for ex in reversed(turn.history) if ex.assistant), None)
        yield last or "I haven't said anything yet."


class TimeSkill(PatternSkill):
    name = "time"
    patterns = (r"(what time is it|what's the time|what is the time|tell me the time)( now)?( please)?",)

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        yield f"It's {time.strftime('%H:%M', time.localtime(turn.now))}."


class BatterySkill(PatternSkill):
    name = "battery"
    patterns = (r"(what's|what is|how much) (my |the )?battery( level| left)?|battery( level| status)?",)

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        level = turn.device.battery_level
        if level is None:
            yield "The glasses haven't reported their battery yet."
            return
        charging = ", charging" if turn.device.charging else ""
        yield f"Battery is at {round(level * 100)} percent{charging}."


FRESH_FRAME_S = 10.0  # an older frame no longer shows what the wearer is looking at


async def _scene(turn: Turn, ctx: SkillContext) -> SceneContext | None:
    if turn.frame is None or turn.frame.age_s() > FRESH_FRAME_S:
        return None
    return await read_scene(turn.frame.pixels(), ocr=ctx.models.ocr, codes=ctx.models.codes)


class ReadTextSkill(PatternSkill):
    """ "Read this": reads the text in view aloud, verbatim."""

    name = "read-text"
    patterns = (r"(please )?(read|read out|read aloud) (this|that|it|the text|the sign|the label)( for me)?( please)?",)

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        scene = await _scene(turn, ctx)
        if scene is None:
            yield "I can't see anything right now. Is the camera on?"
        elif not scene.lines:
            yield "I don't see any text."
        else:
            yield ". ".join(line.text for line in scene.lines) + "."


class WhatIsThisSkill(PatternSkill):
    """ "What is this": the codes and text in view, explained by the LLM in a sentence or two."""

    name = "what-is-this"
    patterns = (
        r"(hey glasses )?(what is|what's) (this|that)( thing)?",
        r"what am i looking at",
        r"what do (you|i) see",
    )

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        scene = await _scene(turn, ctx)
        if scene is None:
            yield "I can't see anything right now. Is the camera on?"
            return
        if scene.codes and not scene.lines:
            code = scene.codes[0]
            kind = "a QR code" if code.format.startswith("QR") else f"a {code.format} barcode"
            yield f"That's {kind}: {code.text}."
            return
        async for delta in answer("What is this? Answer in one sentence.", llm=ctx.models.llm, scene=scene):
            yield delta


class AskSkill:
    """Everything else: the LLM answers, with the recent conversation."""

    name = "ask"
    cancellable = True

    def match(self, turn: Turn) -> bool:
        return True

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        async for delta in answer(turn.text, llm=ctx.models.llm, history=turn.history):
            yield delta
