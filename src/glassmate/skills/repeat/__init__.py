"""The `repeat` skill: "say that again", "再说一遍", "wiederhole das"."""
