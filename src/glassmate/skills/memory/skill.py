"""Memory: "remember that I parked on level three" / "记住我的车停在三楼" / "Merk dir, dass …" keeps the words with the
time, the place (the last GPS fix, and the nearest named place on the map) and what was in view (the codes and
text of the camera frame; the frame itself only when asked). "Where did I park?" / "我把车停在哪里了" / "Wo habe ich
geparkt?" recalls by meaning, in any of the languages, and says when and where it was said. "Forget that" and
"forget everything from today" delete (glassmate.memory)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from glassmate.agent.prompt import FRESH_FRAME_S, read_scene
from glassmate.errors import BadInputError, GlassmateError, ToolError
from glassmate.memory.privacy import today_began
from glassmate.memory.service import Memory, Where
from glassmate.skills.base import Skill, SkillPolicy
from glassmate.skills.memory.speech import TEXTS, cited, spoken_past
from glassmate.skills.tools import ToolContext, tool
from glassmate.store.devices import device_owner

log = logging.getLogger("glassmate.memory")

FORGET_THAT_WITHIN_S = 600  # "forget that" with nothing touched in this session: the newest memory this recent


class MemorySkill(Skill):
    name = "memory"
    policy = SkillPolicy(icon="memory", models=("embedder",))

    _last: str | None = None  # the memory this session made or recalled last: what "forget that" means

    @property
    def _owner(self) -> str | None:
        port = self.port
        return device_owner(port.device_name) if port is not None else None

    def _services(self, ctx: ToolContext) -> tuple[Any, str]:
        memories = getattr(self.env.services, "memories", None)
        owner = self._owner
        if memories is None or owner is None:
            raise ToolError(ctx.text(TEXTS, "glasses_only"))
        return memories, owner

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.env.settings.travel.timezone)

    async def _where(self, ctx: ToolContext) -> Where:
        device = ctx.turn.device
        if device.lat is None or device.lon is None:
            return Where()
        place = ""
        navigation = getattr(self.env.services, "navigation", None)
        if navigation is not None:
            try:
                loaded = await asyncio.wait_for(navigation.aload(), timeout=5)
                found = loaded.places.nearest(device.lat, device.lon)
                if found is not None and (found.distance_m or 0) <= self.env.settings.memory.place_within_m:
                    place = found.place.name
            except (TimeoutError, GlassmateError) as exc:  # no map here: the coordinates alone
                log.debug("no place for a memory: %s", exc)
        return Where(device.lat, device.lon, place)

    async def _in_view(self, ctx: ToolContext) -> dict[str, Any]:
        frame = ctx.turn.frame
        if frame is None or frame.age_s() > FRESH_FRAME_S:
            return {}
        try:
            scene = await read_scene(await asyncio.to_thread(frame.pixels), ocr=ctx.models.ocr, codes=ctx.models.codes)
        except GlassmateError as exc:  # an unreadable frame: the memory is kept without it
            log.info("frame not read for a memory: %s", exc)
            return {}
        view: dict[str, Any] = {}
        if scene.lines:
            view["text"] = [line.text for line in scene.lines][:20]
        if scene.codes:
            view["codes"] = [{"format": c.format, "text": c.text} for c in scene.codes][:5]
        return view

    @tool(
        timeout_s=20,
        examples=(
            "Remember that I parked on level three.",
            "Remember that my locker is number 42.",
            "记住我的车停在三楼",
            "记一下我的储物柜是42号",
            "Merk dir, dass ich auf Ebene drei geparkt habe.",
            "Merk dir, dass mein Schließfach die Nummer 42 hat.",
        ),
    )
    async def remember(self, ctx: ToolContext, what: str = "", photo: bool = False) -> str:
        """Remember something the wearer asks to keep (where they parked, a number, a name), with the time, the
        place and what is in view, to recall later.

        Args:
            what: what to remember, in the wearer's words ("I parked on level three").
            photo: also keep the camera's picture (only when the wearer asks for a photo).
        """
        memories, owner = self._services(ctx)
        frame = ctx.turn.frame
        image = None
        if photo:
            if frame is None or frame.age_s() > FRESH_FRAME_S:
                return ctx.text(TEXTS, "no_camera")
            image = frame.data
        in_view = await self._in_view(ctx)
        text = what.strip(" ,.，。!！") or (" / ".join(in_view.get("text", [])[:3]) if photo else "")
        if photo and not text:
            text = ctx.text(TEXTS, "a_photo")
        try:
            made = await memories.remember(owner, text, language=ctx.language, where=await self._where(ctx),
                                           in_view=in_view, image=image)  # fmt: skip
        except BadInputError as exc:
            if exc.code == "memory-empty":
                return ctx.text(TEXTS, "what")
            raise ToolError(ctx.text(TEXTS, "too_long"), code=exc.code) from exc
        self._last = made.id
        if image is not None and self.port is not None:
            self.port.indicate(camera=True)  # a frame was kept: the wearer (and those around) see it on the HUD
        return ctx.text(TEXTS, "photo_kept" if image is not None else "kept", what=made.text)

    @tool(
        timeout_s=15,
        examples=(
            "Where did I park?",
            "What's my locker number?",
            "What did I tell you about the wifi password?",
            "我把车停在哪里了",
            "我的储物柜是几号来着",
            "Wo habe ich geparkt?",
            "Was war meine Schließfachnummer noch mal?",
        ),
    )
    async def recall(self, ctx: ToolContext, topic: str = "") -> str:
        """Recall something the wearer asked to be remembered ("where did I park?"), saying when and where they
        said it.

        Args:
            topic: what they ask about, in their words.
        """
        memories, owner = self._services(ctx)
        # The whole question means more than the slot a template cut from it ("where did I {topic}": "park").
        question = ctx.turn.text.strip() or topic
        found = await memories.recall(owner, question, limit=1)
        if not found:
            return ctx.text(TEXTS, "none", topic=topic) if topic else ctx.text(TEXTS, "none_at_all")
        memory = found[0].memory
        self._last = memory.id
        return self._cite(ctx, memory)

    def _cite(self, ctx: ToolContext, memory: Memory) -> str:
        now = dt.datetime.fromtimestamp(ctx.turn.now, self._zone())
        return cited(memory, ctx.language, now)

    @tool(agent=False, timeout_s=10)
    async def forget_that(self, ctx: ToolContext) -> str:
        """Forget the memory just made or recalled."""
        memories, owner = self._services(ctx)
        target = self._last
        if target is None:  # nothing touched in this session: the newest, if it was just made
            since = dt.datetime.fromtimestamp(ctx.turn.now - FORGET_THAT_WITHIN_S, dt.UTC)
            recent = await asyncio.to_thread(memories.list, owner, since=since, limit=1)
            target = recent[0].id if recent else None
        if target is None:
            return ctx.text(TEXTS, "nothing_to_forget")
        try:
            memory = await asyncio.to_thread(memories.get, owner, target)
            await asyncio.to_thread(memories.forget, owner, target)
        except GlassmateError:  # already gone
            self._last = None
            return ctx.text(TEXTS, "nothing_to_forget")
        await asyncio.to_thread(self._scrub)
        self._last = None
        return ctx.text(TEXTS, "forgot", what=memory.text)

    def _scrub(self) -> None:
        privacy = getattr(self.env.services, "privacy", None)
        if privacy is not None:
            privacy.scrub()

    @tool(agent=False, timeout_s=30)
    async def forget_today(self, ctx: ToolContext) -> str:
        """Forget everything the glasses kept today: memories, meetings and the conversation (payment records stay,
        as the law requires)."""
        privacy = getattr(self.env.services, "privacy", None)
        owner = self._owner
        if privacy is None or owner is None:
            raise ToolError(ctx.text(TEXTS, "glasses_only"))
        since = today_began(self.env.settings.travel.timezone, ctx.turn.now)
        done = await asyncio.to_thread(privacy.forget_since, owner, since)
        if self.port is not None:
            self.port.clear_history()
        self._last = None
        text = ctx.text(TEXTS, "forgot_today", memories=done.memories, meetings=done.meetings)
        if done.kept_payments:
            text += ctx.text(TEXTS, "kept_payments", count=done.kept_payments)
        return text

    @tool(
        timeout_s=10,
        examples=("What did I ask you to remember?", "我让你记住了什么", "Was hast du dir gemerkt?"),
        side_effects=False,
    )
    async def list_memories(self, ctx: ToolContext) -> str:
        """Tell the newest things the wearer asked to be remembered."""
        memories, owner = self._services(ctx)
        recent = await asyncio.to_thread(memories.list, owner, limit=3)
        if not recent:
            return ctx.text(TEXTS, "empty")
        now = dt.datetime.fromtimestamp(ctx.turn.now, self._zone())
        items = [ctx.text(TEXTS, "item", when=spoken_past(m.created_at.astimezone(now.tzinfo), ctx.language, now),
                          what=m.text) for m in recent]  # fmt: skip
        return ctx.text(TEXTS, "list", items=ctx.text(TEXTS, "separator").join(items))
