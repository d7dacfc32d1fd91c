"""Travel: the wearer's trip from their imported calendars ("what's next on my trip?", "when do I need to leave?",
"我的航班几点起飞", "Wann fährt mein Zug?"), one-off reminders ("remind me at 5 to call Anna"), and the reminders
themselves, spoken and shown on the HUD when they go off (glassmate.travel)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

from glassmate.errors import BadInputError, GlassmateError, ToolError
from glassmate.navigation.mapdata import haversine_m
from glassmate.skills.base import Card, DeviceInfo, Skill, SkillPolicy
from glassmate.skills.tools import ToolContext, phrase, tool
from glassmate.skills.travel.speech import (
    TEXTS,
    clock,
    parse_when,
    reminder_text,
    reminder_title,
    spoken_day,
    spoken_when,
    summary_text,
    what,
)
from glassmate.store.devices import device_owner
from glassmate.travel.calendar import Occurrence
from glassmate.travel.reminders import Reminder
from glassmate.travel.rules import trip_of

log = logging.getLogger("glassmate.travel")

LOOK_AHEAD_DAYS = 60  # how far "what's next on my trip?" looks
REFINE_EVERY_S = 300  # a leave-by reminder is refined from the glasses' position at most this often…
REFINE_MOVED_M = 200  # …unless the wearer has moved this far since


class TravelSkill(Skill):
    name = "travel"
    policy = SkillPolicy(icon="clock")

    # -- reminders going off ------------------------------------------------------------------------------

    @property
    def _owner(self) -> str | None:
        port = self.port
        return device_owner(port.device_name) if port is not None else None

    @property
    def _travel(self) -> Any:
        return getattr(self.env.services, "travel", None)

    def on_open(self) -> None:
        travel, owner = self._travel, self._owner
        if travel is None or owner is None or self.port is None:
            return
        travel.inbox.attach(owner, self.deliver)
        self.port.spawn(travel.inbox.deliver(owner), name="reminders-waiting")  # what came due while away

    def on_close(self) -> None:
        travel, owner = self._travel, self._owner
        if travel is not None and owner is not None:
            travel.inbox.detach(owner, self.deliver)

    # -- the way to the airport or station ----------------------------------------------------------------

    _refined: tuple[float, float, float] | None = None  # (monotonic time, lat, lon) of the last refinement

    def on_device(self, device: DeviceInfo) -> None:
        """A GPS fix: now and then (REFINE_EVERY_S, or after REFINE_MOVED_M), move the next leave-by reminder to
        the walking time from here (Travel.refine_leave_by), in the background."""
        if device.lat is None or device.lon is None or self.port is None or self._owner is None:
            return
        now = time.monotonic()
        last = self._refined
        if last is not None and now - last[0] < REFINE_EVERY_S and haversine_m(last[1], last[2], device.lat,
                                                                             device.lon) < REFINE_MOVED_M:  # fmt: skip
            return
        self._refined = (now, device.lat, device.lon)
        self.port.spawn(self._refine((device.lat, device.lon)), name="leave-by")

    async def _refine(self, here: tuple[float, float]) -> Reminder | None:
        travel, owner = self._travel, self._owner
        navigation = getattr(self.env.services, "navigation", None)
        if travel is None or owner is None or navigation is None:
            return None
        try:
            return await asyncio.wait_for(travel.refine_leave_by(owner, here, navigation), timeout=10)
        except (TimeoutError, GlassmateError) as exc:
            log.info("leave-by not refined: %s", exc)
            return None

    async def deliver(self, reminders: list[Reminder]) -> None:
        """Say and show reminders as they go off; those that waited (the glasses or the server were off past
        `stale_after_min`) are summarised in one sentence and one card, not replayed one by one."""
        port = self.port
        if port is None:
            return
        language = port.config.glassmate.language
        now = dt.datetime.now(dt.UTC)
        stale_after = dt.timedelta(minutes=self.env.settings.travel.stale_after_min)
        stale = [r for r in reminders if now - r.due_at > stale_after]
        fresh = [r for r in reminders if r not in stale]
        for r in fresh:
            text = reminder_text(r, language, now)
            await port.show(Card(title=reminder_title(r, language), lines=[text], icon="clock", id=r.id,
                                 ttl_ms=30_000, priority="high"))  # fmt: skip
            await port.say(text, skill=self.name, language=language, interrupt=False, card=False)
        if stale:
            text = summary_text(stale, language)
            lines = [f"{clock(r.local(r.due_at), language)}  {what(r.params, r.subject, language)}" for r in stale]
            await port.show(Card(title=phrase(TEXTS, language, "title_summary"), lines=lines[:8], icon="clock",
                                 ttl_ms=30_000))  # fmt: skip
            await port.say(text, skill=self.name, language=language, interrupt=False, card=False)

    # -- questions ----------------------------------------------------------------------------------------

    def _context(self, ctx: ToolContext) -> tuple[Any, str, dt.datetime]:
        travel, owner = self._travel, self._owner
        if travel is None or owner is None:
            raise ToolError(ctx.text(TEXTS, "glasses_only"))
        zone = ZoneInfo(self.env.settings.travel.timezone)
        return travel, owner, dt.datetime.fromtimestamp(ctx.turn.now, zone)

    async def _upcoming(self, ctx: ToolContext) -> tuple[list[Occurrence], dt.datetime]:
        travel, owner, now = self._context(ctx)
        found = await asyncio.to_thread(travel.events, owner, now, now + dt.timedelta(days=LOOK_AHEAD_DAYS))
        # Under way or still ahead: a flight that departed is not "next"; an all-day hotel stay of today is.
        ahead = [o for o in found if not isinstance(o.start, dt.datetime) or o.start >= now]
        return ahead, now

    def _when(self, o: Occurrence, language: str, now: dt.datetime) -> str:
        if isinstance(o.start, dt.datetime):
            return spoken_when(o.start, language, now.astimezone(o.start.tzinfo))
        return spoken_day(o.start, language, now.date())

    @tool(
        timeout_s=10,
        examples=(
            "What's next on my trip?",
            "What's my next booking?",
            "我接下来的行程是什么？",
            "下一个行程是什么",
            "Was steht als Nächstes auf meiner Reise an?",
        ),
        side_effects=False,
    )
    async def next_trip(self, ctx: ToolContext) -> str:
        """Tell the next flight, train or hotel stay in the wearer's imported calendars (or, when there is none,
        their next event)."""
        ahead, now = await self._upcoming(ctx)
        if not ahead:
            return ctx.text(TEXTS, "nothing", days=LOOK_AHEAD_DAYS)
        trips = [o for o in ahead if trip_of(o)[0] != "event"]
        first = (trips or ahead)[0]
        mode, number = trip_of(first)
        name = what({"mode": mode, "number": number}, first.summary, ctx.language)
        when = self._when(first, ctx.language, now)
        if not trips:
            return ctx.text(TEXTS, "next_event", what=name, when=when)
        where = ctx.text(TEXTS, "where", location=first.location) if first.location else ""
        return ctx.text(TEXTS, "next", what=name, when=when, where=where)

    @tool(
        timeout_s=10,
        examples=(
            "When does my flight leave?",
            "What time is my train?",
            "我的航班几点起飞",
            "我的火车几点开",
            "Wann fährt mein Zug?",
            "Wann geht mein Flug?",
        ),
        side_effects=False,
    )
    async def departure_time(self, ctx: ToolContext, mode: str = "flight") -> str:
        """Tell when the wearer's next flight or train departs, and from where.

        Args:
            mode: "flight" or "train".
        """
        mode = "train" if mode.strip().lower() in ("train", "zug", "火车", "高铁", "列车", "bahn") else "flight"
        ahead, now = await self._upcoming(ctx)
        found = [o for o in ahead if trip_of(o)[0] == mode]
        if not found:
            return ctx.text(TEXTS, f"no_mode_{mode}")
        first = found[0]
        name = what({"mode": mode, "number": trip_of(first)[1]}, first.summary, ctx.language)
        where = ctx.text(TEXTS, "where", location=first.location) if first.location else ""
        return ctx.text(TEXTS, "departs", what=name, when=self._when(first, ctx.language, now), where=where)

    @tool(
        timeout_s=10,
        examples=(
            "When do I need to leave?",
            "When should I head to the airport?",
            "我什么时候该出发？",
            "我几点得去机场",
            "Wann muss ich los?",
            "Wann sollte ich zum Bahnhof aufbrechen?",
        ),
        side_effects=False,
    )
    async def leave_time(self, ctx: ToolContext) -> str:
        """Tell when the wearer must leave for their next flight or train (departure, minus the time at the
        airport or station, minus the way there)."""
        travel, owner, now = self._context(ctx)
        device = ctx.turn.device
        if device.lat is not None and device.lon is not None:  # the walk from here, when the map has it
            await self._refine((device.lat, device.lon))
        pending = await asyncio.to_thread(travel.pending, owner)
        upcoming = [r for r in pending if r.kind == "leave" and r.event_at is not None and r.event_at > now]
        if not upcoming:
            return ctx.text(TEXTS, "no_leave")
        r = upcoming[0]
        name = what(r.params, r.subject, ctx.language)
        assert r.event_at is not None
        departs = clock(r.local(r.event_at), ctx.language)
        if r.due_at <= now:
            return ctx.text(TEXTS, "leave_now", what=name, time=departs)
        place = ctx.text(TEXTS, "airport" if r.params.get("mode") == "flight" else "station")
        key = "leave_by_walk" if r.params.get("way") == "walk" else "leave_by"
        return ctx.text(TEXTS, key, when=spoken_when(r.local(r.due_at), ctx.language, r.local(now)),
                        what=name, time=departs, way=r.params.get("way_min", "?"),
                        buffer=r.params.get("buffer_min", "?"), place=place)  # fmt: skip

    @tool(
        timeout_s=10,
        examples=(
            "Remind me at 5 to call Anna.",
            "Remind me in 10 minutes to take the laundry out.",
            "五点提醒我给安娜打电话",
            "十分钟后提醒我关火",
            "Erinnere mich um 5 daran, Anna anzurufen.",
            "Erinnere mich in einer Stunde an den Termin.",
        ),
    )
    async def set_reminder(self, ctx: ToolContext, when: str, task: str) -> str:
        """Set a one-off reminder that goes off on the glasses at a time the wearer says.

        Args:
            when: the time as the wearer said it ("at 5", "in 10 minutes", "五点", "um halb sechs").
            task: what to remind them of, in their words ("call Anna", "给安娜打电话").
        """
        travel, owner, now = self._context(ctx)
        # The time as said ("at 5"), or as a template cut it ("remind me to call Anna at {when}": "5").
        at = next((t for t in (parse_when(f"{p}{when}", ctx.language, now) for p in ("", "at ", "um ")) if t), None)
        if at is None:
            return ctx.text(TEXTS, "no_time")
        task = task.strip(" ,.，。!！") or when
        try:
            reminder = await asyncio.to_thread(travel.remind, owner, at, task)
        except BadInputError as exc:
            if exc.code == "reminder-in-past":
                return ctx.text(TEXTS, "past")
            raise
        return ctx.text(TEXTS, "set", when=spoken_when(reminder.local(reminder.due_at), ctx.language, now),
                        task=task)  # fmt: skip
