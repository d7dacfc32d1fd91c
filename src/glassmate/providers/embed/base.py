"""The sentence-embedding interface: a batch of texts to unit vectors (cosine similarity = dot product)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glassmate.providers.base import Provider


class Embedder(Provider):
    """Backends write `_embed_impl`; `embed` owns timing, errors and normalisation."""

    dimensions: int = 512

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text, float32."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._measure("embed") as metrics:
            vectors = await self._embed_impl(list(texts))
            metrics.extra["texts"] = len(texts)
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)

    async def _embed_impl(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError
