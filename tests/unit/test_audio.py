import io
import wave

import numpy as np
import pytest

from glassmate.audio import Audio, decode_audio, pcm16_to_audio, wav_bytes
from glassmate.errors import AudioDecodeError, EmptyAudioError, SampleRateError
from glassmate.testing import tone


def test_wav_round_trip_keeps_samples_and_rate() -> None:
    audio = tone(0.5, rate=22_050)
    decoded = decode_audio(audio.to_wav())
    assert decoded.sample_rate == 22_050
    assert len(decoded.samples) == len(audio.samples)
    assert np.max(np.abs(decoded.samples - audio.samples)) < 1e-3


def test_stereo_wav_is_mixed_to_mono() -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(np.zeros(3200, dtype="<i2").tobytes())
    decoded = decode_audio(buf.getvalue())
    assert decoded.samples.ndim == 1 and len(decoded.samples) == 1600


def test_resample_changes_length_by_the_rate_ratio() -> None:
    audio = tone(1.0, rate=48_000).resampled(16_000)
    assert audio.sample_rate == 16_000
    assert abs(len(audio.samples) - 16_000) <= 2


@pytest.mark.parametrize("data", [b"not audio at all, just some text" * 10, b"\x00\x01" * 3, b"RIFF\x00\x00garbage"])
def test_non_audio_bytes_are_refused_with_a_code(data: bytes) -> None:
    with pytest.raises(AudioDecodeError) as info:
        decode_audio(data)
    assert info.value.code == "audio-unreadable"


def test_empty_audio_is_refused() -> None:
    with pytest.raises(EmptyAudioError):
        decode_audio(b"")
    with pytest.raises(EmptyAudioError):
        pcm16_to_audio(b"", 16_000)
    with pytest.raises(EmptyAudioError):
        decode_audio(wav_bytes(b"", 16_000))


@pytest.mark.parametrize("rate", [0, 100, 4_000, 192_000, -16_000])
def test_unsupported_sample_rates_are_refused(rate: int) -> None:
    with pytest.raises(SampleRateError) as info:
        pcm16_to_audio(b"\x00\x00" * 100, rate)
    assert info.value.code == "audio-sample-rate"


def test_wav_with_unsupported_rate_is_refused() -> None:
    with pytest.raises(SampleRateError):
        decode_audio(wav_bytes(b"\x00\x00" * 100, 4_000))


def test_odd_pcm_length_is_refused() -> None:
    with pytest.raises(AudioDecodeError):
        pcm16_to_audio(b"\x00\x00\x00", 16_000)


def test_pcm16_conversion_is_symmetric() -> None:
    audio = Audio(np.array([0.0, 0.5, -0.5, 1.0, -1.0], dtype=np.float32), 16_000)
    back = pcm16_to_audio(audio.to_pcm16(), 16_000)
    assert np.allclose(back.samples, audio.samples, atol=1e-4)
