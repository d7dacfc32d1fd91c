"""GTINs (the numbers behind EAN-13, EAN-8, UPC-A and UPC-E barcodes) and GS1 Digital Link URIs.

Every GTIN is kept as 14 digits (GTIN-14, zero-padded on the left), as GS1 recommends for databases: an EAN-13
and the UPC-A that is the same number with a leading zero are then one key. The last digit is a mod-10 check
digit (weights 3 and 1 from the right); a number whose check digit is wrong is refused.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from glassmate.errors import BadInputError


class InvalidGTINError(BadInputError):
    code = "gtin-invalid"


def check_digit(body: str) -> int:
    """The GS1 check digit of `body` (all digits but the last)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def expand_upce(upce: str) -> str:
    """A UPC-E number (8 digits: number system, 6 digits, check) as the UPC-A (12 digits) it abbreviates."""
    if not re.fullmatch(r"[01]\d{7}", upce):
        raise InvalidGTINError(f"{upce!r} is not a UPC-E number (8 digits starting with 0 or 1)")
    ns, d, check = upce[0], upce[1:7], upce[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def normalise(code: str, *, upce: bool = False) -> str:
    """`code` (GTIN-8/12/13/14, spaces and dashes allowed) as a validated GTIN-14."""
    digits = re.sub(r"[\s-]", "", code)
    if upce:
        digits = expand_upce(digits)
    if not re.fullmatch(r"\d{8}|\d{12,14}", digits):
        raise InvalidGTINError(f"{code!r} is not a GTIN: 8, 12, 13 or 14 digits expected")
    if int(digits[-1]) != check_digit(digits[:-1]):
        raise InvalidGTINError(f"{code!r} has a wrong check digit (expected {check_digit(digits[:-1])})")
    return digits.zfill(14)


def display(gtin14: str) -> str:
    """The shortest usual form: 13 digits (EAN-13), or 8 for a GTIN-8."""
    if gtin14.startswith("000000"):
        return gtin14[6:]
    return gtin14[1:] if gtin14.startswith("0") else gtin14


def from_digital_link(uri: str) -> str | None:
    """The GTIN in a GS1 Digital Link URI (e.g. https://id.gs1.org/01/09506000134352/10/ABC), or None if
    `uri` is not one. The domain may be any (brands host their own); the path carries AI 01 and the GTIN."""
    parsed = urlparse(uri.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    match = re.search(r"/(?:01|gtin)/(\d{8,14})(?:/|$)", parsed.path)
    if match is None:
        return None
    return normalise(match.group(1))
