"""The payment-provider interface: what the flow (the glasses' confirmation and the REST API) needs from whoever
moves the money. The local double-entry ledger is the default provider; a real payment service is another class
with the same methods, and the flow does not change.

Amounts are integers in the currency's minor units (cents, fen) everywhere below the parsing of user input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from glassmate.errors import GlassmateError

State = Literal["created", "authorised", "settled", "declined", "expired", "cancelled", "refunded"]
# A payment ends in one of these; "settled" may still be refunded (partly, or fully → "refunded").
FINAL_STATES = frozenset({"declined", "expired", "cancelled", "refunded"})


class PaymentError(GlassmateError):
    """A payment request that cannot go ahead (the code says why; nothing was charged)."""

    code = "payment-error"
    http_status = 400


class PaymentDeclined(PaymentError):
    """The payment exists and was declined (insufficient funds, a limit); retrying with the same key returns it."""

    code = "payment-declined"
    http_status = 402

    def __init__(self, message: str, *, code: str, payment: Payment) -> None:
        super().__init__(message, code=code)
        self.payment = payment


class PaymentNotFound(PaymentError):
    code = "payment-not-found"
    http_status = 404


class PaymentConflict(PaymentError):
    """The request contradicts the payment's state or an earlier request with the same idempotency key."""

    code = "payment-conflict"
    http_status = 409


class PinError(PaymentError):
    code = "pin-wrong"
    http_status = 403


class PinLocked(PaymentError):
    code = "pin-locked"
    http_status = 429

    def __init__(self, message: str, *, retry_after_s: int = 0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s  # sent as Retry-After


@dataclass(frozen=True)
class Merchant:
    """Who is paid: from the QR code's merchant account (scheme ID + account), name and city."""

    key: str  # stable identity, e.g. "com.example.pay:MERCHANT123"
    name: str
    city: str
    category: str | None = None


@dataclass(frozen=True)
class PaymentRequest:
    owner: str  # the payer's wallet owner: "device:<name>" or "key:<name>"; always the authenticated caller
    idempotency_key: str
    merchant: Merchant
    amount_minor: int
    currency: str
    reference: str | None = None  # the QR code's bill number / reference label
    payload_sha256: str | None = None  # which QR code was paid (the payload itself is never stored or logged)

    def fingerprint(self) -> dict[str, Any]:
        """What must match when an idempotency key is reused."""
        return {"merchant": self.merchant.key, "amount": self.amount_minor, "currency": self.currency,
                "reference": self.reference}  # fmt: skip


@dataclass(frozen=True)
class Refund:
    id: str
    amount_minor: int
    created_at: datetime


@dataclass(frozen=True)
class Payment:
    id: str
    state: State
    owner: str
    merchant: Merchant
    amount_minor: int
    currency: str
    minor_units: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    decline_code: str | None = None
    reference: str | None = None
    refunded_minor: int = 0
    refunds: tuple[Refund, ...] = field(default=())
    # The call that returned this view found the work done by an earlier call with the same idempotency key
    # (decided under the ledger's lock, so concurrent retries agree on which one did it).
    replayed: bool = False

    def amount_text(self, minor: int | None = None) -> str:
        """'12.50 EUR'."""
        value = self.amount_minor if minor is None else minor
        if self.minor_units == 0:
            return f"{value} {self.currency}"
        major, cents = divmod(value, 10**self.minor_units)
        return f"{major}.{cents:0{self.minor_units}d} {self.currency}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payment",
            "state": self.state,
            "amount_minor": self.amount_minor,
            "amount": self.amount_text().split()[0],
            "currency": self.currency,
            "merchant": {"key": self.merchant.key, "name": self.merchant.name, "city": self.merchant.city},
            "reference": self.reference,
            "decline_code": self.decline_code,
            "refunded_minor": self.refunded_minor,
            "refunds": [
                {"id": r.id, "amount_minor": r.amount_minor, "created_at": r.created_at.isoformat()}
                for r in self.refunds
            ],
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
        }


class PaymentProvider(Protocol):
    """Moves money for the flow. Every method is idempotent where it takes an idempotency key, and raises a
    PaymentError (with a stable code) rather than half-doing anything."""

    def create(self, request: PaymentRequest, *, ttl_s: float) -> Payment:
        """A payment awaiting the wearer's confirmation (state created), which expires after `ttl_s`."""
        ...

    def confirm(self, payment_id: str, *, owner: str) -> Payment:
        """Authorise and settle a created payment (the wearer confirmed); declined if funds or limits say no."""
        ...

    def cancel(self, payment_id: str, *, owner: str, expired: bool = False) -> Payment:
        """End a payment that was not confirmed (state cancelled, or expired)."""
        ...

    def pay(self, request: PaymentRequest) -> Payment:
        """Create, authorise and settle in one step (a confirmed request from the REST API)."""
        ...

    def refund(self, payment_id: str, *, owner: str, amount_minor: int | None, idempotency_key: str) -> Payment:
        """Refund all (amount None) or part of a settled payment."""
        ...

    def find(self, owner: str, idempotency_key: str) -> Payment | None:
        """The caller's payment made with this idempotency key, if any (to tell a retry from a new request)."""
        ...

    def get(self, payment_id: str, *, owner: str) -> Payment:
        """The caller's payment; PaymentNotFound for anyone else's."""
        ...

    def balances(self, owner: str) -> dict[str, int]:
        """The caller's wallet balances: currency → minor units."""
        ...
