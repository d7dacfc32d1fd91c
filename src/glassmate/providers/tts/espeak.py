"""espeak-ng (Debian's binary) for languages with no neural voice here.

Robotic, but it speaks about a hundred languages."""

from __future__ import annotations

import asyncio
import io
import shutil
from collections.abc import AsyncGenerator
from functools import cache

import numpy as np
import soundfile

from glassmate.audio import float_to_pcm16
from glassmate.errors import ProviderUnreachableError, UnsupportedLanguageError
from glassmate.providers.tts.base import TTS, SpeechChunk
from glassmate.text import split_sentences

# ISO 639-1 codes whose espeak-ng voice has another name.
_VOICE_NAMES = {"en": "en-us", "zh": "cmn", "yue": "yue", "pt": "pt-br"}


@cache
def installed_voices(binary: str) -> frozenset[str]:
    import subprocess

    out = subprocess.run([binary, "--voices"], capture_output=True, text=True, check=False).stdout
    names: set[str] = set()
    for line in out.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 2:
            names.add(cols[1].lower())
    return frozenset(names)


class EspeakTTS(TTS):
    name = "espeak-ng"

    def __init__(self, *, binary: str = "espeak-ng") -> None:
        super().__init__()
        self.binary = binary

    def voice_for(self, language: str) -> str:
        if shutil.which(self.binary) is None:
            raise ProviderUnreachableError(
                f"{self.binary} is not installed; install it with: apt-get install espeak-ng"
            )
        voice = _VOICE_NAMES.get(language, language)
        if voice not in installed_voices(self.binary):
            raise UnsupportedLanguageError(f"espeak-ng has no voice for language {language!r}")
        return voice

    async def _speak(self, sentence: str, voice: str) -> SpeechChunk:
        proc = await asyncio.create_subprocess_exec(
            self.binary,
            "-v",
            voice,
            "--stdout",
            "-b",
            "1",  # -b 1: input is UTF-8
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await proc.communicate(sentence.encode("utf-8"))
        except asyncio.CancelledError:
            proc.kill()
            await proc.wait()
            raise
        if proc.returncode != 0:
            raise ProviderUnreachableError(f"espeak-ng failed: {err.decode(errors='replace').strip()}")
        samples, rate = soundfile.read(io.BytesIO(out), dtype="float32", always_2d=True)
        return SpeechChunk(float_to_pcm16(samples.mean(axis=1).astype(np.float32)), int(rate), sentence)

    async def _stream_impl(self, text: str, language: str, voice: str | None) -> AsyncGenerator[SpeechChunk, None]:
        espeak_voice = voice or self.voice_for(language)
        for sentence in split_sentences(text):
            yield await self._speak(sentence, espeak_voice)


class MultiVoiceTTS(TTS):
    """The local speech stack: Piper for its languages, espeak-ng for every other one."""

    name = "local-tts"

    def __init__(self, *, piper: TTS, espeak: EspeakTTS, piper_languages: tuple[str, ...]) -> None:
        super().__init__()
        self.piper = piper
        self.espeak = espeak
        self.piper_languages = piper_languages

    def _stream_impl(self, text: str, language: str, voice: str | None) -> AsyncGenerator[SpeechChunk, None]:
        """Piper where it has the language, unless the voice asked for is "espeak" (or an espeak-ng voice)."""
        base = language.split("-")[0]
        wants_espeak = voice is not None and voice.startswith("espeak")
        engine = self.piper if base in self.piper_languages and not wants_espeak else self.espeak
        espeak_voice = voice.removeprefix("espeak:") if voice and voice.startswith("espeak:") else None
        return engine._stream_impl(text, base, espeak_voice if engine is self.espeak else None)

    async def load(self) -> None:
        """Load the neural voice and speak a word with it (the server's warm-up calls this)."""
        load = getattr(self.piper, "load", None)
        if load is not None:
            await load()

    async def aclose(self) -> None:
        await self.piper.aclose()
        await self.espeak.aclose()
