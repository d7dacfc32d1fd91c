"""The meetings of one server: recordings in the store, processed one at a time in the background (transcript
with speakers, then notes), listed, shown, renamed and deleted. Used by the REST API, the CLI and the skill."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from glassmate.audio import ASR_RATE
from glassmate.config import Settings
from glassmate.engines import Priority, priority
from glassmate.errors import BadInputError, GlassmateError, NotFoundError
from glassmate.events import new_id
from glassmate.meetings.audio_io import SUFFIX, AudioWriter, blocks, probe_duration
from glassmate.meetings.notes import MeetingNotes, NoteWriter
from glassmate.meetings.pipeline import MeetingSegment, MeetingTranscriber, MeetingTranscript
from glassmate.meetings.search import MeetingSearch, matching_lines
from glassmate.meetings.voiceprint import MAX_SPEECH_S, enrol, match
from glassmate.runtime import Models
from glassmate.store.db import Database
from glassmate.store.meetings import MeetingRow, VoiceprintRow

log = logging.getLogger("glassmate.meetings")
NO_SPEECH = "no-speech"
ENROL_READ_S = 2 * MAX_SPEECH_S  # of an enrolment recording, this much is read (pauses included)


class MeetingNotFound(NotFoundError):
    code = "meeting-not-found"


class VoiceNotEnrolled(NotFoundError):
    code = "voice-not-enrolled"


def default_names(count: int) -> list[str]:
    return [f"Speaker {i + 1}" for i in range(count)]


class Meetings:
    def __init__(self, *, db: Database, models: Models, settings: Settings) -> None:
        self.db = db
        self.models = models
        self.settings = settings
        self._one_at_a_time = asyncio.Lock()  # 2 cores: one meeting's ASR at a time, beside the live sessions
        self._tasks: set[asyncio.Task[None]] = set()
        self.index = MeetingSearch(db)

    # -- rows -------------------------------------------------------------------------------------------------

    def new(self, *, owner: str, source: str, filename: str = "", status: str = "processing") -> str:
        """A new meeting row; its id."""
        meeting_id = new_id("mtg")
        with self.db.session() as s, s.begin():
            s.add(MeetingRow(id=meeting_id, owner=owner, source=source, filename=filename[:300], status=status))
        return meeting_id

    def set_audio_path(self, meeting_id: str, path: Path) -> None:
        self._update(meeting_id, audio_path=str(path))

    def audio_path(self, meeting_id: str) -> Path:
        return self.settings.meetings_dir / f"{meeting_id}{SUFFIX[self.settings.meetings.audio_format]}"

    def _update(self, meeting_id: str, **fields: Any) -> None:
        with self.db.session() as s, s.begin():
            row = s.get(MeetingRow, meeting_id)
            if row is not None:
                for key, value in fields.items():
                    setattr(row, key, value)

    def _row(self, meeting_id: str, owner: str | None) -> MeetingRow:
        with self.db.session() as s:
            row = s.get(MeetingRow, meeting_id)
        if row is None or (owner is not None and row.owner != owner):
            raise MeetingNotFound(f"there is no meeting {meeting_id!r}")
        return row

    def get(self, meeting_id: str, *, owner: str | None = None) -> dict[str, Any]:
        """The meeting as the API shows it."""
        return view(self._row(meeting_id, owner), full=True)

    def recent(self, *, owner: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest meetings first, without their transcripts."""
        query = select(MeetingRow).order_by(MeetingRow.created_at.desc()).limit(limit)
        if owner is not None:
            query = query.where(MeetingRow.owner == owner)
        with self.db.session() as s:
            return [view(row, full=False) for row in s.scalars(query)]

    def search(self, query: str, *, owner: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Meetings whose title, notes or transcript have the query's words, best first; each with `matches`,
        its lines that have them (decisions, action items, summary, then what was said)."""
        hits = self.index.search(query, owner=owner, limit=limit)
        found = []
        for hit in hits:
            try:
                meeting = self.get(hit.meeting_id, owner=owner)
            except MeetingNotFound:  # deleted since
                continue
            meeting["rank"] = hit.rank
            meeting["matches"] = matching_lines(meeting, query)
            del meeting["segments"]
            found.append(meeting)
        return found

    def delete(self, meeting_id: str, *, owner: str | None = None) -> None:
        """The meeting, its transcript, notes and audio, gone."""
        row = self._row(meeting_id, owner)
        if row.status == "processing":
            for task in list(self._tasks):
                if task.get_name() == f"meeting:{meeting_id}":
                    task.cancel()
        with self.db.session() as s, s.begin():
            found = s.get(MeetingRow, meeting_id)
            if found is not None:
                s.delete(found)
        self.index.remove(meeting_id)
        if row.audio_path:
            Path(row.audio_path).unlink(missing_ok=True)

    def rename_speaker(self, meeting_id: str, index: int, name: str, *, owner: str | None = None) -> dict[str, Any]:
        """Give "Speaker N" a name (in the transcript, the notes' owners and the search text)."""
        name = " ".join(name.split())[:80]
        if not name:
            raise BadInputError("a speaker's name cannot be empty")
        row = self._row(meeting_id, owner)
        names = list(row.speakers)
        if not 0 <= index < len(names):
            raise BadInputError(f"the meeting has speakers 0..{len(names) - 1}, not {index}")
        old, names[index] = names[index], name
        notes = row.notes
        if notes:
            for item in notes.get("action_items", []):
                if item.get("owner") == old:
                    item["owner"] = name
        searched = _search_text(row.title, notes, row.segments, names)
        self._update(meeting_id, speakers=names, notes=notes, text=searched)
        if row.status == "done":
            self.index.put(meeting_id, row.owner, searched)
        return self.get(meeting_id, owner=owner)

    # -- the wearer's voice ------------------------------------------------------------------------------------

    async def enrol_voice(self, owner: str, name: str, source: Path) -> dict[str, Any]:
        """Enrol the caller's own voice from a recording of them speaking (8 s of speech or more); the speaker of
        their later meetings who has this voice is then called `name`."""
        name = " ".join(name.split())[:80]
        if not name:
            raise BadInputError("the voice needs a name")
        vector, speech_s = await enrol(self.models, [await asyncio.to_thread(_head, source, ENROL_READ_S)])
        with self.db.session() as s, s.begin():
            row = s.get(VoiceprintRow, owner) or VoiceprintRow(owner=owner)
            row.name, row.vector, row.speech_s = name, [round(float(x), 6) for x in vector], round(speech_s, 1)
            row.created_at = datetime.now(UTC)
            s.add(row)
        return self.voice(owner)

    def voice(self, owner: str) -> dict[str, Any]:
        """The caller's enrolled voice: its name, seconds of speech and when (not the vector)."""
        with self.db.session() as s:
            row = s.get(VoiceprintRow, owner)
        if row is None:
            raise VoiceNotEnrolled("no voice is enrolled for this caller")
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        return {"object": "voice", "name": row.name, "speech_s": row.speech_s, "created_at": int(created.timestamp())}

    def forget_voice(self, owner: str) -> None:
        with self.db.session() as s, s.begin():
            row = s.get(VoiceprintRow, owner)
            if row is None:
                raise VoiceNotEnrolled("no voice is enrolled for this caller")
            s.delete(row)

    def _names(self, owner: str, transcript: MeetingTranscript) -> list[str]:
        """ "Speaker 1…N", with the enrolled voice's name for the speaker who has it."""
        names = default_names(transcript.speakers)
        with self.db.session() as s:
            row = s.get(VoiceprintRow, owner)
        if row is not None:
            found = match(transcript.centroids, np.asarray(row.vector, np.float32))
            if found is not None:
                names[found] = row.name
        return names

    # -- processing -------------------------------------------------------------------------------------------

    def start(self, meeting_id: str, work: Callable[[], Any]) -> asyncio.Task[None]:
        """Run `work` (a coroutine function) in the background, owned by this service. A bug in it fails the
        meeting (logged) instead of leaving it `processing` for ever."""

        async def guarded() -> None:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("meeting %s: processing failed", meeting_id)
                self._failed(meeting_id, GlassmateError("processing failed on the server; the audio is kept"))

        task = asyncio.create_task(guarded(), name=f"meeting:{meeting_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def import_file(self, meeting_id: str, source: Path, *, remove_source: bool = False,
                          progress: Callable[[str, float], None] | None = None) -> None:  # fmt: skip
        """Decode `source` (wav, flac, mp3, ogg, webm, …), keep a copy in the store, and process it."""
        target = self.audio_path(meeting_id)
        try:
            duration = await asyncio.to_thread(probe_duration, source)
            if duration is not None and duration > self.settings.meetings.max_duration_s:
                raise BadInputError(f"the recording is {duration / 3600:.1f} h long; the limit is "
                                    f"{self.settings.meetings.max_duration_s / 3600:.1f} h")  # fmt: skip
            writer = await asyncio.to_thread(AudioWriter, target, fmt=self.settings.meetings.audio_format)
            self._update(meeting_id, audio_path=str(target))

            def kept() -> Iterator[np.ndarray]:
                try:
                    for block in blocks(source):
                        writer.write(block)
                        yield block
                finally:
                    writer.close()

            await self._process(meeting_id, kept(), duration, progress)
        except GlassmateError as exc:
            self._failed(meeting_id, exc)
        finally:
            if remove_source:
                await asyncio.to_thread(source.unlink, missing_ok=True)

    async def process_stored(self, meeting_id: str, progress: Callable[[str, float], None] | None = None) -> None:
        """(Re)process the audio the store holds for this meeting (a recording from the glasses)."""
        row = self._row(meeting_id, None)
        try:
            path = Path(row.audio_path or "")
            if not row.audio_path or not await asyncio.to_thread(path.is_file):
                raise MeetingNotFound(f"the audio of meeting {meeting_id!r} is no longer kept")
            duration = await asyncio.to_thread(probe_duration, path)
            await self._process(meeting_id, blocks(path), duration, progress)
        except GlassmateError as exc:
            self._failed(meeting_id, exc)

    def _failed(self, meeting_id: str, exc: GlassmateError) -> None:
        log.info("meeting %s failed: %s (%s)", meeting_id, exc.message, exc.code)
        self._update(meeting_id, status="failed", stage="", error_code=exc.code, error=exc.message[:500],
                     finished_at=datetime.now(UTC))  # fmt: skip

    async def _process(self, meeting_id: str, audio: Any, duration: float | None,
                       progress: Callable[[str, float], None] | None) -> None:  # fmt: skip
        # The models serve the wearer's turns and REST calls first.
        with priority(Priority.BACKGROUND):
            await self._process_now(meeting_id, audio, duration, progress)

    async def _process_now(self, meeting_id: str, audio: Any, duration: float | None,
                           progress: Callable[[str, float], None] | None) -> None:  # fmt: skip
        async with self._one_at_a_time:
            self._update(meeting_id, status="processing", stage="transcribing", progress=0.0, error=None,
                         error_code=None)  # fmt: skip
            last = [0.0]

            def heard(seconds: float) -> None:
                fraction = min(0.99, seconds / duration) if duration else 0.0
                if progress is not None:
                    progress("transcribing", fraction)
                if fraction - last[0] >= 0.02:  # a row update every 2 %
                    last[0] = fraction
                    self._update(meeting_id, progress=round(fraction * 0.8, 3))

            transcriber = MeetingTranscriber(models=self.models, language=self.settings.meetings.language)
            transcript = await transcriber.run(audio, heard)
            owner = self._row(meeting_id, None).owner
            names = self._names(owner, transcript)
            segments = [_segment_dict(s) for s in transcript.segments]
            self._update(meeting_id, stage="notes", progress=0.8, segments=segments, speakers=names,
                         duration_s=transcript.duration_s, speech_s=transcript.speech_s,
                         language=transcript.language)  # fmt: skip
            notes = await self._notes(meeting_id, transcript, names, progress)
            title = notes.title or _fallback_title(transcript)
            searched = _search_text(title, notes.model_dump(), segments, names)
            self.index.put(meeting_id, owner, searched)
            self._update(meeting_id, status="done", stage="" if transcript.segments else NO_SPEECH, progress=1.0,
                         notes=notes.model_dump(), title=title, finished_at=datetime.now(UTC),
                         text=searched)  # fmt: skip
            self.purge_audio()

    async def _notes(self, meeting_id: str, transcript: MeetingTranscript, names: list[str],
                     progress: Callable[[str, float], None] | None) -> MeetingNotes:  # fmt: skip
        if not transcript.segments:
            return MeetingNotes()

        def noted(done: int, total: int) -> None:
            if progress is not None:
                progress("notes", done / total)
            self._update(meeting_id, progress=round(0.8 + 0.2 * done / total, 3))

        return await NoteWriter(llm=self.models.llm).write(transcript.segments, names, transcript.language, noted)

    def purge_audio(self, now: datetime | None = None) -> int:
        """Remove the audio of meetings older than the retention setting (the notes stay); how many."""
        days = self.settings.meetings.audio_retention_days
        if days == 0:
            return 0
        cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
        removed = 0
        with self.db.session() as s, s.begin():
            rows = s.scalars(select(MeetingRow).where(MeetingRow.audio_path.is_not(None),
                                                      MeetingRow.status.in_(("done", "failed"))))  # fmt: skip
            for row in rows:
                created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
                if created < cutoff and row.audio_path:
                    Path(row.audio_path).unlink(missing_ok=True)
                    row.audio_path = None
                    removed += 1
        return removed

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _head(source: Path, seconds: float) -> np.ndarray:
    """The first `seconds` of a recording, decoded (16 kHz mono)."""
    kept: list[np.ndarray] = []
    total = 0
    for block in blocks(source):
        kept.append(block)
        total += len(block)
        if total >= seconds * ASR_RATE:
            break
    return np.concatenate(kept) if kept else np.zeros(0, np.float32)


def _segment_dict(s: MeetingSegment) -> dict[str, Any]:
    d = asdict(s)
    d["start"], d["end"] = round(s.start, 2), round(s.end, 2)
    return d


def _fallback_title(transcript: MeetingTranscript) -> str:
    if not transcript.segments:
        return "No speech"
    first = transcript.segments[0].text
    return first if len(first) <= 60 else first[:57].rsplit(" ", 1)[0] + "…"


def _search_text(title: str, notes: dict[str, Any] | None, segments: list[dict[str, Any]], names: list[str]) -> str:
    parts = [title]
    if notes:
        parts += [notes.get("summary", ""), *notes.get("decisions", []), *notes.get("open_questions", [])]
        parts += [" ".join(filter(None, (a.get("task"), a.get("owner"), a.get("due"))))
                  for a in notes.get("action_items", [])]  # fmt: skip
    parts += [f"{names[s['speaker']] if s['speaker'] < len(names) else ''}: {s['text']}" for s in segments]
    return "\n".join(p for p in parts if p)


def view(row: MeetingRow, *, full: bool) -> dict[str, Any]:
    """A meeting as the API returns it: segments with the speaker's name and times in seconds."""
    names = list(row.speakers)
    out: dict[str, Any] = {
        "id": row.id,
        "object": "meeting",
        "status": row.status,
        "stage": row.stage or None,
        "progress": row.progress,
        "title": row.title,
        "source": row.source,
        "filename": row.filename or None,
        "language": row.language,
        "duration_s": round(row.duration_s, 2),
        "created_at": int(row.created_at.timestamp()),
        "audio_kept": row.audio_path is not None,
        "speakers": [{"index": i, "name": n} for i, n in enumerate(names)],
        "warnings": ["no speech was heard in the recording"] if row.stage == NO_SPEECH else [],
    }
    if row.status == "failed":
        out["error"] = {"code": row.error_code, "message": row.error}
    if full:
        out["segments"] = [
            {"start": s["start"], "end": s["end"], "speaker": names[s["speaker"]] if s["speaker"] < len(names)
             else f"Speaker {s['speaker'] + 1}", "speaker_index": s["speaker"], "text": s["text"]}
            for s in row.segments
        ]  # fmt: skip
        out["notes"] = row.notes
    return out
