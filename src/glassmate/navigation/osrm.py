"""Routes in OSRM's response format (https://project-osrm.org/docs/v5.24.0/api/#responses), so OSRM clients and map
libraries read glassmate's routes unchanged; and Google's encoded polyline (precision 5), OSRM's default geometry."""

from __future__ import annotations

from typing import Any

from glassmate.navigation.maneuvers import Step
from glassmate.navigation.mapdata import haversine_m
from glassmate.navigation.router import Route

# OSRM has no "cross": a crossing is a "continue" (straight on over the road); glassmate marks it in `crossing`.
_TYPE = {"depart": "depart", "turn": "turn", "continue": "new name", "cross": "continue", "arrive": "arrive"}


def encode_polyline(points: list[tuple[float, float]], precision: int = 5) -> str:
    """(lat, lon) points as an encoded polyline string."""
    factor = 10**precision
    out: list[str] = []
    last_lat = last_lon = 0
    for lat, lon in points:
        ilat, ilon = round(lat * factor), round(lon * factor)
        for delta in (ilat - last_lat, ilon - last_lon):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        last_lat, last_lon = ilat, ilon
    return "".join(out)


def decode_polyline(text: str, precision: int = 5) -> list[tuple[float, float]]:
    factor = 10**precision
    points, index, lat, lon = [], 0, 0, 0
    while index < len(text):
        deltas = []
        for _ in range(2):
            shift = result = 0
            while True:
                byte = ord(text[index]) - 63
                index += 1
                result |= (byte & 0x1F) << shift
                shift += 5
                if byte < 0x20:
                    break
            deltas.append(~(result >> 1) if result & 1 else result >> 1)
        lat += deltas[0]
        lon += deltas[1]
        points.append((lat / factor, lon / factor))
    return points


def _geometry(points: list[tuple[float, float]], kind: str) -> Any:
    if kind == "geojson":
        return {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in points]}
    return encode_polyline(points)


def _step(step: Step, route: Route, end: int, geometries: str) -> dict[str, Any]:
    return {
        "distance": round(step.distance_m, 1),
        "duration": round(step.duration_s, 1),
        "geometry": _geometry(route.points[step.point : end + 1], geometries),
        "name": step.name,
        "mode": "walking",
        "maneuver": {
            "location": [step.location[1], step.location[0]],
            "bearing_before": step.bearing_before,
            "bearing_after": step.bearing_after,
            "type": _TYPE[step.type],
            **({"modifier": step.modifier} if step.type not in ("depart", "arrive") else {}),
        },
        "crossing": step.type == "cross",
        "weight": round(step.duration_s, 1),
    }


def response(route: Route, start: tuple[float, float], end: tuple[float, float], *, geometries: str = "polyline",
             steps: bool = False, attribution: str = "") -> dict[str, Any]:  # fmt: skip
    """OSRM's /route/v1 answer for one route from `start` to `end` ((lat, lon) as asked)."""
    leg: dict[str, Any] = {"distance": round(route.distance_m, 1), "duration": round(route.duration_s, 1),
                           "weight": round(route.duration_s, 1), "summary": "", "steps": []}  # fmt: skip
    if steps:
        ends = [s.point for s in route.steps[1:]] + [len(route.points) - 1]
        leg["steps"] = [_step(s, route, e, geometries) for s, e in zip(route.steps, ends, strict=True)]
        leg["summary"] = ", ".join(dict.fromkeys(s.name for s in route.steps if s.name))[:120]
    first, last = route.points[0], route.points[-1]
    return {
        "code": "Ok",
        "routes": [
            {
                "distance": round(route.distance_m, 1),
                "duration": round(route.duration_s, 1),
                "weight": round(route.duration_s, 1),
                "weight_name": "duration",
                "geometry": _geometry(route.points, geometries),
                "legs": [leg],
            }
        ],
        "waypoints": [
            {
                "location": [first[1], first[0]],
                "name": route.steps[0].name if route.steps else "",
                "distance": round(_snap(start, first), 1),
            },
            {
                "location": [last[1], last[0]],
                "name": route.steps[-2].name if len(route.steps) > 1 else "",
                "distance": round(_snap(end, last), 1),
            },
        ],
        "attribution": attribution,
    }


def _snap(asked: tuple[float, float], got: tuple[float, float]) -> float:
    return float(haversine_m(asked[0], asked[1], got[0], got[1]))
