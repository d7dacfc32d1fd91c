from glassmate.providers.asr.base import ASR, Segment, Transcript, Word

__all__ = ["ASR", "Segment", "Transcript", "Word"]
