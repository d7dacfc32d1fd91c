"""A recording of a conversation, translated utterance by utterance (`glassmate translate talk.wav`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassmate.audio import Audio
from glassmate.errors import UnsupportedLanguageError
from glassmate.providers.asr.base import TranscribeOptions
from glassmate.providers.translate.base import LANGUAGES, Translation
from glassmate.session.audio_input import RATE

if TYPE_CHECKING:
    from glassmate.runtime import Models

# One utterance of a recording: start s, end s, what was said (in its language), its translation (None when it
# was already in the target language).
RecordingLine = tuple[float, float, Translation, Translation | None]


async def translate_recording(models: Models, audio: Audio, target: str) -> list[RecordingLine]:
    """Cut a recording into utterances (VAD), identify and transcribe each, translate the other side's."""
    samples = audio.resampled(RATE)
    rows = []
    for a, b in models.vad.stream().regions(samples.samples):
        piece = Audio(samples.samples[a * RATE // 1000 : b * RATE // 1000], RATE)
        heard = await models.asr.transcribe(piece, TranscribeOptions(candidates=tuple(LANGUAGES)))
        if not heard.text:
            continue
        spoken = Translation(heard.text, heard.language, heard.language)
        translated = None
        if heard.language != target:
            try:
                translated = await models.translator.translate(heard.text, target=target, source=heard.language)
            except UnsupportedLanguageError as exc:
                translated = Translation(f"({exc.message})", heard.language, target)
        rows.append((a / 1000, b / 1000, spoken, translated))
    return rows
