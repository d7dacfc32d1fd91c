"""Wallet PINs: stored as scrypt hashes (a slow hash: a 4-6 digit PIN has few values, so a fast hash would be
brute-forced from a stolen database in seconds), checked in constant time, and locked after consecutive
failures. A PIN is never logged; errors say how many attempts are left, never what was typed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from glassmate.config import PaymentSettings
from glassmate.payments.ledger import Ledger
from glassmate.payments.provider import PaymentError, PinError, PinLocked
from glassmate.store.ledger import WalletPin

# scrypt cost: n=2**14, r=8 (16 MiB, ~60 ms on this 2-core box), per RFC 7914's interactive-login guidance.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PIN_FORMAT = re.compile(r"\d{4,8}")


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_pin(pin: str, stored: str) -> bool:
    _scheme, n, r, p, salt, digest = stored.split("$")
    got = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got, base64.b64decode(digest))


def _aware(when: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored here is UTC.
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


MAX_LOCK_S = 24 * 3600.0


class PinStore:
    """The PINs of wallet owners, with lock-out after `pin_max_failures` wrong attempts in a row."""

    def __init__(self, *, ledger: Ledger) -> None:
        self.ledger = ledger
        self.settings: PaymentSettings = ledger.settings

    def sessions(self) -> Session:
        return self.ledger.sessions()

    def set(self, owner: str, pin: str) -> None:
        if not PIN_FORMAT.fullmatch(pin):
            raise PaymentError("a PIN is 4 to 8 digits", code="pin-invalid")
        with self.sessions() as s, s.begin():
            row = s.get(WalletPin, owner)
            if row is None:
                s.add(WalletPin(owner=owner, pin_hash=hash_pin(pin), failures=0))
            else:
                row.pin_hash, row.failures, row.locked_until = hash_pin(pin), 0, None

    def has_pin(self, owner: str) -> bool:
        with self.sessions() as s:
            return s.get(WalletPin, owner) is not None

    def required(self, owner: str, confirm_with: str) -> bool:
        """The one rule, for REST and glasses alike: a payment needs the PIN when the settings say so or the wallet
        has one (a wallet with a PIN is never paid with the button alone)."""
        return confirm_with == "pin" or self.has_pin(owner)

    def verify(self, owner: str, pin: str | None) -> None:
        """Nothing if `pin` is this owner's PIN; otherwise a PaymentError (pin-required, pin-not-set, pin-locked,
        pin-wrong). Every wrong attempt is counted before the answer goes out."""
        now = datetime.now(UTC)
        with self.sessions() as s, s.begin():
            row = s.get(WalletPin, owner, with_for_update=True)
            if row is None:
                raise PinError("no PIN is set for this wallet (glassmate pay pin)", code="pin-not-set")
            locked_until = _aware(row.locked_until)
            if locked_until is not None and locked_until > now:
                wait = int((locked_until - now).total_seconds()) + 1
                raise PinLocked(f"too many wrong PINs; try again in {wait} s", retry_after_s=wait)
            if not pin:
                raise PinError("this payment needs the wallet's PIN", code="pin-required")
            if PIN_FORMAT.fullmatch(pin) and check_pin(pin, row.pin_hash):
                row.failures, row.locked_until = 0, None
                return
            # `failures` counts every wrong PIN since the last right one, across locks: each lock lasts twice as
            # long as the one before (5 min, 10, 20, … up to a day), so scripted guessing gets nowhere.
            row.failures += 1
            max_failures = self.settings.pin_max_failures
            left = max_failures - row.failures % max_failures
            if row.failures % max_failures == 0:
                lock_s = min(self.settings.pin_lock_s * 2 ** (row.failures // max_failures - 1), MAX_LOCK_S)
                row.locked_until = now + timedelta(seconds=lock_s)
                message = f"wrong PIN; the wallet is locked for {int(lock_s)} s"
            else:
                message = f"wrong PIN; {left} attempt{'s' if left != 1 else ''} left"
        # Raised after the transaction committed, so the failure counts; and audited, without the PIN.
        self.ledger.audit_event("pin-wrong", actor=owner)
        raise PinError(message, code="pin-wrong")
