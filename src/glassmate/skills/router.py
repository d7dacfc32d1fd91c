"""The router: deterministic skills first, in order; the LLM-backed "ask" skill last."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

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
from glassmate.skills.pay import PaySkill
from glassmate.skills.products import ProductSkill
from glassmate.skills.translate import TranslateSkill

if TYPE_CHECKING:
    from glassmate.products.catalog import Catalog


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


def default_router(catalog: Catalog | None = None) -> Router:
    """The built-in skills; with a product catalog, "what is this" first tries to identify a product."""
    products: list[Skill] = [ProductSkill(catalog)] if catalog is not None else []
    return Router(
        skills=[
            PaySkill(),  # first: while a payment is open, "stop" cancels it
            StopSkill(),
            RepeatSkill(),
            TimeSkill(),
            BatterySkill(),
            ReadTextSkill(),
            *products,
            WhatIsThisSkill(),
            TranslateSkill(),
        ],
        fallback=AskSkill(),
    )
