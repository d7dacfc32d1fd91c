"""Providers: one folder per kind, each with an interface (base.py) and its implementations."""
