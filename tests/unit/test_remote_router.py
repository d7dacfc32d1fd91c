"""The remote router providers against responses recorded from real routing servers (tests/data/routers: Mapbox's
OSRM-format Directions, Mapzen's and Stadia's Valhalla), served by an httpx mock transport since no routing server
is reachable here: geometry, length, maneuvers, units, the requests sent, and the failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from glassmate.config import NavigationSettings
from glassmate.errors import NotFoundError
from glassmate.navigation.guidance import Fix, Guide
from glassmate.navigation.mapdata import haversine_m
from glassmate.navigation.remote import OsrmRouter, RouterUnavailable, ValhallaRouter, parse_osrm, parse_valhalla

DATA = Path(__file__).resolve().parents[1] / "data" / "routers"


def recorded(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / name).read_text())
    return body


def serving(body: Any, status: int = 200, seen: list[httpx.Request] | None = None) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return (
            httpx.Response(status, json=body) if not isinstance(body, bytes) else httpx.Response(status, content=body)
        )

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_osrm_route_from_a_recorded_response() -> None:
    seen: list[httpx.Request] = []
    router = OsrmRouter(
        "http://osrm.test/", speed_m_s=1.3, client=serving(recorded("osrm_mapbox_liege.json"), seen=seen)
    )
    route = await router.route((50.508507, 5.491895), (50.508389, 5.493796))
    request = seen[0]
    assert request.url.path == "/route/v1/foot/5.491895,50.508507;5.493796,50.508389"
    assert request.url.params["steps"] == "true" and request.url.params["geometries"] == "polyline6"
    # The geometry measured here agrees with the server's own distance (168.9 m) within 1 %.
    assert route.distance_m == pytest.approx(168.9, rel=0.01)
    assert route.duration_s == pytest.approx(route.distance_m / 1.3)
    assert haversine_m(*route.points[0], 50.508507, 5.491895) < 1
    assert haversine_m(*route.points[-1], 50.508389, 5.493796) < 1
    kinds = [(s.type, s.modifier, s.name) for s in route.steps]
    assert kinds == [
        ("depart", "straight", "Rue dèl Creû"),
        ("turn", "right", "Basse Voie"),
        ("arrive", "right", ""),  # the destination is on the right, as the server says
    ]
    assert route.steps[1].distance_m == pytest.approx(83.2, rel=0.02)
    assert abs((route.steps[1].bearing_after - 127 + 180) % 360 - 180) < 20  # the server says 127°


@pytest.mark.parametrize(("name", "metres", "names"), [
    ("valhalla_mapzen_liege.json", 542, ["Chemin du Sârtê", "Basse Voie", "Chemin des Patars"]),
    ("valhalla_stadia_anchorage.json", 0.176 * 1609.344, ["AK 1"]),
])  # fmt: skip
async def test_valhalla_route_from_recorded_responses(name: str, metres: float, names: list[str]) -> None:
    body = recorded(name)
    seen: list[httpx.Request] = []
    router = ValhallaRouter("http://valhalla.test", speed_m_s=1.4, client=serving(body, seen=seen))
    a, b = body["trip"]["locations"]
    route = await router.route((a["lat"], a["lon"]), (b["lat"], b["lon"]))
    sent = json.loads(seen[0].content)
    assert seen[0].method == "POST" and seen[0].url.path == "/route"
    assert sent["costing"] == "pedestrian" and sent["locations"][0] == {"lat": a["lat"], "lon": a["lon"]}
    # The server's length is in its units (kilometres, or miles); ours is measured along the geometry.
    assert route.distance_m == pytest.approx(metres, rel=0.03)
    assert [s.name for s in route.steps if s.type != "arrive"] == names
    assert route.steps[0].type == "depart" and route.steps[-1].type == "arrive"
    if len(names) == 3:
        assert [(s.type, s.modifier) for s in route.steps[1:3]] == [("turn", "left"), ("turn", "right")]


async def test_a_remote_route_can_be_guided_along() -> None:
    route = parse_valhalla(recorded("valhalla_mapzen_liege.json"), speed_m_s=1.3)
    guide = Guide(route)
    states = [guide.update(Fix(lat, lon)).state for lat, lon in route.points]
    assert "off-route" not in states and states[-1] == "arrived"


@pytest.mark.parametrize(("body", "status", "code"), [
    # OSRM's documented error bodies (https://project-osrm.org/docs/v5.24.0/api/#responses).
    ({"code": "NoSegment", "message": "Could not find a matching segment for any coordinate."}, 400, "off-map"),
    ({"code": "NoRoute", "message": "Impossible route between points"}, 400, "route-unreachable"),
    ({"routes": []}, 200, "router-unavailable"),
    (b"<html>502 Bad Gateway</html>", 502, "router-unavailable"),
])  # fmt: skip
async def test_osrm_failures(body: Any, status: int, code: str) -> None:
    router = OsrmRouter("http://osrm.test", speed_m_s=1.3, client=serving(body, status))
    with pytest.raises((NotFoundError, RouterUnavailable)) as failed:
        await router.route((50.5, 5.49), (50.51, 5.5))
    assert failed.value.code == code


@pytest.mark.parametrize(("body", "code"), [
    # Valhalla's documented error bodies (docs/api/turn-by-turn/api-reference.md, "HTTP status codes").
    ({"error_code": 171, "error": "No suitable edges near location", "status_code": 400, "status": "Bad Request"},
     "off-map"),
    ({"error_code": 442, "error": "No path could be found for input", "status_code": 400, "status": "Bad Request"},
     "route-unreachable"),
    ({"trip": {"legs": [{"shape": "", "maneuvers": []}]}}, "router-unavailable"),
])  # fmt: skip
async def test_valhalla_failures(body: dict[str, Any], code: str) -> None:
    router = ValhallaRouter("http://valhalla.test", speed_m_s=1.3, client=serving(body, 400))
    with pytest.raises((NotFoundError, RouterUnavailable)) as failed:
        await router.route((50.5, 5.49), (50.51, 5.5))
    assert failed.value.code == code


async def test_an_unreachable_server_is_router_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    router = OsrmRouter("http://osrm.test", speed_m_s=1.3,
                        client=httpx.AsyncClient(transport=httpx.MockTransport(refuse)))  # fmt: skip
    with pytest.raises(RouterUnavailable) as failed:
        await router.route((50.5, 5.49), (50.51, 5.5))
    assert failed.value.http_status == 502


def test_a_remote_router_needs_a_url() -> None:
    with pytest.raises(ValueError, match="router_url"):
        NavigationSettings(router="osrm")
    assert NavigationSettings(router="valhalla", router_url="http://localhost:8002").router == "valhalla"


def test_geojson_geometry_is_read_too() -> None:
    body = recorded("osrm_mapbox_liege.json")
    polyline = parse_osrm(body, speed_m_s=1.3)
    from glassmate.navigation.osrm import decode_polyline

    body["routes"][0]["geometry"] = {"type": "LineString", "coordinates": [
        [lon, lat] for lat, lon in decode_polyline(body["routes"][0]["geometry"], 6)]}  # fmt: skip
    assert parse_osrm(body, speed_m_s=1.3).distance_m == pytest.approx(polyline.distance_m)
