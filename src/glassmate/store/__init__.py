"""Durable state (SQLAlchemy 2.x; SQLite by default, PostgreSQL by URL)."""

from glassmate.store.db import Database
from glassmate.store.devices import ApiKeyRegistry, DeviceRecord, DeviceRegistry

__all__ = ["ApiKeyRegistry", "Database", "DeviceRecord", "DeviceRegistry"]
