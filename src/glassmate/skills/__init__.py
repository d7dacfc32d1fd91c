"""Skills: one module or package per thing the assistant can do."""
