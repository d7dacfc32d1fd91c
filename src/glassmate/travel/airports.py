"""Airports from the `airportsdata` package (IATA code, name, city, country, time zone; MIT, ~7,900 airports with
an IATA code): the code a booking names is checked against it, and a place written out ("London Heathrow",
"Berlin-Tegel", "Zürich", "北京首都国际机场") is looked up in it.

airportsdata names airports in English. The Chinese and German names wearers write are mapped by ALIASES, a short
table of the airports of China's and the German-speaking countries' big cities and of their usual destinations;
a name that is neither in the table nor in airportsdata stays unresolved, and the booking asks for the airport.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import airportsdata

from glassmate.text import fold


@dataclass(frozen=True)
class Airport:
    code: str  # IATA
    name: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    tz: str  # IANA zone
    lat: float
    lon: float

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "city": self.city, "country": self.country, "tz": self.tz}


# Names in Chinese and German → IATA code. Chinese names are matched as substrings (no spaces to split on), so
# the longer, more specific names come first; a city alone (上海, Berlin) is left out when it has several airports.
ALIASES: dict[str, str] = {
    "北京首都": "PEK", "首都国际机场": "PEK", "首都机场": "PEK", "北京大兴": "PKX", "大兴国际机场": "PKX",
    "大兴机场": "PKX", "上海浦东": "PVG", "浦东国际机场": "PVG", "浦东机场": "PVG", "上海虹桥": "SHA",
    "虹桥国际机场": "SHA", "虹桥机场": "SHA", "广州白云": "CAN", "白云机场": "CAN", "深圳宝安": "SZX",
    "宝安机场": "SZX", "成都天府": "TFU", "天府机场": "TFU", "成都双流": "CTU", "双流机场": "CTU",
    "杭州萧山": "HGH", "萧山机场": "HGH", "西安咸阳": "XIY", "咸阳机场": "XIY", "重庆江北": "CKG",
    "昆明长水": "KMG", "南京禄口": "NKG", "武汉天河": "WUH", "厦门高崎": "XMN", "青岛胶东": "TAO",
    "长沙黄花": "CSX", "郑州新郑": "CGO", "天津滨海": "TSN", "三亚凤凰": "SYX", "海口美兰": "HAK",
    "沈阳桃仙": "SHE", "大连周水子": "DLC", "哈尔滨太平": "HRB", "乌鲁木齐": "URC", "香港国际机场": "HKG",
    "香港": "HKG", "澳门": "MFM", "台北桃园": "TPE", "桃园机场": "TPE", "东京成田": "NRT", "成田机场": "NRT",
    "东京羽田": "HND", "羽田机场": "HND", "首尔仁川": "ICN", "仁川机场": "ICN", "新加坡樟宜": "SIN",
    "樟宜机场": "SIN", "曼谷素万那普": "BKK", "法兰克福": "FRA", "慕尼黑": "MUC", "柏林勃兰登堡": "BER",
    "伦敦希思罗": "LHR", "希思罗机场": "LHR", "巴黎戴高乐": "CDG", "戴高乐机场": "CDG", "苏黎世": "ZRH",
    "维也纳": "VIE", "阿姆斯特丹": "AMS", "迪拜": "DXB", "纽约肯尼迪": "JFK", "洛杉矶": "LAX",
    "旧金山": "SFO", "悉尼": "SYD",
    # German
    "münchen": "MUC", "munchen": "MUC", "köln": "CGN", "koln": "CGN", "köln/bonn": "CGN", "nürnberg": "NUE",
    "nurnberg": "NUE", "wien": "VIE", "wien-schwechat": "VIE", "genf": "GVA", "peking": "PEK",
    "peking capital": "PEK", "brüssel": "BRU", "brussel": "BRU", "prag": "PRG", "warschau": "WAW",
    "kopenhagen": "CPH", "lissabon": "LIS", "athen": "ATH", "frankfurt": "FRA", "frankfurt/main": "FRA",
    "frankfurt am main": "FRA", "zürich": "ZRH", "zurich": "ZRH", "hamburg": "HAM", "stuttgart": "STR",
    "hannover": "HAJ", "düsseldorf": "DUS", "dusseldorf": "DUS", "leipzig/halle": "LEJ", "dresden": "DRS",
    "bremen": "BRE", "berlin brandenburg": "BER", "berlin-brandenburg": "BER", "berlin-tegel": "TXL",
    "berlin tegel": "TXL", "berlin-schönefeld": "SXF", "salzburg": "SZG", "innsbruck": "INN", "graz": "GRZ",
    "basel": "BSL", "bern": "BRN",
}  # fmt: skip

_LONGEST_FIRST = sorted(ALIASES.items(), key=lambda kv: -len(kv[0]))  # "北京首都" before "北京"
_NOISE = {"airport", "international", "intl", "flughafen", "aeroport", "aeropuerto", "aeroporto", "the", "of",
          "terminal", "regional", "municipal", "field"}  # fmt: skip


@cache
def _data() -> Mapping[str, Any]:
    return airportsdata.load("IATA")


def version() -> str:
    return str(getattr(airportsdata, "__version__", "unknown"))


def airport(code: str) -> Airport | None:
    """The airport with this IATA code, or None when there is none."""
    row = _data().get(code.strip().upper())
    if row is None:
        return None
    return Airport(code=row["iata"], name=row["name"], city=row["city"], country=row["country"], tz=row["tz"],
                   lat=float(row["lat"]), lon=float(row["lon"]))  # fmt: skip


def _fold(text: str) -> str:
    """glassmate.text.fold (case, accents, Chinese variants: Zürich → zurich), punctuation as spaces."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _fold(text).split() if w not in _NOISE and not w.isdigit())


@cache
def _index() -> tuple[dict[str, list[str]], list[tuple[frozenset[str], str]]]:
    """City (folded) → codes, and each airport's words (name and city) with its code."""
    cities: dict[str, list[str]] = {}
    names: list[tuple[frozenset[str], str]] = []
    for code, row in _data().items():
        cities.setdefault(_fold(row["city"]), []).append(code)
        names.append((_words(row["name"]) | _words(row["city"]), code))
    return cities, names


def lookup(place: str) -> list[Airport]:
    """The airports a written place can mean: one when it is clear, several when it is a city with more than
    one (London), none when it is not an airport's name."""
    place = " ".join(place.split())
    if len(place) < 2 or (place.isascii() and len(place) < 3):
        return []
    code = re.search(r"(?<![A-Za-z])\(?([A-Z]{3})\)?(?![A-Za-z])", place)
    if code and airport(code.group(1)):  # "Berlin (TXL)"
        return [a for a in [airport(code.group(1))] if a]
    folded = place.casefold()
    for alias, target in _LONGEST_FIRST:
        if alias.isascii() or not alias.isalpha():
            if _fold(alias) == _fold(place) or (" " in alias and _fold(alias) in _fold(place)):
                return [a for a in [airport(target)] if a]
        elif alias in folded:
            return [a for a in [airport(target)] if a]
    cities, names = _index()
    if _fold(place) in cities:
        return [a for c in cities[_fold(place)] if (a := airport(c))]
    wanted = _words(place)
    if not wanted:
        return []
    found = [code for words, code in names if wanted <= words]
    return [a for c in found if (a := airport(c))]
