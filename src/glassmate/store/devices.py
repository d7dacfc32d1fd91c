"""Device tokens: created once (shown once), stored hashed, checked on every connection, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from glassmate.errors import GlassmateError
from glassmate.store.db import Database, Device

TOKEN_PREFIX = "gm_"


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


def _record(device: Device) -> DeviceRecord:
    return DeviceRecord(device.id, device.name, device.created_at, device.last_seen_at, device.revoked_at is not None)


class DeviceRegistry:
    def __init__(self, *, db: Database) -> None:
        self.db = db

    def add(self, name: str) -> tuple[DeviceRecord, str]:
        """Register a device; returns it and its token (the only time the token is visible)."""
        name = name.strip()
        if not name or len(name) > 80:
            raise DeviceError("a device name must be 1-80 characters", code="device-name-invalid")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.session() as s:
            device = Device(name=name, token_hash=hash_token(token))
            s.add(device)
            try:
                s.commit()
            except IntegrityError as exc:
                raise DeviceError(f"a device named {name!r} exists already", code="device-exists") from exc
            return _record(device), token

    def list(self) -> list[DeviceRecord]:
        with self.db.session() as s:
            return [_record(d) for d in s.scalars(select(Device).order_by(Device.id))]

    def revoke(self, name: str) -> DeviceRecord:
        with self.db.session() as s:
            device = s.scalar(select(Device).where(Device.name == name))
            if device is None:
                raise DeviceError(f"no device named {name!r}", code="device-unknown")
            if device.revoked_at is None:
                device.revoked_at = datetime.now(UTC)
                s.commit()
            return _record(device)

    def authenticate(self, token: str | None) -> DeviceRecord:
        """The device that owns `token`; AuthError if there is none or it was revoked."""
        if not token or not token.startswith(TOKEN_PREFIX):
            raise AuthError("a device token is required (Authorization: Bearer gm_… or ?token=gm_…)")
        wanted = hash_token(token)
        with self.db.session() as s:
            device = s.scalar(select(Device).where(Device.token_hash == wanted))
            # compare_digest keeps the check constant-time even though the lookup is by hash.
            if device is None or not hmac.compare_digest(device.token_hash, wanted):
                raise AuthError("unknown device token")
            if device.revoked_at is not None:
                raise AuthError("this device token was revoked", code="token-revoked")
            device.last_seen_at = datetime.now(UTC)
            s.commit()
            return _record(device)
