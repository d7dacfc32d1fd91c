"""Meetings over REST (API key or device token; each caller sees its own meetings).

- `POST /v1/meetings` (multipart `file`: wav, flac, mp3, ogg, webm, m4a…): answers `{"id", "status"}` at once
  (202) and processes in the background.
- `GET /v1/meetings`: the caller's meetings, newest first; `?q=WORDS`: those whose title, notes or transcript have
  the words (full-text search), best first, each with `matches` (the lines that have them).
- `GET /v1/meetings/{id}`: status (`processing` | `done` | `failed`), `segments` `[{"start", "end", "speaker",
  "text"}]` (seconds), `speakers`, `notes`.
- `GET /v1/meetings/{id}/markdown`: the notes and transcript as Markdown.
- `PATCH /v1/meetings/{id}/speakers/{index}` `{"name"}`: rename "Speaker N".
- `DELETE /v1/meetings/{id}`: the meeting and its audio.
- `PUT /v1/voiceprint` (multipart `file`, a recording of the caller speaking for 8 s or more, and `name`): enrol
  the caller's own voice; in their later meetings the speaker with this voice is called `name`.
  `GET /v1/voiceprint` shows it (name, seconds of speech), `DELETE /v1/voiceprint` forgets it.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from glassmate.api.common import ApiError, caller
from glassmate.meetings.notes import MeetingNotes, markdown
from glassmate.meetings.pipeline import MeetingSegment
from glassmate.meetings.service import Meetings

router = APIRouter()
UPLOAD_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".webm", ".m4a", ".mp4", ".aac", ".wma"}


def _meetings(request: Request) -> Meetings:
    meetings: Meetings = request.app.state.services.meetings
    return meetings


class SpeakerName(BaseModel):
    name: str = Field(min_length=1, max_length=80)


def _save_upload(file: UploadFile, limit: int) -> Path:
    """The upload copied to a file of our own (blocking: run in a worker)."""
    suffix = Path(file.filename or "").suffix.lower()
    with tempfile.NamedTemporaryFile(prefix="glassmate-upload-", suffix=suffix, delete=False) as out:
        file.file.seek(0)
        shutil.copyfileobj(file.file, out, length=1024 * 1024)
        size = out.tell()
    if size == 0:
        Path(out.name).unlink(missing_ok=True)
        raise ApiError(400, "the file is empty", code="audio-empty", param="file")
    if size > limit:
        Path(out.name).unlink(missing_ok=True)
        raise ApiError(413, f"the file is larger than {limit // (1024 * 1024)} MB", code="file-too-large", param="file")
    return Path(out.name)


@router.post("/v1/meetings", status_code=202)
async def create_meeting(request: Request, file: UploadFile, owner: str = Depends(caller)) -> Any:
    """Upload a recording; it is processed in the background (poll GET /v1/meetings/{id})."""
    meetings = _meetings(request)
    suffix = Path(file.filename or "").suffix.lower()
    if suffix and suffix not in UPLOAD_SUFFIXES:
        raise ApiError(400, f"{suffix} is not an audio file glassmate reads ({', '.join(sorted(UPLOAD_SUFFIXES))})",
                       code="audio-format-unsupported", param="file")  # fmt: skip
    path = await asyncio.to_thread(_save_upload, file, meetings.settings.meetings.max_upload_bytes)
    meeting_id = await asyncio.to_thread(meetings.new, owner=owner, source="upload", filename=file.filename or "")
    meetings.start(meeting_id, lambda: meetings.import_file(meeting_id, path, remove_source=True))
    return JSONResponse({"id": meeting_id, "object": "meeting", "status": "processing"}, status_code=202)


@router.get("/v1/meetings")
async def list_meetings(request: Request, q: str | None = Query(None, max_length=200),
                        owner: str = Depends(caller)) -> Any:  # fmt: skip
    meetings = _meetings(request)
    if q is not None and q.strip():
        found = await asyncio.to_thread(meetings.search, q, owner=owner)
    else:
        found = await asyncio.to_thread(meetings.recent, owner=owner)
    return {"object": "list", "data": found}


@router.get("/v1/meetings/{meeting_id}")
async def get_meeting(meeting_id: str, request: Request, owner: str = Depends(caller)) -> Any:
    return await asyncio.to_thread(_meetings(request).get, meeting_id, owner=owner)


@router.get("/v1/meetings/{meeting_id}/markdown", response_class=PlainTextResponse)
async def meeting_markdown(meeting_id: str, request: Request, owner: str = Depends(caller)) -> Any:
    found = await asyncio.to_thread(_meetings(request).get, meeting_id, owner=owner)
    return PlainTextResponse(as_markdown(found), media_type="text/markdown; charset=utf-8")


def as_markdown(found: dict[str, Any]) -> str:
    """A meeting as the API shows it, in Markdown."""
    names = [s["name"] for s in found["speakers"]]
    segments = [MeetingSegment(s["start"], s["end"], s["speaker_index"], s["text"]) for s in found["segments"]]
    notes = MeetingNotes.model_validate(found["notes"] or {})
    return markdown(notes, title=found["title"], segments=segments, names=names)


@router.patch("/v1/meetings/{meeting_id}/speakers/{index}")
async def rename_speaker(meeting_id: str, index: int, body: SpeakerName, request: Request,
                         owner: str = Depends(caller)) -> Any:  # fmt: skip
    return await asyncio.to_thread(_meetings(request).rename_speaker, meeting_id, index, body.name, owner=owner)


@router.delete("/v1/meetings/{meeting_id}")
async def delete_meeting(meeting_id: str, request: Request, owner: str = Depends(caller)) -> Any:
    await asyncio.to_thread(_meetings(request).delete, meeting_id, owner=owner)
    return {"id": meeting_id, "object": "meeting.deleted", "deleted": True}


@router.put("/v1/voiceprint")
async def enrol_voice(request: Request, file: UploadFile, name: str = Form("Me", min_length=1, max_length=80),
                      owner: str = Depends(caller)) -> Any:  # fmt: skip
    meetings = _meetings(request)
    path = await asyncio.to_thread(_save_upload, file, 50 * 1024 * 1024)
    try:
        return await meetings.enrol_voice(owner, name, path)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


@router.get("/v1/voiceprint")
async def get_voice(request: Request, owner: str = Depends(caller)) -> Any:
    return await asyncio.to_thread(_meetings(request).voice, owner)


@router.delete("/v1/voiceprint")
async def forget_voice(request: Request, owner: str = Depends(caller)) -> Any:
    await asyncio.to_thread(_meetings(request).forget_voice, owner)
    return {"object": "voice.deleted", "deleted": True}
