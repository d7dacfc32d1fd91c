from glassmate.providers.vad.base import VADEvent, VADStream
from glassmate.providers.vad.silero import SileroVAD

__all__ = ["SileroVAD", "VADEvent", "VADStream"]
