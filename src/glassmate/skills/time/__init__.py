"""The `time` skill: "what time is it", "几点了", "wie spät ist es"."""
