"""Meeting notes with a scripted LLM: pieces, action items per commitment line, grounding, Markdown."""

import json
from pathlib import Path

import pytest

from glassmate.errors import ProviderError
from glassmate.meetings.notes import ActionItem, MeetingNotes, NoteWriter, grounded, markdown, merge, pieces
from glassmate.meetings.pipeline import MeetingSegment
from glassmate.providers.llm.recorded import RecordedLLM
from glassmate.testing.fakes import ScriptedLLM

NAMES = ["Speaker 1", "Speaker 2", "Speaker 3"]
MEETING = [
    MeetingSegment(0, 4, 0, "Let's look at the budget for next quarter."),
    MeetingSegment(5, 9, 1, "We move the launch to March."),
    MeetingSegment(10, 14, 2, "Anna will send the revised numbers by Friday."),
    MeetingSegment(15, 19, 0, "Who is going to talk to the finance department?"),
    MeetingSegment(20, 22, 1, "I will do it tomorrow morning."),
]
PIECE = {"title": "Budget", "summary": "The budget and the launch.", "action_items": [],
         "decisions": ["Move the launch to March", ""], "open_questions": []}  # fmt: skip


async def test_notes_ask_once_for_the_piece_and_once_per_commitment() -> None:
    llm = ScriptedLLM([
        json.dumps(PIECE),
        json.dumps({"task": "send the revised numbers", "owner": "Anna", "due": "by Friday"}),
        json.dumps({"task": "talk to the finance department", "owner": "Tom", "due": "tomorrow morning"}),
    ])  # fmt: skip
    notes = await NoteWriter(llm=llm).write(MEETING, NAMES, "en")
    assert len(llm.calls) == 3  # the question "Who is going to …?" is not a commitment; "I will do it" is
    assert notes.title == "Budget" and notes.decisions == ["Move the launch to March"]
    assert notes.action_items == [
        ActionItem(task="send the revised numbers", owner="Anna", due="by Friday"),
        # "I will …": its speaker owns it, whatever the model said; the line before says what "it" is
        ActionItem(task="talk to the finance department", owner="Speaker 2", due="tomorrow morning"),
    ]
    assert "Who is going to talk" in llm.calls[2][-1].content


async def test_a_long_meeting_is_noted_in_pieces_and_headlined_once() -> None:
    long = [MeetingSegment(i * 10, i * 10 + 9, i % 2, f"Point number {i} about the roadmap and its many details. " * 4)
            for i in range(60)]  # fmt: skip
    count = len(pieces([f"Speaker {s.speaker + 1}: {s.text}" for s in long]))
    assert count >= 3
    script = [json.dumps({**PIECE, "summary": f"part {i}"}) for i in range(count)]
    llm = ScriptedLLM([*script, json.dumps({"title": "Roadmap", "summary": "All of it."})])
    progress: list[tuple[int, int]] = []
    notes = await NoteWriter(llm=llm).write(long, NAMES, "en", progress=lambda d, t: progress.append((d, t)))
    assert len(llm.calls) == count + 1 and progress == [(1, 3), (2, 3), (3, 3)]  # pieces, action items, headline
    assert notes.title == "Roadmap" and notes.summary == "All of it."
    assert notes.decisions == ["Move the launch to March"]  # the same decision in every piece, listed once
    assert "part 0" in llm.calls[-1][-1].content and f"part {count - 1}" in llm.calls[-1][-1].content


async def test_notes_that_break_the_schema_are_an_error() -> None:
    llm = ScriptedLLM([json.dumps({**PIECE, "action_items": "none"})])
    with pytest.raises(ProviderError):
        await NoteWriter(llm=llm).write(MEETING[:2], NAMES, "en")


async def test_no_speech_makes_empty_notes_without_the_llm() -> None:
    llm = ScriptedLLM()
    assert await NoteWriter(llm=llm).write([], NAMES, "en") == MeetingNotes()
    assert llm.calls == []


def test_owners_and_dates_nobody_said_are_dropped() -> None:
    notes = MeetingNotes(action_items=[
        ActionItem(task="send numbers", owner="Anna", due="by Friday"),
        ActionItem(task="call the bank", owner="Tom", due="by Monday"),
        ActionItem(task="联系供应商", owner="Speaker 2", due="周五之前"),
    ])  # fmt: skip
    transcript = "Speaker 1: Anna will send the numbers by Friday.\nSpeaker 2: 我会在周五之前联系供应商。"
    items = grounded(notes, transcript, NAMES).action_items
    assert (items[0].owner, items[0].due) == ("Anna", "by Friday")
    assert (items[1].owner, items[1].due) == (None, None)
    assert (items[2].owner, items[2].due) == ("Speaker 2", "周五之前")


def test_merge_keeps_order_and_drops_repeats() -> None:
    a = MeetingNotes(title="A", summary="one.", decisions=["Cut costs"], open_questions=["When?"])
    b = MeetingNotes(title="B", summary="two.", decisions=["cut costs!", "Hire"], open_questions=["When?"])
    merged = merge([a, b])
    assert merged.title == "A" and merged.summary == "one. two."
    assert merged.decisions == ["Cut costs", "Hire"] and merged.open_questions == ["When?"]


def test_markdown_has_the_sections_and_the_transcript() -> None:
    notes = MeetingNotes(title="Budget", summary="S.", decisions=["D"], open_questions=["Q?"],
                         action_items=[ActionItem(task="send numbers", owner="Anna", due="by Friday")])  # fmt: skip
    text = markdown(notes, segments=MEETING[:1], names=["Wang Wei"])
    assert text.startswith("# Budget\n")
    assert "## Decisions\n\n- D" in text and "- [ ] send numbers (Anna, by Friday)" in text
    assert "**Wang Wei** [00:00] Let's look at the budget" in text


RECORDED = Path(__file__).parents[1] / "data" / "meetings" / "remote_notes.json"


async def test_a_bigger_qwens_recorded_answers_replay_into_notes() -> None:
    """What a bigger Qwen behind an OpenAI-compatible endpoint wrote for the planning meeting's transcript
    (recorded by bench/meetings.py --remote … --record), replayed through the same NoteWriter: the prompts are
    the ones it answered, or the replay fails."""
    data = json.loads(RECORDED.read_text(encoding="utf-8"))
    segments = [MeetingSegment(**s) for s in data["transcript"]["segments"]]
    names, language = data["transcript"]["names"], data["transcript"]["language"]
    notes = await NoteWriter(llm=RecordedLLM(data["calls"])).write(segments, names, language)
    assert notes.title == "Weekly Planning Meeting"
    tasks = " | ".join(a.task for a in notes.action_items)
    for keyword in ("partner", "feedback", "interview", "report", "survey"):
        assert keyword in tasks
    said = {(a.owner, a.due) for a in notes.action_items}
    assert {("Speaker 3", "tomorrow"), ("Speaker 2", "by Wednesday"), ("Speaker 3", "next week")} <= said

    other = [MeetingSegment(0.0, 2.0, 0, "We will meet again on Monday.")]
    with pytest.raises(ProviderError, match="not recorded"):
        await NoteWriter(llm=RecordedLLM(data["calls"])).write(other, ["Speaker 1"], "en")
