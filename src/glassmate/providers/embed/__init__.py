"""Sentence embeddings: text to a unit vector, close for texts that mean the same, across languages."""
