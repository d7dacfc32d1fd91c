"""The session as its skills see it: a narrow port (say, show a card, emit an event, spawn a task, put an activity
in focus, change the session's options). Skills never hold the RealtimeSession itself."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from glassmate.events import HudCardEvent, SessionConfig, new_id, server_event
from glassmate.skills.base import Activity, Card, Turn

if TYPE_CHECKING:
    from glassmate.session.realtime import RealtimeSession


class SessionPort:
    def __init__(self, session: RealtimeSession) -> None:
        self._session = session
        self.session_id = session.id
        self.device_name = session.device_name

    @property
    def config(self) -> SessionConfig:
        return self._session.config

    async def say(self, text: str, *, skill: str, language: str | None = None, interrupt: bool = True,
                  card: bool = True) -> None:  # fmt: skip
        await self._session.say(text, skill=skill, language=language, interrupt=interrupt, card=card)

    async def show(self, card: Card) -> None:
        await self._session.send(server_event(HudCardEvent, card=card.as_dict(default_id=new_id("card"))))

    async def emit(self, event: dict[str, Any]) -> None:
        await self._session.send(event)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        return self._session.spawn(coro, name=name)

    def focus(self, activity: Activity) -> None:
        self._session.skills.focus(activity)

    def release(self, activity: Activity) -> None:
        self._session.skills.release(activity)

    def update_options(self, **changes: Any) -> None:
        self._session.update_options(**changes)

    def indicate(self, *, audio: bool | None = None, camera: bool | None = None) -> None:
        self._session.indicate(audio=audio, camera=camera)

    def clear_history(self) -> None:
        self._session.clear_history()

    def is_command(self, text: str, language: str | None, *, listener: Activity) -> bool:
        turn = Turn(text=text, language=language, wearer_language=self.config.glassmate.language)
        return self._session.skills.is_command(turn, listener=listener)
