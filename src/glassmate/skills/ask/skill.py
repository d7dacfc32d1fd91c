"""Ask: the route of turns the agent answers in its own words. It has no tools of its own; it names the policy
of those answers (remembered in the conversation, a chat icon on the HUD)."""

from __future__ import annotations

from glassmate.skills.base import Skill, SkillPolicy


class AskSkill(Skill):
    name = "ask"
    policy = SkillPolicy(icon="chat", models=("llm",))
