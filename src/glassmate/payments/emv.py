"""EMVCo Merchant-Presented Mode QR payloads (EMV QRCPS-MPM, the format behind most national QR payment schemes:
PIX, UPI, PromptPay, DuitNow, SGQR, QRIS, VietQR, ...).

A payload is a sequence of TLV data objects: a 2-digit ID, a 2-digit length, then that many characters. Some
objects are templates holding TLV objects of their own (merchant account information 26-51, additional data
62, language 64, unreserved 80-99). The payload must start with the format indicator (00 = "01") and end with
the CRC (63): CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF) over everything before the CRC's
value, including "6304", written as 4 upper-case hex digits.

`parse` is strict where money is at stake and tolerant where real issuers deviate from the letter of the spec.
It refuses, with a `QRPayloadError` whose `code` says what and whose message says where: a wrong or lower-case CRC,
broken TLV structure, a duplicate field, no merchant account, an unknown currency, a malformed amount or fee. It
accepts, each with a warning code the app can show: the payload format "02" (DuitNow), no merchant category code
(PromptPay, VietQR, KHQR), no merchant name or city (personal PromptPay), a name longer than 25 or a city longer
than 15 characters (PIX, QRIS), a zero-length field (PayNow), an amount of 0 (PIX: the payer enters it), a dynamic
code without an amount. It names the scheme of each merchant account from its globally unique ID.
`build` writes a payload (with its CRC) from fields, for tests and demos.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from glassmate.errors import BadInputError
from glassmate.money import CURRENCIES

MAX_PAYLOAD = 512  # EMVCo's limit

# Globally unique IDs (sub-ID 00 of a merchant account template) of national schemes, matched case-insensitively
# on their start: an AID (registered application provider ID + product) or a reverse domain name.
SCHEMES = (
    ("br.gov.bcb.pix", "PIX"), ("a000000677010111", "PromptPay"), ("a000000677010112", "PromptPay"),
    ("a000000677010113", "PromptPay"), ("a000000677010114", "PromptPay"), ("a000000727", "VietQR"),
    ("sg.paynow", "PayNow"), ("sg.com.nets", "NETS"), ("a0000006150001", "DuitNow"), ("id.co.qris", "QRIS"),
    ("a000000524", "UPI"), ("hk.com.hkicl", "FPS"), ("kh.gov.nbc.bakong", "KHQR"), ("sg.sgqr", "SGQR"),
)  # fmt: skip
ADDITIONAL_DATA = {
    "01": "bill_number", "02": "mobile_number", "03": "store_label", "04": "loyalty_number",
    "05": "reference_label", "06": "customer_label", "07": "terminal_label", "08": "purpose",
    "09": "consumer_data_request",
}  # fmt: skip
TEMPLATES = {"62", "64", *(f"{i:02d}" for i in range(26, 52)), *(f"{i:02d}" for i in range(80, 100))}
# Wallet apps' own QR links: not EMV payloads, to be opened in the app, not paid here.
WALLET_LINKS = re.compile(
    r"^(https?://(qr\.alipay\.com|render\.alipay\.com|wx\.tenpay\.com|payapp\.weixin\.qq\.com|pay\.weixin\.qq\.com"
    r"|paypal\.me|www\.paypal\.me|venmo\.com|cash\.app|revolut\.me|wise\.com/pay)/|(alipays?|weixin|wxp|upi|"
    r"venmo|paypal|revolut)://)",
    re.IGNORECASE,
)


class QRPayloadError(BadInputError):
    code = "qr-invalid"


def _fail(code: str, message: str) -> QRPayloadError:
    return QRPayloadError(message, code=code)


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of `data` (its UTF-8 bytes) as 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def _ascii_digits(text: str) -> bool:
    """Only 0-9 (str.isdigit also takes '²', '①' and other scripts' digits, which int() or Decimal then refuse)."""
    return bool(text) and text.isascii() and text.isdigit()


def tlv(payload: str, *, where: str = "payload") -> list[tuple[str, str]]:
    """The (id, value) pairs of a TLV string, in order; refuses a malformed one. A zero-length field is kept
    (some issuers write one); `parse` warns about it."""
    items, i = [], 0
    while i < len(payload):
        head = payload[i : i + 4]
        if len(head) < 4 or not _ascii_digits(head):
            raise _fail("qr-tlv-malformed", f"{where}: expected a 2-digit ID and a 2-digit length at {i}, got {head!r}")
        tag, length = head[:2], int(head[2:])
        value = payload[i + 4 : i + 4 + length]
        if len(value) < length:
            raise _fail("qr-length-mismatch", f"{where}: field {tag} says {length} characters, {len(value)} remain")
        items.append((tag, value))
        i += 4 + length
    return items


def scheme_of(globally_unique_id: str | None) -> str:
    """The payment scheme a merchant account belongs to, by its globally unique ID ("EMVCo" when unknown)."""
    gui = (globally_unique_id or "").strip().lower()
    return next((name for prefix, name in SCHEMES if gui.startswith(prefix)), "EMVCo")


@dataclass
class MerchantAccount:
    tag: str
    globally_unique_id: str | None  # sub-ID 00 of templates 26-51: an AID or a reverse domain name
    fields: dict[str, str] = field(default_factory=dict)  # the scheme's own sub-IDs
    scheme: str = "EMVCo"  # PIX, PromptPay, VietQR, PayNow, ... from the globally unique ID


@dataclass
class EMVPayload:
    payload_format: str
    initiation: str  # "static" (the payer types the amount) or "dynamic" (one payment, amount set)
    merchant_accounts: list[MerchantAccount]
    merchant_category_code: str | None  # None: the code has none (PromptPay, VietQR, KHQR leave it out)
    currency_numeric: str
    currency: str
    minor_units: int
    amount: Decimal | None
    tip: str | None  # None, "prompt", "fixed" or "percentage"
    convenience_fee: Decimal | None
    convenience_percentage: Decimal | None
    country: str
    merchant_name: str
    merchant_city: str
    postal_code: str | None = None
    additional: dict[str, str] = field(default_factory=dict)
    language: dict[str, str] = field(default_factory=dict)  # preference, merchant_name, merchant_city
    unreserved: dict[str, dict[str, str]] = field(default_factory=dict)
    crc: str = ""
    # Where the code deviates from the letter of the spec in ways real issuers do (kebab-case codes): shown, not
    # refused.
    warnings: list[str] = field(default_factory=list)

    @property
    def scheme(self) -> str:
        """The scheme of the first merchant account a scheme is known for (an SGQR may carry several)."""
        return next((a.scheme for a in self.merchant_accounts if a.scheme != "EMVCo"), "EMVCo")

    @property
    def payee(self) -> str:
        """Who is paid, for the card and the voice: the merchant's name, else the scheme and the account."""
        if self.merchant_name:
            return self.merchant_name
        account = self.merchant_accounts[0]
        number = next((v for v in account.fields.values() if v), account.fields.get("id", ""))
        return f"{self.scheme} {number}".strip()

    @property
    def amount_minor(self) -> int | None:
        return None if self.amount is None else int(self.amount.scaleb(self.minor_units))

    def as_dict(self) -> dict[str, Any]:
        return {
            "payload_format": self.payload_format,
            "initiation": self.initiation,
            "scheme": self.scheme,
            "merchant_accounts": [
                {"tag": a.tag, "globally_unique_id": a.globally_unique_id, "scheme": a.scheme, "fields": a.fields}
                for a in self.merchant_accounts
            ],
            "merchant_category_code": self.merchant_category_code,
            "currency": self.currency,
            "currency_numeric": self.currency_numeric,
            "amount": None if self.amount is None else str(self.amount),
            "amount_minor": self.amount_minor,
            "tip": self.tip,
            "convenience_fee": None if self.convenience_fee is None else str(self.convenience_fee),
            "convenience_percentage": None if self.convenience_percentage is None else str(self.convenience_percentage),
            "country": self.country,
            "merchant_name": self.merchant_name,
            "merchant_city": self.merchant_city,
            "postal_code": self.postal_code,
            "additional_data": self.additional,
            "language": self.language,
            "unreserved": self.unreserved,
            "crc": self.crc,
            "warnings": self.warnings,
        }


def _amount(value: str, tag: str, minor_units: int | None = None, *, zero_allowed: bool = False) -> Decimal:
    if not re.fullmatch(r"[0-9]+(\.[0-9]*)?", value) or len(value) > 13:
        raise _fail("qr-amount-invalid", f"field {tag}: {value!r} is not an amount (digits and one '.')")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _fail("qr-amount-invalid", f"field {tag}: {value!r} is not an amount") from None
    if amount < 0 or (amount == 0 and not zero_allowed):
        raise _fail("qr-amount-invalid", f"field {tag}: the amount must be positive")
    if minor_units is not None and -amount.as_tuple().exponent > minor_units:  # type: ignore[operator]
        raise _fail("qr-amount-invalid", f"field {tag}: {value} has more decimals than the currency allows")
    return amount


def is_wallet_link(text: str) -> bool:
    """A payment app's own link (Alipay, WeChat Pay, PayPal, UPI, ...): open it in the app, don't pay here."""
    return bool(WALLET_LINKS.match(text.strip()))


def parse(payload: str) -> EMVPayload:
    """Decode and validate an EMV MPM payload, CRC included."""
    if not isinstance(payload, str) or not payload:
        raise _fail("qr-empty", "the payload is empty")
    if len(payload) > MAX_PAYLOAD:
        raise _fail("qr-too-long", f"the payload is {len(payload)} characters; EMV allows {MAX_PAYLOAD}")
    if is_wallet_link(payload):
        raise _fail("qr-wallet-link", "this is a payment app's link: open it in that app; it is not an EMV payload")
    if not payload.startswith(("000201", "000202")):
        raise _fail("qr-not-emv", "not an EMV merchant QR payload (it must start with 000201)")
    warnings: list[str] = []
    if payload.startswith("000202"):
        warnings.append("qr-format-version")  # DuitNow writes "02"; the spec's only version is "01"
    crc_at = payload.rfind("6304")
    if crc_at == -1 or crc_at != len(payload) - 8:
        raise _fail("qr-crc-missing", "the payload must end with its CRC (ID 63, 4 hex digits)")
    expected = crc16(payload[: crc_at + 4])
    if payload[-4:] != expected:
        raise _fail("qr-crc-mismatch", f"the CRC is {payload[-4:]!r} but the payload's is {expected!r}: it was altered")
    items = tlv(payload)
    seen: dict[str, str] = {}
    for tag, value in items:
        if tag in seen:
            raise _fail("qr-duplicate-field", f"field {tag} appears twice")
        seen[tag] = value
        if not value and "qr-empty-field" not in warnings:
            warnings.append("qr-empty-field")  # PayNow and FPS codes carry empty fields
    if items[-1][0] != "63":
        raise _fail("qr-crc-missing", "the CRC must be the last field")

    def need(tag: str, name: str) -> str:
        if tag not in seen:
            raise _fail("qr-field-missing", f"field {tag} ({name}) is required")
        return seen[tag]

    accounts = []
    for tag, value in items:
        number = int(tag)
        if 2 <= number <= 25:
            accounts.append(MerchantAccount(tag, None, {"id": value}))
        elif 26 <= number <= 51 and value:
            sub = dict(tlv(value, where=f"field {tag}"))
            gui = sub.pop("00", None)
            if not gui:
                raise _fail("qr-field-missing", f"field {tag}: a merchant account template needs its ID 00")
            accounts.append(MerchantAccount(tag, gui, sub, scheme_of(gui)))
    if not accounts:
        raise _fail("qr-field-missing", "at least one merchant account (fields 02-51) is required")
    initiation = {"11": "static", "12": "dynamic"}.get(seen.get("01", "11"))
    if initiation is None:
        raise _fail("qr-field-invalid", f"field 01 (point of initiation) must be 11 or 12, not {seen['01']!r}")
    mcc = seen.get("52") or None
    if mcc is None:
        warnings.append("qr-mcc-missing")
    elif not re.fullmatch(r"[0-9]{4}", mcc):
        warnings.append("qr-mcc-invalid")
        mcc = None
    numeric = need("53", "transaction currency")
    if numeric not in CURRENCIES:
        raise _fail("qr-currency-unknown", f"field 53: currency {numeric!r} is not an ISO 4217 code glassmate knows")
    currency, minor = CURRENCIES[numeric]
    amount = None
    if seen.get("54"):
        amount = _amount(seen["54"], "54", minor, zero_allowed=True)
        if amount == 0:  # PIX writes 0 for "the payer enters the amount"
            warnings.append("qr-amount-zero")
            amount = None
    if initiation == "dynamic" and amount is None:
        warnings.append("qr-dynamic-without-amount")  # the payer enters it, as for a static code
    tip = {None: None, "01": "prompt", "02": "fixed", "03": "percentage"}.get(seen.get("55"), "invalid")
    if tip == "invalid":
        raise _fail("qr-field-invalid", "field 55 (tip or convenience indicator) must be 01, 02 or 03")
    fee = _amount(need("56", "convenience fee"), "56", minor) if tip == "fixed" else None
    percentage = _amount(need("57", "convenience fee percentage"), "57") if tip == "percentage" else None
    if percentage is not None and percentage > 100:
        raise _fail("qr-amount-invalid", "field 57: a percentage above 100")
    country = need("58", "country code")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise _fail("qr-field-invalid", f"field 58 (country) must be an ISO 3166 alpha-2 code, not {country!r}")
    name, city = seen.get("59", ""), seen.get("60", "")
    deviations = {"qr-name-missing": not name, "qr-city-missing": not city, "qr-name-long": len(name) > 25,
                  "qr-city-long": len(city) > 15}  # fmt: skip
    warnings += [code for code, found in deviations.items() if found]
    additional: dict[str, str] = {}
    if "62" in seen:
        for sub_id, value in tlv(seen["62"], where="field 62"):
            additional[ADDITIONAL_DATA.get(sub_id, f"id_{sub_id}")] = value
    language: dict[str, str] = {}
    if seen.get("64"):
        sub = dict(tlv(seen["64"], where="field 64"))
        if "00" not in sub or "01" not in sub:
            raise _fail("qr-field-missing", "field 64 (language template) needs its language (00) and name (01)")
        language = {"preference": sub["00"], "merchant_name": sub["01"]}
        if "02" in sub:
            language["merchant_city"] = sub["02"]
    unreserved = {tag: dict(tlv(value, where=f"field {tag}")) for tag, value in items if 80 <= int(tag) <= 99 and value}
    return EMVPayload(
        payload_format=seen["00"], initiation=initiation, merchant_accounts=accounts, merchant_category_code=mcc,
        currency_numeric=numeric, currency=currency, minor_units=minor, amount=amount, tip=tip,
        convenience_fee=fee, convenience_percentage=percentage, country=country, merchant_name=name,
        merchant_city=city, postal_code=seen.get("61"), additional=additional, language=language,
        unreserved=unreserved, crc=payload[-4:], warnings=warnings,
    )  # fmt: skip


def _obj(tag: str, value: str) -> str:
    if not 0 < len(value) <= 99:
        raise ValueError(f"field {tag}: a value of {len(value)} characters does not fit")
    return f"{tag}{len(value):02d}{value}"


def build(
    *,
    merchant_name: str,
    merchant_city: str,
    currency_numeric: str,
    country: str,
    account_gui: str = "com.example.pay",
    account_fields: dict[str, str] | None = None,
    mcc: str = "5812",
    amount: str | None = None,
    dynamic: bool | None = None,
    tip: str | None = None,
    fee: str | None = None,
    additional: dict[str, str] | None = None,
) -> str:
    """An EMV MPM payload with its CRC (for tests, demos and the benchmark)."""
    sub = _obj("00", account_gui) + "".join(_obj(k, v) for k, v in (account_fields or {"01": "MERCHANT123"}).items())
    parts = [_obj("00", "01"), _obj("01", "12" if (dynamic if dynamic is not None else amount is not None) else "11"),
             _obj("26", sub), _obj("52", mcc), _obj("53", currency_numeric)]  # fmt: skip
    if amount is not None:
        parts.append(_obj("54", amount))
    if tip is not None:
        parts.append(_obj("55", tip))
        if tip == "02" and fee is not None:
            parts.append(_obj("56", fee))
        if tip == "03" and fee is not None:
            parts.append(_obj("57", fee))
    parts += [_obj("58", country), _obj("59", merchant_name), _obj("60", merchant_city)]
    if additional:
        names = {v: k for k, v in ADDITIONAL_DATA.items()}
        parts.append(_obj("62", "".join(_obj(names.get(k, k), v) for k, v in additional.items())))
    body = "".join(parts) + "6304"
    return body + crc16(body)
