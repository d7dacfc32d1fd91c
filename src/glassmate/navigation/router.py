"""Walking routes on the map: the wearer and the destination snapped to the walkable graph, the shortest path by
Dijkstra (scipy.sparse.csgraph, searched only as far as a detour could make sense), and its maneuvers.

Why scipy: on Helsinki a whole route (search, path, maneuvers) takes 1.1 ms p50, below networkx's bare
bidirectional Dijkstra (2.8 ms), and on a 250,000-node grid 20 ms p50 / 36 ms p99, the best p99 (networkx's A*:
14 / 48 ms). Figures in bench/RESULTS.md (bench/navigation.py); igraph has not been measured.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from glassmate.errors import BadInputError, NotFoundError
from glassmate.navigation.maneuvers import Step, maneuvers
from glassmate.navigation.mapdata import STEPS, MapData, haversine_m

SNAP_LIMIT_M = 500  # a point farther than this from any walkable way is off the map
MIN_COMPONENT = 50  # nodes: smaller islands of the graph (a courtyard's path) are not snapped to
DETOUR_FACTOR = 3.0  # the search stops at 3× the straight-line distance (plus 2 km): no walk is longer


@dataclass(frozen=True)
class Route:
    points: list[tuple[float, float]]  # (lat, lon) along the way, start to end
    distance_m: float
    duration_s: float
    steps: list[Step]
    cumulative_m: list[float]  # the distance from the start at each point
    nodes: tuple[int, ...] = ()  # the map's nodes along the way (a remote router's route has none)

    def as_dict(self) -> dict[str, Any]:
        return {"distance_m": round(self.distance_m, 1), "duration_s": round(self.duration_s),
                "steps": [s.as_dict() for s in self.steps]}  # fmt: skip


class Router(Protocol):
    async def route(self, start: tuple[float, float], end: tuple[float, float]) -> Route: ...


class WalkGraph:
    """The walking graph of a map, ready to route on (built in tens of milliseconds from MapData)."""

    def __init__(self, data: MapData, *, speed_m_s: float = 1.3) -> None:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components
        from scipy.spatial import cKDTree

        self.data = data
        self.speed_m_s = speed_m_s
        cost = data.length_m.astype(np.float64) * np.where(data.kind == STEPS, 1.5, 1.0)
        cost = np.maximum(cost, 0.01)  # csgraph reads an explicit zero as no edge
        n = data.nodes
        self.matrix = csr_matrix((cost, data.target, data.indptr), shape=(n, n))
        _, labels = connected_components(self.matrix, directed=True, connection="weak")
        sizes = np.bincount(labels)
        snappable = np.flatnonzero(sizes[labels] >= MIN_COMPONENT)
        self.snappable = snappable if len(snappable) else np.arange(n)
        self.lat0 = float(np.mean(data.lat))
        self.tree = cKDTree(self._xy(data.lat[self.snappable], data.lon[self.snappable]))

    def _xy(self, lat: Any, lon: Any) -> np.ndarray:
        k = np.pi / 180 * 6_371_008.8
        return np.column_stack([np.asarray(lon) * k * np.cos(np.radians(self.lat0)), np.asarray(lat) * k])

    def snap(self, lat: float, lon: float) -> tuple[int, float]:
        """The nearest walkable node and its distance in metres; `off-map` beyond SNAP_LIMIT_M."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadInputError(f"({lat}, {lon}) is not a position on Earth", code="position-invalid")
        _, i = self.tree.query(self._xy([lat], [lon])[0])
        node = int(self.snappable[int(i)])
        true_m = float(haversine_m(lat, lon, self.data.lat[node], self.data.lon[node]))
        if true_m > SNAP_LIMIT_M:
            raise NotFoundError(
                f"({lat:.5f}, {lon:.5f}) is {true_m / 1000:.1f} km from the nearest walkable way on this map",
                code="off-map",
            )
        return node, true_m

    def shortest(self, source: int, target: int) -> list[int]:
        """The node path from source to target; `route-unreachable` when none exists on foot."""
        from scipy.sparse.csgraph import dijkstra

        if source == target:
            return [source]
        d = self.data
        straight = float(haversine_m(d.lat[source], d.lon[source], d.lat[target], d.lon[target]))
        limit = DETOUR_FACTOR * straight + 2000
        dist, pred = dijkstra(self.matrix, directed=True, indices=source, return_predecessors=True, limit=limit)
        if not np.isfinite(dist[target]):
            raise NotFoundError("the destination can't be reached on foot from here", code="route-unreachable")
        path = [target]
        while path[-1] != source:
            path.append(int(pred[path[-1]]))
        return path[::-1]

    def route_nodes(self, start: tuple[float, float], end: tuple[float, float]) -> Route:
        a, _ = self.snap(*start)
        b, _ = self.snap(*end)
        nodes = self.shortest(a, b)
        return self.describe(nodes)

    def describe(self, nodes: list[int]) -> Route:
        """Geometry, length, time and maneuvers of a node path."""
        d = self.data
        points = [(float(d.lat[n]), float(d.lon[n])) for n in nodes]
        edges = [self.edge(u, v) for u, v in itertools.pairwise(nodes)]
        lengths = [float(d.length_m[e]) for e in edges]
        cumulative = [0.0, *np.cumsum(lengths).tolist()]
        names = [d.streets[d.street[e]] if d.street[e] >= 0 else "" for e in edges]
        kinds = [int(d.kind[e]) for e in edges]
        distance = cumulative[-1]
        steps = maneuvers(points, lengths, names, kinds, self.speed_m_s)
        return Route(points, distance, distance / self.speed_m_s, steps, cumulative, tuple(nodes))

    def edge(self, u: int, v: int) -> int:
        """The index of the shortest edge u → v."""
        d = self.data
        lo, hi = int(d.indptr[u]), int(d.indptr[u + 1])
        hits = np.flatnonzero(d.target[lo:hi] == v)
        return lo + int(hits[np.argmin(d.length_m[lo:hi][hits])])

    async def route(self, start: tuple[float, float], end: tuple[float, float]) -> Route:
        return await asyncio.to_thread(self.route_nodes, start, end)
