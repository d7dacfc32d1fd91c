"""Typed tools: a skill's `@tool` async methods, with a JSON schema made from the signature and the docstring.

The same tool is called by an intent (its slots become the arguments), by the agent (the LLM's arguments,
validated against the schema) and by a button. Each declares its policy: timeout, whether barge-in cancels it,
whether it only opens a confirmation, and whether its result is the answer or data for the LLM.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_type_hints

import docstring_parser
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from glassmate.errors import ToolError
from glassmate.providers.llm.base import ToolSpec
from glassmate.skills.base import Card, Output, Port, Skill, SkillEnv, Turn
from glassmate.text import normalise

if TYPE_CHECKING:
    from glassmate.runtime import Models

log = logging.getLogger("glassmate.skills")
_POLICY_ATTR = "__glassmate_tool__"


@dataclass(frozen=True)
class ToolPolicy:
    timeout_s: float = 30.0
    cancellable: bool = True  # False: barge-in does not cut it off once started (paying)
    # True: the tool only opens a confirmation the wearer must give (by voice and gesture); it never acts on the
    # LLM's word alone.
    needs_confirmation: bool = False
    # "reply": what it yields is the answer, spoken as it comes; "data": it goes back to the LLM, which answers.
    returns: Literal["reply", "data"] = "reply"
    agent: bool = True  # offered to the agent (False: reached by intents, buttons or activities only)
    # What a wearer might say to mean this tool, beyond its intents (which are examples too): for tool retrieval.
    examples: tuple[str, ...] = ()
    # False: it only reads (the time, the camera's text, the map) and changes nothing, so it may run while the
    # wearer might still be speaking (an answer started early, session/speculation.py). A tool that acts waits
    # until the turn has ended.
    side_effects: bool = True


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    timeout_s: float = 30.0,
    cancellable: bool = True,
    needs_confirmation: bool = False,
    returns: Literal["reply", "data"] = "reply",
    agent: bool = True,
    examples: tuple[str, ...] = (),
    side_effects: bool = True,
) -> Any:
    """Mark an async method of a Skill as a tool: `@tool` or `@tool(timeout_s=5, cancellable=False)`."""
    policy = ToolPolicy(timeout_s=timeout_s, cancellable=cancellable, needs_confirmation=needs_confirmation,
                        returns=returns, agent=agent, examples=examples, side_effects=side_effects)  # fmt: skip

    def mark(f: Callable[..., Any]) -> Callable[..., Any]:
        if not (inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f)):
            raise TypeError(f"@tool {f.__qualname__} must be an async method")
        setattr(f, _POLICY_ATTR, policy)
        return f

    return mark(fn) if fn is not None else mark


@dataclass
class Trace:
    """What ran for one turn: the skills whose tools ran, and the calls the agent returned to a REST caller."""

    skills: list[str] = field(default_factory=list)
    caller_calls: list[Any] = field(default_factory=list)  # ToolCall

    def used(self, skill: str) -> None:
        if skill not in self.skills:
            self.skills.append(skill)


@dataclass
class ToolContext:
    """What a tool call gets besides its arguments: the turn, the skill's environment and the turn's trace."""

    turn: Turn
    env: SkillEnv
    trace: Trace = field(default_factory=Trace)
    # Set once the turn is known to have ended; None when it was (an answer not started early). A tool with side
    # effects waits for it.
    turn_ended: asyncio.Event | None = None

    @property
    def models(self) -> Models:
        return self.env.models

    @property
    def port(self) -> Port | None:
        return self.env.port

    @property
    def language(self) -> str:
        return self.turn.reply_language

    def text(self, table: Mapping[str, Mapping[str, str]], key: str, /, **values: Any) -> str:
        """`table[language][key]` filled with `values`, in the language of the reply (English if missing)."""
        return phrase(table, self.language, key, **values)


def phrase(table: Mapping[str, Mapping[str, str]], language: str, key: str, /, **values: Any) -> str:
    """`table[language][key]` filled with `values` (English where the language or the key is missing)."""
    texts = table.get(language) or table["en"]
    return (texts.get(key) or table["en"][key]).format(**values)


def said_in(value: str, text: str) -> bool:
    """Whether a tool argument "as said" is in the wearer's words (case, punctuation and spacing aside): a small
    LLM fills such an argument from its description's examples when the wearer said none."""

    said = normalise(value)
    return bool(said) and said in normalise(text)


@dataclass(frozen=True)
class Phrases:
    """Texts in one language, for what speaks outside a tool call (an activity's announcements): the same
    `language` and `text` as a ToolContext."""

    language: str

    def text(self, table: Mapping[str, Mapping[str, str]], key: str, /, **values: Any) -> str:
        return phrase(table, self.language, key, **values)


class Speaks(Protocol):
    """A ToolContext or Phrases: what texts in the wearer's language need."""

    @property
    def language(self) -> str: ...

    def text(self, table: Mapping[str, Mapping[str, str]], key: str, /, **values: Any) -> str: ...


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _strip_titles(schema: Any) -> Any:
    """Pydantic's schema without its "title" keys: they cost prompt tokens and tell a small model nothing."""
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if k != "title" or not isinstance(v, str)}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


def _describe(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    doc = docstring_parser.parse(inspect.getdoc(fn) or "")
    description = " ".join(" ".join(p.split()) for p in (doc.short_description, doc.long_description) if p)
    return description, {p.arg_name: " ".join((p.description or "").split()) for p in doc.params}


@lru_cache(maxsize=512)
def _signature(fn: Callable[..., Any]) -> tuple[str, type[BaseModel], dict[str, Any]]:
    """A tool function's description, argument model and JSON schema (made once per function: a session or a
    REST request binds every tool anew)."""
    description, params = _describe(fn)
    if not description:
        raise TypeError(f"@tool {fn.__qualname__} needs a docstring: it is the tool's description")
    hints = get_type_hints(fn)
    fields: dict[str, Any] = {}
    for i, (pname, param) in enumerate(inspect.signature(fn).parameters.items()):
        if i < 2:  # self, ctx
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (hints[pname], Field(default, description=params.get(pname) or None))
    model: type[BaseModel] = create_model(f"{fn.__name__}_args", __base__=_Args, **fields)
    schema = _strip_titles(model.model_json_schema())
    schema.pop("additionalProperties", None)
    return description, model, schema


class Tool:
    """One `@tool` method bound to its skill instance."""

    def __init__(self, skill: Skill, fn: Callable[..., Any], policy: ToolPolicy) -> None:
        self.skill = skill
        self.fn = fn
        self.policy = policy
        self.name = fn.__name__
        self.description, self.args_model, self.parameters = _signature(fn)

    @property
    def skill_name(self) -> str:
        return self.skill.name

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.parameters)

    def validate(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments checked against the schema; ToolError (which the LLM sees) when they do not fit."""
        try:
            return dict(self.args_model.model_validate(dict(args)))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "arguments"
            raise ToolError(f"{self.name}: {where}: {first['msg']}", code="tool-arguments") from exc

    async def run(self, ctx: ToolContext, args: Mapping[str, Any]) -> AsyncGenerator[Output, None]:
        """The tool's outputs. Its timeout bounds the whole call; ToolError becomes what the wearer hears."""
        checked = self.validate(args)
        if self.policy.side_effects and ctx.turn_ended is not None:
            await ctx.turn_ended.wait()  # the wearer may still be speaking: act only on a whole turn
        ctx.trace.used(self.skill.name)
        try:
            async with asyncio.timeout(self.policy.timeout_s):
                if inspect.isasyncgenfunction(self.fn):
                    async with aclosing(self.fn(self.skill, ctx, **checked)) as outputs:
                        async for out in outputs:
                            if out:
                                yield out
                else:
                    result = await self.fn(self.skill, ctx, **checked)
                    if isinstance(result, str | Card) and result:
                        yield result
        except TimeoutError:
            log.warning("tool %s timed out after %.0f s", self.name, self.policy.timeout_s)
            raise ToolError(f"{self.name} took too long", code="tool-timeout") from None

    async def answer(self, ctx: ToolContext, args: Mapping[str, Any]) -> AsyncGenerator[Output, None]:
        """The tool's outputs as the answer to the wearer: a ToolError becomes what the wearer hears."""
        try:
            async with aclosing(self.run(ctx, args)) as outputs:
                async for out in outputs:
                    yield out
        except ToolError as exc:
            yield exc.message

    def __repr__(self) -> str:
        return f"<Tool {self.skill.name}.{self.name}>"


def tools_of(skill: Skill) -> list[Tool]:
    """The skill's tools, in the order its class declares them."""
    found = []
    for name in dict.fromkeys(n for klass in reversed(type(skill).__mro__) for n in vars(klass)):
        fn = getattr(type(skill), name, None)
        policy = getattr(fn, _POLICY_ATTR, None)
        if policy is not None:
            found.append(Tool(skill, fn, policy))  # type: ignore[arg-type]
    return found
