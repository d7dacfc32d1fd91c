"""The product catalog's tables: products, merchants, and offers (each row one observed price; the newest per
product and merchant is the current offer, the older ones are its price history)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from glassmate.store.db import Base


class Product(Base):
    __tablename__ = "products"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)  # GTIN-14, zero-padded
    brand: Mapped[str] = mapped_column(String(120), index=True)
    name_en: Mapped[str] = mapped_column(String(300), index=True)
    name_zh: Mapped[str] = mapped_column(String(300), default="")
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)  # other names, any language
    quantity: Mapped[float | None] = mapped_column(Float, default=None)  # in `unit`
    unit: Mapped[str] = mapped_column(String(8), default="piece")  # g, ml or piece
    category: Mapped[str] = mapped_column(String(80), default="", index=True)
    images: Mapped[list[str]] = mapped_column(JSON, default=list)  # reference images (paths under the data dir)
    demo: Mapped[bool] = mapped_column(default=False)  # generated demo data, not real products

    def names(self) -> list[str]:
        return [n for n in (self.name_en, self.name_zh, *self.aliases) if n]

    def as_dict(self) -> dict[str, Any]:
        return {
            "gtin": self.gtin,
            "brand": self.brand,
            "name": self.name_en,
            "name_zh": self.name_zh,
            "aliases": list(self.aliases),
            "quantity": self.quantity,
            "unit": self.unit,
            "category": self.category,
            "demo": self.demo,
        }


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="store")  # store or online
    city: Mapped[str] = mapped_column(String(80), default="")


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_product_merchant_time", "gtin", "merchant_id", "observed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gtin: Mapped[str] = mapped_column(ForeignKey("products.gtin", ondelete="CASCADE"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"))
    price_minor: Mapped[int] = mapped_column(Integer)  # in the currency's minor unit (cents, fen)
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217
    stock: Mapped[int | None] = mapped_column(Integer, default=None)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
