"""An LLM behind any OpenAI-compatible chat endpoint: DashScope/Qwen Cloud, vLLM, Ollama, llama.cpp server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

from glassmate.config import LLMSettings, RemoteSettings
from glassmate.providers.llm.base import (
    LLM,
    ChatMessage,
    ChatResult,
    GenerationOptions,
    ToolCall,
    ToolChoice,
    ToolSpec,
)
from glassmate.providers.openai_client import make_client


class OpenAICompatLLM(LLM):
    name = "openai-compatible-llm"
    CONCURRENT_JSON = 4  # requests in flight at once from complete_json_many

    def __init__(self, *, settings: RemoteSettings, defaults: LLMSettings) -> None:
        super().__init__()
        self.settings = settings
        self.defaults = defaults
        self.model_name = settings.model
        self._client: Any = None
        self._json_mode: str | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def _kwargs(self, options: GenerationOptions) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.settings.model,
            "max_tokens": options.max_tokens or self.defaults.max_tokens,
            "temperature": self.defaults.temperature if options.temperature is None else options.temperature,
        }
        if options.stop:
            kwargs["stop"] = list(options.stop)
        return kwargs

    async def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        stream = await self.client.chat.completions.create(
            messages=[m.to_openai() for m in messages], stream=True, **self._kwargs(options)
        )
        try:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        finally:
            await stream.close()

    async def _chat_impl(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        tool_choice: ToolChoice,
        options: GenerationOptions,
    ) -> ChatResult:
        kwargs = self._kwargs(options)
        if tools:
            kwargs["tools"] = [t.to_openai() for t in tools]
            kwargs["tool_choice"] = (
                tool_choice
                if tool_choice in ("auto", "required", "none")
                else {"type": "function", "function": {"name": tool_choice}}
            )
        response = await self.client.chat.completions.create(messages=[m.to_openai() for m in messages], **kwargs)
        choice = response.choices[0]
        calls = []
        for call in choice.message.tool_calls or []:
            try:
                args = json.loads(call.function.arguments or "{}")
            except ValueError:
                args = {"_raw": call.function.arguments}
            calls.append(ToolCall(call.id, call.function.name, args if isinstance(args, dict) else {}))
        usage = response.usage
        return ChatResult(
            text=choice.message.content or "",
            tool_calls=calls,
            finish_reason=choice.finish_reason or "stop",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    async def _stream_reply_impl(
        self, messages: list[ChatMessage], tools: list[ToolSpec], tool_choice: ToolChoice, options: GenerationOptions
    ) -> AsyncGenerator[str | ToolCall, None]:
        """Native tool calling, streamed: content deltas as they come; tool calls (sent in fragments) at the end."""
        kwargs = self._kwargs(options)
        if tools and tool_choice != "none":
            kwargs["tools"] = [t.to_openai() for t in tools]
            kwargs["tool_choice"] = (
                tool_choice
                if tool_choice in ("auto", "required")
                else {"type": "function", "function": {"name": tool_choice}}
            )
        stream = await self.client.chat.completions.create(
            messages=[m.to_openai() for m in messages], stream=True, **kwargs
        )
        calls: dict[int, dict[str, str]] = {}
        try:
            async for chunk in stream:
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                if delta.content:
                    yield delta.content
                for part in delta.tool_calls or []:
                    call = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                    call["id"] = part.id or call["id"]
                    if part.function is not None:
                        call["name"] += part.function.name or ""
                        call["arguments"] += part.function.arguments or ""
        finally:
            await stream.close()
        for index in sorted(calls):
            call = calls[index]
            try:
                args = json.loads(call["arguments"] or "{}")
            except ValueError:
                args = {"_raw": call["arguments"]}
            yield ToolCall(call["id"] or f"call_{index}", call["name"], args if isinstance(args, dict) else {})

    async def _json_impl(self, messages: list[ChatMessage], schema: dict[str, Any], options: GenerationOptions) -> str:
        import openai

        # OpenAI and vLLM take "json_schema"; llama.cpp's servers take "json_object" with a "schema".
        # Try the standard form first and remember which one this endpoint accepted.
        formats = {
            "json_schema": {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}},
            "json_object": {"type": "json_object", "schema": schema},
        }
        order = [self._json_mode] if self._json_mode else ["json_schema", "json_object"]
        for i, mode in enumerate(order):
            try:
                response = await self.client.chat.completions.create(
                    messages=[m.to_openai() for m in messages],
                    response_format=formats[mode],
                    **self._kwargs(options),
                )
            except openai.APIStatusError as exc:
                # 400/422 is the usual refusal; llama-cpp-python's server answers its validation error with 500.
                refused = exc.status_code in (400, 422) or "response_format" in str(exc.message)
                if not refused or i == len(order) - 1:
                    raise
                continue
            self._json_mode = mode
            return str(response.choices[0].message.content or "")
        raise AssertionError("unreachable")

    async def _json_many_impl(
        self, requests: list[tuple[list[ChatMessage], dict[str, Any]]], options: GenerationOptions
    ) -> list[str]:
        """Concurrently, a few at a time: a serving engine (vLLM, llama.cpp's server) batches what arrives
        together. The first request alone, so that the JSON form the endpoint takes is known."""
        if self._json_mode is None:
            first = await self._json_impl(*requests[0], options)
            return [first, *await self._json_many_impl(requests[1:], options)] if len(requests) > 1 else [first]
        gate = asyncio.Semaphore(self.CONCURRENT_JSON)

        async def one(messages: list[ChatMessage], schema: dict[str, Any]) -> str:
            async with gate:
                return await self._json_impl(messages, schema, options)

        return list(await asyncio.gather(*(one(m, s) for m, s in requests)))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
