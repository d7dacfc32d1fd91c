"""Conversation translation mode, an activity: while it is in focus every utterance is identified as the
wearer's or the other party's, translated clause by clause while the speaker goes on (captioned as it grows),
and, at the end of the utterance, the wearer's words are spoken in the other language. Commands for the glasses
("stop translating", "stop", a payment's "confirm") are not translated: they route as usual."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from glassmate.errors import GlassmateError
from glassmate.events import TranslationOptions, caption
from glassmate.providers.translate.base import LANGUAGES
from glassmate.skills.base import Activity, Output, Port, SkillPolicy, Turn
from glassmate.skills.tools import ToolContext

if TYPE_CHECKING:
    from glassmate.runtime import Models
    from glassmate.skills.routing import Route


@dataclass
class _Heard:
    """One utterance's clause translations so far."""

    parts: list[str] = field(default_factory=list)
    target: str | None = None


class TranslationActivity(Activity):
    skill = "translate"
    listens = True

    def __init__(self, *, port: Port, models: Models) -> None:
        self.port = port
        self.models = models
        self._heard: dict[str, _Heard] = {}  # by item id, until the utterance's turn is claimed

    @property
    def _options(self) -> TranslationOptions:
        return self.port.config.glassmate.translation

    @property
    def _mine(self) -> str:
        return self.port.config.glassmate.language

    def transcription(self, wearer_language: str) -> tuple[str | None, tuple[str, ...]]:
        # Two people, two languages: identify each utterance, but only among the languages in play.
        other = self._options.other_language
        return None, ((self._mine, other) if other else tuple(LANGUAGES))

    def side(self, language: str | None) -> str:
        """The wearer's words ("me") are in the wearer's language; anything else is the other party's."""
        if language is None:
            return "me"
        return "me" if language == self._mine else "them"

    def _is_mine(self, text: str, language: str | None) -> bool:
        """Words for the other party (translated), not a command for the glasses."""
        return not self.port.is_command(text, language, listener=self)

    async def clause(self, text: str, language: str | None, item_id: str) -> None:
        heard = self._heard.setdefault(item_id, _Heard())
        language = language or self._mine
        if not text or not self._is_mine(text, language):
            return
        side = self.side(language)
        if side == "them" and self._options.other_language is None:
            self.port.update_options(translation={"other_language": language})  # learnt from their first words
        other = self._options.other_language
        target = other if side == "me" else self._mine
        if target is None or target == language:
            return  # the other language is not known yet: the source caption is all there is
        try:
            result = await self.models.translator.translate(
                text, target=target, source=language, glossary=self._options.glossary
            )
        except GlassmateError as exc:
            await self.port.emit(caption(f"({exc.message})", final=True, item_id=item_id, side=side))
            return
        heard.parts.append(result.text)
        heard.target = target
        await self.port.emit(caption(" ".join(heard.parts), final=False, item_id=item_id, side=side,
                                     language=target, kind="translation"))  # fmt: skip

    def claim(self, turn: Turn, matched: Route | None) -> Route | None:
        from glassmate.skills.routing import Route

        if turn.item_id not in self._heard:  # typed text, not an utterance of the conversation
            return None
        if matched is not None and matched.policy.command_while_busy:
            self._heard.pop(turn.item_id, None)
            return None

        async def finish(ctx: ToolContext) -> AsyncGenerator[Output, None]:
            await self._finish(turn)
            return
            yield

        return Route(skill=self.skill, matched_by="activity", run=finish, policy=SkillPolicy(remembered=False),
                     silent=True)  # fmt: skip

    async def _finish(self, turn: Turn) -> None:
        """The utterance is over: its clause translations make the final caption; the wearer's own words are
        spoken in the other language."""
        assert turn.item_id is not None
        heard = self._heard.pop(turn.item_id, None)
        if heard is None or not heard.parts or heard.target is None:
            return
        side = self.side(turn.language)
        joined = " ".join(heard.parts)
        await self.port.emit(caption(joined, final=True, item_id=turn.item_id, side=side, language=heard.target,
                                     kind="translation"))  # fmt: skip
        if side == "me" and self._options.speak_back:
            await self.port.say(joined, skill=self.skill, language=heard.target)
