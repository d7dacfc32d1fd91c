"""Credentials: device tokens (glasses) and API keys (REST clients). Created once (shown once), stored hashed,
checked on every request, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from glassmate.errors import GlassmateError
from glassmate.store.db import ApiKey, Database, Device

TOKEN_PREFIX = "gm_"
KEY_PREFIX = "sk-gm-"


class DeviceError(GlassmateError):
    code = "device-error"
    http_status = 400


class AuthError(GlassmateError):
    code = "unauthorized"
    http_status = 401


@dataclass(frozen=True)
class DeviceRecord:
    id: int
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _record(device: Device | ApiKey) -> DeviceRecord:
    return DeviceRecord(device.id, device.name, device.created_at, device.last_seen_at, device.revoked_at is not None)


class CredentialRegistry:
    """Named tokens of one kind (a table and a prefix)."""

    model: Any = Device  # the ORM class (Device or ApiKey); Any keeps SQLAlchemy's select() typing simple
    prefix = TOKEN_PREFIX
    noun = "device"

    def __init__(self, *, db: Database) -> None:
        self.db = db

    def add(self, name: str) -> tuple[DeviceRecord, str]:
        """Register a name; returns it and its token (the only time the token is visible)."""
        name = name.strip()
        if not name or len(name) > 80:
            raise DeviceError(f"a {self.noun} name must be 1-80 characters", code="device-name-invalid")
        token = self.prefix + secrets.token_urlsafe(32)
        with self.db.session() as s:
            row = self.model(name=name, token_hash=hash_token(token))
            s.add(row)
            try:
                s.commit()
            except IntegrityError as exc:
                raise DeviceError(f"a {self.noun} named {name!r} exists already", code="device-exists") from exc
            return _record(row), token

    def list(self) -> list[DeviceRecord]:
        with self.db.session() as s:
            return [_record(d) for d in s.scalars(select(self.model).order_by(self.model.id))]

    def revoke(self, name: str) -> DeviceRecord:
        with self.db.session() as s:
            device = s.scalar(select(self.model).where(self.model.name == name))
            if device is None:
                raise DeviceError(f"no {self.noun} named {name!r}", code="device-unknown")
            if device.revoked_at is None:
                device.revoked_at = datetime.now(UTC)
                s.commit()
            return _record(device)

    def is_active(self, name: str) -> bool:
        """Whether `name` still holds a credential that was not revoked (checked again by open sessions)."""
        with self.db.session() as s:
            device = s.scalar(select(self.model).where(self.model.name == name))
            return device is not None and device.revoked_at is None

    def holds(self, token: str) -> bool:
        """Whether `token` is a current credential of this registry (a read: no last-seen update)."""
        if not token.startswith(self.prefix):
            return False
        wanted = hash_token(token)
        with self.db.session() as s:
            found = s.scalar(select(self.model).where(self.model.token_hash == wanted))
            return found is not None and found.revoked_at is None and hmac.compare_digest(found.token_hash, wanted)

    def authenticate(self, token: str | None) -> DeviceRecord:
        """The holder of `token`; AuthError if there is none or it was revoked."""
        if not token or not token.startswith(self.prefix):
            raise AuthError(f"a {self.noun} token is required (Authorization: Bearer {self.prefix}…)")
        wanted = hash_token(token)
        with self.db.session() as s:
            device = s.scalar(select(self.model).where(self.model.token_hash == wanted))
            # compare_digest keeps the check constant-time even though the lookup is by hash.
            if device is None or not hmac.compare_digest(device.token_hash, wanted):
                raise AuthError(f"unknown {self.noun} token")
            if device.revoked_at is not None:
                raise AuthError(f"this {self.noun} token was revoked", code="token-revoked")
            device.last_seen_at = datetime.now(UTC)
            s.commit()
            return _record(device)


class DeviceRegistry(CredentialRegistry):
    """Glasses and browsers allowed to open realtime sessions (tokens gm_…)."""


class ApiKeyRegistry(CredentialRegistry):
    """Clients of the OpenAI-compatible REST API (keys sk-gm-…)."""

    model = ApiKey
    prefix = KEY_PREFIX
    noun = "API key"


def device_owner(name: str | None) -> str | None:
    """The owner string of what a pair of glasses keeps ("device:NAME"), as REST callers with its token see it."""
    return f"device:{name}" if name else None
