"""The speaker-embedding interface: stretches of one 16 kHz recording to unit vectors, one per stretch; the same
voice gives vectors with a high cosine similarity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glassmate.providers.base import Provider


class SpeakerEncoder(Provider):
    """Backends write `_embed_impl`; `embed` owns timing, errors and normalisation."""

    dimensions: int = 256

    async def embed(self, samples: np.ndarray, spans: Sequence[tuple[float, float]]) -> np.ndarray:
        """One unit-length row per (start s, end s) span of `samples` (float32, mono, 16 kHz)."""
        if not spans:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._measure("embed") as metrics:
            vectors = await self._embed_impl(np.asarray(samples, dtype=np.float32), list(spans))
            metrics.extra["spans"] = len(spans)
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

    async def _embed_impl(self, samples: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
        raise NotImplementedError
