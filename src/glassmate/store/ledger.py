"""The payment ledger's tables: double-entry accounts and entries, payments and refunds (each with the caller's
idempotency key), the hash-chained audit log and its head, and wallet PINs.

Amounts are BIGINT minor units. `ledger_accounts.balance` is a cache of the sum of the account's entries, kept in
the same transaction as the entries; `glassmate ledger verify` checks that it is.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from glassmate.store.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class LedgerAccount(Base):
    """wallet (a device's or an API key's money), merchant, holds (authorised, not yet settled), funding (money
    coming in from outside: its balance is minus everything ever put into wallets)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("kind", "owner", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerPayment(Base):
    __tablename__ = "ledger_payments"
    __table_args__ = (
        UniqueConstraint("owner", "idempotency_key"),
        Index("ix_ledger_payments_wallet_day", "wallet_id", "created_at"),
        Index("ix_ledger_payments_state", "state"),  # the open confirmations, found every few seconds
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request: Mapped[str] = mapped_column(Text)  # the request's fingerprint (JSON) for idempotency-key reuse
    wallet_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    merchant_key: Mapped[str] = mapped_column(String(200))
    merchant_name: Mapped[str] = mapped_column(String(100))
    merchant_city: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(16))
    decline_code: Mapped[str | None] = mapped_column(String(40), default=None)
    reference: Mapped[str | None] = mapped_column(String(100), default=None)
    payload_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class LedgerRefund(Base):
    __tablename__ = "ledger_refunds"
    __table_args__ = (UniqueConstraint("owner", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("ledger_payments.id"), index=True)
    owner: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerEntry(Base):
    """One leg of a transfer; the legs of a transfer sum to zero."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer: Mapped[str] = mapped_column(String(80), index=True)  # "settle:pay_…", "refund:rf_…", "fund:…"
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditRecord(Base):
    """Append-only: hash = sha256(prev_hash + record); `record` is canonical JSON and never rewritten."""

    __tablename__ = "ledger_audit"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    record: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LedgerHead(Base):
    """One row: the last audit record's seq and hash. Every ledger transaction locks it first, which orders
    all ledger writes (the hash chain needs a total order) on SQLite and PostgreSQL alike."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class WalletPin(Base):
    __tablename__ = "wallet_pins"

    owner: Mapped[str] = mapped_column(String(200), primary_key=True)
    pin_hash: Mapped[str] = mapped_column(String(200))  # scrypt$n$r$p$salt$hash
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
