"""Universal Sentence Encoder multilingual (16 languages, zh/en/de among them) as a quantized ONNX graph with its
SentencePiece tokenizer inside, run by onnxruntime with onnxruntime-extensions' custom operators. Measured here:
~1 ms a sentence alone, ~0.2 ms each in batches of 64 (2 cores)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassmate.providers.embed.base import Embedder
from glassmate.providers.onnx import onnx_session

BATCH = 64


class USEEmbedder(Embedder):
    name = "use-multilingual"

    def __init__(self, *, model_path: Path, threads: int = 1) -> None:
        super().__init__()
        self.model_path = model_path
        self.threads = threads
        self._session: Any = None

    def _engine(self) -> Any:
        if self._session is None:
            self._session = onnx_session(self.model_path, what="sentence-embedding model", threads=self.threads,
                                         custom_ops=True)  # fmt: skip
        return self._session

    async def load(self) -> None:
        await self._run_blocking(self._engine)

    async def _embed_impl(self, texts: list[str]) -> np.ndarray:
        def run() -> np.ndarray:
            session = self._engine()
            parts = [session.run(["outputs"], {"inputs": texts[i : i + BATCH]})[0] for i in range(0, len(texts), BATCH)]
            return np.concatenate(parts)

        return await self._run_blocking(run)
