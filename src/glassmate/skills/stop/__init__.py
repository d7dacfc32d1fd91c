"""The `stop` skill: "stop", "别说了", "stopp": ends what is playing."""
