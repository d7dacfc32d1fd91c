"""Meeting notes by the LLM: title, summary, decisions, action items (owner and due date when said) and open
questions, in the meeting's language, as JSON constrained by a schema and then validated.

For the embedded 0.5B model the work is cut small: the transcript goes in pieces of about 1,500 tokens (map:
notes of each piece, one JSON request each, all decoded together), and the pieces' notes are merged in code
(reduce: lists joined, near-duplicates dropped); only the title and summary of a long meeting take one more call,
over the pieces' summaries. Nothing is invented: an owner must be a name or a speaker label that occurs in the
transcript, and a due date must be words that were said; otherwise the field stays empty."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from glassmate.errors import ProviderError
from glassmate.meetings.pipeline import MeetingSegment
from glassmate.providers.llm.base import LLM, ChatMessage, GenerationOptions

PIECE_CHARS = 5000  # ~1,500 tokens of English (Chinese: ~3,500 tokens; still inside the 4,096 context)
LANGUAGE_NAMES = {"zh": "Chinese (简体中文)", "en": "English", "de": "German (Deutsch)"}


class ActionItem(BaseModel):
    task: str = Field(min_length=1, max_length=300)
    owner: str | None = Field(default=None, max_length=80)
    due: str | None = Field(default=None, max_length=80)


class MeetingNotes(BaseModel):
    title: str = Field(default="", max_length=120)
    summary: str = Field(default="", max_length=2000)
    decisions: list[str] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)


# What the model must produce for one piece: the schema it is constrained to (short strings, few items: a small
# model otherwise rambles until the token limit).
PIECE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 80},
        "summary": {"type": "string", "maxLength": 600},
        "decisions": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 8},
        "open_questions": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 6},
    },
    "required": ["title", "summary", "decisions", "open_questions"],
}
ACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "task": {"type": "string", "maxLength": 160},
        "owner": {"type": ["string", "null"], "maxLength": 60},
        "due": {"type": ["string", "null"], "maxLength": 60},
    },
    "required": ["task", "owner", "due"],
}
HEADLINE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"title": {"type": "string", "maxLength": 80}, "summary": {"type": "string", "maxLength": 800}},
    "required": ["title", "summary"],
}

SYSTEM = (
    "You write meeting notes from a transcript. Each line is 'Speaker: words'. Reply with JSON only.\n"
    "- title: a few words naming the topic.\n"
    "- summary: two or three sentences on what was discussed.\n"
    "- decisions: what the group agreed on, one short sentence each.\n"
    "- open_questions: questions left unanswered.\n"
    "Use only what the transcript says; an empty list when there is nothing. Write in {language}."
)


# Sentences that commit someone to a task, in the three languages: given to the model as hints, since the 0.5B
# model rarely lists action items unprompted (0 of 2 in the scripted meeting without the hints).
COMMITMENT = re.compile(
    r"\b(I will|I'll|I can do|I'll take|will (send|do|call|write|check|prepare|talk|book|update|finish|fix|share)|"
    r"is going to|are going to|can you|could you|please|by (monday|tuesday|wednesday|thursday|friday|tomorrow|next)|"
    r"ich werde|ich mache|ich kümmere|wird .{0,40}(schicken|senden|machen|vorbereiten|prüfen|anrufen)|"
    r"bis (montag|dienstag|"
    r"mittwoch|donnerstag|freitag|morgen|nächste))\b|我会|我来|我负责|负责|请你|之前(完成|发|交)",
    re.IGNORECASE,
)


def commitments(lines: Sequence[str]) -> list[str]:
    """The transcript's lines that sound like someone taking on a task."""
    return [line for line in lines if COMMITMENT.search(line)]


ACTIONS = (
    "Turn the last line of a meeting transcript into an action item: the task as a short phrase, the owner's "
    "name if one is said (else null), the due date in the words used (else null). JSON only."
)
# Worked examples, in the meeting's language: without them the 0.5B model copies the instructions into the
# fields ("task": "what will be done").
ACTION_SHOTS: dict[str, list[tuple[str, dict[str, str | None]]]] = {
    "en": [
        (
            "Speaker 1: We need the slides for Monday.\nSpeaker 2: Tom will prepare the slides by Sunday evening.",
            {"task": "prepare the slides", "owner": "Tom", "due": "by Sunday evening"},
        ),
        (
            "Speaker 2: Who books the room?\nSpeaker 1: I can do that.",
            {"task": "book the room", "owner": None, "due": None},
        ),
    ],
    "de": [
        (
            "Sprecher 1: Wir brauchen die Folien für Montag.\n"
            "Sprecher 2: Tom wird die Folien bis Sonntagabend vorbereiten.",
            {"task": "Folien vorbereiten", "owner": "Tom", "due": "bis Sonntagabend"},
        ),
        (
            "Sprecher 2: Wer bucht den Raum?\nSprecher 1: Ich kümmere mich darum.",
            {"task": "Raum buchen", "owner": None, "due": None},
        ),
    ],
    "zh": [
        (
            "发言人1：周一需要幻灯片。\n发言人2：小王会在周日晚上之前准备好幻灯片。",
            {"task": "准备幻灯片", "owner": "小王", "due": "周日晚上之前"},
        ),
        ("发言人2：谁来订会议室？\n发言人1：我来订。", {"task": "订会议室", "owner": None, "due": None}),
    ],
}
REQUEST = re.compile(r"\b(can you|could you|kannst du|können Sie|könntest du)\b|请你|你能", re.IGNORECASE)
REFERS_BACK = re.compile(r"\b(it|that|this|das|es|dies)\b|这|那", re.IGNORECASE)
FIRST_PERSON = re.compile(r"\b(I will|I'll|I can|I am going to|I'm going to|ich werde|ich mache|ich kümmere|"
                          r"ich kann)\b|我会|我来|我负责",
                          re.IGNORECASE)  # fmt: skip


def transcript_lines(segments: Sequence[MeetingSegment], names: Sequence[str]) -> list[str]:
    """'Name: text' lines, consecutive segments of one speaker joined."""
    lines: list[str] = []
    last = -1
    for s in segments:
        name = names[s.speaker] if s.speaker < len(names) else f"Speaker {s.speaker + 1}"
        if s.speaker == last and lines:
            lines[-1] += " " + s.text
        else:
            lines.append(f"{name}: {s.text}")
        last = s.speaker
    return lines


def pieces(lines: Sequence[str], limit: int = PIECE_CHARS) -> list[str]:
    """The lines in pieces of at most `limit` characters (a longer line is a piece of its own, cut)."""
    out: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        if current and len(current) + len(line) + 1 > limit:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        out.append(current)
    return out


class NoteWriter:
    """Writes the notes of one meeting with an LLM (embedded or remote, the same calls)."""

    def __init__(self, *, llm: LLM, max_tokens: int = 700) -> None:
        self.llm = llm
        self.max_tokens = max_tokens

    async def write(self, segments: Sequence[MeetingSegment], names: Sequence[str], language: str | None,
                    progress: Callable[[int, int], None] | None = None) -> MeetingNotes:  # fmt: skip
        """The notes of the meeting; `progress(done, total)` after each step (pieces, action items, headline).

        The pieces' notes are asked for together, and so are all the action items (`complete_json_many`): the
        embedded model decodes them in one batch, which on 2 cores takes a third of the time of one call after
        another (bench/meetings.py)."""
        lines = transcript_lines(segments, names)
        if not lines:
            return MeetingNotes()
        language_name = LANGUAGE_NAMES.get(language or "en", language or "English")
        parts = pieces(lines)
        total = 2 + (1 if len(parts) > 1 else 0)
        raw = await self.llm.complete_json_many(
            [(self._messages(part, language_name), PIECE_SCHEMA) for part in parts],
            options=GenerationOptions(max_tokens=self.max_tokens, temperature=0.1),
        )
        found = [_validated(r) for r in raw]
        if progress is not None:
            progress(1, total)
        for piece_notes, actions in zip(found, await self._actions(parts, language or "en"), strict=True):
            piece_notes.action_items = actions
        if progress is not None:
            progress(2, total)
        notes = merge(found)
        if len(found) > 1:
            summaries = "\n".join(f"- {n.summary}" for n in found if n.summary)
            headline = await self._ask(f"Summaries of the parts of one meeting, in order:\n{summaries}",
                                       language_name, HEADLINE_SCHEMA, max_tokens=250)  # fmt: skip
            notes.title, notes.summary = headline.title or notes.title, headline.summary or notes.summary
            if progress is not None:
                progress(total, total)
        return grounded(notes, "\n".join(lines), names)

    async def _actions(self, parts: Sequence[str], language: str) -> list[list[ActionItem]]:
        """Each piece's action items: each line that sounds like a commitment (COMMITMENT), with the line before
        it, turned into task/owner/due by one small request with worked examples in the meeting's language. The
        0.5B model found none of the scripted meeting's when asked for them with the rest of the notes, or for
        all lines at once; one line at a time, with examples, it finds them (bench/meetings.py). The requests
        of all pieces go out together."""
        shots = ACTION_SHOTS.get(language, ACTION_SHOTS["en"])
        asked: list[tuple[int, str]] = []  # (piece, line)
        requests: list[tuple[list[ChatMessage], dict[str, Any]]] = []
        for p, part in enumerate(parts):
            lines = part.splitlines()
            for i, line in enumerate(lines):
                if not COMMITMENT.search(line) or (line.rstrip().endswith(("?", "？")) and not REQUEST.search(line)):
                    continue
                # The line before only when this one points back at it ("I will do it"): otherwise the small
                # model takes its task from the wrong line.
                excerpt = (lines[i - 1] + "\n" if i > 0 and REFERS_BACK.search(line) else "") + line
                messages = [ChatMessage("system", ACTIONS)]
                for question, answer in shots:
                    messages += [
                        ChatMessage("user", question),
                        ChatMessage("assistant", json.dumps(answer, ensure_ascii=False)),
                    ]
                messages.append(ChatMessage("user", excerpt))
                asked.append((p, line))
                requests.append((messages, ACTION_SCHEMA))
        answers = await self.llm.complete_json_many(
            requests, options=GenerationOptions(max_tokens=120, temperature=0.0)
        )
        found: list[list[ActionItem]] = [[] for _ in parts]
        for (p, line), raw in zip(asked, answers, strict=True):
            if not isinstance(raw, dict):
                continue
            try:
                item = ActionItem.model_validate({k: raw.get(k) for k in ("task", "owner", "due")})
            except ValidationError:
                continue  # a malformed item is left out, not the meeting's notes
            speaker, _, words = line.partition(": ")
            if FIRST_PERSON.search(words):  # "I will …": the speaker is the owner, whatever the model guessed
                item.owner = speaker
            found[p].append(item)
        return found

    @staticmethod
    def _messages(text: str, language_name: str) -> list[ChatMessage]:
        return [
            ChatMessage("system", SYSTEM.replace("{language}", language_name)),
            ChatMessage("user", f"Transcript:\n{text}"),
        ]

    async def _ask(self, text: str, language_name: str, schema: dict[str, Any],
                   max_tokens: int | None = None) -> MeetingNotes:  # fmt: skip
        options = GenerationOptions(max_tokens=max_tokens or self.max_tokens, temperature=0.1)
        return _validated(await self.llm.complete_json(self._messages(text, language_name), schema, options=options))


def _validated(raw: Any) -> MeetingNotes:
    try:
        return MeetingNotes.model_validate(_clean(raw))
    except ValidationError as exc:
        raise ProviderError(f"the LLM's notes do not match the schema: {exc.errors()[0]['msg']}") from exc


def _clean(raw: Any) -> Any:
    """Drop empty strings and items a small model pads its lists with."""
    if not isinstance(raw, dict):
        return raw
    out = dict(raw)
    for key in ("decisions", "open_questions"):
        if isinstance(out.get(key), list):
            out[key] = [x.strip() for x in out[key] if isinstance(x, str) and x.strip()]
    if isinstance(out.get("action_items"), list):
        out["action_items"] = [a for a in out["action_items"] if isinstance(a, dict) and str(a.get("task", "")).strip()]
    return out


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def merge(found: Sequence[MeetingNotes]) -> MeetingNotes:
    """The pieces' notes as one: lists joined in order without repeats; the first title, summaries joined."""
    notes = MeetingNotes(title=next((n.title for n in found if n.title), ""),
                         summary=" ".join(n.summary for n in found if n.summary)[:2000])  # fmt: skip
    seen: set[str] = set()
    for n in found:
        for field_name in ("decisions", "open_questions"):
            for item in getattr(n, field_name):
                if _key(item) not in seen:
                    seen.add(_key(item))
                    getattr(notes, field_name).append(item)
        for action in n.action_items:
            if _key(action.task) not in seen:
                seen.add(_key(action.task))
                notes.action_items.append(action)
    return notes


def grounded(notes: MeetingNotes, transcript: str, names: Sequence[str]) -> MeetingNotes:
    """Owners and due dates the transcript does not contain are dropped (a small model makes them up)."""
    said = _key(transcript)
    known = {_key(n) for n in names}
    for action in notes.action_items:
        if action.owner is not None and _key(action.owner) not in known and _key(action.owner) not in said:
            action.owner = None
        if action.due is not None and not _due_was_said(action.due, said):
            action.due = None
        if action.owner is not None and not action.owner.strip():
            action.owner = None
    return notes


def _due_was_said(due: str, said: str) -> bool:
    """The due date's words (minus 'by', 'until', 'bis', …) occur in the transcript."""
    words = [w for w in _key(due).split() if w not in {"by", "until", "before", "on", "at", "the", "bis", "zum", "am"}]
    if not words:
        return False
    if any("\u4e00" <= ch <= "\u9fff" for ch in due):  # Chinese: no spaces between words
        return _key(due).replace(" ", "") in said.replace(" ", "")
    return all(re.search(rf"\b{re.escape(w)}\b", said) for w in words)


def markdown(notes: MeetingNotes, *, title: str | None = None, segments: Sequence[MeetingSegment] = (),
             names: Sequence[str] = (), when: str | None = None) -> str:  # fmt: skip
    """The notes (and the transcript, when given) as Markdown."""
    out = [f"# {title or notes.title or 'Meeting'}", ""]
    if when:
        out += [f"_{when}_", ""]
    if notes.summary:
        out += [notes.summary, ""]
    if notes.decisions:
        out += ["## Decisions", "", *[f"- {d}" for d in notes.decisions], ""]
    if notes.action_items:
        out += ["## Action items", ""]
        for a in notes.action_items:
            extra = ", ".join(x for x in (a.owner, a.due) if x)
            out.append(f"- [ ] {a.task}" + (f" ({extra})" if extra else ""))
        out.append("")
    if notes.open_questions:
        out += ["## Open questions", "", *[f"- {q}" for q in notes.open_questions], ""]
    if segments:
        out += ["## Transcript", ""]
        for s in segments:
            name = names[s.speaker] if s.speaker < len(names) else f"Speaker {s.speaker + 1}"
            out.append(f"**{name}** [{_clock(s.start)}] {s.text}  ")
    return "\n".join(out).rstrip() + "\n"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
