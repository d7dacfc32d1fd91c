"""The agent: the LLM with the session's tools, for the turns no activity or intent claims."""
