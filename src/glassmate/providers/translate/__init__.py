from glassmate.providers.translate.base import Translation, Translator, detect_language, language_name

__all__ = ["Translation", "Translator", "detect_language", "language_name"]
