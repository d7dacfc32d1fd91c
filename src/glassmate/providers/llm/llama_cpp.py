"""The embedded LLM: a GGUF model run in-process by llama.cpp (llama-cpp-python).

llama.cpp keeps the KV cache of the previous prompt and reuses the longest common prefix, so a stable
system prompt is prefilled once and later turns start generating within tens of milliseconds. Constrained JSON
(tool calls, typed notes) checks its grammar on the chosen token only (llama_sampling.py): 48 instead of 75 ms a
token for 0.5B Qwen on 2 cores.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

from glassmate.config import LLMSettings
from glassmate.errors import ModelLoadError, ModelMissingError
from glassmate.providers.llm.base import (
    LLM,
    ChatMessage,
    ChatResult,
    GenerationOptions,
    ToolCall,
    ToolChoice,
    ToolSpec,
)
from glassmate.providers.llm.tools_schema import ReplyStream, parse_reply, reply_schema, with_tools_instruction


class LlamaCppLLM(LLM):
    name = "llama.cpp"

    def __init__(self, *, model_path: Path, settings: LLMSettings) -> None:
        super().__init__()
        self.model_path = model_path
        self.settings = settings
        self.model_name = model_path.stem
        self._llama: Any = None
        self._batch_writer: Any = None

    def _engine(self) -> Any:
        """Load the model on first use (called with the engine lock held, in a worker thread)."""
        if self._llama is None:
            if not self.model_path.is_file():
                raise ModelMissingError(f"the LLM file {self.model_path} does not exist")
            from glassmate.providers.llm.llama_sampling import LazyGrammarLlama

            try:
                self._llama = LazyGrammarLlama(
                    model_path=str(self.model_path),
                    n_ctx=self.settings.n_ctx,
                    n_threads=self.settings.n_threads,
                    n_threads_batch=self.settings.n_threads,
                    n_batch=self.settings.n_batch,
                    flash_attn=self.settings.flash_attn,
                    seed=self.settings.seed,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelLoadError(f"llama.cpp could not load {self.model_path.name}: {exc}") from exc
        return self._llama

    async def load(self) -> None:
        """Load the model now rather than on the first request."""
        await self._run_blocking(self._engine)

    def reset_cache(self) -> None:
        """Forget the cached prompt (benchmarks use this to measure a cold prefill)."""
        if self._llama is not None:
            with self._engine_lock:
                self._llama.reset()

    def _kwargs(self, options: GenerationOptions) -> dict[str, Any]:
        return {
            "max_tokens": options.max_tokens or self.settings.max_tokens,
            "temperature": self.settings.temperature if options.temperature is None else options.temperature,
            "stop": list(options.stop) or None,
            "seed": self.settings.seed,
        }

    @staticmethod
    def _messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
        """The conversation for llama.cpp's chat template. A tool call is kept as the JSON reply the model was
        constrained to write ({"tool", "arguments"}), and a tool's result as a `tool` message (Qwen's template
        renders it as a <tool_response>), so the model sees its own steps in the form it produces them."""
        out: list[dict[str, Any]] = []
        for m in messages:
            if m.role == "assistant" and m.tool_calls:
                calls = [{"tool": c.name, "arguments": c.arguments} for c in m.tool_calls]
                content = json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)
                out.append({"role": "assistant", "content": content})
            elif m.role == "tool":
                out.append({"role": "tool", "content": m.content, "tool_call_id": m.tool_call_id or ""})
            else:
                out.append({"role": m.role, "content": m.content})
        return out

    async def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        def run() -> Iterator[str]:
            stream = self._engine().create_chat_completion(
                messages=self._messages(messages), stream=True, **self._kwargs(options)
            )
            for chunk in stream:
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    yield delta

        async with aclosing(self._iterate_blocking(run)) as deltas:
            async for delta in deltas:
                yield delta

    def _complete(self, messages: list[ChatMessage], options: GenerationOptions, **extra: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._engine().create_chat_completion(
            messages=self._messages(messages), **self._kwargs(options), **extra
        )
        return result

    async def _chat_impl(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        tool_choice: ToolChoice,
        options: GenerationOptions,
    ) -> ChatResult:
        if tools and tool_choice != "none":
            schema = reply_schema(tools, tool_choice)
            prompt = with_tools_instruction(messages, tools, tool_choice)
            raw = await self._run_blocking(
                self._complete, prompt, options, response_format={"type": "json_object", "schema": schema}
            )
            result = parse_reply(raw["choices"][0]["message"]["content"] or "")
        else:
            raw = await self._run_blocking(self._complete, messages, options)
            result = ChatResult(text=raw["choices"][0]["message"]["content"] or "")
            result.finish_reason = raw["choices"][0].get("finish_reason") or "stop"
        usage = raw.get("usage") or {}
        result.prompt_tokens = usage.get("prompt_tokens", 0)
        result.completion_tokens = usage.get("completion_tokens", 0)
        return result

    async def _stream_reply_impl(
        self, messages: list[ChatMessage], tools: list[ToolSpec], tool_choice: ToolChoice, options: GenerationOptions
    ) -> AsyncGenerator[str | ToolCall, None]:
        # With tools and tool_choice "none", the reply is still constrained, to an answer: after a tool's result,
        # free text from a small model is often a copy of its tool call.
        if not tools:
            async with aclosing(self._stream_impl(messages, options)) as deltas:
                async for delta in deltas:
                    yield delta
            return
        schema = reply_schema(tools, tool_choice)
        prompt = self._messages(with_tools_instruction(messages, tools, tool_choice))
        response_format = {"type": "json_object", "schema": schema}

        def run() -> Iterator[str]:
            stream = self._engine().create_chat_completion(
                messages=prompt, stream=True, response_format=response_format, **self._kwargs(options)
            )
            for chunk in stream:
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    yield delta

        # The JSON streams; an answer's text is passed on as it arrives, a tool call once it is complete.
        reply = ReplyStream()
        async with aclosing(self._iterate_blocking(run)) as chunks:
            async for chunk in chunks:
                text = reply.feed(chunk)
                if text:
                    yield text
        result = reply.result()
        if not reply.answering and result.text:
            yield result.text
        for call in result.tool_calls:
            yield call

    async def _json_impl(self, messages: list[ChatMessage], schema: dict[str, Any], options: GenerationOptions) -> str:
        raw = await self._run_blocking(
            self._complete, messages, options, response_format={"type": "json_object", "schema": schema}
        )
        return str(raw["choices"][0]["message"]["content"] or "")

    async def _json_many_impl(
        self, requests: list[tuple[list[ChatMessage], dict[str, Any]]], options: GenerationOptions
    ) -> list[str]:
        if len(requests) == 1:  # the usual path, which keeps its prompt cache
            return [await self._json_impl(*requests[0], options)]

        def run() -> list[str]:
            from glassmate.providers.llm.llama_sampling import BatchJSONWriter

            llama = self._engine()
            if self._batch_writer is None or self._batch_writer.llama is not llama:
                self._batch_writer = BatchJSONWriter(llama)
            kwargs = self._kwargs(options)
            return self._batch_writer.write(
                [(self._messages(messages), schema) for messages, schema in requests],
                max_tokens=kwargs["max_tokens"],
                temperature=kwargs["temperature"],
            )

        return await self._run_blocking(run)

    async def aclose(self) -> None:
        """Free the model, after any generation still running in a worker thread has finished (closing it
        under a running generation crashes the process)."""

        def close() -> None:
            with self._engine_lock:
                llama, self._llama = self._llama, None
                self._batch_writer = None
                if llama is not None:
                    llama.close()

        await asyncio.to_thread(close)
