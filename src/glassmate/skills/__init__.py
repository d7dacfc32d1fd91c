"""Skills: one package per thing the assistant can do (its policy, typed tools, intents in zh/en/de, and an
activity where it runs long). The list of the server's skills is `installed.py`; how to write one: docs/skills.md."""
