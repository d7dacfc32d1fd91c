"""Meetings: "record this meeting" starts a recording (an activity, recording.py), "stop recording" ends it and
the notes are written in the background (glassmate.meetings); "what did we decide about the budget?" answers from
the notes of the wearer's meetings (full-text search, then the lines that say it)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from glassmate.errors import ToolError
from glassmate.skills.base import Skill, SkillEnv, SkillPolicy
from glassmate.skills.meeting.recording import MeetingRecording
from glassmate.skills.routing import tool_route
from glassmate.skills.tools import ToolContext, tool, tools_of

TEXTS = {
    "en": {"start": "Recording the meeting. Say stop recording when it's over.", "already": "I'm already recording.",
           "none": "Nothing is being recorded.", "stop": "Recorded {minutes}. I'll write the notes now.",
           "glasses_only": "Meetings are recorded on the glasses; upload a recording to /v1/meetings instead.",
           "not_found": "None of your meetings mentions {topic}.",
           "decision": "In “{title}” ({date}) you decided: {lines}.",
           "action_item": "In “{title}” ({date}) the action items were: {lines}.",
           "notes": "From “{title}” ({date}): {lines}.", "said": "In “{title}” ({date}) {speaker} said: “{lines}”",
           "others": " {count} more meetings mention it.", "other": " One more meeting mentions it.",
           "today": "today", "date": "{day} {month}",
           "months": "January February March April May June July August September October November December"},
    "zh": {"start": "开始会议记录。结束时说“停止录音”。", "already": "已经在录音了。", "none": "现在没有在录音。",
           "stop": "录了{minutes}。我现在整理会议纪要。",
           "glasses_only": "会议要在眼镜上录；也可以把录音上传到 /v1/meetings。",
           "not_found": "你的会议里没有提到{topic}。", "decision": "在{date}的“{title}”中，决定：{lines}。",
           "action_item": "在{date}的“{title}”中，待办事项是：{lines}。", "notes": "{date}的“{title}”：{lines}。",
           "said": "在{date}的“{title}”中，{speaker}说：“{lines}”", "others": "另有{count}个会议也提到了。",
           "other": "另有一个会议也提到了。", "today": "今天", "date": "{month_n}月{day}日"},
    "de": {"start": "Ich nehme das Meeting auf. Sag „Aufnahme beenden“, wenn es vorbei ist.",
           "already": "Ich nehme schon auf.", "none": "Es läuft keine Aufnahme.",
           "stop": "{minutes} aufgenommen. Ich schreibe jetzt das Protokoll.",
           "glasses_only": "Meetings werden auf der Brille aufgenommen; lade sonst eine Aufnahme zu /v1/meetings "
                           "hoch.",
           "not_found": "Keines deiner Meetings erwähnt {topic}.",
           "decision": "Im Meeting „{title}“ ({date}) wurde beschlossen: {lines}.",
           "action_item": "Im Meeting „{title}“ ({date}) wurden diese Aufgaben vereinbart: {lines}.",
           "notes": "Aus „{title}“ ({date}): {lines}.",
           "said": "Im Meeting „{title}“ ({date}) sagte {speaker}: „{lines}“",
           "others": " {count} weitere Meetings erwähnen es.", "other": " Ein weiteres Meeting erwähnt es.",
           "today": "heute", "date": "{day}. {month}",
           "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"},
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
    # The glasses' record button starts a recording (its first tool); while recording, the activity takes the
    # button to stop it.
    policy = SkillPolicy(icon="record", command_while_busy=True, remembered=False, models=("asr", "speaker", "llm"),
                         buttons=("record",))  # fmt: skip

    def __init__(self, *, env: SkillEnv) -> None:
        super().__init__(env=env)
        self.recording: MeetingRecording | None = None

    def on_audio(self, samples: np.ndarray) -> None:
        if self.recording is not None:
            self.recording.audio(samples)

    def offers(self, tool: str) -> bool:
        return tool != "stop_meeting_recording" or (self.recording is not None and not self.recording.stopped)

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
        stop = next(t for t in tools_of(self) if t.name == "stop_meeting_recording")
        self.recording = MeetingRecording(port=port, meetings=meetings, meeting_id=meeting_id,
                                          on_button=lambda: tool_route(stop, {}, matched_by="button"))  # fmt: skip
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

    @tool(
        timeout_s=10,
        examples=(
            "What did we agree on the launch date?",
            "Which meeting talked about hiring?",
            "What was decided in the meeting about the office move?",
            "上次开会关于招聘说了什么？",
            "会上对新办公室怎么定的？",
            "Was wurde im Meeting zur Preiserhöhung entschieden?",
            "Worüber haben wir beim Termin mit dem Kunden gesprochen?",
        ),
        side_effects=False,
    )
    async def recall_meeting(self, ctx: ToolContext, topic: str) -> str:
        """Answer from the notes of the wearer's recorded meetings what was decided, agreed or said about a topic
        ("what did we decide about the budget?").

        Args:
            topic: what the wearer asks about, in their words ("the budget", "预算", "das Budget").
        """
        texts = TEXTS[ctx.turn.reply_language]
        meetings = getattr(self.env.services, "meetings", None)
        if self.port is None or meetings is None:
            raise ToolError(texts["glasses_only"])
        owner = f"device:{self.port.device_name}" if self.port.device_name else "device:"
        found = await asyncio.to_thread(meetings.search, topic, owner=owner, limit=5)
        found = [m for m in found if m["matches"]]
        if not found:
            return texts["not_found"].format(topic=topic.strip(" ?？.。") or "…")
        return recall_answer(found, ctx.turn.reply_language, now=ctx.turn.now)


def _date(created_at: int, language: str, now: float) -> str:
    texts = TEXTS[language]
    when, today = time.localtime(created_at), time.localtime(now)
    if when[:3] == today[:3]:
        return texts["today"]
    months = TEXTS[language].get("months", TEXTS["en"]["months"]).split()
    return texts["date"].format(day=when.tm_mday, month=months[when.tm_mon - 1], month_n=when.tm_mon)


def recall_answer(found: list[dict[str, Any]], language: str, *, now: float) -> str:
    """What the best meeting's notes say about the topic, one sentence: its decisions, else its action items, else
    its summary, else what someone said; and how many other meetings mention it."""
    texts = TEXTS[language]
    best = found[0]
    matches = best["matches"]
    kind = matches[0]["kind"]
    same = [m for m in matches if m["kind"] == kind][:3]
    join = "；" if language == "zh" else "; "
    lines = join.join(m["text"].rstrip("。.!！") for m in same)
    key = {"decision": "decision", "action_item": "action_item", "said": "said"}.get(kind, "notes")
    speaker = same[0].get("speaker", "")
    answer = texts[key].format(title=best["title"], date=_date(best["created_at"], language, now), lines=lines,
                               speaker=speaker)  # fmt: skip
    others = len(found) - 1
    if others == 1:
        answer += texts["other"]
    elif others > 1:
        answer += texts["others"].format(count=others)
    return answer
