"""Speaker embeddings: who is speaking, as a unit vector per stretch of speech (meeting diarization)."""
