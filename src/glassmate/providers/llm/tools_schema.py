"""Tool calling for models without native tool support: the reply is constrained to a JSON schema that
admits either a call of one of the tools or a plain answer."""

from __future__ import annotations

import json
import uuid
from typing import Any

from glassmate.providers.llm.base import ChatMessage, ChatResult, ToolCall, ToolChoice, ToolSpec


def reply_schema(tools: list[ToolSpec], tool_choice: ToolChoice) -> dict[str, Any]:
    """The JSON schema of a reply: {"tool": name, "arguments": {...}} or, when allowed, {"answer": "..."}."""
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
        variants.append({"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]})
    return variants[0] if len(variants) == 1 else {"anyOf": variants}


def tools_instruction(tools: list[ToolSpec], tool_choice: ToolChoice) -> str:
    lines = ["You can call these tools:"]
    for tool in tools:
        lines.append(f"- {tool.name}: {tool.description} Arguments schema: {json.dumps(tool.parameters)}")
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
    """The conversation with the tool instruction appended to the system prompt (or as a new one)."""
    instruction = tools_instruction(tools, tool_choice)
    if messages and messages[0].role == "system":
        first = ChatMessage("system", f"{messages[0].content}\n\n{instruction}")
        return [first, *messages[1:]]
    return [ChatMessage("system", instruction), *messages]


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
