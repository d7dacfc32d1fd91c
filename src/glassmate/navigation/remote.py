"""Routes from a routing server over HTTP, for areas too large for one box: OSRM (`/route/v1/{profile}/...`, the
format glassmate's own REST route answers in) and Valhalla (`POST /route`, `costing: pedestrian`). Both give the
same Route as the local WalkGraph, so guidance, the skill and the REST API do not know where a route came from.

What is taken from the server: the geometry, the maneuvers' kinds, positions and street names. What is computed
here: distances along the geometry (so the guidance's map matching and the route's length agree) and durations at
glassmate's walking speed (so every router answers "how long" alike). Errors map to glassmate's codes: a point
the server cannot place → `off-map`, no way between the points → `route-unreachable`, a server that does not answer
or answers nonsense → `router-unavailable` (502).
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import numpy as np

from glassmate.errors import GlassmateError, NotFoundError
from glassmate.navigation.maneuvers import Step, bearings_at
from glassmate.navigation.mapdata import haversine_m
from glassmate.navigation.osrm import decode_polyline
from glassmate.navigation.router import Route

TIMEOUT_S = 10.0


class RouterUnavailable(GlassmateError):
    http_status = 502

    def __init__(self, message: str) -> None:
        super().__init__(message, code="router-unavailable")


# Valhalla's maneuver types (valhalla/proto/directions.proto, DirectionsLeg.Maneuver.Type) → OSRM's type, modifier.
_VALHALLA = {
    1: ("depart", "straight"), 2: ("depart", "right"), 3: ("depart", "left"), 4: ("arrive", "straight"),
    5: ("arrive", "right"), 6: ("arrive", "left"), 7: ("continue", "straight"), 8: ("continue", "straight"),
    9: ("turn", "slight right"), 10: ("turn", "right"), 11: ("turn", "sharp right"), 12: ("turn", "uturn"),
    13: ("turn", "uturn"), 14: ("turn", "sharp left"), 15: ("turn", "left"), 16: ("turn", "slight left"),
    17: ("turn", "straight"), 18: ("turn", "right"), 19: ("turn", "left"), 20: ("turn", "slight right"),
    21: ("turn", "slight left"), 22: ("continue", "straight"), 23: ("turn", "slight right"),
    24: ("turn", "slight left"), 25: ("turn", "straight"), 26: ("turn", "straight"), 27: ("turn", "straight"),
}  # fmt: skip
# OSRM's maneuver types that glassmate says as a turn, or as going on onto a new street.
_OSRM_CONTINUE = {"new name", "continue", "notification"}


def _route(points: list[tuple[float, float]], marks: list[tuple[int, str, str, str]], speed_m_s: float) -> Route:
    """A Route from a server's geometry and its maneuvers (point index, type, modifier, street name)."""
    if len(points) < 2:
        raise RouterUnavailable("the router answered a route without geometry")
    lengths = [float(haversine_m(*a, *b)) for a, b in itertools.pairwise(points)]
    cumulative = [0.0, *np.cumsum(lengths).tolist()]
    last = len(points) - 1
    marks = sorted({m[0]: m for m in marks if 0 <= m[0] <= last}.values())
    if not marks or marks[0][1] != "depart":
        marks.insert(0, (0, "depart", "straight", marks[0][3] if marks else ""))
    if marks[-1][1] != "arrive":
        marks.append((last, "arrive", "straight", ""))
    steps = []
    for (i, kind, mod, name), (j, *_) in zip(marks, [*marks[1:], (last, "", "", "")], strict=True):
        before, after = bearings_at(points, cumulative, i)
        distance = cumulative[j] - cumulative[i]
        steps.append(Step(kind, mod, name if kind != "arrive" else "", i, points[i], round(before) % 360,
                          round(after) % 360, distance, distance / speed_m_s))  # fmt: skip
    return Route(points, cumulative[-1], cumulative[-1] / speed_m_s, steps, cumulative)


def parse_osrm(body: dict[str, Any], *, speed_m_s: float, precision: int = 6) -> Route:
    """A Route from an OSRM `/route` response (steps on; geometry as polyline of `precision`, or GeoJSON)."""
    code = body.get("code")
    if code in ("NoSegment", "InvalidValue"):
        raise NotFoundError(body.get("message") or "the router can't place a point on its map", code="off-map")
    if code == "NoRoute":
        raise NotFoundError(body.get("message") or "no way between the points", code="route-unreachable")
    try:
        found = body["routes"][0]
        geometry = found["geometry"]
        if isinstance(geometry, dict):
            points = [(float(lat), float(lon)) for lon, lat in geometry["coordinates"]]
        else:
            points = decode_polyline(geometry, precision)
        marks = []
        for leg in found.get("legs", []):
            for step in leg.get("steps", []):
                maneuver = step["maneuver"]
                lon, lat = maneuver["location"]
                kind = maneuver["type"]
                kind = "continue" if kind in _OSRM_CONTINUE else kind if kind in ("depart", "arrive") else "turn"
                index = int(np.argmin([haversine_m(lat, lon, p[0], p[1]) for p in points]))
                marks.append((index, kind, maneuver.get("modifier", "straight"), step.get("name", "")))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RouterUnavailable(f"the router's answer is not an OSRM route ({exc!r})") from exc
    return _route(points, marks, speed_m_s)


def parse_valhalla(body: dict[str, Any], *, speed_m_s: float) -> Route:
    """A Route from a Valhalla `/route` response (its shape is a polyline of precision 6)."""
    if "error_code" in body:
        # 171: no suitable edges near a location; 442: no path; 154/150: beyond the service's distance limits.
        code = "off-map" if body["error_code"] in (170, 171) else "route-unreachable"
        raise NotFoundError(str(body.get("error") or "the router found no route"), code=code)
    try:
        legs = body["trip"]["legs"]
        points: list[tuple[float, float]] = []
        marks = []
        for leg in legs:
            offset = len(points) - 1 if points else 0
            shape = decode_polyline(leg["shape"], 6)
            points.extend(shape[1:] if points else shape)
            for m in leg["maneuvers"]:
                kind, modifier = _VALHALLA.get(int(m["type"]), ("turn", "straight"))
                names = m.get("street_names") or []
                marks.append((offset + int(m["begin_shape_index"]), kind, modifier, names[0] if names else ""))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RouterUnavailable(f"the router's answer is not a Valhalla trip ({exc!r})") from exc
    # Legs join at a via point: only the first departure and the last arrival are maneuvers of the walk.
    marks = [m for i, m in enumerate(marks) if not (m[1] == "depart" and i > 0)]
    marks = [m for i, m in enumerate(marks) if not (m[1] == "arrive" and i < len(marks) - 1)]
    return _route(points, marks, speed_m_s)


class _Remote:
    def __init__(self, base_url: str, *, speed_m_s: float, client: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.speed_m_s = speed_m_s
        self._client = client

    async def _request(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        client = self._client or httpx.AsyncClient(timeout=TIMEOUT_S)
        try:
            response = await client.request(method, url, **kwargs)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RouterUnavailable(f"the router at {self.base_url} did not answer ({type(exc).__name__})") from exc
        finally:
            if self._client is None:
                await client.aclose()
        if not isinstance(body, dict):
            raise RouterUnavailable("the router's answer is not a JSON object")
        if response.status_code >= 500:
            raise RouterUnavailable(f"the router at {self.base_url} failed ({response.status_code})")
        return body


class OsrmRouter(_Remote):
    """An OSRM server (or anything that answers its route service), with a walking profile."""

    def __init__(self, base_url: str, *, speed_m_s: float, profile: str = "foot",
                 client: httpx.AsyncClient | None = None) -> None:  # fmt: skip
        super().__init__(base_url, speed_m_s=speed_m_s, client=client)
        self.profile = profile

    async def route(self, start: tuple[float, float], end: tuple[float, float]) -> Route:
        coords = f"{start[1]:.6f},{start[0]:.6f};{end[1]:.6f},{end[0]:.6f}"
        body = await self._request("GET", f"{self.base_url}/route/v1/{self.profile}/{coords}",
                                   params={"steps": "true", "geometries": "polyline6", "overview": "full"})  # fmt: skip
        return parse_osrm(body, speed_m_s=self.speed_m_s, precision=6)


class ValhallaRouter(_Remote):
    """A Valhalla server's `/route` with pedestrian costing."""

    async def route(self, start: tuple[float, float], end: tuple[float, float]) -> Route:
        request = {"locations": [{"lat": start[0], "lon": start[1]}, {"lat": end[0], "lon": end[1]}],
                   "costing": "pedestrian", "directions_options": {"units": "kilometers"}}  # fmt: skip
        body = await self._request("POST", f"{self.base_url}/route", json=request)
        return parse_valhalla(body, speed_m_s=self.speed_m_s)
