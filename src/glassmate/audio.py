"""Audio in and out: decode what clients send, validate it, resample it, encode WAV.

Inside glassmate audio is mono float32 in [-1, 1] with its sample rate (`Audio`); on the wire it is PCM16.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassmate.errors import AudioDecodeError, AudioTooLongError, EmptyAudioError, SampleRateError

MIN_RATE = 8_000
MAX_RATE = 96_000
ASR_RATE = 16_000


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32, mono, [-1, 1]
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    def resampled(self, rate: int) -> Audio:
        """This audio at `rate` Hz (soxr, high quality)."""
        if rate == self.sample_rate:
            return self
        import soxr

        out = soxr.resample(self.samples, self.sample_rate, rate).astype(np.float32, copy=False)
        return Audio(out, rate)

    def to_pcm16(self) -> bytes:
        return float_to_pcm16(self.samples)

    def to_wav(self) -> bytes:
        return wav_bytes(self.to_pcm16(), self.sample_rate)


def check_rate(sample_rate: int) -> None:
    if not MIN_RATE <= sample_rate <= MAX_RATE:
        raise SampleRateError(
            f"sample rate {sample_rate} Hz is not supported; send {MIN_RATE}-{MAX_RATE} Hz (16000 is best)"
        )


def pcm16_to_audio(data: bytes, sample_rate: int) -> Audio:
    """Raw little-endian mono PCM16 bytes as Audio."""
    check_rate(sample_rate)
    if not data:
        raise EmptyAudioError("the audio is empty (0 bytes)")
    if len(data) % 2:
        raise AudioDecodeError(f"PCM16 audio must have an even number of bytes, got {len(data)}")
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    return Audio(samples, sample_rate)


def float_to_pcm16(samples: np.ndarray) -> bytes:
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()


def wav_bytes(pcm16: bytes, sample_rate: int) -> bytes:
    """A mono PCM16 WAV file holding `pcm16`."""
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm16)
    return buf.getvalue()


def decode_audio(data: bytes, *, max_seconds: float | None = None) -> Audio:
    """Decode an audio file (wav, flac, ogg, mp3, webm, m4a…) into mono Audio at its own rate. With `max_seconds`,
    a longer recording is refused before it is decoded (from the container's header) or, where the header does not
    say, as soon as decoding passes the limit: 180 KB of FLAC can hold an hour of silence, 640 MB decoded."""
    if not data:
        raise EmptyAudioError("the audio file is empty (0 bytes)")
    audio = _decode_soundfile(data, max_seconds)
    if audio is None:
        audio = _decode_av(data, max_seconds)
    if audio.samples.size == 0:
        raise EmptyAudioError("the audio file holds no samples")
    check_rate(audio.sample_rate)
    if not np.isfinite(audio.samples).all():
        raise AudioDecodeError("the audio holds non-finite samples (NaN or infinity)")
    return audio


def _too_long(seconds: float, max_seconds: float | None) -> None:
    if max_seconds is not None and seconds > max_seconds:
        raise AudioTooLongError(f"the audio is {seconds:.0f} s long; the limit is {max_seconds:.0f} s")


def _decode_soundfile(data: bytes, max_seconds: float | None = None) -> Audio | None:
    import soundfile

    try:
        info = soundfile.info(io.BytesIO(data))
        if info.samplerate > 0:
            _too_long(info.frames / info.samplerate, max_seconds)  # from the header: nothing decoded yet
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError):
        return None
    return Audio(samples.mean(axis=1).astype(np.float32), int(rate))


def _decode_av(data: bytes, max_seconds: float | None = None) -> Audio:
    """Compressed formats that libsndfile does not read (mp3 in older builds, webm/opus, m4a)."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("the file has no audio stream")
            if container.duration is not None:
                _too_long(container.duration / 1_000_000, max_seconds)
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate or ASR_RATE
            budget = None if max_seconds is None else int(max_seconds * rate)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks: list[np.ndarray] = []
            decoded = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    decoded += len(chunks[-1])
                if budget is not None and decoded > budget:  # a header that lied about the length
                    _too_long(decoded / rate, max_seconds)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except (AudioDecodeError, AudioTooLongError):
        raise
    except Exception as exc:  # hostile bytes fail a decoder in many ways (a WAV with 0 bits per sample: None)
        raise AudioDecodeError(
            "the data is not an audio file glassmate can read (wav, flac, ogg, mp3, webm, m4a)"
        ) from exc
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return Audio(samples, int(rate))


# Compressed formats: (FFmpeg encoder, container) for PyAV; FLAC, WAV and Ogg Vorbis go through libsndfile.
_FFMPEG_FORMATS = {
    "mp3": ("libmp3lame", "mp3"),
    "opus": ("libopus", "ogg"),
    "aac": ("aac", "adts"),
    "webm": ("libopus", "webm"),
}
_SNDFILE_FORMATS = {"flac": "FLAC", "wav": "WAV", "ogg": "OGG"}


def encode_audio(audio: Audio, fmt: str) -> bytes:
    """`audio` as a file in `fmt` (mp3, opus, aac, webm, flac, wav, ogg). ValueError for an unknown format."""
    if fmt in _SNDFILE_FORMATS:
        import soundfile

        buf = io.BytesIO()
        soundfile.write(buf, audio.samples, audio.sample_rate, format=_SNDFILE_FORMATS[fmt])
        return buf.getvalue()
    if fmt not in _FFMPEG_FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}")
    import av

    codec, container = _FFMPEG_FORMATS[fmt]
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=container) as out:
        # Opus runs at 48 kHz only; the others keep the audio's own rate.
        stream: Any = out.add_stream(codec, rate=48_000 if codec == "libopus" else audio.sample_rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(audio.to_pcm16(), "<i2").reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = audio.sample_rate
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=int(stream.rate))
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()
