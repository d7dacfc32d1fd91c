"""One way to open an ONNX graph on the CPU (the VAD, the sentence and the speaker encoders)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glassmate.errors import ModelLoadError, ModelMissingError


def onnx_session(path: Path, *, what: str, threads: int = 1, custom_ops: bool = False) -> Any:
    """An onnxruntime session for `path` on `threads` CPU threads (`custom_ops`: onnxruntime-extensions')."""
    if not path.is_file():
        raise ModelMissingError(f"the {what} {path} does not exist")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 4
    if custom_ops:
        from onnxruntime_extensions import get_library_path

        options.register_custom_ops_library(get_library_path())
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelLoadError(f"onnxruntime could not load {path.name}: {exc}") from exc
