"""Meetings: "record this meeting" starts a recording (an activity, recording.py), "stop recording" ends it and
the notes are written in the background (glassmate.meetings); "read me the notes of the last meeting"."""

from __future__ import annotations

import asyncio

import numpy as np

from glassmate.errors import ToolError
from glassmate.skills.base import Skill, SkillEnv, SkillPolicy
from glassmate.skills.meeting.recording import MeetingRecording
from glassmate.skills.tools import ToolContext, tool

TEXTS = {
    "en": {"start": "Recording the meeting. Say stop recording when it's over.", "already": "I'm already recording.",
           "none": "Nothing is being recorded.", "stop": "Recorded {minutes}. I'll write the notes now.",
           "glasses_only": "Meetings are recorded on the glasses; upload a recording to /v1/meetings instead."},
    "zh": {"start": "开始会议记录。结束时说“停止录音”。", "already": "已经在录音了。", "none": "现在没有在录音。",
           "stop": "录了{minutes}。我现在整理会议纪要。",
           "glasses_only": "会议要在眼镜上录；也可以把录音上传到 /v1/meetings。"},
    "de": {"start": "Ich nehme das Meeting auf. Sag „Aufnahme beenden“, wenn es vorbei ist.",
           "already": "Ich nehme schon auf.", "none": "Es läuft keine Aufnahme.",
           "stop": "{minutes} aufgenommen. Ich schreibe jetzt das Protokoll.",
           "glasses_only": "Meetings werden auf der Brille aufgenommen; lade sonst eine Aufnahme zu /v1/meetings "
                           "hoch."},
}  # fmt: skip


def _minutes(seconds: float, language: str) -> str:
    minutes = max(1, round(seconds / 60)) if seconds >= 30 else 0
    if minutes == 0:
        return {"zh": f"{int(seconds)}秒", "de": f"{int(seconds)} Sekunden"}.get(language, f"{int(seconds)} seconds")
    return {"zh": f"{minutes}分钟", "de": f"{minutes} Minuten" if minutes > 1 else "eine Minute"}.get(
        language, f"{minutes} minutes" if minutes > 1 else "one minute"
    )


class MeetingSkill(Skill):
    name = "meeting"
    policy = SkillPolicy(icon="record", command_while_busy=True, remembered=False, models=("asr", "speaker", "llm"))

    def __init__(self, *, env: SkillEnv) -> None:
        super().__init__(env=env)
        self.recording: MeetingRecording | None = None

    def on_audio(self, samples: np.ndarray) -> None:
        if self.recording is not None:
            self.recording.audio(samples)

    @tool(
        timeout_s=10,
        examples=(
            "Can you take notes of this meeting?",
            "Keep a record of what we discuss now.",
            "帮我记一下这个会。",
            "把这次讨论录下来。",
            "Schreib bitte mit, was wir besprechen.",
            "Protokolliere dieses Gespräch.",
        ),
    )
    async def start_meeting_recording(self, ctx: ToolContext) -> str:
        """Start recording a meeting on the glasses; when it stops, a transcript with who spoke and notes
        (summary, decisions, action items) are written."""
        texts = TEXTS[ctx.turn.reply_language]
        port = self.port
        meetings = getattr(self.env.services, "meetings", None)
        if port is None or meetings is None:
            raise ToolError(texts["glasses_only"])
        if self.recording is not None and not self.recording.stopped:
            return texts["already"]
        owner = f"device:{port.device_name}" if port.device_name else "device:"
        meeting_id = await asyncio.to_thread(meetings.new, owner=owner, source="glasses", status="recording")
        self.recording = MeetingRecording(port=port, meetings=meetings, meeting_id=meeting_id)
        await self.recording.start()
        port.focus(self.recording)
        return texts["start"]

    @tool(
        timeout_s=10,
        examples=(
            "The meeting is over.",
            "We're done, you can stop taking notes.",
            "会开完了。",
            "Das Meeting ist vorbei.",
        ),
    )
    async def stop_meeting_recording(self, ctx: ToolContext) -> str:
        """Stop recording the meeting; its notes are then written in the background."""
        texts = TEXTS[ctx.turn.reply_language]
        recording = self.recording
        if recording is None or recording.stopped or self.port is None:
            return texts["none"]
        self.recording = None
        self.port.release(recording)
        seconds = await recording.stop()
        return texts["stop"].format(minutes=_minutes(seconds, ctx.turn.reply_language))
