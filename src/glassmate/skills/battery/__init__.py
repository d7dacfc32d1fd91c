"""The `battery` skill: "how much battery is left", "还有多少电", "wie voll ist der Akku"."""
