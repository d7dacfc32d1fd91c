"""The router: deterministic skills first, in order; the LLM-backed "ask" skill last."""

from __future__ import annotations

from collections.abc import Sequence

from glassmate.skills.base import Skill, Turn
from glassmate.skills.builtin import (
    AskSkill,
    BatterySkill,
    ReadTextSkill,
    RepeatSkill,
    StopSkill,
    TimeSkill,
    WhatIsThisSkill,
)
from glassmate.skills.translate import TranslateSkill


class Router:
    def __init__(self, *, skills: Sequence[Skill], fallback: Skill) -> None:
        self.skills = list(skills)
        self.fallback = fallback

    def route(self, turn: Turn) -> Skill:
        """The skill that answers this turn: the first deterministic match, else the fallback."""
        for skill in self.skills:
            if skill.match(turn):
                return skill
        return self.fallback

    def get(self, name: str) -> Skill | None:
        return next((s for s in [*self.skills, self.fallback] if s.name == name), None)


def default_router() -> Router:
    """The built-in skills; later skills (translate, identify, pay…) are inserted before the fallback."""
    return Router(
        skills=[
            StopSkill(),
            RepeatSkill(),
            TimeSkill(),
            BatterySkill(),
            ReadTextSkill(),
            WhatIsThisSkill(),
            TranslateSkill(),
        ],
        fallback=AskSkill(),
    )
