"""The shared OpenAI SDK client for every OpenAI-compatible backend (LLM, ASR, TTS)."""

from __future__ import annotations

from typing import Any

from glassmate.config import RemoteSettings


def make_client(settings: RemoteSettings) -> Any:
    """An AsyncOpenAI client for `settings`; the SDK owns retries with backoff (max_retries)."""
    from openai import AsyncOpenAI

    return AsyncOpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key.get_secret_value(),
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
    )
