"""glassmate: an open, offline-first assistant runtime for AI glasses."""

__version__ = "0.1.0"
