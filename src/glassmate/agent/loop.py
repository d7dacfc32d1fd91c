"""The agent loop: the LLM sees the session's tools and either answers (streamed as it is generated, so speech
starts early) or calls a tool. A tool that answers the wearer ends the turn with its own words; a tool that
returns data goes back to the LLM, which then answers. At most `max_steps` LLM calls a turn; the last one may
only answer. Tools a REST caller offered are returned to the caller as tool calls, never run here.

The system prompt and the tool list stay the same for a whole session, so llama.cpp's prompt cache keeps them and
only the new words of each turn are prefilled.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing

from glassmate.agent.prompt import FRESH_FRAME_S, build_messages, read_scene
from glassmate.agent.retrieval import ToolIndex
from glassmate.errors import ToolError
from glassmate.providers.llm.base import LLM, ChatMessage, ToolCall, ToolSpec
from glassmate.skills.base import Card, Output
from glassmate.skills.tools import Tool, ToolContext

log = logging.getLogger("glassmate.agent")
ANSWERED_BY_AGENT = "ask"


class Agent:
    def __init__(self, *, llm: LLM, tools: Sequence[Tool], caller_tools: Sequence[ToolSpec] = (), max_steps: int = 3,
                 index: ToolIndex | None = None, offer: int = 0, min_similarity: float = 0.0,
                 available: Callable[[str], bool] | None = None) -> None:  # fmt: skip
        self.llm = llm
        self.tools = {t.name: t for t in tools}
        self.caller_tools = {t.name: t for t in caller_tools}
        self.specs = [t.spec() for t in tools] + list(caller_tools)
        self.max_steps = max_steps
        self.index = index  # with `offer` > 0: only the tools the turn is about are offered
        self.offer = offer
        self.min_similarity = min_similarity
        self.available = available  # which skill tools may be offered now (Skill.offers); None: all
        # The small-model setting (tool retrieval on): after a tool's result the model must answer; shown the
        # tools again, the 0.5B model calls the same tool again.
        self.answer_after_tool = index is not None and offer > 0

    async def offered(self, ctx: ToolContext) -> list[ToolSpec]:
        """The tools this turn is offered: the caller's always; the skills' all, or those retrieval finds."""
        if self.index is None or self.offer <= 0:
            return [s for s in self.specs if s.name in self.caller_tools or self._available(s.name)]
        names = await self.index.shortlist(ctx.turn.text, limit=self.offer, min_similarity=self.min_similarity,
                                           available=self._available)  # fmt: skip
        # The caller's tools first: a client that sends tools knows what its user is doing (a small model leans
        # towards the first tool that fits: "a taxi to the station" is the caller's book_taxi, not our walk there).
        return list(self.caller_tools.values()) + [self.tools[n].spec() for n in names if n in self.tools]

    def _available(self, name: str) -> bool:
        return self.available is None or self.available(name)

    async def messages(self, ctx: ToolContext) -> list[ChatMessage]:
        """The prompt for this turn: a photo sent with the question is read into it (text and codes)."""
        turn = ctx.turn
        scene = None
        if turn.frame is not None and turn.frame.attached and turn.frame.age_s() <= FRESH_FRAME_S:
            scene = await read_scene(turn.frame.pixels(), ocr=ctx.models.ocr, codes=ctx.models.codes)
            ctx.trace.used("read-text")
        if turn.transcript:  # a REST conversation with tool calls and results: continue it as it is
            return build_messages("", history=turn.history, transcript=turn.transcript, scene=scene)
        return build_messages(turn.text, scene=scene, history=turn.history)

    async def run(self, ctx: ToolContext) -> AsyncGenerator[Output, None]:
        messages = await self.messages(ctx)
        offered = await self.offered(ctx)
        answer_now = self.answer_after_tool and messages[-1].role == "tool"  # a REST caller's tool result
        for step in range(self.max_steps):
            last = step == self.max_steps - 1
            call: ToolCall | None = None
            choice = "none" if last or answer_now or not offered else "auto"
            async with aclosing(self.llm.stream_reply(messages, tools=offered, tool_choice=choice)) as pieces:
                async for piece in pieces:
                    if isinstance(piece, ToolCall):
                        call = call or piece  # one call a step: a small model's second call is rarely meant
                    elif piece:
                        ctx.trace.used(ANSWERED_BY_AGENT)
                        yield piece
            if call is None:
                return
            if call.name in self.caller_tools:
                ctx.trace.caller_calls.append(call)
                return
            tool = self.tools.get(call.name)
            try:
                if tool is None:
                    raise ToolError(f"there is no tool named {call.name!r}", code="tool-unknown")
                args = tool.validate(call.arguments)
            except ToolError as exc:  # the model's mistake: it sees why and may try again
                log.info("agent step %d: %s", step + 1, exc.message)
                messages += [ChatMessage("assistant", "", tool_calls=(call,)),
                             ChatMessage("tool", f"error: {exc.message}", tool_call_id=call.id)]  # fmt: skip
                continue
            if tool.policy.returns == "reply" or tool.policy.needs_confirmation:
                async with aclosing(tool.answer(ctx, args)) as outputs:
                    async for out in outputs:
                        yield out
                return
            data = []
            try:
                async with aclosing(tool.run(ctx, args)) as outputs:
                    async for out in outputs:
                        if isinstance(out, Card):
                            yield out
                        else:
                            data.append(out)
            except ToolError as exc:
                data = [f"error: {exc.message}"]
            messages += [ChatMessage("assistant", "", tool_calls=(call,)),
                         ChatMessage("tool", "".join(data) or "(nothing)", tool_call_id=call.id)]  # fmt: skip
            answer_now = self.answer_after_tool
