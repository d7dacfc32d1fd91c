"""Walking guidance inside a realtime session: an activity fed by the glasses' GPS fixes (and heading).

Each fix goes to the route's Guide (navigation/guidance.py), one at a time, the newest first: fixes that arrive
while one is handled (or while a new route is computed) are replaced by the latest, never queued up. What the
wearer hears and sees:

- a `navigation.updated` event whenever what the HUD shows changes (state, next maneuver, its distance to 5 m,
  the remaining distance), with the route's geometry when it is new;
- "In 120 metres turn left onto Mikonkatu", "Now turn left onto Mikonkatu. Then in 40 metres turn right." with
  an arrow card, spoken after any answer in progress (guidance does not cut the wearer's other questions short);
- off the route for two fixes: a new route from where the wearer is ("New route: ..."), state `rerouted`;
- arrival: "You have arrived at ...", state `arrived`, and the activity ends; "stop navigation" ends it too.

The activity claims no turns: while it runs, every other question is answered as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from glassmate.errors import GlassmateError
from glassmate.events import NavigationUpdatedEvent, server_event
from glassmate.navigation.guidance import PREPARE_MIN_STEP_M, Decision, Fix, Guide
from glassmate.navigation.mapdata import haversine_m
from glassmate.navigation.osrm import encode_polyline
from glassmate.navigation.router import Route, Router
from glassmate.skills.base import Activity, Card, Port
from glassmate.skills.navigate.speech import (
    ARROWS,
    distance_text,
    instruction,
    instruction_now,
    minutes_text,
    opening,
)
from glassmate.skills.navigate.texts import TEXTS
from glassmate.skills.tools import Phrases

log = logging.getLogger("glassmate.navigation")
CARD_ID = "navigation"
RETRY_REROUTE_S = 10.0  # after a failed reroute (off the map), the next try waits this long


class Guidance(Activity):
    skill = "navigate"

    def __init__(self, *, port: Port, router: Router, route: Route, place: str, target: tuple[float, float],
                 language: str, attribution: str, start: tuple[float, float] | None = None) -> None:  # fmt: skip
        self.port = port
        self.router = router
        self.place = place
        self.target = target
        self.say = Phrases(language)
        self.attribution = attribution
        offset = float(haversine_m(*start, *route.points[0])) if start else 0.0
        self.guide = Guide(route, start_offset_m=offset)
        self.state = "guiding"
        self.last: Decision | None = None
        self.fixes = 0
        self._fix: Fix | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._shown: tuple[Any, ...] | None = None  # what the HUD was last told, to send only changes
        self._failed_at = 0.0
        self._lost = False  # "you have left the map" was said
        self._new_route = True
        self._unsaid: str | None = None
        self._speaker: asyncio.Task[None] | None = None

    @property
    def route(self) -> Route:
        return self.guide.route

    # -- the session's side ------------------------------------------------------------------------------------

    def start(self) -> None:
        self.port.focus(self)
        self._task = self.port.spawn(self._run(), name="navigation")

    def on_fix(self, fix: Fix) -> None:
        """A GPS fix arrived (cheap: handled by the activity's task, the newest replacing any not handled yet)."""
        self._fix = fix
        self._wake.set()

    async def stop(self) -> None:
        """ "Stop navigation": the guidance ends, the HUD is told."""
        self._unsaid = None  # nothing more is announced after "navigation stopped"
        for task in (self._task, self._speaker):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.state = "stopped"
        self.port.release(self)
        await self._emit(force=True)

    # -- the guidance ------------------------------------------------------------------------------------------

    async def _run(self) -> None:
        await self._emit(force=True)
        try:
            while self.state != "arrived":
                await self._wake.wait()
                self._wake.clear()
                fix, self._fix = self._fix, None
                if fix is not None:
                    await self.handle(fix)
        finally:
            if self.state == "arrived":
                self.port.release(self)

    async def handle(self, fix: Fix) -> None:
        """One fix: where the wearer is on the route, and what to say and show."""
        self.fixes += 1
        decision = self.guide.update(fix)
        self.last = decision
        if decision.state == "off-route":
            if self.state != "off-route":
                self.state = "off-route"
                await self._emit()
            await self._reroute(fix)
            return
        self.state = decision.state
        self._lost = False
        if decision.state == "arrived":
            if decision.announce:
                await self._emit(force=True)
                await self._announce(self.say.text(TEXTS, "arrived", place=self.place), decision)
            return
        await self._emit()
        if decision.announce is not None:
            await self._announce(self._announcement(decision), decision)

    async def _reroute(self, fix: Fix) -> None:
        if time.monotonic() - self._failed_at < RETRY_REROUTE_S:
            return
        here = (fix.lat, fix.lon)
        try:
            route = await self.router.route(here, self.target)
        except GlassmateError as exc:
            self._failed_at = time.monotonic()
            log.info("no new route: %s", exc.code)
            if not self._lost:  # said once, until the wearer is back on a route
                self._lost = True
                await self._announce(self.say.text(TEXTS, "lost", place=self.place), None)
            return
        self._lost = False
        self.guide = Guide(route, start_offset_m=float(haversine_m(*here, *route.points[0])))
        self.state, self._new_route = "rerouted", True
        self.last = self.guide.update(fix)
        await self._emit(force=True)
        self.state = "guiding"
        first = opening(self.say, route, self.place)
        await self._announce(
            self.say.text(
                TEXTS,
                "rerouted",
                distance=distance_text(self.say, route.distance_m),
                minutes=minutes_text(self.say, route.duration_s),
                first=first,
            ),
            self.last,
        )

    def _announcement(self, decision: Decision) -> str:
        steps = self.route.steps
        step = steps[decision.step]
        if decision.announce == "prepare":
            return instruction(self.say, step, decision.to_maneuver_m, self.place)
        said = instruction_now(self.say, step, self.place)
        following = steps[decision.step + 1] if decision.step + 1 < len(steps) else None
        if following is not None and step.distance_m < PREPARE_MIN_STEP_M:
            # The next maneuver comes too soon for an announcement of its own: say it now.
            then = instruction(self.say, following, step.distance_m, self.place)
            if self.say.language == "en":
                then = then[:1].lower() + then[1:]  # "Then in 40 metres turn right."
            said += " " + self.say.text(TEXTS, "then", next=then)
        return said

    async def _announce(self, text: str, decision: Decision | None) -> None:
        if decision is not None:
            await self.port.show(self._card(decision))
        # Spoken by the speaker task after any answer in progress, while the next fixes are handled; an
        # announcement not said yet is replaced by a newer one ("now turn left" makes "in 120 metres" stale).
        self._unsaid = text
        if self._speaker is None or self._speaker.done():
            self._speaker = self.port.spawn(self._speak(), name="navigation-say")

    async def _speak(self) -> None:
        while self._unsaid is not None:
            text, self._unsaid = self._unsaid, None
            await self.port.say(text, skill=self.skill, language=self.say.language, interrupt=False, card=False)

    # -- what the HUD gets -------------------------------------------------------------------------------------

    def _card(self, decision: Decision) -> Card:
        if decision.state == "arrived":
            return Card(f"⚑ {self.place}"[:40], [self.say.text(TEXTS, "arrived", place=self.place)],
                        icon="navigation-arrived", id=CARD_ID, ttl_ms=8000)  # fmt: skip
        step = self.route.steps[decision.step]
        modifier = "straight" if step.type in ("arrive", "continue") and step.modifier != "uturn" else step.modifier
        lines = [step.name or self.place, f"{distance_text(self.say, decision.remaining_m)} · "
                 f"{minutes_text(self.say, decision.remaining_s)}"]  # fmt: skip
        return Card(f"{ARROWS[modifier]} {distance_text(self.say, decision.to_maneuver_m)}", lines,
                    icon=f"arrow-{modifier.replace(' ', '-')}", id=CARD_ID, ttl_ms=60_000)  # fmt: skip

    def snapshot(self) -> dict[str, Any]:
        """The guidance as the `navigation.updated` event carries it."""
        d = self.last
        route = self.route
        step_index = d.step if d is not None else min(1, len(route.steps) - 1)
        step = route.steps[step_index]
        to_maneuver = d.to_maneuver_m if d is not None else route.cumulative_m[step.point]
        remaining = d.remaining_m if d is not None else route.distance_m
        remaining_s = d.remaining_s if d is not None else route.duration_s
        out: dict[str, Any] = {
            "state": self.state,
            "destination": {"name": self.place, "lat": self.target[0], "lon": self.target[1]},
            "maneuver": None if self.state in ("arrived", "stopped") else {
                "type": step.type, "modifier": step.modifier, "name": step.name,
                "location": [step.location[1], step.location[0]], "distance_m": round(to_maneuver),
                "instruction": instruction(self.say, step, to_maneuver, self.place),
            },
            "remaining_m": round(remaining) if self.state != "arrived" else 0,
            "remaining_s": round(remaining_s) if self.state != "arrived" else 0,
            "off_route_m": round(d.off_route_m, 1) if d is not None else 0.0,
            "direction_deg": round(d.direction_deg) if d is not None and d.direction_deg is not None else None,
            "language": self.say.language,
            "attribution": self.attribution,
        }  # fmt: skip
        if self._new_route and self.state in ("guiding", "rerouted"):
            out["route"] = {"distance_m": round(route.distance_m, 1), "duration_s": round(route.duration_s),
                            "geometry": encode_polyline(route.points)}  # fmt: skip
        return out

    async def _emit(self, *, force: bool = False) -> None:
        snap = self.snapshot()
        maneuver = snap["maneuver"] or {}
        shown = (snap["state"], maneuver.get("type"), maneuver.get("location"),
                 round(maneuver.get("distance_m", 0) / 5), round(snap["remaining_m"] / 5),
                 snap["direction_deg"])  # fmt: skip
        if not force and shown == self._shown:
            return
        self._shown = shown
        self._new_route = False
        await self.port.emit(server_event(NavigationUpdatedEvent, navigation=snap))
