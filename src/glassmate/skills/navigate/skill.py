"""Walking navigation on the offline OpenStreetMap map: "take me to the market square", "nearest pharmacy",
"where am I", "how far is it", "stop navigation", in Chinese, English and German."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import numpy as np

from glassmate.errors import GlassmateError, ToolError
from glassmate.navigation.guidance import Fix
from glassmate.navigation.mapdata import bearing_deg, haversine_m
from glassmate.navigation.places import Found, ambiguous, category_of
from glassmate.navigation.router import Route
from glassmate.navigation.service import LoadedMap, Navigation
from glassmate.skills.base import Card, DeviceInfo, Output, Skill, SkillEnv, SkillPolicy
from glassmate.skills.navigate.choice import PlaceChoice
from glassmate.skills.navigate.guidance import Guidance
from glassmate.skills.navigate.speech import direction, distance_text, minutes_text, opening, place_name
from glassmate.skills.navigate.texts import CATEGORIES, TEXTS
from glassmate.skills.tools import ToolContext, tool

LANDMARKS = frozenset({"station", "square", "church", "museum", "park", "monument", "attraction", "market", "mall",
                       "theatre", "library", "hotel", "metro", "tram_stop"})  # fmt: skip


class NavigateSkill(Skill):
    """Walking routes and places on the offline map."""

    name = "navigate"
    policy = SkillPolicy(icon="navigation", command_while_busy=True)

    def __init__(self, *, env: SkillEnv) -> None:
        super().__init__(env=env)
        self.route: Route | None = None
        self.destination: Found | None = None
        self.guidance: Guidance | None = None  # running while the wearer is guided (a realtime session only)

    def on_device(self, device: DeviceInfo) -> None:
        if self.guidance is not None and device.lat is not None and device.lon is not None:
            self.guidance.on_fix(Fix(device.lat, device.lon, device.heading_deg, device.accuracy_m))

    def _navigation(self) -> Navigation:
        navigation: Navigation | None = getattr(self.env.services, "navigation", None)
        if navigation is None:
            raise ToolError("Navigation is not available on this server.", code="map-missing")
        return navigation

    async def _map(self) -> LoadedMap:
        return await self._navigation().aload()

    def _position(self, ctx: ToolContext) -> tuple[float, float]:
        device = ctx.turn.device
        if device.lat is None or device.lon is None:
            raise ToolError(ctx.text(TEXTS, "no_fix"), code="no-position")
        return device.lat, device.lon

    @tool(timeout_s=10, examples=("take me to the market square", "带我去火车站", "Wie komme ich zum Dom?"))
    async def navigate(self, ctx: ToolContext, destination: str) -> AsyncGenerator[Output, None]:
        """Walking directions on foot to a place named by the wearer, or to the nearest place of a kind. Not for
        taxis, cars or public transport.

        Args:
            destination: the place's name or kind as the wearer said it.
        """
        here = self._position(ctx)
        loaded = await self._map()
        found = self._search(ctx, loaded, destination, here)
        if category_of(destination) is None and ambiguous(found):
            a, b = found[0], found[1]
            da, db = distance_text(ctx, a.distance_m or 0), distance_text(ctx, b.distance_m or 0)
            if self.port is not None:  # the next turn may pick one: "the first", "die zweite", a name
                self.port.focus(PlaceChoice(port=self.port, options=[a, b], policy=self.policy, go=self._go))
            yield ctx.text(TEXTS, "which", a=place_name(a, ctx.language), b=place_name(b, ctx.language), da=da, db=db)
            return
        async for out in self._go(ctx, found[0]):
            yield out

    async def _go(self, ctx: ToolContext, target: Found) -> AsyncGenerator[Output, None]:
        """The route to a place chosen, its first maneuvers said, and the guidance started."""
        here = self._position(ctx)
        loaded = await self._map()
        name = place_name(target, ctx.language)
        try:
            route = await (await self._navigation().router()).route(here, (target.place.lat, target.place.lon))
        except GlassmateError as exc:
            raise ToolError(exc.message, code=exc.code) from exc
        if route.distance_m < 15:
            yield ctx.text(TEXTS, "here", place=name)
            return
        self.route, self.destination = route, target
        await self._guide(route, target, name, here, ctx.language, loaded.data.attribution)
        first = opening(ctx, route, name)
        yield Card(name[:32], [distance_text(ctx, route.distance_m), minutes_text(ctx, route.duration_s)],
                   icon="navigation")  # fmt: skip
        yield ctx.text(TEXTS, "route", place=name, distance=distance_text(ctx, route.distance_m),
                       minutes=minutes_text(ctx, route.duration_s), first=first)  # fmt: skip

    async def _guide(self, route: Route, target: Found, name: str, here: tuple[float, float], language: str,
                     attribution: str) -> None:  # fmt: skip
        """Start the guidance activity (replacing one that runs); only a realtime session has fixes to guide by."""
        if self.guidance is not None:
            await self.guidance.stop()
            self.guidance = None
        if self.port is None:
            return
        self.guidance = Guidance(port=self.port, router=await self._navigation().router(), route=route, place=name,
                                 target=(target.place.lat, target.place.lon), language=language,
                                 attribution=attribution, start=here)  # fmt: skip
        self.guidance.start()

    def _search(self, ctx: ToolContext, loaded: LoadedMap, query: str, here: tuple[float, float]) -> list[Found]:
        try:
            found = loaded.places.search(query, here)
        except GlassmateError as exc:
            raise ToolError(exc.message, code=exc.code) from exc
        if not found:
            raise ToolError(ctx.text(TEXTS, "not_found", query=query), code="place-not-found")
        return found

    @tool(
        timeout_s=10,
        examples=("where is the nearest pharmacy", "最近的药店在哪", "Wo ist die nächste Apotheke?"),
        side_effects=False,
    )
    async def find_place(self, ctx: ToolContext, query: str) -> str:
        """Say where the nearest place of a kind (pharmacy, café, station, toilet, ...) or of a name is: its name,
        distance and direction, without starting a route.

        Args:
            query: the kind or name of place, as the wearer said it.
        """
        here = self._position(ctx)
        loaded = await self._map()
        best = self._search(ctx, loaded, query, here)[0]
        kind = CATEGORIES.get(ctx.language, CATEGORIES["en"]).get(best.place.category, best.place.category)
        bearing = bearing_deg(here[0], here[1], best.place.lat, best.place.lon)
        distance = distance_text(ctx, best.distance_m or 0)
        return ctx.text(TEXTS, "nearest", category=kind, place=place_name(best, ctx.language), distance=distance,
                        direction=direction(ctx, bearing))  # fmt: skip

    @tool(timeout_s=10, examples=("where am I", "我在哪里", "Wo bin ich?"), side_effects=False)
    async def where_am_i(self, ctx: ToolContext) -> str:
        """Say which street the wearer is on and the nearest landmark."""
        lat, lon = self._position(ctx)
        loaded = await self._map()
        try:
            node, _ = loaded.graph.snap(lat, lon)
        except GlassmateError as exc:
            raise ToolError(exc.message, code=exc.code) from exc
        data = loaded.data
        lo, hi = int(data.indptr[node]), int(data.indptr[node + 1])
        street = next((data.streets[s] for s in data.street[lo:hi] if s >= 0), "")
        landmark = loaded.places.nearest(lat, lon, set(LANDMARKS))
        if landmark is None:
            raise ToolError(ctx.text(TEXTS, "not_found", query="…"), code="place-not-found")
        distance = distance_text(ctx, landmark.distance_m or 0)
        name = place_name(landmark, ctx.language)
        if street:
            return ctx.text(TEXTS, "where", street=street, distance=distance, landmark=name)
        return ctx.text(TEXTS, "where_no_street", distance=distance, landmark=name)

    def offers(self, tool: str) -> bool:
        return tool not in ("how_far", "stop_navigation") or self.route is not None

    @tool(timeout_s=5, examples=("how far is it", "还有多远", "Wie weit ist es noch?"), side_effects=False)
    async def how_far(self, ctx: ToolContext) -> str:
        """Say how far it still is to where the wearer is being guided, and how long it takes."""
        if self.route is None or self.destination is None:
            return ctx.text(TEXTS, "no_route")
        if self.guidance is not None and self.guidance.state == "arrived":
            return ctx.text(TEXTS, "arrived", place=place_name(self.destination, ctx.language))
        if self.guidance is not None and self.guidance.last is not None and self.guidance.state != "stopped":
            last = self.guidance.last
            return ctx.text(TEXTS, "far", distance=distance_text(ctx, last.remaining_m),
                            place=place_name(self.destination, ctx.language),
                            minutes=minutes_text(ctx, last.remaining_s))  # fmt: skip
        lat, lon = ctx.turn.device.lat, ctx.turn.device.lon
        remaining = self.route.distance_m
        if lat is not None and lon is not None:
            # The rest of the route from the route point nearest to the wearer.
            points = np.array(self.route.points)
            nearest = int(np.argmin(haversine_m(lat, lon, points[:, 0], points[:, 1])))
            remaining = self.route.distance_m - self.route.cumulative_m[nearest]
        speed = self.route.distance_m / self.route.duration_s if self.route.duration_s else 1.3
        return ctx.text(TEXTS, "far", distance=distance_text(ctx, remaining),
                        place=place_name(self.destination, ctx.language),
                        minutes=minutes_text(ctx, remaining / speed))  # fmt: skip

    @tool(timeout_s=2, examples=("stop navigation", "停止导航", "Navigation beenden"))
    async def stop_navigation(self, ctx: ToolContext) -> str:
        """End the walking guidance."""
        if self.route is None:
            return ctx.text(TEXTS, "no_route")
        if self.guidance is not None:
            await self.guidance.stop()
            self.guidance = None
        self.route = self.destination = None
        return ctx.text(TEXTS, "stopped")
