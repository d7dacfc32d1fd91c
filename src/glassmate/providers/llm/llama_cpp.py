"""The embedded LLM: a GGUF model run in-process by llama.cpp, through xllamacpp.

xllamacpp binds llama.cpp's own server code (prompt cache, continuous batching, grammar-constrained sampling
that checks the chosen token first) and ships prebuilt CPU wheels, so installing glassmate compiles nothing
(llama-cpp-python took 4-5 minutes to build on 2 cores). Same GGUF, same settings: the same greedy answers and
tool calls as llama-cpp-python, within a few per cent of its speed (bench/llm_backends.py, bench/agent.py,
bench/RESULTS.md).

The server keeps the KV cache of each slot's last prompt and reuses the longest common prefix, so a stable
system prompt is prefilled once and a later turn prefills only its new words. Several requests
at once (complete_json_many: meeting notes, batch REST) run in parallel slots that share one decode per step.

llama.cpp's server also listens on a loopback port of its own choosing; it is locked with a random API key
that nothing outside this object knows.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import secrets
import threading
from collections.abc import AsyncGenerator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from pathlib import Path
from typing import Any

from glassmate.config import LLMSettings
from glassmate.errors import BadInputError, ModelLoadError, ModelMissingError, ProviderError
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

log = logging.getLogger("glassmate.providers")


def _check(reply: Any) -> dict[str, Any]:
    """The server's answer, or its error as a typed one (a prompt longer than the context is the caller's)."""
    if not isinstance(reply, dict):
        raise ProviderError(f"llama.cpp answered {type(reply).__name__}, not a JSON object")
    error = reply.get("error")
    if error:
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        if isinstance(error, dict) and error.get("type") == "exceed_context_size_error":
            raise BadInputError(f"the conversation is too long for the model: {message}")
        raise ProviderError(f"llama.cpp: {message}")
    return reply


def _log_timings(timings: dict[str, Any]) -> None:
    """DEBUG: how much of the prompt came from the cache and how long the rest took (llama.cpp's own timings)."""
    if log.isEnabledFor(logging.DEBUG) and "prompt_n" in timings:
        log.debug("llama.cpp: %s prompt tokens cached, %s prefilled in %.0f ms; %s generated in %.0f ms",
                  timings.get("cache_n"), timings["prompt_n"], timings.get("prompt_ms", 0),
                  timings.get("predicted_n"), timings.get("predicted_ms", 0))  # fmt: skip


class LlamaCppLLM(LLM):
    name = "llama.cpp"

    def __init__(self, *, model_path: Path, settings: LLMSettings) -> None:
        super().__init__()
        self.model_path = model_path
        self.settings = settings
        self.model_name = model_path.stem
        self._server: Any = None
        self._cold = False  # the next request ignores the cached prompt (reset_cache)

    def _engine(self) -> Any:
        """Load the model on first use (called with the engine lock held, in a worker thread)."""
        if self._server is None:
            if not self.model_path.is_file():
                raise ModelMissingError(f"the LLM file {self.model_path} does not exist")
            import xllamacpp as xlc

            s = self.settings
            params = xlc.CommonParams()
            params.model.path = str(self.model_path)
            # A KV cache of n_ctx tokens for each slot: a request gets at most n_ctx, whatever the others use (one
            # cache shared by the slots let a single request take all of it), and attends only over its own cells.
            params.n_parallel = s.parallel
            params.kv_unified = False
            params.n_ctx = s.n_ctx * s.parallel
            params.n_batch = s.n_batch
            params.cpuparams.n_threads = s.n_threads
            params.cpuparams_batch.n_threads = s.n_threads
            params.flash_attn_type = 1 if s.flash_attn else 0
            params.sampling.seed = s.seed
            params.warmup = False
            params.ctx_shift = False  # a prompt that does not fit is an error, not silently cut
            params.cache_ram_mib = 0  # no second prompt cache in host memory (its default is up to 8 GB)
            params.hostnames = ["127.0.0.1"]
            params.port = 0
            params.api_keys = [secrets.token_urlsafe(32)]
            params.verbosity = -1
            try:
                self._server = xlc.Server(params)
            except (ValueError, RuntimeError) as exc:
                raise ModelLoadError(f"llama.cpp could not load {self.model_path.name}: {exc}") from exc
        return self._server

    async def load(self) -> None:
        """Load the model now rather than on the first request."""
        await self._run_blocking(self._engine)

    def reset_cache(self) -> None:
        """Forget the cached prompt for the next request (benchmarks use this to measure a cold prefill)."""
        self._cold = True

    def _request(self, messages: list[ChatMessage], options: GenerationOptions, **extra: Any) -> dict[str, Any]:
        request: dict[str, Any] = {
            "messages": self._messages(messages),
            "max_tokens": options.max_tokens or self.settings.max_tokens,
            "temperature": self.settings.temperature if options.temperature is None else options.temperature,
            "seed": self.settings.seed,
            **extra,
        }
        if options.stop:
            request["stop"] = list(options.stop)
        if self._cold:
            request["cache_prompt"], self._cold = False, False
        return request

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

    def _complete(self, request: dict[str, Any]) -> dict[str, Any]:
        reply = _check(self._engine().handle_chat_completions(request))
        if timings := reply.get("timings"):
            _log_timings(timings)
        return reply

    def _deltas(self, request: dict[str, Any]) -> Iterator[str]:
        """Stream a chat completion's text. xllamacpp's streaming call blocks until the answer is done and calls
        back with each chunk; it runs on a thread of its own, and closing this iterator makes the next callback
        return True, which stops the generation (within a token; a prompt being prefilled is finished first)."""
        server = self._engine()
        chunks: queue.Queue[dict[str, Any] | BaseException | None] = queue.Queue()
        stop = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            chunks.put(json.loads(chunk) if isinstance(chunk, str | bytes) else chunk)
            return stop.is_set()

        def run() -> None:
            try:
                server.handle_chat_completions({**request, "stream": True}, on_chunk)
            except BaseException as exc:  # handed to the consumer, raised there
                chunks.put(exc)
            finally:
                chunks.put(None)

        worker = threading.Thread(target=run, name="llama.cpp-stream", daemon=True)
        worker.start()
        try:
            while (chunk := chunks.get()) is not None:
                if isinstance(chunk, BaseException):
                    raise chunk
                data = _check(chunk)
                if timings := data.get("timings"):
                    _log_timings(timings)
                for choice in data.get("choices") or ():
                    delta = (choice.get("delta") or {}).get("content")
                    if delta:
                        yield delta
        finally:
            # Stopped early (barge-in): the server's next callback ends the generation. Not waiting for it saves
            # a token's time (~45 ms); the server is thread-safe, so a request made meanwhile just queues.
            stop.set()

    async def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        request = self._request(messages, options)
        async with aclosing(self._iterate_blocking(lambda: self._deltas(request))) as deltas:
            async for delta in deltas:
                yield delta

    async def _chat_impl(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        tool_choice: ToolChoice,
        options: GenerationOptions,
    ) -> ChatResult:
        if tools and tool_choice != "none":
            schema = reply_schema(tools, tool_choice)
            request = self._request(with_tools_instruction(messages, tools, tool_choice), options, json_schema=schema)
            raw = await self._run_blocking(self._complete, request)
            result = parse_reply(raw["choices"][0]["message"]["content"] or "")
        else:
            raw = await self._run_blocking(self._complete, self._request(messages, options))
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
        request = self._request(with_tools_instruction(messages, tools, tool_choice), options, json_schema=schema)
        # The JSON streams; an answer's text is passed on as it arrives, a tool call once it is complete.
        reply = ReplyStream()
        async with aclosing(self._iterate_blocking(lambda: self._deltas(request))) as chunks:
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
        raw = await self._run_blocking(self._complete, self._request(messages, options, json_schema=schema))
        return str(raw["choices"][0]["message"]["content"] or "")

    async def _prefill_impl(self, messages: list[ChatMessage]) -> None:
        """The conversation so far and an empty user message: the template renders the next prompt up to its
        question ("<|im_start|>user\\n" included), and the slot that holds it is the one the next request picks
        (llama.cpp gives a request the idle slot whose cache shares most of its prompt). One token is generated
        (llama.cpp always samples one); it lies past the shared part and is overwritten by the next prompt."""
        request = self._request([*messages, ChatMessage("user", "")], GenerationOptions(max_tokens=1, temperature=0))
        await self._run_blocking(self._complete, request)

    async def _json_many_impl(
        self, requests: list[tuple[list[ChatMessage], dict[str, Any]]], options: GenerationOptions
    ) -> list[str]:
        """All requests handed to the server at once: it decodes up to `parallel` of them together (one decode
        step for all of them, the weights read once), the rest as slots free up."""
        bodies = [self._request(messages, options, json_schema=schema) for messages, schema in requests]

        def run() -> list[str]:
            self._engine()
            with ThreadPoolExecutor(max_workers=min(len(bodies), self.settings.parallel * 2)) as pool:
                replies = list(pool.map(self._complete, bodies))
            return [str(r["choices"][0]["message"]["content"] or "") for r in replies]

        return await self._run_blocking(run)

    async def aclose(self) -> None:
        """Free the model once nothing uses it: after the engine's current call, and after a stopped stream's
        thread has returned from its last token (it holds the server until then)."""

        def close() -> None:
            with self._engine_lock:
                self._server = None  # the server stops its loop and frees the model when it is collected

        await asyncio.to_thread(close)
