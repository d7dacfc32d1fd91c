"""Memories: kept with their vector, recalled by similarity (the newest of equally close ones first), listed,
forgotten; per owner; re-embedded when the embedder changes. The fake embedder (character trigrams) stands in for
the real multilingual model, whose cross-language recall is measured in tests/integration/test_memory_recall.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from glassmate.config import MemorySettings
from glassmate.errors import BadInputError, NotFoundError
from glassmate.memory.index import VectorIndex
from glassmate.memory.service import Memories, Where
from glassmate.store.db import Database
from glassmate.testing.fakes import FakeEmbedder

T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def memories(any_db_url: str) -> Memories:
    return Memories(db=Database(url=any_db_url), embedder=FakeEmbedder(), settings=MemorySettings(min_similarity=0.2))


async def test_a_memory_is_kept_with_where_and_what_was_in_view_and_recalled(memories: Memories) -> None:
    made = await memories.remember("device:a", "  I parked on level three  ", language="en",
                                   where=Where(60.17, 24.95, "Kamppi"), in_view={"text": ["P3"]}, now=T0)  # fmt: skip
    await memories.remember("device:a", "My locker is number 42", now=T0)
    assert made.text == "I parked on level three" and made.where.place == "Kamppi" and made.created_at == T0
    [hit] = await memories.recall("device:a", "where did I park on which level", limit=1)
    assert hit.memory.id == made.id and hit.memory.in_view == {"text": ["P3"]} and hit.similarity > 0.2
    assert hit.memory.where == Where(60.17, 24.95, "Kamppi")


async def test_memories_are_per_owner(memories: Memories) -> None:
    await memories.remember("device:a", "I parked on level three")
    assert await memories.recall("device:b", "I parked on level three") == []
    assert memories.list("device:b") == []
    [mine] = memories.list("device:a")
    with pytest.raises(NotFoundError):
        memories.forget("device:b", mine.id)
    with pytest.raises(NotFoundError):
        memories.get("device:b", mine.id)


async def test_the_newer_of_two_equally_close_memories_answers(memories: Memories) -> None:
    await memories.remember("device:a", "I parked on level three", now=T0)
    newer = await memories.remember("device:a", "I parked on level five", now=T0 + dt.timedelta(days=1))
    [hit] = await memories.recall("device:a", "where did I park", limit=1)
    assert hit.memory.id == newer.id


async def test_nothing_close_enough_recalls_nothing(memories: Memories) -> None:
    await memories.remember("device:a", "I parked on level three")
    assert await memories.recall("device:a", "xyzzy qwv") == []


async def test_a_new_or_deleted_memory_is_seen_by_the_next_recall(memories: Memories) -> None:
    first = await memories.remember("device:a", "The wifi password is on the fridge", now=T0)
    assert [r.memory.id for r in await memories.recall("device:a", "wifi password")] == [first.id]
    second = await memories.remember("device:a", "The wifi password is tulip77", now=T0 + dt.timedelta(hours=1))
    assert (await memories.recall("device:a", "wifi password"))[0].memory.id == second.id
    memories.forget("device:a", second.id)
    assert [r.memory.id for r in await memories.recall("device:a", "wifi password")] == [first.id]


async def test_forgetting_since_and_before(memories: Memories) -> None:
    for days in (3, 2, 1, 0):
        await memories.remember("device:a", f"memory {days} days old", now=T0 - dt.timedelta(days=days))
    assert memories.forget_since("device:a", T0 - dt.timedelta(hours=1)) == 1
    assert memories.forget_before("device:a", T0 - dt.timedelta(days=2, hours=1)) == 1
    assert [m.text for m in memories.list("device:a")] == ["memory 1 days old", "memory 2 days old"]
    assert [m.text for m in memories.list("device:a", since=T0 - dt.timedelta(days=1, hours=1))] == [
        "memory 1 days old"
    ]
    assert memories.forget_since("device:a", None) == 2 and memories.list("device:a") == []


async def test_empty_and_overlong_texts_are_refused_and_nothing_is_kept(memories: Memories) -> None:
    for text, code in (("   ", "memory-empty"), ("x" * 1001, "memory-too-long")):
        with pytest.raises(BadInputError) as caught:
            await memories.remember("device:a", text)
        assert caught.value.code == code
    with pytest.raises(BadInputError):
        await memories.recall("device:a", " ")
    assert memories.list("device:a") == []


class OtherEmbedder(FakeEmbedder):
    name = "other-embedder"

    async def _embed_impl(self, texts: list[str]) -> np.ndarray:
        return (await super()._embed_impl(texts))[:, ::-1].copy()


async def test_memories_made_by_another_embedder_are_embedded_again(tmp_path: Path) -> None:
    db = Database(url=f"sqlite:///{tmp_path}/m.db")
    old = Memories(db=db, embedder=FakeEmbedder(), settings=MemorySettings(min_similarity=0.2))
    made = await old.remember("device:a", "I parked on level three")
    new = Memories(db=db, embedder=OtherEmbedder(), settings=MemorySettings(min_similarity=0.2))
    [hit] = await new.recall("device:a", "where did I park on which level", limit=1)
    assert hit.memory.id == made.id and hit.similarity > 0.2
    from glassmate.store.memory import MemoryRow

    with db.session() as s:
        assert s.get(MemoryRow, made.id).embedder == "other-embedder"  # type: ignore[union-attr]


def test_the_index_ranks_by_similarity_then_the_newest_of_the_close_ones() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=8).astype(np.float32)
    base /= np.linalg.norm(base)
    near = base + 0.01 * rng.normal(size=8).astype(np.float32)
    far = rng.normal(size=8).astype(np.float32)
    vectors = [v / np.linalg.norm(v) for v in (base, near, far)]
    index = VectorIndex.build(ids=["old", "new", "far"], vectors=vectors, times=[1.0, 2.0, 3.0], dimensions=8)
    hits = index.search(base, limit=3, newer_within=0.05)
    assert [h[0] for h in hits[:2]] == ["new", "old"]
    assert [h[0] for h in index.search(base, limit=3, newer_within=0.0)][:2] == ["old", "new"]
    assert all(score >= 0.99 for _, score in index.search(base, limit=3, min_similarity=0.99))
    assert VectorIndex.build(ids=[], vectors=[], times=[], dimensions=8).search(base, limit=3) == []
