"""Walking routes and places (API key or device token required).

- `GET /route/v1/foot/{lon},{lat};{lon},{lat}`: OSRM's route service and response format (`steps`,
  `geometries=polyline|geojson`), so OSRM clients and map libraries work unchanged. Errors carry OSRM's `code`
  (InvalidUrl, InvalidQuery, NoSegment, NoRoute) and glassmate's own in `error`.
- `GET /v1/places?q=NAME&near=LAT,LON`: places by name or category, best first.
- `GET /v1/navigation`: the map (size, bounds), the router, the walking speed and the data's attribution.

Every answer carries the map data's attribution (OpenStreetMap, ODbL).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from glassmate.api.common import ApiError, api_key
from glassmate.errors import GlassmateError
from glassmate.navigation import osrm
from glassmate.navigation.mapdata import ATTRIBUTION
from glassmate.navigation.service import Navigation
from glassmate.store.devices import DeviceRecord

router = APIRouter()
_NUMBER = r"-?\d{1,3}(?:\.\d{1,12})?"
_COORDS = re.compile(rf"({_NUMBER}),({_NUMBER});({_NUMBER}),({_NUMBER})")
# glassmate's error codes → OSRM's (https://project-osrm.org/docs/v5.24.0/api/#responses).
_OSRM_CODES = {"coordinates-invalid": "InvalidUrl", "position-invalid": "InvalidQuery", "off-map": "NoSegment",
               "route-unreachable": "NoRoute", "invalid-request": "InvalidQuery"}  # fmt: skip


def _navigation(request: Request) -> Navigation:
    nav: Navigation = request.app.state.services.navigation
    return nav


def _osrm_error(exc: GlassmateError) -> JSONResponse:
    error = {"message": exc.message, "type": "invalid_request_error", "param": None, "code": exc.code}
    body = {"code": _OSRM_CODES.get(exc.code, "InvalidQuery"), "message": exc.message, "error": error}
    return JSONResponse(body, status_code=exc.http_status)


@router.get("/route/v1/foot/{coordinates}", response_model=None)
async def route(
    request: Request,
    coordinates: str,
    steps: bool = False,
    geometries: str = Query("polyline", pattern="^(polyline|geojson)$"),
    overview: str = Query("full", pattern="^(full|simplified|false)$"),
    _key: DeviceRecord = Depends(api_key),
) -> dict[str, Any] | JSONResponse:
    """The shortest walking route between two points, as OSRM answers it."""
    nav = _navigation(request)
    try:
        match = _COORDS.fullmatch(coordinates.removesuffix(".json"))
        if match is None:
            raise ApiError(400, "coordinates must be two points: {lon},{lat};{lon},{lat}", code="coordinates-invalid")
        lon1, lat1, lon2, lat2 = (float(g) for g in match.groups())
        start, end = (lat1, lon1), (lat2, lon2)
        found = await (await nav.router()).route(start, end)
    except GlassmateError as exc:
        if exc.code in ("map-missing", "map-invalid"):
            raise
        return _osrm_error(exc)
    body = osrm.response(found, start, end, geometries=geometries, steps=steps, attribution=ATTRIBUTION)
    if overview == "false":
        body["routes"][0].pop("geometry")
    return body


@router.get("/v1/places")
async def places(
    request: Request,
    q: str = Query(..., max_length=200),
    near: str | None = Query(None, pattern=rf"^{_NUMBER},{_NUMBER}$"),
    limit: int = Query(5, ge=1, le=50),
    _key: DeviceRecord = Depends(api_key),
) -> dict[str, Any]:
    """Places whose name matches `q` (any language the map has), or of the category it names ("pharmacy",
    "药店", "Apotheke"), the nearer first when `near` is given."""
    loaded = await _navigation(request).aload()
    position = tuple(float(x) for x in near.split(",")) if near else None
    found = loaded.places.search(q, position, limit=limit)  # type: ignore[arg-type]
    return {"places": [f.as_dict() for f in found], "attribution": loaded.data.attribution}


@router.get("/v1/navigation")
async def navigation_info(request: Request, _key: DeviceRecord = Depends(api_key)) -> dict[str, Any]:
    """The map this server navigates on (its size and bounds), where routes come from, and the data's licence."""
    nav = _navigation(request)
    loaded = await nav.aload()
    data = loaded.data
    settings = nav.settings.navigation
    return {
        "map": {"name": settings.map, "source": data.source, "nodes": data.nodes, "edges": data.edges,
                "places": len(data.places),
                "bounds": [float(data.lon.min()), float(data.lat.min()), float(data.lon.max()), float(data.lat.max())]},
        "router": settings.router,
        "walking_speed_m_s": settings.walking_speed_m_s,
        "attribution": data.attribution,
    }  # fmt: skip
