"""The `identify` skill: "what is this", "which product is this", "where is it cheaper" (and the long press)."""
