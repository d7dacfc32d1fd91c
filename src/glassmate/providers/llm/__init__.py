from glassmate.providers.llm.base import LLM, ChatMessage, ChatResult, ToolCall, ToolSpec

__all__ = ["LLM", "ChatMessage", "ChatResult", "ToolCall", "ToolSpec"]
