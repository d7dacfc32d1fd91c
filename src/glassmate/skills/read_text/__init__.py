"""The `read-text` skill: "read this", "读一下这个", "lies das vor"; and `look`, the camera's text for the agent."""
