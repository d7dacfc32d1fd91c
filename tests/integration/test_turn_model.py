"""Smart Turn v3.2, the end-of-turn model, on the real file: its features, its verdicts on whole sentences in three
languages."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from glassmate.runtime import Models
from glassmate.testing.voices import spoken


def test_features_equal_pipecats_own() -> None:
    """faster-whisper's extractor on the normalised waveform gives what pipecat computes for the model (its numpy
    copy of Hugging Face's WhisperFeatureExtractor, loaded from the installed wheel's file)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    origin = importlib.util.find_spec("pipecat")
    assert origin is not None and origin.origin is not None
    path = Path(origin.origin).parent / "audio/turn/smart_turn/_whisper_features.py"
    spec = importlib.util.spec_from_file_location("_pipecat_whisper_features", path)
    assert spec is not None and spec.loader is not None
    theirs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(theirs)
    rng = np.random.default_rng(7)
    x = np.pad((rng.standard_normal(16_000 * 3) * 0.1).astype(np.float32), (16_000 * 5, 0))
    expected = theirs.compute_whisper_log_mel_features(x)
    normalised = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    ours = FeatureExtractor(feature_size=80, sampling_rate=16_000, chunk_length=8)(normalised, padding=0)[:, :800]
    assert ours.shape == expected.shape == (80, 800)
    assert float(np.abs(ours - expected).max()) < 1e-5


async def test_whole_questions_sound_finished(models: Models) -> None:
    piper = models.tts.piper._engine()  # type: ignore[attr-defined]
    pause = np.zeros(3_200, np.float32)  # the 200 ms of silence the model is asked after
    scores = {}
    questions = [("What time is it?", "piper", "en"), ("Where is the nearest pharmacy?", "piper", "en"),
                 ("现在几点了？", "espeak", "zh"), ("Was kostet das hier?", "espeak", "de")]  # fmt: skip
    for text, voice, language in questions:
        said = spoken(text, voice=voice, language=language, piper_voice=piper)  # type: ignore[arg-type]
        scores[text] = await models.turn.score(np.concatenate([said.audio.samples, pause]))
    assert all(p > 0.5 for p in scores.values()), scores
