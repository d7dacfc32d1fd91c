"""Durable state (SQLAlchemy 2.x; SQLite by default, PostgreSQL by URL)."""

from glassmate.store import catalog as _catalog_tables  # noqa: F401  (registers the tables)
from glassmate.store import ledger as _ledger_tables  # noqa: F401  (registers the tables)
from glassmate.store import meetings as _meeting_tables  # noqa: F401  (registers the tables)
from glassmate.store import memory as _memory_tables  # noqa: F401  (registers the tables)
from glassmate.store.db import Database
from glassmate.store.devices import ApiKeyRegistry, DeviceRecord, DeviceRegistry

__all__ = ["ApiKeyRegistry", "Database", "DeviceRecord", "DeviceRegistry"]
