"""Money, once: the currencies glassmate knows (ISO 4217 numeric and alpha codes, minor units), converting an amount
into another currency by configured rates, and how a voice says currency names in Chinese, English and German.
Payments, the product catalog and the skills all use these tables (there were three of them)."""

from __future__ import annotations

from collections.abc import Mapping

# ISO 4217 numeric → (alpha code, minor units), for the currencies QR payment schemes and catalogs use.
CURRENCIES = {
    "036": ("AUD", 2), "124": ("CAD", 2), "156": ("CNY", 2), "344": ("HKD", 2), "356": ("INR", 2),
    "360": ("IDR", 2), "392": ("JPY", 0), "410": ("KRW", 0), "458": ("MYR", 2), "484": ("MXN", 2),
    "608": ("PHP", 2), "702": ("SGD", 2), "704": ("VND", 0), "756": ("CHF", 2), "764": ("THB", 2),
    "826": ("GBP", 2), "840": ("USD", 2), "901": ("TWD", 2), "978": ("EUR", 2), "986": ("BRL", 2),
    "116": ("KHR", 2), "418": ("LAK", 2), "104": ("MMK", 2), "144": ("LKR", 2), "586": ("PKR", 2),
    "050": ("BDT", 2), "524": ("NPR", 2), "784": ("AED", 2), "682": ("SAR", 2), "554": ("NZD", 2),
    "404": ("KES", 2), "710": ("ZAR", 2),
}  # fmt: skip
MINOR_UNITS = {code: units for code, units in CURRENCIES.values()}
# How a voice names a currency: "4 euros 50", "4欧元50", "4 Euro 50".
SPOKEN_CURRENCY = {
    "en": {"EUR": "euros", "USD": "dollars", "GBP": "pounds", "CNY": "yuan", "JPY": "yen", "CHF": "francs"},
    "zh": {"EUR": "欧元", "USD": "美元", "GBP": "英镑", "CNY": "元", "JPY": "日元", "CHF": "瑞士法郎"},
    "de": {"EUR": "Euro", "USD": "Dollar", "GBP": "Pfund", "CNY": "Yuan", "JPY": "Yen", "CHF": "Franken"},
}


def converted(amount_minor: int, currency: str, rates: Mapping[str, float]) -> float | None:
    """An amount in minor units of `currency`, in major units of the currency `rates` are quoted in (None when
    there is no rate for it: rates are configured, never fetched)."""
    rate = rates.get(currency)
    if rate is None or currency not in MINOR_UNITS:
        return None
    return amount_minor / 10 ** MINOR_UNITS[currency] * rate


def currency_name(currency: str, language: str = "en") -> str:
    """The spoken name of a currency in `language`, or its code."""
    return SPOKEN_CURRENCY.get(language, SPOKEN_CURRENCY["en"]).get(currency, currency)
