"""The map a server navigates on: loaded once, on first use (a city centre in a fraction of a second), shared by
every session and request."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

from glassmate.config import Settings
from glassmate.errors import NotFoundError
from glassmate.navigation.mapdata import MapData
from glassmate.navigation.places import PlaceIndex
from glassmate.navigation.router import Router, WalkGraph


@dataclass(frozen=True)
class LoadedMap:
    data: MapData
    graph: WalkGraph
    places: PlaceIndex


class Navigation:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path: Path = settings.maps_dir / f"{settings.navigation.map}.npz"
        self._map: LoadedMap | None = None
        self._lock = threading.Lock()
        self._remote: Router | None = None

    def load(self) -> LoadedMap:
        with self._lock:
            if self._map is None:
                if not self.path.is_file():
                    raise NotFoundError(
                        f"no map at {self.path}: run `glassmate map import` (the embedded Helsinki extract) or "
                        "`glassmate map import FILE.osm.pbf`",
                        code="map-missing",
                    )
                data = MapData.load(self.path)
                graph = WalkGraph(data, speed_m_s=self.settings.navigation.walking_speed_m_s)
                self._map = LoadedMap(data, graph, PlaceIndex(data))
            return self._map

    async def aload(self) -> LoadedMap:
        if self._map is not None:
            return self._map
        return await asyncio.to_thread(self.load)

    async def router(self) -> Router:
        """What routes are asked of: the map's walking graph, or the configured routing server."""
        nav = self.settings.navigation
        if nav.router == "local":
            return (await self.aload()).graph
        if self._remote is None:
            from glassmate.navigation.remote import OsrmRouter, ValhallaRouter

            assert nav.router_url is not None
            kind = OsrmRouter if nav.router == "osrm" else ValhallaRouter
            self._remote = kind(nav.router_url, speed_m_s=nav.walking_speed_m_s)
        return self._remote
