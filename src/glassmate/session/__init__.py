"""A realtime session: one pair of glasses, from microphone audio to spoken answers."""
