"""Full-text search over meetings, on SQLite (FTS5) and PostgreSQL: Latin words by prefix and without accents,
Chinese by the phrase of its characters, each caller's own meetings only; the answer to "what did we decide about
the budget?" comes from the notes' lines that have the words (over REST: test_meetings_api; by voice:
test_meeting_session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from glassmate.meetings.search import MeetingSearch, index_text, matching_lines, query_terms
from glassmate.skills.meeting.skill import recall_answer
from glassmate.store.db import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def search(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MeetingSearch]:
    if request.param == "sqlite":
        db = Database(url=f"sqlite:///{tmp_path / 'store.db'}")
    else:
        db = Database(url=request.getfixturevalue("postgres_url"))
    found = MeetingSearch(db)
    if request.param == "postgresql":  # one server for the whole run: start from an empty index
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS meeting_search"))
    yield found
    db.dispose()


def test_text_is_folded_and_chinese_split_into_characters() -> None:
    assert index_text("Die Präsentation: 预算会议, v2!") == "die prasentation 预 算 会 议 v2"
    assert query_terms("What did we decide about the budget?") == [["budget"]]
    assert query_terms("我们关于预算的决定") == [["预", "算"], ["决", "定"]]
    assert query_terms("the") == [["the"]]  # nothing but stop words: searched as said


def test_meetings_are_found_by_words_in_three_languages(search: MeetingSearch) -> None:
    search.put("m-en", "device:a", "Budget review\nWe keep the budgets at 40,000 euros.\nAnna: hiring starts in May")
    search.put("m-de", "device:a", "Quartalsplanung\nDie Budgetplanung für Q3 ist beschlossen. Präsentation am Freitag")
    search.put("m-zh", "device:a", "预算会议\n决定：预算保持四万欧元。王伟负责招聘。")
    search.put("m-other", "device:b", "Budget of someone else")

    assert {h.meeting_id for h in search.search("budget", owner="device:a")} == {"m-en", "m-de"}
    assert [h.meeting_id for h in search.search("预算", owner="device:a")] == ["m-zh"]
    assert [h.meeting_id for h in search.search("招聘", owner="device:a")] == ["m-zh"]
    assert [h.meeting_id for h in search.search("praesentation prasentation", owner="device:a")] == ["m-de"]
    assert [h.meeting_id for h in search.search("Präsentation", owner="device:a")] == ["m-de"]
    assert [h.meeting_id for h in search.search("budget hiring", owner="device:a")] == ["m-en"]  # both words
    assert {h.meeting_id for h in search.search("budget", owner=None)} == {"m-en", "m-de", "m-other"}
    assert search.search("算预", owner="device:a") == []  # characters out of order are not the word
    assert search.search("'\" OR * NEAR(", owner="device:a") == []  # query syntax is never passed through

    search.put("m-en", "device:a", "Renamed: nothing about money")  # re-indexing replaces
    assert [h.meeting_id for h in search.search("budget", owner="device:a")] == ["m-de"]
    search.remove("m-de")
    assert search.search("budget", owner="device:a") == []


def test_the_lines_that_say_it_come_first_by_kind() -> None:
    meeting = {
        "notes": {"summary": "The team reviewed the budget. Hiring was postponed.",
                  "decisions": ["Budget stays at 40k"], "open_questions": [],
                  "action_items": [{"task": "Send the budget sheet", "owner": "Anna", "due": "Friday"}]},
        "segments": [{"start": 3.0, "end": 5.0, "speaker": "Ben", "text": "The budget is tight."}],
    }  # fmt: skip
    lines = matching_lines(meeting, "budget")
    assert [line["kind"] for line in lines] == ["decision", "action_item", "summary", "said"]
    assert lines[1]["text"] == "Send the budget sheet (Anna), Friday"
    assert matching_lines(meeting, "budget sheet")[0]["kind"] == "action_item"  # more of the words wins
    assert matching_lines(meeting, "holiday") == []


def test_the_answer_says_the_decision_in_the_wearers_language() -> None:
    found = [{"title": "预算会议", "created_at": 1_764_000_000, "matches": [
        {"kind": "decision", "text": "预算保持四万欧元。"}, {"kind": "decision", "text": "下周再议"}]},
        {"title": "Other", "created_at": 1_764_000_000, "matches": [{"kind": "said", "text": "x"}]}]  # fmt: skip
    later = 1_764_000_000 + 3 * 86400
    assert recall_answer(found, "zh", now=later).startswith("在11月")
    assert recall_answer(found, "zh", now=later).endswith(
        "的“预算会议”中，决定：预算保持四万欧元；下周再议。另有一个会议也提到了。"
    )
    said = [{"title": "Kickoff", "created_at": 1_764_000_000, "matches": [
        {"kind": "said", "text": "Das Budget reicht nicht.", "speaker": "Anna", "start": 3.0}]}]  # fmt: skip
    assert (
        recall_answer(said, "de", now=1_764_000_000)
        == "Im Meeting „Kickoff“ (heute) sagte Anna: „Das Budget reicht nicht“"
    )
