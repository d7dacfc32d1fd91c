"""Hostile inputs for tests and benchmarks: small files that claim or hold far more than they look like."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` and whose data is empty (a decompression bomb's first bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def silent_flac(seconds: int, rate: int = 8_000) -> bytes:
    """`seconds` of silence as FLAC, written a minute at a time (an hour is about 90 KB: the audio bomb)."""
    import soundfile

    buf = io.BytesIO()
    block = np.zeros(rate * 60, dtype=np.int16)
    with soundfile.SoundFile(buf, mode="w", samplerate=rate, channels=1, format="FLAC", subtype="PCM_16") as out:
        for _ in range(seconds // 60):
            out.write(block)
    return buf.getvalue()
