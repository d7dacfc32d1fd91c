"""The LLM interface: streamed chat, tool calls, and JSON constrained to a schema."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Literal

from glassmate.errors import BadInputError, ProviderError
from glassmate.providers.base import Provider

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str
    # For role="tool": which call this answers; for role="assistant": the calls it made.
    tool_call_id: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()

    def to_openai(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_call_id:
            out["tool_call_id"] = self.tool_call_id
        if self.tool_calls:
            out["tool_calls"] = [c.to_openai() for c in self.tool_calls]
        return out


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call: its name, what it does, and a JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]

    def to_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments, ensure_ascii=False)},
        }


@dataclass
class ChatResult:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0


ToolChoice = Literal["auto", "required", "none"] | str


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int | None = None
    temperature: float | None = None
    stop: tuple[str, ...] = ()


def check_messages(messages: Sequence[ChatMessage]) -> None:
    """BadInputError unless the conversation has a user message with text."""
    if not messages:
        raise BadInputError("the conversation is empty: send at least one message")
    if not any(m.content.strip() for m in messages if m.role == "user"):
        raise BadInputError("there is no user message with text in the conversation")


class LLM(Provider):
    """Chat with a language model. Backends write `_stream_impl`, `_chat_impl` and `_json_impl`."""

    model_name: str = ""

    async def stream(
        self, messages: Sequence[ChatMessage], *, options: GenerationOptions | None = None
    ) -> AsyncGenerator[str, None]:
        """The answer, as text deltas while it is generated."""
        check_messages(messages)
        opts = options or GenerationOptions()
        with self._measure("stream") as metrics:
            start = time.perf_counter()
            count = 0
            # aclosing: when the caller stops listening (barge-in), generation stops now, not at GC time.
            async with aclosing(self._stream_impl(list(messages), opts)) as deltas:
                async for delta in deltas:
                    if metrics.first_s is None:
                        metrics.first_s = time.perf_counter() - start
                    count += 1
                    yield delta
            metrics.extra["chunks"] = count

    async def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = "auto",
        options: GenerationOptions | None = None,
    ) -> ChatResult:
        """One complete answer: text, or calls of the given tools."""
        check_messages(messages)
        if tool_choice not in ("auto", "required", "none") and tool_choice not in {t.name for t in tools}:
            raise BadInputError(f"tool_choice names {tool_choice!r}, which is not among the tools given")
        with self._measure("chat"):
            return await self._chat_impl(list(messages), list(tools), tool_choice, options or GenerationOptions())

    async def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = "auto",
        options: GenerationOptions | None = None,
    ) -> AsyncGenerator[str | ToolCall, None]:
        """The reply while it is generated: the answer's text deltas as they come, or the tool calls it makes."""
        check_messages(messages)
        with self._measure("reply") as metrics:
            start = time.perf_counter()
            opts = options or GenerationOptions()
            async with aclosing(self._stream_reply_impl(list(messages), list(tools), tool_choice, opts)) as pieces:
                async for piece in pieces:
                    if metrics.first_s is None:
                        metrics.first_s = time.perf_counter() - start
                    yield piece

    async def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        *,
        options: GenerationOptions | None = None,
    ) -> Any:
        """A JSON value that matches `schema` (constrained decoding where the backend supports it)."""
        check_messages(messages)
        with self._measure("json"):
            raw = await self._json_impl(list(messages), schema, options or GenerationOptions())
        return self._parse_json(raw)

    async def complete_json_many(
        self,
        requests: Sequence[tuple[Sequence[ChatMessage], dict[str, Any]]],
        *,
        options: GenerationOptions | None = None,
    ) -> list[Any]:
        """The JSON answers of several independent requests (messages, schema), in order. The embedded model
        decodes them together in one batch, a remote endpoint gets them concurrently: on 2 cores 30 short
        answers take a third of the time of 30 calls one after another."""
        for messages, _ in requests:
            check_messages(messages)
        if not requests:
            return []
        with self._measure("json_many") as metrics:
            raws = await self._json_many_impl([(list(m), s) for m, s in requests], options or GenerationOptions())
            metrics.extra["requests"] = len(requests)
        return [self._parse_json(raw) for raw in raws]

    async def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Process the start of a coming prompt now (the conversation so far, before the next question), so the
        request that begins with it finds it in the prompt cache and prefills only its new words. Called while
        the wearer listens to an answer; a backend without a prompt cache of its own does nothing."""
        if not messages:
            return
        with self._measure("prefill"):
            await self._prefill_impl(list(messages))

    def _parse_json(self, raw: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ProviderError(f"{self.name} returned text that is not JSON: {raw[:80]!r}") from exc

    # -- for backends ---------------------------------------------------------------------------------------

    def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        raise NotImplementedError

    async def _chat_impl(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        tool_choice: ToolChoice,
        options: GenerationOptions,
    ) -> ChatResult:
        raise NotImplementedError

    async def _json_impl(self, messages: list[ChatMessage], schema: dict[str, Any], options: GenerationOptions) -> str:
        raise NotImplementedError

    async def _prefill_impl(self, messages: list[ChatMessage]) -> None:
        """By default nothing: a remote endpoint's cache is its own business."""

    async def _json_many_impl(
        self, requests: list[tuple[list[ChatMessage], dict[str, Any]]], options: GenerationOptions
    ) -> list[str]:
        """By default one request after another."""
        return [await self._json_impl(messages, schema, options) for messages, schema in requests]

    async def _stream_reply_impl(
        self, messages: list[ChatMessage], tools: list[ToolSpec], tool_choice: ToolChoice, options: GenerationOptions
    ) -> AsyncGenerator[str | ToolCall, None]:
        """By default the whole reply at once; backends that can stream it override this."""
        if not tools or tool_choice == "none":
            async with aclosing(self._stream_impl(messages, options)) as deltas:
                async for delta in deltas:
                    yield delta
            return
        result = await self._chat_impl(messages, tools, tool_choice, options)
        if result.text:
            yield result.text
        for call in result.tool_calls:
            yield call
