"""The catalog service: import products, merchants and offers; look products up; compare their offers.

Import format (CSV or JSON; docs/catalog.md): a JSON file holds {"products": [...], "merchants": [...],
"offers": [...]}; a CSV file holds one kind, told by its header (`gtin,brand,name_en,...` for products,
`gtin,merchant,price,currency,...` for offers). Each row is validated on its own: the good rows land in one
transaction, the bad ones are reported with their row number and reason, and nothing is half-written.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import String, case, cast, func, or_, select

from glassmate.config import ProductSettings
from glassmate.errors import BadInputError, NotFoundError
from glassmate.money import MINOR_UNITS, converted
from glassmate.products.appearance import AppearanceIndex
from glassmate.products.gtin import InvalidGTINError, normalise
from glassmate.store.catalog import Merchant, Offer, Product
from glassmate.store.db import Database

# ISO 4217 minor units of the currencies glassmate knows (the rest are refused, not guessed).
UNITS = {"g": ("g", 1.0), "kg": ("g", 1000.0), "ml": ("ml", 1.0), "l": ("ml", 1000.0), "piece": ("piece", 1.0)}


def _gtin(value: str) -> str:
    try:
        return normalise(value)
    except InvalidGTINError as exc:  # as a ValueError, so that pydantic reports it with the row's other faults
        raise ValueError(exc.message) from None


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProductRow(_Row):
    gtin: str
    brand: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=300)
    name_zh: str = ""
    aliases: list[str] = []
    quantity: float | None = Field(default=None, gt=0)
    unit: str = "piece"
    category: str = ""
    images: list[str] = []
    demo: bool = False

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str) -> str:
        return _gtin(value)

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        if value.lower() not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}")
        return value.lower()

    @field_validator("aliases", "images", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return [v for v in value.split("|") if v.strip()] if isinstance(value, str) else value


class MerchantRow(_Row):
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["store", "online"] = "store"
    city: str = ""


class OfferRow(_Row):
    gtin: str
    merchant: str = Field(min_length=1, max_length=120)
    price: str  # a decimal in major units ("2.49"), stored as integer minor units
    currency: str
    stock: int | None = Field(default=None, ge=0)
    observed_at: datetime | None = None

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str) -> str:
        return _gtin(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value.upper() not in MINOR_UNITS:
            raise ValueError(f"unknown currency {value!r}; known: {', '.join(sorted(MINOR_UNITS))}")
        return value.upper()

    def minor(self) -> int:
        try:
            amount = Decimal(str(self.price))
        except InvalidOperation:
            raise ValueError(f"price {self.price!r} is not a number") from None
        if amount <= 0:
            raise ValueError("price must be positive")
        scaled = amount.scaleb(MINOR_UNITS[self.currency])
        if scaled != scaled.to_integral_value():
            raise ValueError(f"price {self.price} has more decimals than {self.currency} allows")
        return int(scaled)


@dataclass
class ImportReport:
    products: int = 0
    merchants: int = 0
    offers: int = 0
    rejected: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, row number, reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "products": self.products,
            "merchants": self.merchants,
            "offers": self.offers,
            "rejected": [{"kind": k, "row": n, "reason": r} for k, n, r in self.rejected],
        }


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def read_file(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The rows of an import file, by kind."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{path.name} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BadInputError(f"{path.name}: expected an object with products, merchants and offers")
        return {k: list(data.get(k) or []) for k in ("products", "merchants", "offers")}
    rows = list(csv.DictReader(io.StringIO(text)))
    header = set(rows[0]) if rows else set()
    if {"gtin", "merchant", "price", "currency"} <= header:
        kind = "offers"
    elif {"gtin", "brand", "name_en"} <= header:
        kind = "products"
    elif header == {"name", "kind", "city"} or header == {"name"}:
        kind = "merchants"
    else:
        raise BadInputError(f"{path.name}: the CSV header {sorted(header)} is not one of products, merchants, offers")
    clean = [{k: v for k, v in row.items() if v not in ("", None)} for row in rows]
    return {"products": [], "merchants": [], "offers": [], kind: clean}


@dataclass(frozen=True)
class PricedOffer:
    merchant: str
    merchant_kind: str
    price_minor: int
    currency: str
    price: float  # in the compared currency, major units
    unit_price: float | None  # per 100 g / 100 ml / piece, in the compared currency
    unit_basis: str  # "100 g", "100 ml" or "piece"
    stock: int | None
    observed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "merchant": self.merchant,
            "merchant_kind": self.merchant_kind,
            "price_minor": self.price_minor,
            "currency": self.currency,
            "price": round(self.price, 2),
            "unit_price": None if self.unit_price is None else round(self.unit_price, 2),
            "unit_basis": self.unit_basis,
            "stock": self.stock,
            "observed_at": self.observed_at.isoformat(),
        }


class Catalog:
    """Products, merchants and offers in the database."""

    def __init__(self, db: Database, settings: ProductSettings | None = None) -> None:
        self.db = db
        self.settings = settings or ProductSettings()
        self._appearance: AppearanceIndex | None = None
        self._appearance_lock = threading.Lock()
        self._frequencies: dict[str, int] = {}  # term -> products that use it (textmatch); cleared on import
        self._size: int | None = None

    def appearance(self) -> AppearanceIndex:
        """The reference images' features, built on first use (seconds for the demo catalog) and after imports."""
        with self._appearance_lock:
            if self._appearance is None:
                index = AppearanceIndex()
                with self.db.session() as session:
                    rows = session.execute(
                        select(Product.gtin, Product.images).where(cast(Product.images, String) != "[]")
                    ).all()
                index.add_files({gtin: list(images or []) for gtin, images in rows})
                self._appearance = index
            return self._appearance

    # -- import ---------------------------------------------------------------------------------------------

    def import_rows(
        self, rows: dict[str, list[dict[str, Any]]], progress: Callable[[int], None] | None = None
    ) -> ImportReport:
        """Validate every row; write the good ones in one transaction; report the bad ones."""
        report = ImportReport()
        valid: dict[str, list[Any]] = {"products": [], "merchants": [], "offers": []}
        models: dict[str, type[_Row]] = {"products": ProductRow, "merchants": MerchantRow, "offers": OfferRow}
        for kind, model in models.items():
            for n, raw in enumerate(rows.get(kind, []), start=1):
                try:
                    valid[kind].append(model.model_validate(raw))
                except (ValidationError, ValueError) as exc:
                    report.rejected.append((kind, n, _reason(exc)))
                if progress:
                    progress(1)
        products: list[ProductRow] = valid["products"]
        merchants: list[MerchantRow] = valid["merchants"]
        offers: list[OfferRow] = valid["offers"]
        self._appearance = None  # reference images may change
        self._forget_frequencies()
        with self.db.session() as session, session.begin():
            for p in products:
                session.merge(Product(**p.model_dump()))
            report.products = len(products)
            if self._fts() and products:
                session.flush()
                self._index_names(session.connection(), [p.gtin for p in products])
            known = {m.name: m for m in session.scalars(select(Merchant))}
            for m in merchants:
                if m.name in known:
                    known[m.name].kind, known[m.name].city = m.kind, m.city
                else:
                    known[m.name] = Merchant(name=m.name, kind=m.kind, city=m.city)
                    session.add(known[m.name])
            report.merchants = len(merchants)
            session.flush()
            gtins = {o.gtin for o in offers}
            existing = set(session.scalars(select(Product.gtin).where(Product.gtin.in_(gtins)))) if gtins else set()
            for n, o in enumerate(offers, start=1):
                try:
                    if o.gtin not in existing:
                        raise ValueError(f"no product with GTIN {o.gtin}")
                    minor = o.minor()
                except ValueError as exc:
                    report.rejected.append(("offers", n, str(exc)))
                    continue
                merchant = known.get(o.merchant)
                if merchant is None:
                    merchant = known[o.merchant] = Merchant(name=o.merchant)
                    session.add(merchant)
                    session.flush()
                session.add(Offer(gtin=o.gtin, merchant_id=merchant.id, price_minor=minor, currency=o.currency,
                                  stock=o.stock, observed_at=o.observed_at or datetime.now(UTC)))  # fmt: skip
                report.offers += 1
        return report

    def import_file(self, path: Path, progress: Callable[[int], None] | None = None) -> ImportReport:
        return self.import_rows(read_file(path), progress)

    # -- look-up --------------------------------------------------------------------------------------------

    def product(self, gtin: str) -> Product:
        key = normalise(gtin)
        with self.db.session() as session:
            found = session.get(Product, key)
        if found is None:
            raise NotFoundError(f"no product with GTIN {key} in the catalog", code="product-not-found")
        return found

    def find(self, gtin: str) -> Product | None:
        with self.db.session() as session:
            return session.get(Product, gtin)

    # -- name search ------------------------------------------------------------------------------------------
    # On SQLite, a full-text index (FTS5) over brand, English name and aliases answers a name search in
    # milliseconds at a million products; Chinese and other databases use the ranked LIKE scan below.

    def _fts(self) -> bool:
        return self.db.url.startswith("sqlite")

    def _ensure_fts(self, connection: Any) -> None:
        connection.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(gtin UNINDEXED, words, tokenize='unicode61')"
        )

    def _index_names(self, connection: Any, gtins: Sequence[str] | None = None) -> None:
        """(Re)write the full-text rows of these products (all when None)."""
        self._ensure_fts(connection)
        select_sql = "SELECT gtin, brand || ' ' || name_en || ' ' || COALESCE(aliases, '') FROM products"
        if gtins is None:
            connection.exec_driver_sql("DELETE FROM products_fts")
            connection.exec_driver_sql(f"INSERT INTO products_fts (gtin, words) {select_sql}")
            return
        for start in range(0, len(gtins), 500):
            chunk = list(gtins[start : start + 500])
            marks = ",".join("?" * len(chunk))
            connection.exec_driver_sql(f"DELETE FROM products_fts WHERE gtin IN ({marks})", tuple(chunk))
            connection.exec_driver_sql(
                f"INSERT INTO products_fts (gtin, words) {select_sql} WHERE gtin IN ({marks})", tuple(chunk)
            )

    def reindex_names(self) -> None:
        """Rebuild the name index from the products table (after writing products behind the catalog's back)."""
        if self._fts():
            with self.db.engine.begin() as connection:
                self._index_names(connection)
        self._forget_frequencies()

    def search_names(self, words: Sequence[str], limit: int = 100) -> list[Product]:
        """The products whose brand or names contain the most of `words` (the pre-filter for fuzzy matching)."""
        terms = list(dict.fromkeys(w for w in words if len(w) >= 2))[:12]
        if not terms:
            return []
        latin = [t for t in terms if re.fullmatch(r"[A-Za-z0-9&'-]+", t)]
        if self._fts() and latin:
            quoted = ['"' + t.replace('"', "") + '"' for t in latin]
            # Products with all of the (at most three) longest words first: a short list to rank even at a
            # million products; then any of the words, for labels with noise or missing words.
            longest = sorted(quoted, key=len, reverse=True)[:3]
            queries = [" AND ".join(longest), " OR ".join(quoted)] if len(quoted) > 1 else [quoted[0]]
            gtins: list[str] = []
            with self.db.engine.connect() as connection:
                self._ensure_fts(connection)
                for query in queries:
                    for (gtin,) in connection.exec_driver_sql(
                        "SELECT gtin FROM products_fts WHERE products_fts MATCH ? ORDER BY bm25(products_fts) LIMIT ?",
                        (query, limit),
                    ):
                        if gtin not in gtins:
                            gtins.append(gtin)
                    if len(gtins) >= 10:
                        break
            if gtins:
                with self.db.session() as session:
                    found = {p.gtin: p for p in session.scalars(select(Product).where(Product.gtin.in_(gtins)))}
                return [found[g] for g in gtins if g in found]
        hits = []
        for w in terms:
            like = f"%{w}%"
            hit = or_(Product.name_en.ilike(like), Product.brand.ilike(like), Product.name_zh.like(like))
            hits.append(case((hit, 1), else_=0))
        matched = sum(hits[1:], hits[0]).label("matched")
        with self.db.session() as session:
            return list(session.scalars(select(Product).order_by(matched.desc(), Product.gtin).limit(limit)))

    def _forget_frequencies(self) -> None:
        self._frequencies = {}
        self._size = None

    def size(self) -> int:
        """The number of products (cached until the next import)."""
        if self._size is None:
            self._size = self.count()
        return self._size

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """How many products use each of `terms` (products/textmatch.py's terms: Latin words, Chinese character
        pairs, `size:500ml`). Latin words come from the full-text index's vocabulary on SQLite, the others from
        a count; each answer is cached until the next import."""
        terms = list(terms)
        wanted = [t for t in dict.fromkeys(terms) if t not in self._frequencies]
        latin = [t for t in wanted if re.fullmatch(r"[a-z][a-z']*", t)]
        found: dict[str, int] = {}
        if latin and self._fts():
            with self.db.engine.begin() as connection:
                self._ensure_fts(connection)
                connection.exec_driver_sql(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS products_vocab USING fts5vocab(products_fts, 'row')"
                )
                for start in range(0, len(latin), 500):
                    chunk = latin[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = connection.exec_driver_sql(
                        f"SELECT term, doc FROM products_vocab WHERE term IN ({marks})", tuple(chunk)
                    )
                    found.update({term: int(doc) for term, doc in rows})
            found.update({t: found.get(t, 0) for t in latin})
        with self.db.session() as session:
            for term in wanted:
                if term in found:
                    continue
                if term.startswith("size:"):
                    amount, unit = re.fullmatch(r"size:([\d.]+)(ml|g)", term).groups()  # type: ignore[union-attr]
                    where: Any = (Product.quantity == float(amount)) & (Product.unit == unit)
                elif re.fullmatch(r"[a-z][a-z']*", term):
                    like = f"%{term}%"
                    where = or_(Product.brand.ilike(like), Product.name_en.ilike(like),
                                cast(Product.aliases, String).ilike(like))  # fmt: skip
                else:
                    where = or_(Product.name_zh.like(f"%{term}%"), cast(Product.aliases, String).like(f"%{term}%"))
                found[term] = int(session.scalar(select(func.count()).select_from(Product).where(where)) or 0)
        self._frequencies.update(found)
        return {t: self._frequencies.get(t, 0) for t in terms}

    def all_products(self) -> list[Product]:
        with self.db.session() as session:
            return list(session.scalars(select(Product)))

    def count(self) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Product)) or 0)

    # -- offers ---------------------------------------------------------------------------------------------

    def to_home(self, minor: int, currency: str) -> float:
        """An amount in minor units of `currency`, in the compared currency's major units."""
        amount = converted(minor, currency, self.settings.rates)
        if amount is None:
            raise BadInputError(f"no exchange rate configured for {currency}", code="currency-unknown")
        return amount

    def unit_price(self, product: Product, price: float) -> tuple[float | None, str]:
        base, factor = UNITS.get(product.unit, ("piece", 1.0))
        if base == "piece":
            return (price / product.quantity if product.quantity else price), "piece"
        if not product.quantity:
            return None, f"100 {base}"
        return price / (product.quantity * factor) * 100, f"100 {base}"

    def offers(self, gtin: str) -> list[PricedOffer]:
        """The current offer of each merchant for a product, cheapest first."""
        product = self.product(gtin)
        with self.db.session() as session:
            latest = (
                select(Offer.merchant_id, func.max(Offer.observed_at).label("at"))
                .where(Offer.gtin == product.gtin)
                .group_by(Offer.merchant_id)
                .subquery()
            )
            rows = session.execute(
                select(Offer, Merchant)
                .join(latest, (Offer.merchant_id == latest.c.merchant_id) & (Offer.observed_at == latest.c.at))
                .join(Merchant, Merchant.id == Offer.merchant_id)
                .where(Offer.gtin == product.gtin)
            ).all()
        priced = []
        for offer, merchant in rows:
            price = self.to_home(offer.price_minor, offer.currency)
            unit, basis = self.unit_price(product, price)
            priced.append(PricedOffer(merchant.name, merchant.kind, offer.price_minor, offer.currency, price, unit,
                                      basis, offer.stock, offer.observed_at))  # fmt: skip
        return sorted(priced, key=lambda o: (o.price, o.merchant))

    def history(self, gtin: str) -> list[tuple[datetime, float]]:
        """Every observed price (compared currency), oldest first."""
        product = self.product(gtin)
        with self.db.session() as session:
            rows = session.execute(
                select(Offer.observed_at, Offer.price_minor, Offer.currency)
                .where(Offer.gtin == product.gtin)
                .order_by(Offer.observed_at)
            ).all()
        return [(at, self.to_home(minor, cur)) for at, minor, cur in rows]


def trend(history: Iterable[tuple[datetime, float]], *, days: int = 30) -> str | None:
    """ "rising", "falling" or "steady": the mean price of the last `days` against the mean before them."""
    points = sorted(history)
    if len(points) < 2:
        return None
    cutoff = points[-1][0].timestamp() - days * 86_400
    recent = [p for t, p in points if t.timestamp() >= cutoff]
    older = [p for t, p in points if t.timestamp() < cutoff]
    if not older or not recent:
        return None
    before, now = sum(older) / len(older), sum(recent) / len(recent)
    change = (now - before) / before
    return "rising" if change > 0.03 else "falling" if change < -0.03 else "steady"
