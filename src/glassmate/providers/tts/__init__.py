from glassmate.providers.tts.base import TTS, SpeechChunk

__all__ = ["TTS", "SpeechChunk"]
