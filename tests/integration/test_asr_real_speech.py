"""The English-only Whisper that English turns go to, on real recorded speech (Debian's Asterisk prompts, one
person, with transcripts): it must hear as well as the multilingual base it stands in for (bench/asr_wer.py runs
the whole corpus; this is every 8th prompt)."""

from __future__ import annotations

from glassmate.audio import Audio
from glassmate.providers.asr.base import TranscribeOptions
from glassmate.providers.asr.faster_whisper import FasterWhisperASR
from glassmate.runtime import Models
from glassmate.testing.corpus import RATE, asterisk_english, normalize, word_errors


async def test_tiny_en_hears_real_speech_as_well_as_base(models: Models) -> None:
    clips = asterisk_english()[::8]
    assert len(clips) >= 40
    asr = models.asr
    assert isinstance(asr, FasterWhisperASR) and asr.english_dir is not None
    base = FasterWhisperASR(model_dir=asr.model_dir, settings=asr.settings)  # no English model: base for all
    words = sum(len(normalize(c.text)) for c in clips)
    wer = {}
    for label, model in (("tiny.en", asr), ("base", base)):
        errors = 0
        for clip in clips:
            heard = await model.transcribe(Audio(clip.samples, RATE), TranscribeOptions(language="en"))
            errors += word_errors(normalize(clip.text), normalize(heard.text))
        wer[label] = 100 * errors / words
    await base.aclose()
    assert wer["tiny.en"] <= 10.0, wer
    assert wer["tiny.en"] <= wer["base"] + 1.0, wer
