"""What a booking confirmation is made of, found by the code before any model reads it: its dates, times,
airport codes, flight and train numbers and references, as written, and the kind of booking its words name; and
the part of the text that belongs to each leg of a trip (travel/bookings.py gives these to the LLM as the only
values it may choose)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from glassmate.travel import airports
from glassmate.travel.rules import _FLIGHT_NUMBER, _TRAIN_NUMBER, _compact

Kind = Literal["flight", "train", "hotel", "car"]
KINDS: tuple[Kind, ...] = ("flight", "train", "hotel", "car")
PROMPT_CHARS = 2_400  # what the model reads of a text: the lines with dates, times, codes and the kind's words

# -- what the text is made of ----------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _n, _names in enumerate(
    [
        "january jan januar jän jänner janv janvier",
        "february feb februar févr fevr février",
        "march mar märz maerz mrz mär mars",
        "april apr avril avr",
        "may mai",
        "june jun juni juin",
        "july jul juli juil juillet",
        "august aug août aout",
        "september sep sept septembre",
        "october oct oktober okt octobre",
        "november nov novembre",
        "december dec dezember dez décembre",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _n
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_D, _NOTD = r"(?<![\d.])", r"(?![\d])"

# Each pattern: (regex, how its groups are read). A date is (year or None, month, day).
_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<!\d)(\d{4})年\s*(\d{1,2})月\s*(\d{1,2})[日号]"), "ymd"),
    (re.compile(r"(?<![\d年])(\d{1,2})月\s*(\d{1,2})[日号]"), "md"),
    (re.compile(_D + r"(\d{4})-(\d{1,2})-(\d{1,2})" + _NOTD), "ymd"),
    (re.compile(_D + r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + _NOTD), "dmy"),
    (re.compile(_D + r"(\d{1,2})\.(\d{1,2})\.(?![\d])"), "dm"),
    (re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})" + _NOTD), "slash"),
    (re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])"), "slash"),
    (re.compile(r"(?i)(?<![\d])(\d{1,2})\.?[ -]?(" + _MONTH + r")\.?(?:[ -]?(\d{4})|(?![a-zäéû]))"), "d-mon-y"),
    (re.compile(r"(?i)(?<![a-zäéû])(" + _MONTH + r")\.?\s(\d{1,2})(?:st|nd|rd|th)?(?:,?\s(\d{4}))?" + _NOTD),
     "mon-d-y"),
]  # fmt: skip
_TIME = re.compile(
    r"(?i)(?<![\d:.])([01]?\d|2[0-3])(?::|h|时|点)([0-5]\d)(?![\d:])(?:\s?(a\.?m\.?|p\.?m\.?)(?![a-z]))?"
)
# An airport code where an airport is named: "Berlin (TXL)", "FRA → PEK", "TXL-ZRH", "06:45   TXL", "HKGSEA".
_CODE_PATTERNS = [
    re.compile(r"\(([A-Z]{3})\)"),
    re.compile(r"(?<![A-Za-z])([A-Z]{3})\s*(?:-|–|—|→|->|>|/|to|nach|至|飞)\s*([A-Z]{3})(?![A-Za-z])"),
    re.compile(r"(?<![\d:])\d{1,2}:\d{2}\s+([A-Z]{3})(?![A-Za-z])"),
    re.compile(r"(?<![A-Za-z])\d{2}[A-Z]{3}\s+([A-Z]{3})([A-Z]{3})(?![A-Za-z])"),
]
_REFERENCE = re.compile(
    r"(?i)(?:booking|reservation|confirmation|record locator|PNR|buchungs|auftrags|reservierungs|dossier voyage"
    r"|order|订单|确认|预订)[\w ./-]{0,30}?[:：#]?\s*\**\s*(?-i:([A-Z0-9][A-Z0-9-]{4,19}))(?![A-Za-z0-9])"
)
# Labels of the dates a confirmation carries besides the trip's: when it was booked, paid, issued, how long a
# ticket is valid. A date written only next to these is not offered to the model.
_ADMIN = re.compile(
    r"(?i)date of (?:booking|change|issue)|booking date|issue date|issued|ausstellung|ausgestellt|buchungsdatum|"
    r"erfolgte am|^datum$|gültig|valid|zahlung|payment|paid|gen-nr|下单|出票时间|支付|付款"
)
_CN_TRAIN = re.compile(r"(?<![A-Za-z0-9])([GDCZTKY]\d{1,4})次")
_TRAIN_NO = re.compile(r"(?i)\b(?:train|zug)\s*(?:n[°o.]|nr\.?|number)\s*(\d{2,5})\b")  # SNCF's "TRAIN N°6857"

_KIND_WORDS: dict[Kind, re.Pattern[str]] = {
    "flight": re.compile(
        r"(?i)\b(?:flight|flug|hinflug|rückflug|flughafen|airline|airport|boarding|abflug|vol|e-ticket|"
        r"itinerary)\b|航班|机票|登机|起飞|机场|航空|✈"
    ),
    "train": re.compile(
        r"(?i)\b(?:train|zug|bahn|gleis|wagen|coach|voiture|railjet|eurostar|tgv|ice|sncf|fahrkarte|"
        r"sitzplatz|platz|carriage)\b|火车|高铁|动车|车次|车厢|二等座|一等座|12306|检票"
    ),
    "hotel": re.compile(  # not "arrival", "departure", "check-in": flights have them too
        r"(?i)\b(?:hotel|hostel|room|nights?|nächte|übernachtung(?:en)?|anreise|abreise|guests?|stay|"
        r"(?:doppel|einzel|familien)?zimmer)\b|酒店|宾馆|入住|退房|房型|大床房|双床房|晚"
    ),
    "car": re.compile(
        r"(?i)\b(?:car rental|rental car|mietwagen|rent a car|pick-?up|drop-?off|abholung|rückgabe|sixt|hertz|"
        r"europcar|avis|vehicle|fahrzeug)\b|租车|取车|还车|车型"
    ),
}


@dataclass(frozen=True)
class DateSpec:
    year: int | None
    month: int
    day: int

    def on_or_after(self, today: dt.date) -> tuple[dt.date, bool]:
        """The date, and whether its year was assumed (the next such day from `today`)."""
        if self.year is not None:
            return dt.date(self.year, self.month, self.day), False
        for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
            try:
                day = dt.date(year, self.month, self.day)
            except ValueError:  # 29 Feb in a year that has none
                continue
            if day >= today:
                return day, True
        raise ValueError("no such day")


@dataclass
class Found:
    """What a confirmation is made of, each value as written in it (the keys are what the model may choose)."""

    dates: dict[str, DateSpec] = field(default_factory=dict)
    bad_dates: list[str] = field(default_factory=list)  # looked like dates, do not exist (31.02.2027)
    times: dict[str, dt.time] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)  # three letters where an airport is named
    flight_numbers: list[str] = field(default_factory=list)
    train_numbers: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    scores: dict[Kind, int] = field(default_factory=dict)

    def kind(self) -> Kind | None:
        """The kind whose words and numbers the text has most of; none when no kind has two ("budget" alone does
        not make a car rental)."""
        best = max(KINDS, key=lambda k: self.scores.get(k, 0))
        return best if self.scores.get(best, 0) >= 2 else None


def _add(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def _spec(kind: str, groups: tuple[str | None, ...], day_first: bool) -> DateSpec:
    g = [x for x in groups]
    if kind == "ymd":
        return DateSpec(int(g[0] or 0), int(g[1] or 0), int(g[2] or 0))
    if kind == "md":
        return DateSpec(None, int(g[0] or 0), int(g[1] or 0))
    if kind in ("dmy", "dm"):
        return DateSpec(int(g[2]) if kind == "dmy" and g[2] else None, int(g[1] or 0), int(g[0] or 0))
    if kind == "slash":
        a, b = int(g[0] or 0), int(g[1] or 0)
        year = int(g[2]) if len(g) > 2 and g[2] else None
        if a > 12 or (day_first and b <= 12):
            return DateSpec(year, b, a)
        return DateSpec(year, a, b)
    if kind == "d-mon-y":
        return DateSpec(int(g[2]) if g[2] else None, _MONTHS[(g[1] or "").lower()], int(g[0] or 0))
    return DateSpec(int(g[2]) if g[2] else None, _MONTHS[(g[0] or "").lower()], int(g[1] or 0))  # mon-d-y


def _exists(spec: DateSpec) -> bool:
    try:
        dt.date(spec.year or 2000, spec.month, spec.day)  # 2000 is a leap year: 29 Feb without a year exists
    except ValueError:
        return False
    return True


def find(text: str) -> Found:
    """Dates, times, codes, numbers, references and the kind's words of a confirmation."""
    found = Found()
    # Slash dates are day first (Europe, China's 15/07) unless the times are written the American way.
    day_first = not re.search(r"(?i)\d\s?[ap]\.?m\.?\b", text)
    taken: list[tuple[int, int]] = []
    for pattern, how in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue  # "2027年1月20日" is one date, not also "1月20日"
            written = m.group(0).strip()
            try:
                spec = _spec(how, m.groups(), day_first)
            except (KeyError, ValueError):
                continue
            if not (1 <= spec.month <= 12 and 1 <= spec.day <= 31):
                continue  # "1/60" is not a date at all
            taken.append((m.start(), m.end()))
            if _exists(spec):
                found.dates.setdefault(written, spec)
            else:
                _add(found.bad_dates, written)
    for m in _TIME.finditer(text):
        hour, minute, half = int(m.group(1)), int(m.group(2)), (m.group(3) or "").lower().replace(".", "")
        if half == "pm" and hour < 12:
            hour += 12
        elif half == "am" and hour == 12:
            hour = 0
        found.times.setdefault(m.group(0).strip(), dt.time(hour, minute))
    for pattern in _CODE_PATTERNS:
        for m in pattern.finditer(text):
            for code in m.groups():
                _add(found.codes, code)
    for m in _FLIGHT_NUMBER.finditer(text):
        if not re.fullmatch(r"[GDCZTKY]\d+", m.group(1)) or not text[m.end() :].startswith("次"):
            _add(found.flight_numbers, _compact(m.group(1)))
    for m in _TRAIN_NUMBER.finditer(text):
        number = m.group(1)
        chinese = re.fullmatch(r"[GDCZTKY]\d+", number) is not None
        if not chinese or text[m.end() :].startswith("次") or re.search(r"车次|检票|座", text):
            _add(found.train_numbers, _compact(number))
    for m in _CN_TRAIN.finditer(text):
        _add(found.train_numbers, m.group(1))
    for m in _TRAIN_NO.finditer(text):
        _add(found.train_numbers, m.group(1))
    for m in _REFERENCE.finditer(text):
        # A reference has a digit, or is six capitals (a PNR: EAXKUC); "E-BILLET" is a word.
        if any(ch.isdigit() for ch in m.group(1)) or re.fullmatch(r"[A-Z]{6}", m.group(1)):
            _add(found.references, m.group(1))
    for kind, pattern in _KIND_WORDS.items():
        found.scores[kind] = len(pattern.findall(text))
    _drop_admin_dates(text, found)
    known = [c for c in found.codes if airports.airport(c)]
    found.scores["flight"] += 3 * len(known) + 3 * len(found.flight_numbers and known)
    found.scores["train"] += 3 * len([n for n in found.train_numbers if not n[0].isdigit()])
    return found


def _drop_admin_dates(text: str, found: Found) -> None:
    """Forget the dates written only beside a booking, payment, issue or validity label."""
    pieces = _pieces(text)
    for written in list(found.dates):
        where = [i for i, piece in enumerate(pieces) if written in piece]
        if where and all(_ADMIN.search(pieces[i]) or (i and _ADMIN.search(pieces[i - 1])) for i in where):
            del found.dates[written]


def _pieces(text: str) -> list[str]:
    """The text as short pieces: lines, and long lines (an HTML mail flattened to one line) cut at wide gaps."""
    out: list[str] = []
    for line in text.splitlines():
        for piece in re.split(r"\s{3,}", line.strip()):
            piece = " ".join(piece.split())
            if piece:
                out.append(piece)
    return out


def kept(text: str, found: Found, limit: int = PROMPT_CHARS) -> list[str]:
    """What the model reads: the pieces with a date, time, code, number or reference, each with the piece before
    it (a label such as "Departure:" or "Von /From"), up to `limit` characters, in order."""
    pieces = _pieces(text)
    keys = [*found.dates, *found.times, *found.codes, *found.flight_numbers, *found.train_numbers,
            *found.references]  # fmt: skip
    compact = [k.replace(" ", "") for k in keys]
    keep: set[int] = set()
    for i, piece in enumerate(pieces):
        squeezed = piece.replace(" ", "")
        if any(k in squeezed for k in compact) or (_KIND_WORDS["hotel"].search(piece) and len(piece) < 80):
            keep.update({i - 1, i} if i else {i})
    lines: list[str] = []
    size = 0
    for i in sorted(keep):
        if size + len(pieces[i]) + 3 > limit:
            break
        lines.append(pieces[i])
        size += len(pieces[i]) + 3
    return lines


def _joined(lines: list[str]) -> str:
    return " | ".join(lines) if len(lines) > 40 else "\n".join(lines)


def blocks(lines: list[str], numbers: list[str], found: Found) -> list[list[str]]:
    """The part of the excerpt that belongs to each flight or train number. A confirmation writes a leg's number
    either before its times (Eurowings, Iberia, a travel agency's list) or after them (SWISS): a leg is the
    lines from its number to the next one, or from the previous one to its own, whichever reading gives more legs
    a date and two times."""
    where: list[int] = []
    for number in numbers:
        squeezed = number.replace(" ", "")
        at = next((i for i, line in enumerate(lines) if squeezed in line.replace(" ", "")), None)
        if at is None:
            return [lines for _ in numbers]
        where.append(at)
    if len(numbers) < 2 or where != sorted(where) or len(set(where)) < len(where):
        return [lines for _ in numbers]
    after = [(max(0, a - 1), b) for a, b in zip(where, [*where[1:], len(lines)], strict=True)]
    before = [(a + 1 if k else 0, b + 1) for k, (a, b) in enumerate(zip([-1, *where[:-1]], where, strict=True))]

    def whole(bounds: list[tuple[int, int]]) -> int:
        """How many legs have a date and two times: the reading that gives more is the text's layout."""
        return sum(any(d in line for line in lines[a:b] for d in found.dates)
                   and sum(t in line for line in lines[a:b] for t in found.times) >= 2 for a, b in bounds)  # fmt: skip

    bounds = after if whole(after) >= whole(before) else before
    return [lines[a:b] for a, b in bounds]


def _within(found: Found, lines: list[str]) -> Found:
    """The found values that occur in these lines (all of them, for a kind of value the lines lack)."""
    text = "\n".join(lines)
    squeezed = text.replace(" ", "")
    dates = {k: v for k, v in found.dates.items() if k in text} or found.dates
    times = {k: v for k, v in found.times.items() if k in text} or found.times
    codes = [c for c in found.codes if c in squeezed] or found.codes
    return Found(dates=dates, times=times, codes=codes, flight_numbers=found.flight_numbers,
                 train_numbers=found.train_numbers, references=found.references)  # fmt: skip
