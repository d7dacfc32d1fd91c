"""The local double-entry ledger: the default payment provider.

Money moves only as transfers whose entries sum to zero: funding → wallet (money put in), wallet → holds
(authorised), holds → merchant (settled), merchant → wallet (refund). Every transaction first locks the single
`ledger_head` row (and, on SQLite, opens with BEGIN IMMEDIATE), so ledger writes happen one after another: a
balance read is never stale, an idempotency key is never used twice, and the audit log has one order. Each state
change appends an audit record chained by sha256 to the one before; `verify()` recomputes the chain and
cross-checks balances, entries and payments against it.

Durability: SQLite in WAL mode with synchronous=FULL (a commit is on disk before it is acknowledged);
PostgreSQL with its defaults (fsync, synchronous_commit=on).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from glassmate.config import PaymentSettings
from glassmate.money import MINOR_UNITS, converted
from glassmate.payments.provider import (
    Merchant,
    Payment,
    PaymentConflict,
    PaymentDeclined,
    PaymentError,
    PaymentNotFound,
    PaymentRequest,
    Refund,
)
from glassmate.scheduler import Fired, add_job
from glassmate.store.db import locking_engine
from glassmate.store.ledger import (
    AuditRecord,
    LedgerAccount,
    LedgerEntry,
    LedgerHead,
    LedgerPayment,
    LedgerRefund,
    utcnow,
)

log = logging.getLogger("glassmate.payments")

EXPIRY_JOB = "payment-expiry"  # the scheduler job that expires an unconfirmed payment (key: its id)
GENESIS = hashlib.sha256(b"glassmate ledger genesis").hexdigest()
FUNDING = "external"  # the owner of the funding accounts


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@dataclass
class Problems:
    """What `verify` found; empty when the ledger is intact."""

    items: list[str] = field(default_factory=list)
    audit_records: int = 0
    head_hash: str = GENESIS
    payments: int = 0

    def __bool__(self) -> bool:
        return bool(self.items)


class Ledger:
    """The local payment provider (see PaymentProvider) over one database URL."""

    def __init__(self, *, url: str, settings: PaymentSettings, rates: dict[str, float], currency: str) -> None:
        self.url = url
        self.settings = settings
        self.rates = rates
        self.limit_currency = currency
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    # -- plumbing -------------------------------------------------------------------------------------------

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            self._engine = locking_engine(self.url)
            self._sessions = sessionmaker(self._engine, expire_on_commit=False)
            with self._sessions() as s:
                if s.get(LedgerHead, 1) is None:
                    s.add(LedgerHead(id=1, seq=0, hash=GENESIS))
                    try:
                        s.commit()
                    except IntegrityError:  # another process created it first
                        s.rollback()
        return self._sessions

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[_Tx]:
        with self.sessions() as s, s.begin():
            head = s.execute(select(LedgerHead).where(LedgerHead.id == 1).with_for_update()).scalar_one()
            yield _Tx(s, head)

    def audit_event(self, action: str, *, actor: str, data: dict[str, Any] | None = None) -> None:
        """Append an event that is not a payment's (a wrong PIN) to the hash-chained audit log."""
        with self._tx() as tx:
            tx.audit(action, actor=actor, data=data)

    # -- the provider interface -----------------------------------------------------------------------------

    def create(self, request: PaymentRequest, *, ttl_s: float) -> Payment:
        self._check_request(request)
        with self._tx() as tx:
            existing = tx.by_key(request)
            if existing is not None:
                return replace(self._view(tx.s, existing), replayed=True)
            row = tx.new_payment(request, expires_at=utcnow() + timedelta(seconds=ttl_s))
            assert row.expires_at is not None
            # Its expiry is a job of the scheduler, in this same transaction: it exists exactly when the payment does.
            add_job(tx.s, EXPIRY_JOB, row.id, row.expires_at, owner=row.owner)
            return self._view(tx.s, row)

    def confirm(self, payment_id: str, *, owner: str) -> Payment:
        with self._tx() as tx:
            row = tx.owned(payment_id, owner)
            was = row.state
            if was == "created":
                if row.expires_at is not None and _aware(row.expires_at) <= utcnow():
                    tx.change(row, "expired", actor=owner)
                else:
                    self._authorise_and_settle(tx, row, actor=owner)
            view = self._view(tx.s, row)
        # Raised after the commit: an expiry or a decline is recorded, not rolled back.
        if view.state == "settled":
            return view  # now, or already (a retried confirmation)
        if was == "created" and view.state == "declined":
            raise _declined(view)
        raise PaymentConflict(f"the payment is {view.state}", code=f"payment-{view.state}")

    def pay(self, request: PaymentRequest) -> Payment:
        self._check_request(request)
        with self._tx() as tx:
            row = tx.by_key(request)
            replayed = row is not None and row.state != "created"
            if row is None:
                row = tx.new_payment(request, expires_at=None)
                self._authorise_and_settle(tx, row, actor=request.owner)
            elif row.state == "created":  # created for confirmation, then paid through this call
                self._authorise_and_settle(tx, row, actor=request.owner)
            view = replace(self._view(tx.s, row), replayed=replayed)
        if view.state == "declined":  # now or the first time: a retry gets the same answer
            raise _declined(view)
        return view

    def cancel(self, payment_id: str, *, owner: str, expired: bool = False) -> Payment:
        with self._tx() as tx:
            row = tx.owned(payment_id, owner)
            if row.state == "created":
                tx.change(row, "expired" if expired else "cancelled", actor=owner)
            elif row.state in ("settled", "refunded"):
                raise PaymentConflict("the payment is settled; refund it instead", code=f"payment-{row.state}")
            return self._view(tx.s, row)

    def refund(self, payment_id: str, *, owner: str, amount_minor: int | None, idempotency_key: str) -> Payment:
        _check_key(idempotency_key)
        if amount_minor is not None and amount_minor <= 0:
            raise PaymentError("a refund amount must be positive", code="amount-invalid")
        with self._tx() as tx:
            row = tx.owned(payment_id, owner)
            done = tx.s.scalar(
                select(LedgerRefund).where(LedgerRefund.owner == owner, LedgerRefund.idempotency_key == idempotency_key)
            )
            if done is not None:
                if done.payment_id != payment_id or (amount_minor is not None and amount_minor != done.amount):
                    raise PaymentConflict(
                        "this idempotency key was used for another refund", code="idempotency-key-reused"
                    )
                return self._view(tx.s, row)
            if row.state not in ("settled",):
                raise PaymentConflict(f"only a settled payment can be refunded; it is {row.state}",
                                      code=f"payment-{row.state}")  # fmt: skip
            left = row.amount - row.refunded
            amount = left if amount_minor is None else amount_minor
            if amount > left:
                raise PaymentConflict(f"at most {left} minor units are left to refund", code="refund-too-large")
            refund = LedgerRefund(id=_new_id("rf"), payment_id=row.id, owner=owner, idempotency_key=idempotency_key,
                                  amount=amount)  # fmt: skip
            tx.s.add(refund)
            merchant, wallet = tx.s.get_one(LedgerAccount, row.merchant_id), tx.s.get_one(LedgerAccount, row.wallet_id)
            tx.transfer(f"refund:{refund.id}", [(merchant, -amount), (wallet, amount)])
            row.refunded += amount
            tx.change(row, "refunded" if row.refunded == row.amount else "settled", actor=owner,
                      action="refunded", extra={"refund": refund.id, "refund_amount": amount})  # fmt: skip
            return self._view(tx.s, row)

    def get(self, payment_id: str, *, owner: str) -> Payment:
        with self.sessions() as s:
            row = s.get(LedgerPayment, payment_id)
            if row is None or row.owner != owner:
                raise PaymentNotFound(f"no payment {payment_id!r} for this caller")
            return self._view(s, row)

    def find(self, owner: str, idempotency_key: str) -> Payment | None:
        """The caller's payment made with this idempotency key, if any."""
        with self.sessions() as s:
            row = s.scalar(
                select(LedgerPayment).where(
                    LedgerPayment.owner == owner, LedgerPayment.idempotency_key == idempotency_key
                )
            )
            return None if row is None else self._view(s, row)

    def balances(self, owner: str) -> dict[str, int]:
        with self.sessions() as s:
            rows = s.scalars(select(LedgerAccount).where(LedgerAccount.kind == "wallet", LedgerAccount.owner == owner))
            return {a.currency: a.balance for a in rows}

    # -- operations outside the flow --------------------------------------------------------------------------

    def fund(self, owner: str, amount_minor: int, currency: str, *, actor: str = "cli") -> dict[str, int]:
        """Put money into a wallet from outside (a top-up); returns the wallet's balances."""
        if amount_minor <= 0:
            raise PaymentError("a top-up must be positive", code="amount-invalid")
        if currency not in MINOR_UNITS:
            raise PaymentError(f"{currency} is not a supported currency", code="currency-unsupported")
        with self._tx() as tx:
            wallet = tx.account("wallet", owner, currency)
            source = tx.account("funding", FUNDING, currency)
            transfer = f"fund:{_new_id('fd')}"
            tx.transfer(transfer, [(source, -amount_minor), (wallet, amount_minor)])
            tx.audit("funded", actor=actor, data={"transfer": transfer, "wallet": owner, "amount": amount_minor,
                                                  "currency": currency})  # fmt: skip
        return self.balances(owner)

    def expire_due(self) -> int:
        """Mark every created payment past its confirmation time as expired; returns how many. (Each payment's
        expiry is a scheduler job; this sweep, run at start-up, covers those made before the scheduler was.)"""
        now = utcnow()
        with self.sessions() as s:  # a read first: most rounds find nothing and take no lock
            open_ = s.execute(
                select(LedgerPayment.id, LedgerPayment.expires_at).where(LedgerPayment.state == "created")
            )
            due = [pid for pid, expires in open_ if expires is not None and _aware(expires) <= now]
        if not due:
            return 0
        with self._tx() as tx:
            n = 0
            for pid in due:
                row = tx.s.get_one(LedgerPayment, pid)
                if row.state == "created":  # not confirmed in the meantime
                    tx.change(row, "expired", actor="system")
                    n += 1
            return n

    def expire_job(self, s: Session, job: Fired) -> None:
        """The scheduler's handler for EXPIRY_JOB, in its transaction: the payment expires if nobody confirmed it."""
        head = s.execute(select(LedgerHead).where(LedgerHead.id == 1).with_for_update()).scalar_one()
        tx = _Tx(s, head)
        row = s.get(LedgerPayment, job.key)
        if row is not None and row.state == "created":
            tx.change(row, "expired", actor="system")
            log.info("payment %s expired unconfirmed", row.id)

    def totals(self) -> dict[str, int]:
        """The sum of all account balances per currency (zero in a sound double-entry ledger)."""
        with self.sessions() as s:
            rows = s.execute(
                select(LedgerAccount.currency, func.sum(LedgerAccount.balance)).group_by(LedgerAccount.currency)
            )
            return {currency: int(total) for currency, total in rows}

    def verify(self) -> Problems:
        """Recompute the audit chain and check balances, transfers and payments against it."""
        from glassmate.payments.audit import verify_ledger

        with self.sessions() as s:
            return verify_ledger(s)

    # -- inside a transaction ---------------------------------------------------------------------------------

    def _check_request(self, request: PaymentRequest) -> None:
        _check_key(request.idempotency_key)
        if request.currency not in MINOR_UNITS:
            raise PaymentError(f"{request.currency} is not a supported currency", code="currency-unsupported")
        if request.amount_minor <= 0:
            raise PaymentError("the amount must be positive", code="amount-invalid")

    def _in_limit_currency(self, amount_minor: int, currency: str) -> float | None:
        return converted(amount_minor, currency, self.rates)

    def _authorise_and_settle(self, tx: _Tx, row: LedgerPayment, *, actor: str) -> None:
        """Hold the money (authorised), then pay the merchant (settled); or record why it is declined."""
        code = self._decline_reason(tx, row)
        if code is not None:
            row.decline_code = code
            tx.change(row, "declined", actor=actor, extra={"decline_code": code})
            return
        wallet = tx.s.get_one(LedgerAccount, row.wallet_id)
        holds = tx.account("holds", "authorisations", row.currency)
        merchant = tx.s.get_one(LedgerAccount, row.merchant_id)
        tx.transfer(f"authorise:{row.id}", [(wallet, -row.amount), (holds, row.amount)])
        tx.change(row, "authorised", actor=actor)
        tx.transfer(f"settle:{row.id}", [(holds, -row.amount), (merchant, row.amount)])
        tx.change(row, "settled", actor=actor)

    def _decline_reason(self, tx: _Tx, row: LedgerPayment) -> str | None:
        value = self._in_limit_currency(row.amount, row.currency)
        if value is None:
            return "currency-unsupported"
        if value > self.settings.max_payment:
            return "over-limit"
        midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        spent = tx.s.scalar(
            select(func.coalesce(func.sum(LedgerPayment.amount), 0)).where(
                LedgerPayment.wallet_id == row.wallet_id,
                LedgerPayment.created_at >= midnight,
                LedgerPayment.state.in_(("authorised", "settled", "refunded")),
                LedgerPayment.id != row.id,
            )
        )
        today = self._in_limit_currency(int(spent or 0) + row.amount, row.currency) or 0.0
        if today > self.settings.max_per_day:
            return "daily-limit"
        if tx.s.get_one(LedgerAccount, row.wallet_id).balance < row.amount:
            return "insufficient-funds"
        return None

    def _view(self, s: Session, row: LedgerPayment) -> Payment:
        refunds = s.scalars(
            select(LedgerRefund).where(LedgerRefund.payment_id == row.id).order_by(LedgerRefund.created_at)
        )
        return Payment(
            id=row.id,
            state=row.state,  # type: ignore[arg-type]
            owner=row.owner,
            merchant=Merchant(key=row.merchant_key, name=row.merchant_name, city=row.merchant_city),
            amount_minor=row.amount,
            currency=row.currency,
            minor_units=MINOR_UNITS.get(row.currency, 2),
            created_at=_aware(row.created_at),
            updated_at=_aware(row.updated_at),
            expires_at=None if row.expires_at is None else _aware(row.expires_at),
            decline_code=row.decline_code,
            reference=row.reference,
            refunded_minor=row.refunded,
            refunds=tuple(Refund(r.id, r.amount, _aware(r.created_at)) for r in refunds),
        )


class _Tx:
    """One ledger transaction, holding the head lock."""

    def __init__(self, s: Session, head: LedgerHead) -> None:
        self.s = s
        self.head = head

    def account(self, kind: str, owner: str, currency: str) -> LedgerAccount:
        found = self.s.scalar(
            select(LedgerAccount).where(
                LedgerAccount.kind == kind, LedgerAccount.owner == owner, LedgerAccount.currency == currency
            )
        )
        if found is None:
            found = LedgerAccount(kind=kind, owner=owner, currency=currency, balance=0)
            self.s.add(found)
            self.s.flush()
        return found

    def owned(self, payment_id: str, owner: str) -> LedgerPayment:
        row = self.s.get(LedgerPayment, payment_id)
        if row is None or row.owner != owner:  # someone else's payment does not exist for this caller
            raise PaymentNotFound(f"no payment {payment_id!r} for this caller")
        return row

    def by_key(self, request: PaymentRequest) -> LedgerPayment | None:
        row = self.s.scalar(
            select(LedgerPayment).where(
                LedgerPayment.owner == request.owner, LedgerPayment.idempotency_key == request.idempotency_key
            )
        )
        if row is not None and json.loads(row.request) != request.fingerprint():
            raise PaymentConflict(
                "this idempotency key was used for a different payment", code="idempotency-key-reused"
            )
        return row

    def new_payment(self, request: PaymentRequest, *, expires_at: datetime | None) -> LedgerPayment:
        wallet = self.account("wallet", request.owner, request.currency)
        merchant = self.account("merchant", request.merchant.key, request.currency)
        row = LedgerPayment(
            id=_new_id("pay"), owner=request.owner, idempotency_key=request.idempotency_key,
            request=json.dumps(request.fingerprint(), sort_keys=True), wallet_id=wallet.id, merchant_id=merchant.id,
            merchant_key=request.merchant.key, merchant_name=request.merchant.name[:100],
            merchant_city=request.merchant.city[:100], amount=request.amount_minor, currency=request.currency,
            state="created", reference=request.reference, payload_sha256=request.payload_sha256,
            expires_at=expires_at, refunded=0,
        )  # fmt: skip
        self.s.add(row)
        self.s.flush()
        self.audit("created", actor=request.owner, payment=row)
        return row

    def change(self, row: LedgerPayment, state: str, *, actor: str, action: str | None = None,
               extra: dict[str, Any] | None = None) -> None:  # fmt: skip
        row.state = state
        row.updated_at = utcnow()
        self.audit(action or state, actor=actor, payment=row, data=extra)

    def transfer(self, name: str, legs: list[tuple[LedgerAccount, int]]) -> None:
        if sum(amount for _, amount in legs) != 0:
            raise AssertionError(f"transfer {name} does not balance")  # a bug, never user input
        for account, amount in legs:
            account.balance += amount
            self.s.add(LedgerEntry(transfer=name, account_id=account.id, amount=amount))

    def audit(self, action: str, *, actor: str, payment: LedgerPayment | None = None,
              data: dict[str, Any] | None = None) -> None:  # fmt: skip
        from glassmate.payments.audit import chain

        body: dict[str, Any] = dict(data or {})
        if payment is not None:
            body.update(payment=payment.id, state=payment.state, amount=payment.amount, currency=payment.currency,
                        refunded=payment.refunded, merchant=payment.merchant_key)  # fmt: skip
        seq = self.head.seq + 1
        record, digest = chain(self.head.hash, seq=seq, action=action, actor=actor, body=body)
        self.s.add(AuditRecord(seq=seq, record=record, prev_hash=self.head.hash, hash=digest))
        self.head.seq, self.head.hash = seq, digest


def _check_key(key: str) -> None:
    if not key or len(key) > 200 or not key.isprintable():
        raise PaymentError(
            "an idempotency key of 1-200 printable characters is required", code="idempotency-key-invalid"
        )


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def _declined(payment: Payment) -> PaymentDeclined:
    code = payment.decline_code or "declined"
    return PaymentDeclined(_decline_message(code), code=code, payment=payment)


def _decline_message(code: str) -> str:
    return {
        "insufficient-funds": "declined: not enough money in the wallet",
        "over-limit": "declined: the amount is over the per-payment limit",
        "daily-limit": "declined: this would pass today's spending limit",
        "currency-unsupported": "declined: payments in this currency are not enabled",
    }.get(code, "declined")
