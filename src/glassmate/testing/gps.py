"""GPS traces for replaying a walk against the guidance: positions every few metres along a path (a route, or a
wrong turn down a real street of the map), with Gaussian noise like a phone's fixes. Used by the tests and
bench/navigation.py."""

from __future__ import annotations

import itertools

import numpy as np

from glassmate.navigation.maneuvers import Step
from glassmate.navigation.mapdata import EARTH_RADIUS_M, bearing_deg, haversine_m
from glassmate.navigation.router import Route, WalkGraph

Point = tuple[float, float]
_DEG_M = np.pi / 180 * EARTH_RADIUS_M  # metres per degree of latitude


def walk(points: list[Point], spacing_m: float) -> list[Point]:
    """Positions every `spacing_m` metres along a polyline, its end included."""
    if len(points) < 2:
        return list(points)
    out = [points[0]]
    carried = 0.0  # metres walked since the last position
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(points):
        seg = float(haversine_m(lat1, lon1, lat2, lon2))
        at = spacing_m - carried
        while at <= seg:
            t = at / seg
            out.append((lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1)))
            at += spacing_m
        carried = seg - (at - spacing_m)
    if out[-1] != points[-1]:
        out.append(points[-1])
    return out


def noisy(points: list[Point], sigma_m: float, rng: np.random.Generator) -> list[Point]:
    """Each position moved by Gaussian noise of `sigma_m` metres per axis."""
    out = []
    for lat, lon in points:
        dy, dx = rng.normal(0.0, sigma_m, 2)
        out.append((lat + dy / _DEG_M, lon + dx / (_DEG_M * np.cos(np.radians(lat)))))
    return out


def wrong_turn(graph: WalkGraph, nodes: list[int], at: int, metres: float) -> list[Point]:
    """A walk of about `metres` that misses the route's turn at `nodes[at]`: from that junction down the other way
    closest to straight on, then straight on at each junction, never back onto the route. Its first point is the
    junction; shorter than `metres` where the streets end (empty: the route has no other way at that node)."""
    d = graph.data
    on_route = set(nodes)
    here = nodes[at]
    came = nodes[at - 1] if at > 0 else -1
    heading = bearing_deg(d.lat[came], d.lon[came], d.lat[here], d.lon[here]) if came >= 0 else 0.0
    path = [here]
    walked = 0.0
    while walked < metres:
        lo, hi = int(d.indptr[here]), int(d.indptr[here + 1])
        best, best_turn = -1, 181.0
        for e in range(lo, hi):
            nxt = int(d.target[e])
            if nxt in on_route or nxt in path:
                continue
            b = bearing_deg(d.lat[here], d.lon[here], d.lat[nxt], d.lon[nxt])
            turn = abs((b - heading + 540) % 360 - 180)
            if turn < best_turn:
                best, best_turn = nxt, turn
        if best < 0:
            break
        heading = bearing_deg(d.lat[here], d.lon[here], d.lat[best], d.lon[best])
        walked += float(haversine_m(d.lat[here], d.lon[here], d.lat[best], d.lon[best]))
        here = best
        path.append(here)
    return [(float(d.lat[n]), float(d.lon[n])) for n in path] if len(path) > 1 else []


def distance_to(points: list[Point], lat: float, lon: float) -> float:
    """The true distance of a position from a polyline (sampled every metre, independent of the guidance's own
    projection)."""
    dense = np.array(walk(points, 1.0))
    return float(np.min(haversine_m(lat, lon, dense[:, 0], dense[:, 1])))


def missed_turn(graph: WalkGraph, route: Route, metres: float = 80.0) -> tuple[Step, list[Point]] | None:
    """The first turn of a route whose other street leads the wearer at least 40 m away from it, and the walk of
    `metres` down that street (not a turn in the last 50 m, where the wearer arrives before missing it)."""
    for step in route.steps:
        if step.type != "turn" or route.cumulative_m[step.point] > route.distance_m - 50:
            continue
        wrong = wrong_turn(graph, list(route.nodes), step.point, metres)
        if wrong and max(distance_to(route.points, *p) for p in wrong) > 40:
            return step, wrong
    return None
