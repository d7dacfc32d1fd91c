"""Memories: what the wearer asked the glasses to remember, with when, where and what was in view, recalled by
meaning in any language (a multilingual sentence encoder; "我把车停在哪里了" finds "I parked on level three").

Each memory's unit vector is stored in its row. Recall embeds the question (~10 ms) and compares it with all of
the owner's vectors at once (one matrix product, memory/index.py); the matrix is kept in memory per owner and
rebuilt when the owner's rows change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from glassmate.config import MemorySettings
from glassmate.errors import BadInputError, NotFoundError
from glassmate.events import new_id
from glassmate.memory.index import VectorIndex
from glassmate.providers.embed.base import Embedder
from glassmate.store.db import Database, delete_rows
from glassmate.store.memory import MemoryRow

log = logging.getLogger("glassmate.memory")

# Among memories about as close to the question as the best one, the newest answers: "where did I park?" means
# today's car park, not last week's (bench/memory.py: the updated facts of the set).
NEWER_WITHIN = 0.04


@dataclass(frozen=True)
class Where:
    lat: float | None = None
    lon: float | None = None
    place: str = ""  # the nearest named place on the map, when it is close


@dataclass(frozen=True)
class Memory:
    id: str
    text: str
    language: str
    created_at: dt.datetime
    where: Where = Where()
    in_view: dict[str, Any] = field(default_factory=dict)
    has_image: bool = False
    source: str = "voice"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "object": "memory", "text": self.text, "language": self.language,
                "created_at": self.created_at.isoformat(), "lat": self.where.lat, "lon": self.where.lon,
                "place": self.where.place or None, "in_view": self.in_view, "has_image": self.has_image,
                "source": self.source}  # fmt: skip


@dataclass(frozen=True)
class Recalled:
    memory: Memory
    similarity: float


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _memory(row: MemoryRow) -> Memory:
    return Memory(id=row.id, text=row.text, language=row.language, created_at=_aware(row.created_at),
                  where=Where(row.lat, row.lon, row.place), in_view=dict(row.in_view or {}),
                  has_image=row.image is not None, source=row.source)  # fmt: skip


class Memories:
    def __init__(self, *, db: Database, embedder: Any, settings: MemorySettings) -> None:
        self.db = db
        self._embedder = embedder  # an Embedder, or a callable that returns one (the model loads on first use)
        self.settings = settings
        self._indexes: dict[str, VectorIndex] = {}
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        return self._embedder if isinstance(self._embedder, Embedder) else self._embedder()

    # -- making ---------------------------------------------------------------------------------------------

    async def remember(self, owner: str, text: str, *, language: str = "en", where: Where = Where(),
                       in_view: dict[str, Any] | None = None, image: bytes | None = None, source: str = "voice",
                       now: dt.datetime | None = None) -> Memory:  # fmt: skip
        text = " ".join(text.split())
        if not text:
            raise BadInputError("there is nothing to remember: say or send what to keep", code="memory-empty")
        if len(text) > self.settings.max_chars:
            raise BadInputError(f"a memory is at most {self.settings.max_chars} characters", code="memory-too-long")
        embedder = self.embedder
        vector = (await embedder.embed([text]))[0]
        row = MemoryRow(id=new_id("mem"), owner=owner, text=text, language=language[:8],
                        vector=vector.astype(np.float32).tobytes(), embedder=embedder.name, lat=where.lat,
                        lon=where.lon, place=where.place[:200], in_view=in_view or {}, image=image, source=source,
                        created_at=(now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC))  # fmt: skip
        await asyncio.to_thread(self._add, row)
        log.info("memory %s kept for %s", row.id, owner)  # never its text: what the wearer keeps is theirs
        return _memory(row)

    def _add(self, row: MemoryRow) -> None:
        with self.db.session() as s, s.begin():
            s.add(row)

    # -- recalling ------------------------------------------------------------------------------------------

    def _signature(self, s: Session, owner: str) -> tuple[int, str]:
        count, newest = s.execute(
            select(func.count(MemoryRow.id), func.max(MemoryRow.created_at)).where(MemoryRow.owner == owner)
        ).one()
        return int(count), str(newest)

    def index(self, owner: str) -> VectorIndex:
        """The owner's vectors as one matrix, rebuilt when their rows changed (a count and the newest time tell:
        memories are only added and deleted, never edited). Vectors of another embedder are made again."""
        with self.db.session() as s:
            signature = self._signature(s, owner)
            with self._lock:
                cached = self._indexes.get(owner)
                if cached is not None and cached.signature == signature:
                    return cached
            rows = s.execute(
                select(MemoryRow.id, MemoryRow.vector, MemoryRow.embedder, MemoryRow.created_at)
                .where(MemoryRow.owner == owner)
                .order_by(MemoryRow.created_at)
            ).all()
        name, dims = self.embedder.name, self.embedder.dimensions
        stale = [r.id for r in rows if r.embedder != name or len(r.vector) != dims * 4]
        if stale:
            raise _Stale(stale)
        built = VectorIndex.build(
            ids=[r.id for r in rows],
            vectors=[np.frombuffer(r.vector, dtype=np.float32) for r in rows],
            times=[_aware(r.created_at).timestamp() for r in rows],
            dimensions=dims,
            signature=signature,
        )
        with self._lock:
            self._indexes[owner] = built
        return built

    async def _reembed(self, ids: Sequence[str]) -> None:
        """Vectors made by another embedder (the configured model changed) are made again by this one."""
        embedder = self.embedder

        def texts() -> list[tuple[str, str]]:
            with self.db.session() as s:
                return [(r.id, r.text) for r in s.execute(select(MemoryRow.id, MemoryRow.text)
                                                          .where(MemoryRow.id.in_(list(ids))))]  # fmt: skip

        found = await asyncio.to_thread(texts)
        vectors = await embedder.embed([text for _, text in found])

        def store() -> None:
            with self.db.session() as s, s.begin():
                for (memory_id, _), vector in zip(found, vectors, strict=True):
                    row = s.get(MemoryRow, memory_id)
                    if row is not None:  # not deleted meanwhile
                        row.vector, row.embedder = vector.astype(np.float32).tobytes(), embedder.name

        await asyncio.to_thread(store)
        log.info("%d memories embedded again with %s", len(found), embedder.name)

    async def _owner_index(self, owner: str) -> VectorIndex:
        try:
            return await asyncio.to_thread(self.index, owner)
        except _Stale as stale:
            await self._reembed(stale.ids)
        return await asyncio.to_thread(self.index, owner)

    async def recall(self, owner: str, question: str, *, limit: int = 3) -> list[Recalled]:
        """The owner's memories that answer `question`, best first: those at least `min_similarity` close, and
        among those about as close as the best, the newest first."""
        question = " ".join(question.split())
        if not question:
            raise BadInputError("ask what to recall", code="memory-empty")
        index = await self._owner_index(owner)
        if not len(index):
            return []
        query = (await self.embedder.embed([question]))[0]
        hits = index.search(query, limit=max(limit, 8), min_similarity=self.settings.min_similarity,
                            newer_within=NEWER_WITHIN)  # fmt: skip
        found = await asyncio.to_thread(self._rows, [hit_id for hit_id, _ in hits[:limit]])
        return [Recalled(found[i], score) for i, score in hits[:limit] if i in found]

    def _rows(self, ids: Sequence[str]) -> dict[str, Memory]:
        with self.db.session() as s:
            rows = s.scalars(select(MemoryRow).where(MemoryRow.id.in_(list(ids)))).all()
        return {r.id: _memory(r) for r in rows}

    # -- listing and forgetting -----------------------------------------------------------------------------

    def list(self, owner: str, *, since: dt.datetime | None = None, limit: int = 1000) -> list[Memory]:
        """The owner's memories, newest first."""
        query = select(MemoryRow).where(MemoryRow.owner == owner)
        if since is not None:
            query = query.where(MemoryRow.created_at >= since.astimezone(dt.UTC))
        with self.db.session() as s:
            rows = s.scalars(query.order_by(MemoryRow.created_at.desc()).limit(limit)).all()
        return [_memory(r) for r in rows]

    def _row(self, s: Session, owner: str, memory_id: str) -> MemoryRow:
        row = s.get(MemoryRow, memory_id)
        if row is None or row.owner != owner:
            raise NotFoundError(f"no memory {memory_id!r} for this caller", code="memory-not-found")
        return row

    def get(self, owner: str, memory_id: str) -> Memory:
        with self.db.session() as s:
            return _memory(self._row(s, owner, memory_id))

    def image(self, owner: str, memory_id: str) -> bytes | None:
        with self.db.session() as s:
            return self._row(s, owner, memory_id).image

    def forget(self, owner: str, memory_id: str) -> None:
        """Delete one memory (its row, vector and image); NotFoundError when the owner has no such memory."""
        with self.db.session() as s, s.begin():
            gone = delete_rows(s, delete(MemoryRow).where(MemoryRow.id == memory_id, MemoryRow.owner == owner))
        if not gone:
            raise NotFoundError(f"no memory {memory_id!r} for this caller", code="memory-not-found")
        self._dropped(owner)

    def forget_since(self, owner: str, since: dt.datetime | None) -> int:
        """Delete the owner's memories made at or after `since` (all of them when None); how many."""
        query = delete(MemoryRow).where(MemoryRow.owner == owner)
        if since is not None:
            query = query.where(MemoryRow.created_at >= since.astimezone(dt.UTC))
        with self.db.session() as s, s.begin():
            gone = delete_rows(s, query)
        self._dropped(owner)
        return gone

    def forget_before(self, owner: str, before: dt.datetime) -> int:
        """Delete the owner's memories made before `before` (retention); how many."""
        with self.db.session() as s, s.begin():
            old = delete(MemoryRow).where(MemoryRow.owner == owner, MemoryRow.created_at < before.astimezone(dt.UTC))
            gone = delete_rows(s, old)
        self._dropped(owner)
        return gone

    def _dropped(self, owner: str) -> None:
        with self._lock:
            self._indexes.pop(owner, None)


class _Stale(Exception):
    def __init__(self, ids: list[str]) -> None:
        super().__init__(f"{len(ids)} vectors of another embedder")
        self.ids = ids
