"""Brute-force nearest neighbours over one owner's memory vectors: a (n, 512) float32 matrix times the query.

Exact, with nothing to tune or rebuild. bench/memory.py measures it: at 10,000 memories a search is well under a
millisecond next to the ~10 ms of embedding the question; at 100,000 (200 MB of vectors per owner in memory) it is
still a few milliseconds. Past about a million vectors per owner (2 GB, tens of milliseconds) an approximate index
(HNSW: hnswlib, or pgvector in PostgreSQL) is the next step; a wearer saying "remember" a hundred times a day for
ten years makes 365,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class VectorIndex:
    ids: tuple[str, ...]
    vectors: np.ndarray  # (n, dims) float32, unit rows
    times: np.ndarray  # (n,) seconds since the epoch: when each was made
    signature: Any = None  # what the rows looked like when it was built (memory/service.py)

    @classmethod
    def build(cls, *, ids: Sequence[str], vectors: Sequence[np.ndarray], times: Sequence[float], dimensions: int,
              signature: Any = None) -> VectorIndex:  # fmt: skip
        matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, dimensions), np.float32)
        return cls(tuple(ids), matrix, np.asarray(times, dtype=np.float64), signature)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: np.ndarray, *, limit: int, min_similarity: float = -1.0,
               newer_within: float = 0.0) -> list[tuple[str, float]]:  # fmt: skip
        """The closest `limit` ids with their cosine similarity, best first, none below `min_similarity`. Those
        within `newer_within` of the best come first, newest first: a fact said again later replaces the old."""
        if not len(self.ids):
            return []
        scores = self.vectors @ query.astype(np.float32)
        k = min(limit, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        top = top[scores[top] >= min_similarity]
        if not len(top):
            return []
        best = float(scores[top[0]])
        near = [int(i) for i in top if scores[i] >= best - newer_within]
        near.sort(key=lambda i: -self.times[i])
        rest = [int(i) for i in top if scores[i] < best - newer_within]
        return [(self.ids[i], float(scores[i])) for i in near + rest]
