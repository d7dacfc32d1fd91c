"""One root exception; each subclass carries a stable kebab-case code that clients may match on.

Messages say what went wrong and what the user can do about it. Codes never change once released.
"""

from __future__ import annotations


class GlassmateError(Exception):
    """Root of every error glassmate reports to a user or a client."""

    code: str = "internal-error"
    http_status: int = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class BadInputError(GlassmateError):
    """The caller sent something we cannot use."""

    code = "bad-input"
    http_status = 400


class AudioDecodeError(BadInputError):
    code = "audio-unreadable"


class AudioTooLongError(BadInputError):
    code = "audio-too-long"
    http_status = 413


class EmptyAudioError(BadInputError):
    code = "audio-empty"


class SampleRateError(BadInputError):
    code = "audio-sample-rate"


class ImageDecodeError(BadInputError):
    code = "image-unreadable"


class ImageTooLargeError(BadInputError):
    code = "image-too-large"
    http_status = 413


class EmptyTextError(BadInputError):
    code = "text-empty"


class UnsupportedLanguageError(BadInputError):
    code = "language-unsupported"


class NotFoundError(GlassmateError):
    """What the caller asked for does not exist."""

    code = "not-found"
    http_status = 404


class ModelError(GlassmateError):
    """A model file is not usable."""

    code = "model-error"
    http_status = 503


class ModelMissingError(ModelError):
    code = "model-missing"


class ModelCorruptError(ModelError):
    code = "model-corrupt"


class ModelLoadError(ModelError):
    code = "model-load-failed"


class ProviderError(GlassmateError):
    """A backend (local engine or remote endpoint) failed to answer."""

    code = "provider-error"
    http_status = 502


class ProviderUnreachableError(ProviderError):
    code = "provider-unreachable"
    http_status = 503


class ProviderTimeoutError(ProviderError):
    code = "provider-timeout"
    http_status = 504


class ProviderAuthError(ProviderError):
    code = "provider-auth"


class ConfigError(GlassmateError):
    code = "config-invalid"


class ToolError(GlassmateError):
    """A skill's tool failed in a way the wearer (and the LLM) may hear: "I can't see anything right now"."""

    code = "tool-error"
    http_status = 422
