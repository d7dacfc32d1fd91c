"""The wearer's control over what is kept, checked where it matters: in the database files. A forgotten memory, a
meeting deleted by "forget everything from today" and what retention removed are not readable in the SQLite file
or its write-ahead log afterwards (they are before: the check can fail). Payment records stay. The export holds
everything of the caller's and nothing of another's, and no secret."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.memory.service import Where
from glassmate.testing import fake_models

SECRET_WORDS = "zebra umbrella 7731"  # what a memory says: findable in the files only while it is kept


class Api:
    def __init__(self, http: TestClient, app: Any, token: str, other: str, home: Path) -> None:
        self.http, self.app, self.token, self.other, self.home = http, app, token, other, home

    @property
    def services(self) -> Any:
        return self.app.state.services

    def call(self, method: str, path: str, *, token: str | None = None, **kw: Any) -> Any:
        return self.http.request(method, path, headers={"authorization": f"Bearer {token or self.token}"}, **kw)

    def in_files(self, needle: str) -> list[str]:
        """The database files (the store, its write-ahead log and journal) that hold `needle`, as UTF-8 bytes."""
        found = []
        for path in sorted(self.home.glob("glassmate.db*")):
            if needle.encode() in path.read_bytes():
                found.append(path.name)
        return found


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(home=tmp_path, travel={"timezone": "Europe/Berlin"})
    settings.meetings_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(settings, models=fake_models(settings))
    _, token = app.state.services.devices.add("glasses")
    _, other = app.state.services.devices.add("other")
    with TestClient(app) as http:
        for _ in range(100):  # the server's first retention round runs at start: not in the middle of a test
            if app.state.services.privacy.rounds:
                break
            time.sleep(0.02)
        yield Api(http, app, token, other, tmp_path)


def remember(api: Api, text: str, **kw: Any) -> dict[str, Any]:
    made = api.call("POST", "/v1/memories", json={"text": text, **kw})
    assert made.status_code == 201, made.text
    return dict(made.json())


def meeting(api: Api, owner: str, words: str, *, created: dt.datetime | None = None) -> tuple[str, Path]:
    """A finished meeting with its audio file and its words in the full-text index."""
    meetings = api.services.meetings
    meeting_id = meetings.new(owner=owner, source="upload", status="done")
    audio = meetings.audio_path(meeting_id)
    audio.write_bytes(b"fLaC" + bytes(100))
    meetings.set_audio_path(meeting_id, audio)
    meetings._update(meeting_id, text=words, title=words, **({"created_at": created} if created else {}))
    meetings.index.put(meeting_id, owner, words)
    return meeting_id, audio


def test_a_deleted_memory_is_gone_from_the_database_files(api: Api) -> None:
    made = remember(api, f"The code of the bike lock is {SECRET_WORDS}", lat=52.52, lon=13.40)
    remember(api, "I parked on level three")
    assert api.in_files(SECRET_WORDS)  # kept: the check below can fail
    assert api.call("DELETE", f"/v1/memories/{made['id']}", token=api.other).json()["error"]["code"] == (
        "memory-not-found"
    )
    gone = api.call("DELETE", f"/v1/memories/{made['id']}")
    assert gone.json() == {"id": made["id"], "object": "memory.deleted", "deleted": True}
    assert api.in_files(SECRET_WORDS) == []
    assert api.call("GET", f"/v1/memories/{made['id']}").status_code == 404
    assert [m["text"] for m in api.call("GET", "/v1/memories").json()["data"]] == ["I parked on level three"]
    assert api.call("DELETE", f"/v1/memories/{made['id']}").json()["error"]["code"] == "memory-not-found"


def test_forget_everything_from_today_deletes_memories_meetings_and_the_conversation_but_not_payments(
    api: Api,
) -> None:
    services = api.services
    owner = "device:glasses"
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    old = services.memories
    import asyncio

    asyncio.run(old.remember(owner, "My passport is in the blue bag", now=yesterday))
    remember(api, f"Locker {SECRET_WORDS}")
    old_meeting, old_audio = meeting(api, owner, "quarterly budget kangaroo", created=yesterday)
    new_meeting, new_audio = meeting(api, owner, "roadmap platypus review")
    from glassmate.skills.base import Exchange

    services.conversations.save(owner, [Exchange("What is the capital of France?", "Paris.")])
    services.payments.fund(owner, 1_000, "EUR")
    assert api.in_files("platypus") and api.in_files(SECRET_WORDS) and api.in_files("capital of France")

    done = api.call("POST", "/v1/forget", json={"since": "today"}).json()
    assert (done["memories"], done["meetings"], done["exchanges"]) == (1, 1, 1)
    assert [m["text"] for m in api.call("GET", "/v1/memories").json()["data"]] == ["My passport is in the blue bag"]
    assert not new_audio.exists() and old_audio.exists()
    assert api.call("GET", f"/v1/meetings/{new_meeting}").status_code == 404
    assert api.call("GET", f"/v1/meetings/{old_meeting}").status_code == 200
    for words in ("platypus", SECRET_WORDS, "capital of France"):
        assert api.in_files(words) == [], words
    assert api.in_files("kangaroo")  # yesterday's meeting stays
    assert services.payments.balances(owner) == {"EUR": 1_000}  # the ledger is not the wearer's to delete
    assert api.call("POST", "/v1/forget", json={"since": "last tuesday"}).json()["error"]["code"] == "bad-since"


def test_retention_deletes_what_is_older_than_each_kinds_setting(api: Api) -> None:
    import asyncio

    services = api.services
    owner = "device:glasses"
    now = dt.datetime.now(dt.UTC)
    memories = services.memories
    asyncio.run(memories.remember(owner, f"old {SECRET_WORDS}", now=now - dt.timedelta(days=400)))
    asyncio.run(memories.remember(owner, "recent memory", now=now - dt.timedelta(days=10)))
    _, old_audio = meeting(api, owner, "ancient wombat meeting", created=now - dt.timedelta(days=400))
    recent_meeting, recent_audio = meeting(api, owner, "recent koala meeting", created=now - dt.timedelta(days=40))
    from glassmate.skills.base import Exchange

    services.conversations.save(owner, [Exchange("Old question about ferrets", "Old answer.")],
                                now=now - dt.timedelta(days=31))  # fmt: skip
    services.conversations.save("device:other", [Exchange("Fresh question", "Fresh answer.")], now=now)

    done = services.privacy.purge(now)
    assert (done.memories, done.meetings, done.exchanges) == (1, 1, 1)
    assert done.meeting_audio == 1  # the 40-day-old meeting keeps its notes, not its audio (30 days)
    assert [m.text for m in memories.list(owner)] == ["recent memory"]
    assert not old_audio.exists() and not recent_audio.exists()
    assert api.call("GET", f"/v1/meetings/{recent_meeting}").status_code == 200
    for words in (SECRET_WORDS, "wombat", "ferrets"):
        assert api.in_files(words) == [], words
    assert api.in_files("koala") and services.conversations.get("device:other")
    assert services.privacy.purge(now).total == 0  # a second round finds nothing


def test_retention_of_zero_keeps_everything_and_payments_cannot_go_below_the_law() -> None:
    settings = Settings(retention={"memories_days": 0, "meetings_days": 0, "transcripts_days": 0})
    assert settings.retention.memories_days == 0
    with pytest.raises(ValueError):
        Settings(retention={"payments_years": 2})


def test_the_export_holds_everything_of_the_caller_and_no_secret(api: Api) -> None:
    import asyncio

    services = api.services
    owner = "device:glasses"
    made = remember(api, "I parked on level three", lat=52.52, lon=13.4, place="Alexanderplatz")
    asyncio.run(services.memories.remember(owner, "a photo", image=b"\xff\xd8jpeg", where=Where()))
    asyncio.run(services.memories.remember("device:other", "not mine"))
    meeting_id, _ = meeting(api, owner, "roadmap review")
    services.pins.set(owner, "2468")
    services.payments.fund(owner, 1_000, "EUR")
    from glassmate.skills.base import Exchange

    services.conversations.save(owner, [Exchange("What is the capital of France?", "Paris.")])
    response = api.call("GET", "/v1/export")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(zf.namelist())
    assert {"manifest.json", "memories.json", "meetings.json", "conversation.json", "payments.json",
            "calendars.json", "bookings.json", "reminders.json", "voiceprint.json"} <= names  # fmt: skip
    memories = json.loads(zf.read("memories.json"))
    assert [m["text"] for m in memories] == ["a photo", "I parked on level three"]
    assert memories[1]["id"] == made["id"] and memories[1]["place"] == "Alexanderplatz"
    photo = next(m for m in memories if m["has_image"])
    assert zf.read(f"memories/{photo['id']}.jpg") == b"\xff\xd8jpeg"
    assert zf.read(f"meetings/{meeting_id}.flac").startswith(b"fLaC")
    assert json.loads(zf.read("conversation.json"))[0]["user"] == "What is the capital of France?"
    assert json.loads(zf.read("payments.json"))["wallets"][0]["balance"] == 1_000
    everything = b"".join(zf.read(n) for n in names)
    assert b"not mine" not in everything and b"scrypt$" not in everything and b"token_hash" not in everything
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["owner"] == owner and manifest["files"]["memories.json"] == 2
