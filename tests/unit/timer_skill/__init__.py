"""The timer skill of docs/skills.md (the page includes these files; a test checks they are the same)."""
