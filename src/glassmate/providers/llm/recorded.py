"""Recorded LLM answers: `RecordingLLM` wraps a real LLM (a remote Qwen endpoint) and keeps each JSON answer with
the request it answered; `RecordedLLM` replays them, so tests and the bench show what a bigger model does with the
same prompts where no endpoint is reachable. A request that was not recorded (a prompt changed since) fails
with a clear error instead of being answered by something else.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from glassmate.errors import ProviderError
from glassmate.providers.llm.base import LLM, ChatMessage, GenerationOptions


def request_key(messages: list[ChatMessage], schema: dict[str, Any]) -> str:
    """What identifies a JSON request: its messages and schema (not the sampling options)."""
    body = json.dumps({"messages": [m.to_openai() for m in messages], "schema": schema}, sort_keys=True,
                      ensure_ascii=False)  # fmt: skip
    return hashlib.sha256(body.encode()).hexdigest()[:32]


class RecordingLLM(LLM):
    """Passes JSON requests to `inner` and records request → answer in `calls`."""

    name = "recording"

    def __init__(self, inner: LLM) -> None:
        super().__init__()
        self.inner = inner
        self.model_name = inner.model_name
        self.calls: dict[str, dict[str, Any]] = {}

    async def _json_impl(self, messages: list[ChatMessage], schema: dict[str, Any], options: GenerationOptions) -> str:
        value = await self.inner.complete_json(messages, schema, options=options)
        raw = json.dumps(value, ensure_ascii=False)
        self.calls[request_key(messages, schema)] = {"asked": messages[-1].content[-300:], "answer": raw}
        return raw


class RecordedLLM(LLM):
    """Answers JSON requests from a recording (`RecordingLLM.calls`, saved as the file's "calls")."""

    name = "recorded"

    def __init__(self, calls: dict[str, dict[str, Any]], *, model_name: str = "recorded") -> None:
        super().__init__()
        self.calls = calls
        self.model_name = model_name

    @classmethod
    def load(cls, path: Path) -> RecordedLLM:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["calls"], model_name=data.get("model", "recorded"))

    async def _json_impl(self, messages: list[ChatMessage], schema: dict[str, Any], options: GenerationOptions) -> str:
        found = self.calls.get(request_key(messages, schema))
        if found is None:
            raise ProviderError("this request was not recorded (the prompt changed since): record again with "
                                "bench/meetings.py --remote URL --record")  # fmt: skip
        return str(found["answer"])
