"""A toy skill for tests: a package and a line in the skill list are all it takes."""
