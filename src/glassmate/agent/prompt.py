"""The agent's prompt: a stable system prompt (so llama.cpp's prompt cache holds it), the conversation so far,
and the turn, with what the camera sees when the question came with a photo.

Until a vision model is configured, "what the camera sees" is the text OCR reads and the codes zxing finds
in the frame; they go into the user turn, after the stable (and therefore cached) system prompt.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field

import numpy as np

from glassmate.providers.codes.base import Code, CodeScanner
from glassmate.providers.llm.base import LLM, ChatMessage, GenerationOptions
from glassmate.providers.ocr.base import OCR, TextLine
from glassmate.skills.base import Exchange

SYSTEM_PROMPT = (
    "You are glassmate, the voice assistant in a pair of AI glasses. The wearer hears your answers, so be "
    "brief: one to three short sentences, no lists, no markdown. When the wearer asks about what they are "
    "looking at, you are given the text and codes the camera read; rely on them, and say so when they are "
    "not enough to answer. Answer in the language the wearer used."
)


@dataclass
class SceneContext:
    """What the camera frame tells us, as text the LLM can use."""

    lines: list[TextLine] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)

    def describe(self, max_chars: int = 1200) -> str:
        parts = []
        if self.lines:
            parts.append("Text read in view:\n" + "\n".join(f"- {line.text}" for line in self.lines))
        if self.codes:
            parts.append("Codes in view:\n" + "\n".join(f"- {c.format}: {c.text}" for c in self.codes))
        if not parts:
            return "The camera frame shows no readable text or codes."
        return "\n".join(parts)[:max_chars]


async def read_scene(image: np.ndarray, *, ocr: OCR, codes: CodeScanner) -> SceneContext:
    """OCR and barcode scan of one frame."""
    text = await ocr.read(image)
    found = await codes.scan(image)
    return SceneContext(lines=text.lines, codes=found)


FRESH_FRAME_S = 10.0  # an older frame no longer shows what the wearer is looking at


def build_messages(
    question: str,
    scene: SceneContext | None = None,
    history: Sequence[Exchange] = (),
    transcript: Sequence[ChatMessage] = (),
) -> list[ChatMessage]:
    """System prompt first, then the exchanges the session kept, then this turn.

    Everything before this turn is the previous prompt plus the previous answer, so llama.cpp's prompt cache
    covers it and only the new words are prefilled (see HISTORY_MAX in session/conversation.py).
    """
    messages = [ChatMessage("system", SYSTEM_PROMPT)]
    if transcript:  # a conversation with tool calls: as it was sent, the photo's text before its first message
        first = transcript[0]
        if scene is not None and first.role == "user":
            first = ChatMessage("user", f"{scene.describe()}\n\n{first.content}")
        return [*messages, first, *transcript[1:]]
    user = question.strip()
    if scene is not None:
        user = f"{scene.describe()}\n\nQuestion: {user}"
    for exchange in history:
        messages += [ChatMessage("user", exchange.user), ChatMessage("assistant", exchange.assistant)]
    return [*messages, ChatMessage("user", user)]


def conversation_so_far(history: Sequence[Exchange]) -> list[ChatMessage]:
    """The start of the next turn's prompt: everything `build_messages` puts before the question."""
    return build_messages("", history=history)[:-1]


async def answer(
    question: str,
    *,
    llm: LLM,
    scene: SceneContext | None = None,
    history: Sequence[Exchange] = (),
    options: GenerationOptions | None = None,
) -> AsyncGenerator[str, None]:
    """The answer as text deltas."""
    async with aclosing(llm.stream(build_messages(question, scene, history), options=options)) as deltas:
        async for delta in deltas:
            yield delta
