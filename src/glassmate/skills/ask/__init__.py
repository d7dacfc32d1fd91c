"""The `ask` skill: what the agent answers itself (the LLM, with the conversation so far)."""
