"""The embedded OCR: PP-OCRv4 detection + recognition (Chinese and English) through RapidOCR/onnxruntime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassmate.config import OCRSettings
from glassmate.errors import ModelLoadError
from glassmate.providers.ocr.base import OCR, OCRResult, TextLine


class RapidOCRProvider(OCR):
    name = "rapidocr"

    def __init__(self, *, model_paths: dict[str, Path], settings: OCRSettings) -> None:
        super().__init__()
        self.model_paths = model_paths
        self.settings = settings
        self.min_confidence = settings.min_confidence
        self._engine_obj: Any = None

    def _engine(self) -> Any:
        if self._engine_obj is None:
            from rapidocr_onnxruntime import RapidOCR

            paths = self.model_paths
            try:
                self._engine_obj = RapidOCR(
                    det_model_path=str(paths["ch_PP-OCRv4_det_infer.onnx"]),
                    rec_model_path=str(paths["ch_PP-OCRv4_rec_infer.onnx"]),
                    cls_model_path=str(paths["ch_ppocr_mobile_v2.0_cls_infer.onnx"]),
                    intra_op_num_threads=self.settings.threads,
                    inter_op_num_threads=1,
                )
            except Exception as exc:  # RapidOCR wraps onnxruntime, which raises untyped errors
                raise ModelLoadError(f"RapidOCR could not load its models: {exc}") from exc
        return self._engine_obj

    async def load(self) -> None:
        await self._run_blocking(self._engine)

    def _run(self, image: np.ndarray) -> OCRResult:
        bgr = np.ascontiguousarray(image[:, :, ::-1])  # RapidOCR follows OpenCV's channel order
        found, _elapsed = self._engine()(bgr)
        lines = [
            TextLine(
                text=str(text),
                confidence=round(float(score), 4),
                box=tuple((float(x), float(y)) for x, y in box),
            )
            for box, text, score in (found or [])
        ]
        return OCRResult(lines)

    async def _read_impl(self, image: np.ndarray) -> OCRResult:
        return await self._run_blocking(self._run, image)
