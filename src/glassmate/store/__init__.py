"""Durable state (SQLAlchemy 2.x; SQLite by default, PostgreSQL by URL)."""

from glassmate.store.db import Database
from glassmate.store.devices import DeviceRecord, DeviceRegistry

__all__ = ["Database", "DeviceRecord", "DeviceRegistry"]
