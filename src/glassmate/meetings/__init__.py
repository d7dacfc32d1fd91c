"""Meeting notes: recordings kept in the store, transcribed with who spoke (diarization), and summarised by the LLM."""
