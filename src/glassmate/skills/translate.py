"""Voice control of conversation translation: "translate to German", "help me talk to her in Chinese",
"stop translating". The translating itself happens in the session, utterance by utterance."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from glassmate.audio import Audio
from glassmate.errors import UnsupportedLanguageError
from glassmate.providers.asr.base import TranscribeOptions
from glassmate.providers.translate.base import LANGUAGES, Translation
from glassmate.session.audio_input import RATE
from glassmate.skills.base import SkillContext, Turn
from glassmate.skills.builtin import PatternSkill, normalise

if TYPE_CHECKING:
    from glassmate.runtime import Models

# One utterance of a recording: start s, end s, what was said (in its language), its translation (None when it
# was already in the target language).
RecordingLine = tuple[float, float, Translation, Translation | None]

# Spoken names of languages ("german", "mandarin"…) to codes, from the translator's own list.
SPOKEN_NAMES = {name.split()[0].lower(): code for code, name in LANGUAGES.items()} | {
    "mandarin": "zh", "deutsch": "de", "englisch": "en", "chinesisch": "zh", "中文": "zh", "英语": "en",
}  # fmt: skip
_LANGUAGE = r"(?P<language>[a-z中文英语]+)"


def language_in(text: str) -> str | None:
    """The language a request names ("…in German"), if any."""
    for word in normalise(text).split():
        if word in SPOKEN_NAMES:
            return SPOKEN_NAMES[word]
    return None


class TranslateSkill(PatternSkill):
    name = "translate"
    patterns = (
        rf"(please )?(start )?translat(e|ing|ion)( mode)?( on)?(( (to|into) {_LANGUAGE}))?( please)?",
        rf"help me (talk|speak) (to|with) (him|her|them|this person)( in {_LANGUAGE})?",
        r"((and|ok|okay|now|so|please) )?"  # Whisper often hears a filler before the command
        r"((stop|end|turn off) translat(ing|ion)( mode)?|translation (off|stop))( please)?",
    )

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        said = normalise(turn.text)
        if re.search(r"(stop|end|turn off) translat|translation (off|stop)", said):
            if ctx.session is not None:
                ctx.session.set_translation(enabled=False)
            yield "Translation off."
            return
        other = language_in(turn.text)
        if other is None and "help me" not in said and re.search(r" (to|into) ", said):
            yield "I can't translate into that language yet."
            return
        if ctx.session is not None:
            ctx.session.set_translation(enabled=True, other_language=other)
        target = LANGUAGES[other].split()[0] if other else "their language"
        yield f"Translating to {target}. Say stop translating to end."


async def translate_recording(models: Models, audio: Audio, target: str) -> list[RecordingLine]:
    """Cut a recording into utterances (VAD), identify and transcribe each, translate the other side's."""
    samples = audio.resampled(RATE)
    stream = models.vad.stream()
    bounds: list[tuple[int, int]] = []
    start = None
    for ev in stream.feed(samples.samples):
        if ev.kind == "speech_started":
            start = ev.at_ms
        elif ev.kind == "speech_stopped" and start is not None:
            bounds.append((start, ev.at_ms))
            start = None
    if start is not None:
        bounds.append((start, int(samples.duration_s * 1000)))
    rows = []
    for a, b in bounds:
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
