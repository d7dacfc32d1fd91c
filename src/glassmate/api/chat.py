"""`POST /v1/chat/completions`, OpenAI-compatible, streaming or not.

model "glassmate": the assistant itself. The last user message (and any image in it) is routed like a spoken turn,
by the same router and skills: an intent first, the agent last; which route and skills served it is returned in the
extension field `glassmate`.
Any other model id names the underlying LLM: plain chat, with the caller's tools returned as tool calls.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from glassmate.api.common import ApiError, api_key, decode_image, model_list
from glassmate.errors import GlassmateError
from glassmate.products.identify import MAX_SIDE
from glassmate.providers.llm.base import (
    ChatMessage,
    ChatResult,
    GenerationOptions,
    ToolCall,
    ToolSpec,
    check_messages,
)
from glassmate.providers.translate.base import detect_language
from glassmate.skills.base import Exchange, Frame, SkillEnv, Turn
from glassmate.skills.routing import Skills
from glassmate.skills.tools import ToolContext
from glassmate.store.devices import DeviceRecord

log = logging.getLogger("glassmate.api")
router = APIRouter()


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ImageUrl(_Open):
    url: str
    detail: str | None = None


class ContentPart(_Open):
    type: Literal["text", "image_url", "input_text"]
    text: str | None = None
    image_url: ImageUrl | None = None


class FunctionCall(_Open):
    name: str
    arguments: str = "{}"


class ToolCallIn(_Open):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(_Open):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    tool_call_id: str | None = None
    tool_calls: list[ToolCallIn] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text or "" for p in self.content or [] if p.type in ("text", "input_text"))

    def images(self) -> list[str]:
        if isinstance(self.content, str) or not self.content:
            return []
        return [p.image_url.url for p in self.content if p.type == "image_url" and p.image_url]


class FunctionDef(_Open):
    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class Tool(_Open):
    type: Literal["function"]
    function: FunctionDef


class StreamOptions(_Open):
    include_usage: bool = False


class ChatRequest(_Open):
    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0, le=2)
    stop: str | list[str] | None = None
    tools: list[Tool] | None = None
    tool_choice: str | dict[str, Any] | None = None
    stream_options: StreamOptions | None = None


def _options(req: ChatRequest) -> GenerationOptions:
    stop = (req.stop,) if isinstance(req.stop, str) else tuple(req.stop or ())
    return GenerationOptions(max_tokens=req.max_completion_tokens or req.max_tokens, temperature=req.temperature,
                             stop=stop)  # fmt: skip


def _decode_data_url(url: str, max_bytes: int) -> bytes:
    if not url.startswith("data:"):
        raise ApiError(400, "only data: URLs are accepted for images (the server does not fetch URLs)",
                       code="invalid_image_url", param="messages")  # fmt: skip
    try:
        header, payload = url.split(",", 1)
        data = base64.b64decode(payload, validate=True) if ";base64" in header else payload.encode()
    except (ValueError, binascii.Error) as exc:
        raise ApiError(400, "the image data URL is not valid base64", code="invalid_image_url",
                       param="messages") from exc  # fmt: skip
    if len(data) > max_bytes:
        raise ApiError(413, "the image is too large", code="image-too-large", param="messages")
    return data


def _arguments(raw: str, where: str) -> dict[str, Any]:
    """A tool call's arguments: a JSON object, or a 400 that says which message holds the bad one."""
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ApiError(400, f"{where}: the tool call's arguments must be a JSON object", code="invalid-request",
                       param=where)  # fmt: skip
    return value


def _llm_messages(req: ChatRequest) -> list[ChatMessage]:
    out = []
    for i, m in enumerate(req.messages):
        role = "system" if m.role == "developer" else m.role
        calls = tuple(
            ToolCall(c.id, c.function.name, _arguments(c.function.arguments, f"messages.{i}.tool_calls.{j}"))
            for j, c in enumerate(m.tool_calls or [])
        )
        out.append(ChatMessage(role, m.text(), tool_call_id=m.tool_call_id, tool_calls=calls))
    return out


def _tool_choice(req: ChatRequest) -> str:
    choice = req.tool_choice
    if isinstance(choice, dict):
        return str(choice.get("function", {}).get("name", "auto"))
    return choice or "auto"


def _completion(model: str, result: ChatResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": result.text or None}
    if result.tool_calls:
        message["tool_calls"] = [c.to_openai() for c in result.tool_calls]
    body: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": result.finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "total_tokens": result.prompt_tokens + result.completion_tokens,
        },
    }
    if extra:
        body["glassmate"] = extra
    return body


async def _sse(
    model: str,
    deltas: AsyncIterator[str],
    *,
    usage: bool,
    extra: Callable[[], dict[str, Any]] | None,
    tool_calls: Callable[[], list[ToolCall]] = list,
) -> AsyncGenerator[str, None]:
    """The answer as server-sent events; `extra` (the route) and `tool_calls` are read once the answer is done."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [choice]}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    count = 0
    try:
        async with aclosing(deltas) as stream:  # type: ignore[type-var]
            async for delta in stream:
                count += 1
                yield chunk({"content": delta})
    except GlassmateError as exc:  # after the 200 was sent, errors travel as an SSE event
        yield f"data: {json.dumps({'error': {'message': exc.message, 'type': 'server_error', 'code': exc.code}})}\n\n"
        return
    except Exception:  # a bug: logged here, never sent as a traceback
        log.exception("chat stream failed")
        error = {"message": "something went wrong on the server", "type": "server_error", "code": "internal-error"}
        yield f"data: {json.dumps({'error': error})}\n\n"
        return
    calls = tool_calls()
    if calls:
        parts = [{"index": i, **c.to_openai()} for i, c in enumerate(calls)]
        yield chunk({"tool_calls": parts})
    final = json.loads(chunk({}, "tool_calls" if calls else "stop")[6:])
    if extra is not None:
        final["glassmate"] = extra()
    yield f"data: {json.dumps(final, ensure_ascii=False)}\n\n"
    if usage:
        body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [],
                "usage": {"prompt_tokens": 0, "completion_tokens": count, "total_tokens": count}}  # fmt: skip
        yield f"data: {json.dumps(body)}\n\n"
    yield "data: [DONE]\n\n"


@router.get("/v1/models")
async def list_models(request: Request, _key: DeviceRecord = Depends(api_key)) -> dict[str, Any]:
    return {"object": "list", "data": model_list(request.app.state.services)}


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(
    req: ChatRequest, request: Request, _key: DeviceRecord = Depends(api_key)
) -> JSONResponse | StreamingResponse:
    services = request.app.state.services
    for i, message in enumerate(req.messages):
        try:
            message.text().encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800"): no model can read it
            raise ApiError(400, f"messages.{i}: the text is not valid Unicode (a lone surrogate)",
                           code="invalid-request", param=f"messages.{i}.content") from exc  # fmt: skip
    known = {m["id"] for m in model_list(services)} - {"whisper-1", "tts-1"}
    if req.model not in known:
        raise ApiError(404, f"the model {req.model!r} does not exist; see GET /v1/models", code="model_not_found",
                       param="model")  # fmt: skip
    if req.model == "glassmate":
        return await _assistant(req, services)
    messages = _llm_messages(req)
    check_messages(messages)  # now, while an error can still be an HTTP status (not mid-stream)
    llm = services.models.llm
    tools = [ToolSpec(t.function.name, t.function.description, t.function.parameters) for t in req.tools or []]
    if req.stream and not tools:
        ticket = services.admission.ticket("llm")  # a full queue is refused now, before the stream's 200

        async def guarded() -> AsyncGenerator[str, None]:
            async with ticket, aclosing(llm.stream(messages, options=_options(req))) as deltas:
                async for d in deltas:
                    yield d

        usage = bool(req.stream_options and req.stream_options.include_usage)
        return StreamingResponse(_sse(req.model, guarded(), usage=usage, extra=None), media_type="text/event-stream")
    async with services.admission.slot("llm"):
        result = await llm.chat(messages, tools=tools, tool_choice=_tool_choice(req), options=_options(req))
    if req.stream:  # tools and streaming: one chunk with the whole answer (small models call tools in one go)

        async def once() -> AsyncGenerator[str, None]:
            yield result.text

        return StreamingResponse(_sse(req.model, once(), usage=False, extra=None), media_type="text/event-stream")
    return JSONResponse(_completion(req.model, result))


async def _assistant(req: ChatRequest, services: Any) -> JSONResponse | StreamingResponse:
    """model=glassmate: the last user message is a turn for the same router and skills as a spoken one (an image in
    it is the camera frame); earlier exchanges are its history. Tools the caller sends are offered to the agent next
    to the skills; a call of one is returned as `tool_calls`, and the conversation continues when its result comes
    back as a `tool` message."""
    users = [m for m in req.messages if m.role == "user"]
    if not users or not (users[-1].text().strip() or users[-1].images()):
        raise ApiError(400, "the last user message has no text or image", code="empty-message", param="messages")
    last = users[-1]
    at = req.messages.index(last)
    history: list[Exchange] = []
    pending: str | None = None
    for m in req.messages[:at]:
        if m.role == "user":
            pending = m.text()
        elif m.role == "assistant" and pending is not None and not m.tool_calls:
            history.append(Exchange(pending, m.text()))
            pending = None
    # Tool calls and results after the last user message: the agent goes on from them.
    transcript = _llm_messages(req)[at:] if any(m.role == "tool" for m in req.messages[at:]) else []
    frame = None
    images = last.images()
    if images:
        data = _decode_data_url(images[-1], services.settings.image.max_bytes)
        # Decoded now, with the API's limits, so a bad or oversized image is refused with its own error.
        pixels = await decode_image(services, data, max_side=MAX_SIDE)  # in a worker, one decode at a time
        frame = Frame(data, int(time.time() * 1000), _pixels=pixels, attached=True)
    text = last.text().strip() or "What is this?"
    turn = Turn(text=text, language=detect_language(text), frame=frame, history=tuple(history),
                transcript=transcript)  # fmt: skip
    caller_tools = [ToolSpec(t.function.name, t.function.description, t.function.parameters) for t in req.tools or []]
    env = SkillEnv(models=services.models, settings=services.settings, services=services)
    skills = Skills.build(services.skills, env, caller_tools=caller_tools)
    route = skills.agent_route() if transcript else skills.route(turn)
    ctx = ToolContext(turn=turn, env=env)
    uses_llm = route.matched_by == "agent" or "llm" in route.policy.models
    ticket = services.admission.ticket("llm" if uses_llm else "skills")

    async def deltas() -> AsyncGenerator[str, None]:
        async with ticket, aclosing(route.run(ctx)) as outputs:
            async for out in outputs:
                if isinstance(out, str):
                    yield out

    def extra() -> dict[str, Any]:
        answered = ctx.trace.skills[-1] if route.matched_by == "agent" and ctx.trace.skills else route.skill
        return {"route": answered, "matched_by": route.matched_by, "skills": ctx.trace.skills or [answered]}

    if req.stream:
        usage = bool(req.stream_options and req.stream_options.include_usage)
        return StreamingResponse(
            _sse("glassmate", deltas(), usage=usage, extra=extra, tool_calls=lambda: ctx.trace.caller_calls),
            media_type="text/event-stream",
        )
    try:
        text_out = "".join([d async for d in deltas()]).strip()
    except GlassmateError:
        raise
    except Exception as exc:  # a bug in a skill: logged here, never sent as a traceback
        log.exception("the %s route failed", route.skill)
        raise ApiError(500, "something went wrong on the server", code="internal-error") from exc
    calls = list(ctx.trace.caller_calls)
    result = ChatResult(text=text_out, tool_calls=calls, finish_reason="tool_calls" if calls else "stop")
    return JSONResponse(_completion("glassmate", result, extra()))
