"""Fakes for tests of code built on glassmate's providers. They behave like the real ones, with no models."""

from glassmate.testing.fakes import (
    FakeASR,
    FakeCodeScanner,
    FakeEmbedder,
    FakeOCR,
    FakeTTS,
    LoudnessVAD,
    ScriptedLLM,
    fake_models,
    fake_skills,
)
from glassmate.testing.signals import silence, tone

__all__ = [
    "FakeASR",
    "FakeCodeScanner",
    "FakeEmbedder",
    "FakeOCR",
    "FakeTTS",
    "LoudnessVAD",
    "ScriptedLLM",
    "fake_models",
    "fake_skills",
    "silence",
    "tone",
]
