"""Memories and the caller's data over REST (API key or device token; each caller sees only its own).

- `POST /v1/memories` `{"text", "language"?, "lat"?, "lon"?, "place"?}`: remember (201, the memory).
- `GET /v1/memories`: newest first (`?since=ISO-8601`, `?limit=`); `?q=QUESTION`: the memories that answer it,
  best first, each with its `similarity` (any of the languages: "我把车停在哪里了" finds "I parked on level three").
- `GET /v1/memories/{id}`; `GET /v1/memories/{id}/image` (the photo, when the wearer asked for one).
- `DELETE /v1/memories/{id}`: that memory, its vector and photo, gone from the database files.
- `POST /v1/forget` `{"since"?: ISO-8601 | "today"}`: memories, meetings and the conversation from then on (all of
  them without `since`); payment records stay, as the law requires (the answer counts them).
- `GET /v1/export`: everything kept for the caller as a zip (JSON per kind, photos, meeting audio).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from glassmate.api.common import ApiError, caller
from glassmate.memory.privacy import today_began
from glassmate.memory.service import Memories, Where

router = APIRouter()


def _memories(request: Request) -> Memories:
    memories: Memories = request.app.state.services.memories
    return memories


class NewMemory(BaseModel):
    text: str = Field(min_length=1)
    language: str = Field(default="en", max_length=8)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    place: str = Field(default="", max_length=200)


class ForgetRequest(BaseModel):
    since: str | None = None  # ISO-8601, or "today" (from midnight in travel.timezone); None: everything


def _since(value: str | None, zone: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.strip().lower() == "today":
        return today_began(zone)
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "since: an ISO-8601 time (2026-12-01T08:00:00+01:00) or \"today\"", code="bad-since",
                       param="since") from None  # fmt: skip
    return when if when.tzinfo is not None else when.replace(tzinfo=ZoneInfo(zone))


@router.post("/v1/memories", status_code=201)
async def create_memory(body: NewMemory, request: Request, owner: str = Depends(caller)) -> Any:
    made = await _memories(request).remember(owner, body.text, language=body.language,
                                             where=Where(body.lat, body.lon, body.place), source="api")  # fmt: skip
    return JSONResponse(made.as_dict(), status_code=201)


@router.get("/v1/memories")
async def list_memories(
    request: Request,
    owner: str = Depends(caller),
    q: str | None = Query(default=None, max_length=1000),
    since: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> Any:
    memories = _memories(request)
    if q is not None:
        found = await memories.recall(owner, q, limit=min(limit, 20))
        data = [r.memory.as_dict() | {"similarity": round(r.similarity, 4)} for r in found]
    else:
        zone = request.app.state.services.settings.travel.timezone
        listed = await asyncio.to_thread(memories.list, owner, since=_since(since, zone), limit=limit)
        data = [m.as_dict() for m in listed]
    return {"object": "list", "data": data}


@router.get("/v1/memories/{memory_id}")
async def get_memory(memory_id: str, request: Request, owner: str = Depends(caller)) -> Any:
    return (await asyncio.to_thread(_memories(request).get, owner, memory_id)).as_dict()


@router.get("/v1/memories/{memory_id}/image")
async def memory_image(memory_id: str, request: Request, owner: str = Depends(caller)) -> Response:
    image = await asyncio.to_thread(_memories(request).image, owner, memory_id)
    if image is None:
        raise ApiError(404, "this memory has no photo", code="memory-no-image")
    return Response(image, media_type="image/jpeg")


@router.delete("/v1/memories/{memory_id}")
async def delete_memory(memory_id: str, request: Request, owner: str = Depends(caller)) -> Any:
    services = request.app.state.services
    await asyncio.to_thread(services.memories.forget, owner, memory_id)
    await asyncio.to_thread(services.privacy.scrub)
    return {"id": memory_id, "object": "memory.deleted", "deleted": True}


@router.post("/v1/forget")
async def forget(body: ForgetRequest, request: Request, owner: str = Depends(caller)) -> Any:
    services = request.app.state.services
    since = _since(body.since, services.settings.travel.timezone)
    done = await asyncio.to_thread(services.privacy.forget_since, owner, since)
    return {"object": "forgotten", "since": since.isoformat() if since else None, **done.as_dict()}


@router.get("/v1/export")
async def export(request: Request, owner: str = Depends(caller)) -> Response:
    data = await asyncio.to_thread(request.app.state.services.privacy.export, owner)
    name = "glassmate-export-" + "".join(ch if ch.isalnum() else "-" for ch in owner) + ".zip"
    return Response(
        data, media_type="application/zip", headers={"content-disposition": f'attachment; filename="{name}"'}
    )
