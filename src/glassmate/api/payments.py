"""Payments over REST. Every route needs a device token (gm_…) or an API key (sk-gm-…); the caller pays only from
its own wallet. Creating a payment or a refund needs an `Idempotency-Key` header: a retry with the same key
returns the original result (header `Idempotent-Replayed: true`) and never charges twice.

  POST /v1/payments/qr/parse          decode a merchant QR payload
  POST /v1/payments                   pay a merchant QR (confirm: true; the PIN when the wallet has one), or
                                      create it (confirm: false) to confirm or cancel before it expires
  POST /v1/payments/{id}/confirm      pay a created payment
  POST /v1/payments/{id}/cancel       cancel a created payment
  GET  /v1/payments/{id}              a payment
  POST /v1/payments/{id}/refund       refund all or part of a settled payment
  GET  /v1/ledger/balance             the caller's wallet balances
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from glassmate.api.common import ApiError, api_key, caller
from glassmate.money import MINOR_UNITS
from glassmate.payments.checkout import parse_amount, payment_request
from glassmate.payments.emv import parse
from glassmate.payments.provider import Payment, PaymentDeclined
from glassmate.store.devices import DeviceRecord

router = APIRouter()
log = logging.getLogger("glassmate.payments")


class ParseRequest(BaseModel):
    payload: str = Field(min_length=1, max_length=4096)


class PayRequest(BaseModel):
    qr: str = Field(min_length=1, max_length=4096, description="the merchant's EMV QR payload")
    amount: str | None = Field(default=None, max_length=20, description="for a code without an amount: '12.50'")
    confirm: bool = Field(description="true: pay now (the payer confirmed); false: create it to confirm later")
    pin: str | None = Field(default=None, max_length=16, description="the wallet's PIN, when it has one")
    wallet: str | None = Field(default=None, max_length=200, description="defaults to (and must be) the caller's")


class ConfirmRequest(BaseModel):
    pin: str | None = Field(default=None, max_length=16)


class RefundRequest(BaseModel):
    amount: str | None = Field(default=None, max_length=20, description="part of the payment; all of it if absent")


# The wallet owner of the caller: a device ("device:NAME") or an API key ("key:NAME").
payer = caller


def _key(value: str | None) -> str:
    if value is None or not value.strip():
        raise ApiError(400, "send an Idempotency-Key header (a unique string per payment, reused on retries)",
                       code="idempotency-key-missing")  # fmt: skip
    return value.strip()


def _declined(exc: PaymentDeclined) -> JSONResponse:
    """402 in the API's error shape, with the declined payment (it exists: a retry gets the same answer)."""
    error = {"message": exc.message, "type": "invalid_request_error", "param": None, "code": exc.code}
    return JSONResponse({"error": error, "payment": exc.payment.as_dict()}, status_code=402)


def _paid(payment: Payment, *, replayed: bool) -> JSONResponse:
    headers = {"idempotent-replayed": "true"} if replayed else {}
    return JSONResponse(payment.as_dict(), status_code=200 if replayed else 201, headers=headers)


@router.post("/v1/payments/qr/parse")
async def parse_qr(req: ParseRequest, _key: DeviceRecord = Depends(api_key)) -> Any:
    return parse(req.payload).as_dict()  # a bad payload: 400 with its qr-* code (a GlassmateError)


@router.post("/v1/payments", status_code=201)
async def create_payment(
    req: PayRequest,
    request: Request,
    owner: str = Depends(payer),
    idempotency_key: str | None = Header(default=None),
) -> Any:
    services = request.app.state.services
    key = _key(idempotency_key)
    if req.wallet is not None and req.wallet != owner:
        raise ApiError(403, "a caller can pay only from its own wallet", code="wallet-not-yours")
    qr = parse(req.qr)
    amount = None if req.amount is None else parse_amount(req.amount, qr.minor_units)
    pay_request = payment_request(qr, req.qr, owner=owner, key=key, amount_minor=amount)
    ledger = services.payments
    earlier = await asyncio.to_thread(ledger.find, owner, key)
    if not req.confirm:
        payment = await asyncio.to_thread(ledger.create, pay_request, ttl_s=services.settings.payments.confirm_ttl_s)
        return _paid(payment, replayed=payment.replayed)
    # The PIN is asked unless this is a retry of a payment already made (a retry only reads its answer).
    if earlier is None or earlier.state == "created":
        await _check_pin(services, owner, req.pin)
    try:
        payment = await asyncio.to_thread(ledger.pay, pay_request)
    except PaymentDeclined as exc:
        if not exc.payment.replayed:
            log.info("payment %s declined (%s) for %s", exc.payment.id, exc.code, owner)
        return _declined(exc)
    # Whether this call paid is the ledger's word, taken under its lock: of 20 concurrent requests with one key,
    # one answers 201 and logs the payment, the others answer 200 with Idempotent-Replayed.
    if not payment.replayed:
        log.info("payment %s %s %s to %s by %s", payment.id, payment.state, payment.amount_text(),
                 payment.merchant.key, owner)  # fmt: skip
    return _paid(payment, replayed=payment.replayed)


async def _check_pin(services: Any, owner: str, pin: str | None) -> None:
    """The wallet's PIN, when the settings ask for one or the wallet has one."""
    pins = services.pins
    if await asyncio.to_thread(pins.required, owner, services.settings.payments.confirm_with):
        await asyncio.to_thread(pins.verify, owner, pin)


@router.post("/v1/payments/{payment_id}/confirm")
async def confirm_payment(
    payment_id: str, request: Request, req: ConfirmRequest | None = None, owner: str = Depends(payer)
) -> Any:
    """Pay a payment created with confirm: false, before it expires."""
    services = request.app.state.services
    current = await asyncio.to_thread(services.payments.get, payment_id, owner=owner)
    if current.state == "created":
        await _check_pin(services, owner, None if req is None else req.pin)
    try:
        payment = await asyncio.to_thread(services.payments.confirm, payment_id, owner=owner)
    except PaymentDeclined as exc:
        return _declined(exc)
    log.info("payment %s %s by %s", payment.id, payment.state, owner)
    return payment.as_dict()


@router.post("/v1/payments/{payment_id}/cancel")
async def cancel_payment(payment_id: str, request: Request, owner: str = Depends(payer)) -> Any:
    """Cancel a payment that was not confirmed yet."""
    payment = await asyncio.to_thread(request.app.state.services.payments.cancel, payment_id, owner=owner)
    return payment.as_dict()


@router.get("/v1/payments/{payment_id}")
async def get_payment(payment_id: str, request: Request, owner: str = Depends(payer)) -> Any:
    payment = await asyncio.to_thread(request.app.state.services.payments.get, payment_id, owner=owner)
    return payment.as_dict()


@router.post("/v1/payments/{payment_id}/refund")
async def refund_payment(
    payment_id: str,
    request: Request,
    req: RefundRequest | None = None,
    owner: str = Depends(payer),
    idempotency_key: str | None = Header(default=None),
) -> Any:
    ledger = request.app.state.services.payments
    key = _key(idempotency_key)
    payment = await asyncio.to_thread(ledger.get, payment_id, owner=owner)
    amount = None if req is None or req.amount is None else parse_amount(req.amount, MINOR_UNITS[payment.currency])
    refunded = await asyncio.to_thread(ledger.refund, payment_id, owner=owner, amount_minor=amount, idempotency_key=key)
    log.info("payment %s refunded to %d of %d minor units by %s", payment_id, refunded.refunded_minor,
             refunded.amount_minor, owner)  # fmt: skip
    return refunded.as_dict()


@router.get("/v1/ledger/balance")
async def balance(request: Request, owner: str = Depends(payer)) -> Any:
    balances = await asyncio.to_thread(request.app.state.services.payments.balances, owner)
    return {
        "object": "balance",
        "wallet": owner,
        "balances": [
            {"currency": c, "amount_minor": v, "minor_units": MINOR_UNITS.get(c, 2)}
            for c, v in sorted(balances.items())
        ],
    }
