"""A meeting being recorded on the glasses, an activity: every microphone sample goes to the store's audio file
(flushed each second, off the event loop), what people say is shown as a live transcript with times and not
answered, commands for the glasses still work. Stopping (by voice, or the connection dropping) hands the file to
the meetings service, which transcribes it with speakers and writes the notes in the background."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from glassmate.audio import ASR_RATE
from glassmate.events import MeetingUpdatedEvent, server_event
from glassmate.meetings.audio_io import AudioWriter
from glassmate.skills.base import Activity, Card, Output, Port, SkillPolicy, Turn
from glassmate.skills.tools import ToolContext

if TYPE_CHECKING:
    from glassmate.meetings.service import Meetings
    from glassmate.skills.routing import Route

FLUSH_S = 1.0


class MeetingRecording(Activity):
    skill = "meeting"

    def __init__(self, *, port: Port, meetings: Meetings, meeting_id: str,
                 on_button: Callable[[], Route] | None = None) -> None:  # fmt: skip
        self.port = port
        self._on_button = on_button  # the stop tool's route: the record button stops the recording
        self.meetings = meetings
        self.meeting_id = meeting_id
        self._pending: list[np.ndarray] = []
        self._samples = 0
        self._writer: AudioWriter | None = None
        # A write cancelled on the loop goes on in its worker thread: the file is written and closed under this
        # lock, so the hand-over's last write cannot overlap it.
        self._file_lock = threading.Lock()
        self._task: asyncio.Task[Any] | None = None
        self.stopped = False

    @property
    def recorded_s(self) -> float:
        """Seconds of audio recorded so far (the live transcript's clock: the audio's, not the wall's)."""
        return self._samples / ASR_RATE

    async def start(self) -> None:
        self._writer = await asyncio.to_thread(AudioWriter, self.meetings.audio_path(self.meeting_id),
                                               fmt=self.meetings.settings.meetings.audio_format)  # fmt: skip
        await asyncio.to_thread(self.meetings.set_audio_path, self.meeting_id, self._writer.path)
        self._task = self.port.spawn(self._keep(), name="meeting-recording")
        self.port.indicate(audio=True)  # the audio is kept beyond the turn: the HUD's indicator is on
        await self._update("recording", seconds=0.0)
        await self.port.show(Card(title="● REC", lines=["Recording the meeting"], icon="record", id="meeting",
                                  ttl_ms=24 * 3600 * 1000, priority="high"))  # fmt: skip

    def audio(self, samples: np.ndarray) -> None:
        if not self.stopped:
            self._pending.append(samples.copy())
            self._samples += len(samples)

    async def _keep(self) -> None:
        """Flush the audio to the file every second until stopped; then (also when the session ends because the
        connection dropped) close it and hand it over for processing."""
        try:
            while True:
                await asyncio.sleep(FLUSH_S)
                await self._flush()
        finally:
            self.stopped = True
            await asyncio.shield(self._hand_over())

    async def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and self._writer is not None:
            writer = self._writer
            block = np.concatenate(pending)

            def write() -> None:
                with self._file_lock:
                    writer.write(block)
                    writer.flush()

            await asyncio.to_thread(write)

    async def _hand_over(self) -> None:
        await self._flush()
        if self._writer is not None:
            writer = self._writer

            def close() -> None:
                with self._file_lock:
                    writer.close()

            await asyncio.to_thread(close)
        meetings, meeting_id = self.meetings, self.meeting_id
        # Owned by the service, not the session: it goes on after the glasses disconnect.
        meetings.start(meeting_id, lambda: meetings.process_stored(meeting_id))

    async def stop(self) -> float:
        """Stop recording; the seconds recorded."""
        self.stopped = True
        seconds = self.recorded_s
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.port.indicate(audio=False)
        await self.port.show(Card(title="Meeting recorded", lines=["Writing the notes…"], icon="record",
                                  id="meeting"))  # fmt: skip
        await self._update("processing", seconds=seconds)
        self.port.spawn(self._report_when_done(), name="meeting-notes")
        return seconds

    async def _report_when_done(self) -> None:
        """Tell the wearer when the notes are ready (while the session lasts)."""
        while True:
            await asyncio.sleep(1.0)
            found = await asyncio.to_thread(self.meetings.get, self.meeting_id)
            if found["status"] in ("done", "failed"):
                await self._update(found["status"], title=found["title"], speakers=len(found["speakers"]))
                return

    async def _update(self, status: str, **fields: Any) -> None:
        await self.port.emit(server_event(MeetingUpdatedEvent, meeting={"id": self.meeting_id, "status": status,
                                                                        **fields}))  # fmt: skip

    def claim_button(self, button: str) -> Route | None:
        if button == "record" and self._on_button is not None and not self.stopped:
            return self._on_button()
        return None

    def claim(self, turn: Turn, matched: Route | None) -> Route | None:
        """People talking in the meeting are not talking to the glasses: their words become the live transcript
        and get no answer. A command (an intent) still routes as usual; typed text is for the assistant."""
        from glassmate.skills.routing import Route

        if self.stopped or turn.item_id is None or matched is not None:
            return None
        at = round(self.recorded_s, 1)

        async def note(ctx: ToolContext) -> AsyncGenerator[Output, None]:
            await self._update("recording", seconds=at, line={"at": at, "text": turn.text})
            return
            yield

        return Route(skill=self.skill, matched_by="activity", run=note, policy=SkillPolicy(remembered=False),
                     silent=True)  # fmt: skip
