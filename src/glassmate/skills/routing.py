"""The skills of one session (or one REST request) and the routing of its turns, in this order:

1. the activity in focus claims the turn (a payment waiting for "confirm", translation mode);
2. intents, in the language the turn was detected in, then the wearer's, then the others: a match calls the same
   typed tool the LLM would, with the slots as arguments;
3. the agent: the LLM with the session's tools, in a bounded loop.

Every route records the skill that answered and what chose it (`matched_by`), reported with each response.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from glassmate.errors import ConfigError
from glassmate.providers.llm.base import ToolSpec
from glassmate.skills.base import LANGUAGES, Activity, DeviceInfo, Frame, Output, Skill, SkillEnv, SkillPolicy, Turn
from glassmate.skills.intents import IntentMatcher
from glassmate.skills.tools import Tool, ToolContext, tools_of

if TYPE_CHECKING:
    from glassmate.agent.loop import Agent

MatchedBy = Literal["activity", "intent", "agent", "button"]
AGENT_SKILL = "ask"  # the route of turns the agent answers itself

log = logging.getLogger("glassmate.skills")


@dataclass
class Route:
    """What answers a turn: a skill's tool with its arguments, an activity's step, or the agent."""

    skill: str
    matched_by: MatchedBy
    run: Callable[[ToolContext], AsyncGenerator[Output, None]]
    policy: SkillPolicy
    cancellable: bool = True
    # An activity handled the turn without answering it (the other party's words in translation mode).
    silent: bool = False
    language: str | None = None  # the language an intent matched in: the reply's
    tool: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)


def tool_route(tool: Tool, args: Mapping[str, Any], *, matched_by: MatchedBy, language: str | None = None) -> Route:
    """A route that calls `tool` with `args`; a ToolError is the answer the wearer hears ("I can't see anything")."""
    return Route(skill=tool.skill.name, matched_by=matched_by, run=lambda ctx: tool.answer(ctx, args),
                 policy=tool.skill.policy, cancellable=tool.policy.cancellable, language=language, tool=tool.name,
                 args=args)  # fmt: skip


def say_route(text: str, *, skill: str, policy: SkillPolicy, cancellable: bool = True) -> Route:
    """A route that says `text` (an activity's step: a translation to speak, a payment's prompt)."""

    async def run(ctx: ToolContext) -> AsyncGenerator[Output, None]:
        ctx.trace.used(skill)
        yield text

    return Route(skill=skill, matched_by="activity", run=run, policy=policy, cancellable=cancellable)


class Skills:
    """The skill instances of one session, their tools and intents, the activities in focus, and the router."""

    def __init__(self, *, skills: Sequence[Skill], intents: IntentMatcher, env: SkillEnv,
                 caller_tools: Sequence[ToolSpec] = ()) -> None:  # fmt: skip
        self.skills = {s.name: s for s in skills}
        self.env = env
        self.intents = intents
        self.tools: dict[str, Tool] = {}
        for skill in skills:
            for t in tools_of(skill):
                if t.name in self.tools:
                    raise ConfigError(f"two skills declare the tool {t.name!r}")
                self.tools[t.name] = t
        self.caller_tools = list(caller_tools)  # tools a REST caller offered: returned to it, never run here
        self.activities: list[Activity] = []  # in focus, newest last

    @classmethod
    def build(cls, classes: Sequence[type[Skill]], env: SkillEnv, *, caller_tools: Sequence[ToolSpec] = ()) -> Skills:
        """Instantiate the skills for one session or request (no I/O: models load on first use)."""
        instances = [klass(env=env) for klass in classes]
        names = [s.name for s in instances]
        if len(set(names)) != len(names):
            raise ConfigError(f"skill names must be unique: {names}")
        tool_owners = {t.name: s.name for s in instances for t in tools_of(s)}
        return cls(skills=instances, intents=IntentMatcher(classes, tools=tool_owners), env=env,
                   caller_tools=caller_tools)  # fmt: skip

    # -- what skills and activities ask for -------------------------------------------------------------------

    def policy(self, skill: str) -> SkillPolicy:
        found = self.skills.get(skill)
        return found.policy if found is not None else SkillPolicy()

    def focus(self, activity: Activity) -> None:
        if activity in self.activities:
            self.activities.remove(activity)
        self.activities.append(activity)

    def release(self, activity: Activity) -> None:
        if activity in self.activities:
            self.activities.remove(activity)

    def listener(self) -> Activity | None:
        """The activity in focus that listens to utterances clause by clause, if any."""
        return next((a for a in reversed(self.activities) if a.listens), None)

    def on_open(self) -> None:
        for skill in self.skills.values():
            skill.on_open()

    def on_close(self) -> None:
        for skill in self.skills.values():
            try:
                skill.on_close()
            except Exception:  # one skill's cleanup must not keep the others' from running
                log.exception("skill %s: on_close failed", skill.name)

    def on_frame(self, frame: Frame) -> None:
        for skill in self.skills.values():
            skill.on_frame(frame)

    def on_device(self, device: DeviceInfo) -> None:
        for skill in self.skills.values():
            skill.on_device(device)

    def on_audio(self, samples: np.ndarray) -> None:
        for skill in self.skills.values():
            skill.on_audio(samples)

    def handles(self, event: Any) -> Skill | None:
        """The skill that handles this extension event, if any."""
        return next((s for s in self.skills.values() if isinstance(event, s.events)), None)

    # -- routing ----------------------------------------------------------------------------------------------

    def match(self, turn: Turn) -> Route | None:
        """Step 2 alone: the intent that matches the turn, as a route."""
        languages = [lang for lang in (turn.language, turn.wearer_language, *LANGUAGES) if lang in LANGUAGES]
        found = self.intents.match(turn.text, languages)
        if found is None:
            return None
        return tool_route(self.tools[found.tool], found.args, matched_by="intent", language=found.language)

    def route(self, turn: Turn, *, agent: bool = True) -> Route:
        """The route of a turn: an activity's claim, else an intent, else the agent."""
        matched = self.match(turn)
        for activity in reversed(self.activities):
            claimed = activity.claim(turn, matched)
            if claimed is not None:
                return claimed
        if matched is not None:
            return matched
        return self.agent_route()

    def is_command(self, turn: Turn, *, listener: Activity) -> bool:
        """For an activity that listens (translation): are these words for the glasses rather than for it?"""
        matched = self.match(turn)
        if any(a is not listener and a.claim(turn, matched) is not None for a in self.activities):
            return True
        return matched is not None and matched.policy.command_while_busy

    def on_options(self, config: Any) -> None:
        for skill in self.skills.values():
            skill.on_options(config)

    def agent(self) -> Agent:
        """The agent over this session's tools (and a REST caller's)."""
        from glassmate.agent.loop import Agent
        from glassmate.agent.retrieval import ToolIndex, examples

        settings = self.env.settings.agent
        tools = [t for t in self.tools.values() if t.policy.agent]
        index = ToolIndex(embedder=self.env.models.embedder, examples=examples(self.intents, tools))
        return Agent(llm=self.env.models.llm, tools=tools, caller_tools=self.caller_tools,
                     max_steps=settings.max_steps, index=index, offer=settings.offer_tools,
                     min_similarity=settings.min_similarity,
                     available=lambda name: self.tools[name].skill.offers(name))  # fmt: skip

    def agent_route(self) -> Route:
        return Route(skill=AGENT_SKILL, matched_by="agent", run=self.agent().run, policy=self.policy(AGENT_SKILL))

    def button(self, button: str) -> Route | None:
        """What a device button does: the activity in focus decides first, then the skill that declares it."""
        for activity in reversed(self.activities):
            claimed = activity.claim_button(button)
            if claimed is not None:
                return claimed
        for skill in self.skills.values():
            if button in skill.policy.buttons:
                first = next(t for t in self.tools.values() if t.skill is skill)
                return tool_route(first, {}, matched_by="button")
        return None
