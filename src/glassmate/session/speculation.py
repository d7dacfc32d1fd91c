"""An answer started before the turn is known to have ended.

With `semantic_vad`, a pause that the end-of-turn model and the words call finished ends the turn only once the
silence is `turn.min_silence_ms` long (the wearer may still go on). The words are known by then, so the answer
starts at once: it is routed, the skill's tool runs and Piper speaks it, while everything it would send waits
here. If the turn ends where it was judged to (it usually does), its events go out in order, right after the
transcript's, and the rest streams as usual; if the wearer speaks on, it is cancelled and nothing of it was ever
sent. Only what changes nothing and costs little runs early (RealtimeSession.speculate says which turns): a tool
with side effects (paying, starting a route, forgetting) would wait until the turn has ended
(`ToolContext.turn_ended`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glassmate.session.respond import ResponseRun
    from glassmate.session.utterance import Utterance

Send = Callable[[dict[str, Any]], Awaitable[None]]


class SpeculativeAnswer:
    """The answer to `text`, the words of `utterance` up to the pause judged finished, held until released."""

    def __init__(self, utterance: Utterance, text: str, send: Send) -> None:
        self.utterance = utterance
        self.text = text
        self._send = send
        self._held: list[dict[str, Any]] = []
        self.turn_ended = asyncio.Event()  # set on release: tools with side effects may act from then on
        self.dropped = False
        self.run: ResponseRun | None = None  # its response, once started
        self.task: asyncio.Task[Any] | None = None

    async def send(self, data: dict[str, Any]) -> None:
        """The response's events: held until the turn has ended, then sent; nothing once dropped."""
        if self.dropped:
            return
        if not self.turn_ended.is_set():
            self._held.append(data)
            return
        await self._send(data)

    async def release(self) -> None:
        """The turn ended where it was judged to: send what was held, in order, and stream the rest."""
        while self._held:  # the response may add more while these are sent: they go out in the same order
            await self._send(self._held.pop(0))
        self.turn_ended.set()

    def drop(self) -> None:
        """The wearer went on (or the turn became another): cancel the answer; nothing of it was sent."""
        self.dropped = True
        self._held.clear()
        if self.task is not None:
            self.task.cancel()
