"""From a scanned merchant QR code (and, for a static code, the amount the wearer says or the client sends) to a
payment request: who is paid, how much in minor units, and the request's idempotency key. Shared by the glasses'
confirmation flow and the REST API, so both charge exactly the same for the same code."""

from __future__ import annotations

import hashlib
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from glassmate.events import clip
from glassmate.payments.emv import EMVPayload
from glassmate.payments.provider import Merchant, PaymentError, PaymentRequest

MAX_AMOUNT_DIGITS = 12


def merchant_of(qr: EMVPayload) -> Merchant:
    """The merchant's stable identity: its first account's scheme ID and account number (not its display name,
    which anyone can print on a code)."""
    account = qr.merchant_accounts[0]
    number = next(iter(account.fields.values()), "")
    scheme = account.globally_unique_id or f"tag{account.tag}"
    key = f"{scheme}:{number}" if number else f"{scheme}:{qr.merchant_name}|{qr.merchant_city}"
    return Merchant(key=key[:200], name=qr.payee, city=qr.merchant_city, category=qr.merchant_category_code)


def to_minor(value: Decimal, minor_units: int, *, where: str = "amount") -> int:
    """`value` in minor units; refuses negative, zero, absurd or too precise amounts."""
    if not value.is_finite() or value <= 0:
        raise PaymentError(f"the {where} must be positive", code="amount-invalid")
    scaled = value.scaleb(minor_units)
    if scaled != scaled.to_integral_value():
        raise PaymentError(f"the {where} has more than {minor_units} decimals", code="amount-invalid")
    if len(str(int(scaled))) > MAX_AMOUNT_DIGITS:
        raise PaymentError(f"the {where} is too large", code="amount-invalid")
    return int(scaled)


def parse_amount(text: str, minor_units: int) -> int:
    """A decimal amount as a client sends it ("12.50") → minor units. ASCII digits only: Python's Decimal would
    also read "１.００" and "١.٠٠", which no payment system writes."""
    if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,4})?", text.strip()):
        raise PaymentError(f"{clip(text)!r} is not an amount (digits 0-9, one '.')", code="amount-invalid")
    try:
        return to_minor(Decimal(text.strip()), minor_units)
    except InvalidOperation as exc:
        raise PaymentError(f"{clip(text)!r} is not an amount", code="amount-invalid") from exc


def total_minor(qr: EMVPayload, amount_minor: int) -> int:
    """What is charged: the amount plus the code's convenience fee (fixed, or a percentage rounded half up).
    A tip prompt (indicator 01) adds nothing unless the payer names a tip; glassmate does not ask for one."""
    if qr.convenience_fee is not None:
        return amount_minor + to_minor(qr.convenience_fee, qr.minor_units, where="convenience fee")
    if qr.convenience_percentage is not None:
        fee = (Decimal(amount_minor) * qr.convenience_percentage / 100).quantize(Decimal(1), ROUND_HALF_UP)
        return amount_minor + int(fee)
    return amount_minor


def payment_request(qr: EMVPayload, payload: str, *, owner: str, key: str, amount_minor: int | None) -> PaymentRequest:
    """The request for paying `qr`: a dynamic code's own amount (a different one is refused), or the payer's."""
    if qr.amount_minor is not None:
        if amount_minor is not None and amount_minor != qr.amount_minor:
            raise PaymentError("this code is for a set amount; a different amount cannot be paid with it",
                               code="amount-mismatch")  # fmt: skip
        amount_minor = qr.amount_minor
    if amount_minor is None:
        raise PaymentError("this code has no amount: say or send how much to pay", code="amount-required")
    reference = qr.additional.get("bill_number") or qr.additional.get("reference_label")
    return PaymentRequest(
        owner=owner,
        idempotency_key=key,
        merchant=merchant_of(qr),
        amount_minor=total_minor(qr, amount_minor),
        currency=qr.currency,
        reference=reference[:100] if reference else None,
        payload_sha256=hashlib.sha256(payload.encode()).hexdigest(),
    )
