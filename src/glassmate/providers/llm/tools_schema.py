"""Tool calling for models without native tool support: the reply is constrained to a JSON schema that
admits either a call of one of the tools or a plain answer."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from glassmate.providers.llm.base import ChatMessage, ChatResult, ToolCall, ToolChoice, ToolSpec

ANSWER = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def reply_schema(tools: list[ToolSpec], tool_choice: ToolChoice) -> dict[str, Any]:
    """The JSON schema of a reply: {"tool": name, "arguments": {...}} or, when allowed, {"answer": "..."}; only the
    answer for tool_choice "none" (after a tool's result a small model would otherwise call it again)."""
    if tool_choice == "none":
        return ANSWER
    chosen = [t for t in tools if tool_choice in ("auto", "required") or t.name == tool_choice]
    variants: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {"tool": {"const": t.name}, "arguments": t.parameters or {"type": "object"}},
            "required": ["tool", "arguments"],
        }
        for t in chosen
    ]
    if tool_choice == "auto":
        variants.append(ANSWER)
    return variants[0] if len(variants) == 1 else {"anyOf": variants}


_SCALARS = {"string": "text", "number": "number", "integer": "whole number", "boolean": "true or false"}


def _scalar_type(prop: dict[str, Any]) -> str | None:
    """The kind of a flat argument in words ("text", "number", ...), or None for an object, an array or a union
    the words cannot say (those are shown as JSON schema)."""
    if "enum" in prop:
        return " or ".join(json.dumps(v, ensure_ascii=False) for v in prop["enum"])
    kinds = [v.get("type") for v in prop.get("anyOf", [])] if "anyOf" in prop else [prop.get("type", "string")]
    kinds = [k for k in kinds if k != "null"]
    return _SCALARS.get(kinds[0]) if len(kinds) == 1 and isinstance(kinds[0], str) else None


def describe_tool(tool: ToolSpec) -> str:
    """One tool for the prompt, as few tokens as it can take: its name, what it does and, one line each, its
    arguments. Every token here is prefilled on each turn the tool is offered (~7 ms a token on 2 cores), and the
    grammar enforces the exact schema anyway; a tool with nested arguments is shown with its JSON schema."""
    params = tool.parameters or {}
    props: dict[str, Any] = params.get("properties") or {}
    kinds = {name: _scalar_type(prop) for name, prop in props.items()}
    if any(kind is None for kind in kinds.values()):
        schema = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
        return f"- {tool.name}: {tool.description} Arguments schema: {schema}"
    required = set(params.get("required", []))
    lines = [f"- {tool.name}: {tool.description}" + (" Arguments:" if props else " No arguments.")]
    for name, prop in props.items():
        optional = "" if name in required else ", optional"
        description = prop.get("description", "").strip()
        lines.append(f"  {name} ({kinds[name]}{optional})" + (f": {description}" if description else ""))
    return "\n".join(lines)


def tools_instruction(tools: list[ToolSpec], tool_choice: ToolChoice) -> str:
    if tool_choice == "none":
        return 'Answer now, using what the tools returned. Reply with JSON only: {"answer": "<text>"}.'
    lines = ["You can call these tools:", *(describe_tool(tool) for tool in tools)]
    if tool_choice == "auto":
        lines.append(
            'Reply with JSON only: {"tool": "<name>", "arguments": {...}} to call a tool, '
            'or {"answer": "<text>"} when no tool is needed.'
        )
    else:
        lines.append('Reply with JSON only: {"tool": "<name>", "arguments": {...}}.')
    return "\n".join(lines)


def with_tools_instruction(
    messages: list[ChatMessage], tools: list[ToolSpec], tool_choice: ToolChoice
) -> list[ChatMessage]:
    """The conversation with the tool instruction added to the last user message. Not to the system prompt: the
    tools offered may change from turn to turn (tool retrieval), and the system prompt and the conversation before
    this turn must stay the same for llama.cpp's prompt cache to hold them."""
    instruction = tools_instruction(tools, tool_choice)
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        return [*messages, ChatMessage("user", instruction)]
    turn = messages[last]
    return [*messages[:last], ChatMessage("user", f"{turn.content}\n\n{instruction}"), *messages[last + 1 :]]


def parse_reply(raw: str) -> ChatResult:
    """Turn a constrained reply into text or a tool call."""
    try:
        data = json.loads(raw)
    except ValueError:
        return ChatResult(text=raw)
    if isinstance(data, dict) and "tool" in data:
        args = data.get("arguments")
        call = ToolCall(f"call_{uuid.uuid4().hex[:12]}", str(data["tool"]), args if isinstance(args, dict) else {})
        return ChatResult(text="", tool_calls=[call], finish_reason="tool_calls")
    if isinstance(data, dict) and "answer" in data:
        return ChatResult(text=str(data["answer"]))
    return ChatResult(text=raw)


_ANSWER_START = re.compile(r'\s*\{\s*"answer"\s*:\s*"')


def _string_prefix(body: str) -> str:
    """The decoded part of a JSON string body that has arrived so far: up to its closing quote, or up to the
    last complete character (an escape split across chunks waits for the next one)."""
    i, end = 0, len(body)
    while i < end:
        ch = body[i]
        if ch == '"':
            break
        if ch == "\\":
            need = 6 if body[i + 1 : i + 2] == "u" else 2
            if i + need > end:
                break
            i += need
            continue
        i += 1
    try:
        return str(json.loads(f'"{body[:i]}"'))
    except ValueError:
        return ""


class ReplyStream:
    """Reads a constrained reply while it streams: the text of {"answer": "…"} as soon as it arrives (so it can be
    spoken before the reply is complete), or, at the end, the tool call."""

    def __init__(self) -> None:
        self.raw = ""
        self._sent = 0

    def feed(self, chunk: str) -> str:
        """Add generated text; returns the answer's new text, if the reply is an answer."""
        self.raw += chunk
        start = _ANSWER_START.match(self.raw)
        if start is None:
            return ""
        decoded = _string_prefix(self.raw[start.end() :])
        new, self._sent = decoded[self._sent :], max(self._sent, len(decoded))
        return new

    @property
    def answering(self) -> bool:
        return _ANSWER_START.match(self.raw) is not None

    def result(self) -> ChatResult:
        return parse_reply(self.raw)
