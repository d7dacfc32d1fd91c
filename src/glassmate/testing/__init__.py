"""Fakes for tests of code built on glassmate's providers. They behave like the real ones, with no models."""

from glassmate.testing.fakes import (
    FakeASR,
    FakeCodeScanner,
    FakeOCR,
    FakeTTS,
    LoudnessVAD,
    ScriptedLLM,
    fake_models,
)
from glassmate.testing.signals import silence, tone

__all__ = [
    "FakeASR",
    "FakeCodeScanner",
    "FakeOCR",
    "FakeTTS",
    "LoudnessVAD",
    "ScriptedLLM",
    "fake_models",
    "silence",
    "tone",
]
