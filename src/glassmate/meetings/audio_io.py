"""Meeting audio on disk: any recording decoded block by block at 16 kHz (memory stays flat for a two-hour file),
and the store's copy written as it arrives (FLAC, or Ogg Opus at a tenth of the size)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np

from glassmate.audio import ASR_RATE
from glassmate.errors import AudioDecodeError, EmptyAudioError

BLOCK_S = 30.0
StoredFormat = Literal["flac", "opus"]
SUFFIX = {"flac": ".flac", "opus": ".ogg"}


def probe_duration(path: Path) -> float | None:
    """The length the container states (None when it does not say)."""
    import av

    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("the file has no audio stream")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            return container.duration / 1_000_000 if container.duration is not None else None
    except av.error.FFmpegError as exc:
        raise AudioDecodeError(f"the file is not audio that can be read: {exc}") from exc


def blocks(path: Path, *, block_s: float = BLOCK_S) -> Iterator[np.ndarray]:
    """The recording as float32 mono 16 kHz blocks of `block_s` seconds (the last one shorter). A file that breaks
    off midway (a cut upload, a crashed recorder) yields what could be decoded, then stops; a file with nothing
    decodable raises AudioDecodeError."""
    import av

    size = int(block_s * ASR_RATE)
    pending: list[np.ndarray] = []
    held = 0
    decoded = 0
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise AudioDecodeError(f"the file is not audio that can be read: {exc}") from exc
    with container:
        if not container.streams.audio:
            raise AudioDecodeError("the file has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=ASR_RATE)
        frames = container.decode(stream)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                if decoded == 0:
                    raise AudioDecodeError(f"the audio could not be decoded: {exc}") from exc
                break  # damaged after the start: keep what came before
            for out in resampler.resample(frame):
                samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                pending.append(samples)
                held += len(samples)
                decoded += len(samples)
            while held >= size:
                joined = np.concatenate(pending)
                yield joined[:size]
                pending, held = [joined[size:]], len(joined) - size
        for out in resampler.resample(None):
            pending.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
            decoded += len(pending[-1])
    if decoded == 0:
        raise EmptyAudioError("the recording holds no audio")
    rest = np.concatenate(pending) if pending else np.zeros(0, np.float32)
    for start in range(0, len(rest), size):
        yield rest[start : start + size]


class AudioWriter:
    """Appends 16 kHz mono audio to the store's file as it arrives; what was written is readable after a crash
    up to the last block flushed."""

    def __init__(self, path: Path, *, fmt: StoredFormat = "flac") -> None:
        import soundfile

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.samples = 0
        kind, subtype = ("FLAC", "PCM_16") if fmt == "flac" else ("OGG", "OPUS")
        self._file = soundfile.SoundFile(str(path), mode="w", samplerate=ASR_RATE, channels=1, format=kind,
                                         subtype=subtype)  # fmt: skip

    def write(self, samples: np.ndarray) -> None:
        self._file.write(np.clip(samples, -1.0, 1.0).astype(np.float32, copy=False))
        self.samples += len(samples)

    def flush(self) -> None:
        self._file.flush()

    @property
    def duration_s(self) -> float:
        return self.samples / ASR_RATE

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
