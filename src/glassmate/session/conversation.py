"""The conversation a realtime session's LLM sees: its exchanges, kept as they happen, trimmed rarely, read by the
LLM ahead of the next question, and saved for the device's next session.

The conversation grows turn by turn, so each prompt extends the previous one and llama.cpp reuses its cache;
trimming every turn would change the prompt right after the system prompt and force a full prefill (~1 s here).
So it is trimmed rarely: past HISTORY_MAX exchanges down to HISTORY_KEEP, and emptied after HISTORY_IDLE_S of
silence (an old topic only confuses a small model).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from glassmate.agent.prompt import conversation_so_far
from glassmate.engines import Priority, set_priority
from glassmate.errors import GlassmateError
from glassmate.skills.base import Exchange
from glassmate.store.devices import device_owner

if TYPE_CHECKING:
    from glassmate.session.realtime import RealtimeSession

log = logging.getLogger("glassmate.session")
HISTORY_MAX = 10
HISTORY_KEEP = 3
HISTORY_IDLE_S = 600.0


class Conversation:
    def __init__(self, session: RealtimeSession) -> None:
        self.session = session
        self.exchanges: list[Exchange] = []
        self._last_at = 0.0
        self._last: tuple[str | None, Exchange] | None = None  # the last exchange kept, with its user item
        self._saving = asyncio.Lock()

    def remember(self, item_id: str | None, exchange: Exchange) -> None:
        """Keep an answered exchange: saved at once (a dropped connection loses nothing), and read by the LLM."""
        now = time.monotonic()
        if now - self._last_at > HISTORY_IDLE_S:
            self.exchanges = []
        self._last_at = now
        self._last = (item_id, exchange)
        self.exchanges = [*self.exchanges, exchange]
        if len(self.exchanges) > HISTORY_MAX:
            self.exchanges = self.exchanges[-HISTORY_KEEP:]
        if self._store()[0] is not None and not self.session.closed:
            self.session.spawn(self.save(), name="save-history")
        self.session.spawn(self._prefill(), name="llm-prefill")

    def forget(self, item_id: str) -> None:
        """The turn of `item_id` was joined to the next one: its exchange, if it was the last kept, leaves."""
        if self._last is not None and self._last[0] == item_id:
            exchange = self._last[1]
            self.exchanges = [e for e in self.exchanges if e is not exchange]
            self._last = None

    def clear(self) -> None:
        self.exchanges = []

    async def _prefill(self) -> None:
        """While the wearer hears the answer, let the LLM read the conversation so far, so the next question's
        prompt finds all of it cached. It needs this after a turn the LLM did not answer (its exchange was never
        in the prompt), after a tool call (the prompt held the tool's instruction and a JSON reply, the history
        holds the words) and after the history was trimmed; otherwise the prompt is already cached and this
        costs one token. Background priority: a turn that needs the LLM goes first."""
        set_priority(Priority.BACKGROUND)  # this task's own context: the session's other tasks keep theirs
        try:
            await self.session.models.llm.prefill(conversation_so_far(self.exchanges))
        except GlassmateError as exc:  # an optimisation only: the next turn prefills it itself
            log.debug("session %s: prefill skipped: %s", self.session.id, exc)

    def _store(self) -> tuple[Any, str]:
        conversations = getattr(self.session.services, "conversations", None)
        owner = device_owner(self.session.device_name)
        if conversations is None or owner is None:
            return None, ""
        return conversations, owner

    async def resume(self) -> None:
        """Continue the device's conversation when its last session ended within `memory.resume_history_s`."""
        conversations, owner = self._store()
        if conversations is None:
            return
        try:
            history, age = await asyncio.to_thread(conversations.resume, owner)
        except GlassmateError as exc:
            log.warning("session %s: conversation not resumed: %s", self.session.id, exc)
            return
        if history:
            self.exchanges = history[-HISTORY_MAX:]
            self._last_at = time.monotonic() - age
            self.session.spawn(self._prefill(), name="llm-prefill")

    async def save(self) -> None:
        """Save the conversation as it is now, for the next session of this device: after each exchange, and once
        more as the session ends (awaited there, so the last exchange is not lost to the tasks being cancelled).
        One save at a time, each with the history of its own moment, so an older one never lands last."""
        conversations, owner = self._store()
        if conversations is None:
            return

        async def save() -> None:
            async with self._saving:
                await asyncio.to_thread(conversations.save, owner, tuple(self.exchanges))

        try:
            await asyncio.shield(save())
        except Exception:  # the store is away: the next session starts a new conversation
            log.warning("session %s: conversation not saved", self.session.id, exc_info=True)
