"""Bookings from pasted or forwarded confirmations (flight, train, hotel, car rental), read by the LLM and checked.

How a text becomes a booking:

1. The code finds what a confirmation is made of, as written (travel/booking_text.py): dates ("15.06.2017",
   "20-Jul", "So 10.09.", "2027年1月20日", "December 15, 2024"), times ("12:55", "17h50", "8:30 PM"), airport codes in
   an airport's place ("Berlin (TXL)", "FRA → PEK", "06:45 TXL"), flight and train numbers, booking references;
   and which kind of booking the words say it is (in Chinese, English, German and French). A text with no date,
   or that names no kind of trip, is not a booking (`booking-unrecognized`), and no model is asked.
2. The LLM fills in the kind's JSON, constrained by a schema whose dates, times, codes and numbers are enums of
   the values found in step 1 (or null): it decides which time is the departure and which the arrival, and it
   cannot write a value the text does not contain. The names of places, hotels and companies are free strings.
3. The answer is checked: every free string must occur in the text (otherwise it is dropped, not guessed); airport
   codes must exist in airportsdata (`booking-unknown-airport`), and written-out airports are looked up there,
   which gives each flight its departure and arrival time zones; dates must exist (`booking-invalid-date`:
   31.02.); an arrival before its departure, or a check-out before the check-in, is dropped with a warning.
   A date without a year takes the year of the same day written in full elsewhere in the text, or else is the
   next such day (said in `assumed`), as is an arrival without a date (the
   departure's day, or the next one for an overnight flight).

What the text does not state stays empty and is listed in `missing`, each with a question in the wearer's language
(travel/booking_questions.py);
`Travel.complete_booking` fills it in. Only a booking with the fields its reminders need becomes trip events.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from glassmate.errors import BadInputError
from glassmate.providers.llm.base import LLM, ChatMessage, GenerationOptions
from glassmate.text import fold
from glassmate.travel import airports
from glassmate.travel.booking_text import _CODE_PATTERNS, Found, Kind, _joined, _within, blocks, find, kept
from glassmate.travel.calendar import Occurrence

MAX_TEXT = 20_000  # characters of a pasted confirmation
MAX_SEGMENTS = 8
MAX_FLIGHT_H = 20  # the longest scheduled flight is under 19 h


class BookingError(BadInputError):
    """A text that cannot become a booking; nothing is stored. booking-unrecognized, booking-unknown-airport,
    booking-invalid-date, booking-empty, booking-too-long."""

    http_status = 422


# -- what the model fills in -----------------------------------------------------------------------------------


def _choice(values: list[str]) -> dict[str, Any]:
    return {"enum": [*values, None]} if values else {"type": "null"}


_TEXT: dict[str, Any] = {"type": ["string", "null"], "maxLength": 120}


def schema(kind: Kind, found: Found) -> dict[str, Any]:
    """The JSON the model is held to: the found values as enums, names as short strings."""
    dates, times = _choice(list(found.dates)), _choice(list(found.times))
    reference = _choice(found.references)
    if kind in ("flight", "train"):
        numbers = _choice(found.flight_numbers if kind == "flight" else found.train_numbers)
        if kind == "flight":
            codes = _choice(found.codes)
            places = {"from_code": codes, "from_place": _TEXT, "to_code": codes, "to_place": _TEXT}
        else:
            places = {"from_place": _TEXT, "to_place": _TEXT, "coach": _TEXT, "seat": _TEXT}
        segment = {"number": numbers, **places, "date": dates, "departs": times, "arrives": times,
                   "arrival_date": dates}  # fmt: skip
        # As many segments as the text has flight or train numbers: a small model otherwise repeats the last one
        # until its tokens run out.
        count = len(found.flight_numbers if kind == "flight" else found.train_numbers)
        most = min(MAX_SEGMENTS, max(1, count))
        return {
            "type": "object",
            "properties": {
                "reference": reference,
                "segments": {"type": "array", "items": {"type": "object", "properties": segment,
                             "required": list(segment)}, "minItems": 1, "maxItems": most},
            },
            "required": ["reference", "segments"],
        }  # fmt: skip
    if kind == "hotel":
        props = {"reference": reference, "name": _TEXT, "address": _TEXT, "checkin_date": dates,
                 "checkin_time": times, "checkout_date": dates, "checkout_time": times}  # fmt: skip
    else:
        props = {"reference": reference, "company": _TEXT, "pickup_place": _TEXT, "pickup_date": dates,
                 "pickup_time": times, "return_place": _TEXT, "return_date": dates, "return_time": times}  # fmt: skip
    return {"type": "object", "properties": props, "required": list(props)}


def segment_schema(kind: Kind, found: Found, number: str) -> dict[str, Any]:
    """One leg's JSON, its number given."""
    props = schema(kind, found)["properties"]["segments"]["items"]["properties"]
    props = {**props, "number": {"enum": [number]}}
    return {"type": "object", "properties": props, "required": list(props)}


SYSTEM = (
    "You read a travel booking confirmation and fill in JSON. Copy values exactly as they are written in the "
    "text. Use null for anything the text does not state; never guess."
)
_GUIDE: dict[Kind, str] = {
    "flight": "A flight booking. One item in segments for each flight, in the order flown: its flight number, "
              "where it departs from and arrives (airport code and place as written), the date, the departure "
              "and arrival times, and the arrival date when it is written.",
    "train": "A train ticket. One item in segments for each train, in the order travelled: the train number, "
             "the departure and arrival stations as written, the date, the departure and arrival times, coach "
             "and seat.",
    "hotel": "A hotel booking: the hotel's name and address, the check-in and check-out dates (arrival and "
             "departure) and times.",
    "car": "A car rental: the rental company, where and when the car is picked up and returned.",
}  # fmt: skip
# One short worked example per kind (the 0.5B model copies the instructions into the fields without one).
_SHOTS: dict[Kind, tuple[str, dict[str, Any]]] = {
    "flight": (
        "Booking code: QX7ABC\nFlight 12.03.2026 | LH 123\nDeparture: 07:10 Hamburg (HAM)\nArrival: 08:15 "
        "Frankfurt (FRA)",
        {"reference": "QX7ABC", "segments": [{"number": "LH 123", "from_code": "HAM", "from_place": "Hamburg",
         "to_code": "FRA", "to_place": "Frankfurt", "date": "12.03.2026", "departs": "07:10", "arrives": "08:15",
         "arrival_date": None}]},
    ),
    "train": (
        "Auftragsnummer: 8KD2LM\nKöln Hbf 03.05. ab 09:12 ICE 105\nBasel SBB 03.05. an 13:05",
        {"reference": "8KD2LM", "segments": [{"number": "ICE 105", "from_place": "Köln Hbf", "to_place":
         "Basel SBB", "coach": None, "seat": None, "date": "03.05.", "departs": "09:12", "arrives": "13:05",
         "arrival_date": "03.05."}]},
    ),
    "hotel": (
        "Confirmation number: 55102\nHotel Alpenblick, Dorfstrasse 3, Grindelwald\nArrival 02.02.2026 from "
        "15:00\nDeparture 05.02.2026",
        {"reference": "55102", "name": "Hotel Alpenblick", "address": "Dorfstrasse 3, Grindelwald",
         "checkin_date": "02.02.2026", "checkin_time": "15:00", "checkout_date": "05.02.2026",
         "checkout_time": None},
    ),
    "car": (
        "Reservation no. R77812\nSixt, pick-up: Munich Airport, 14.04.2026 10:30\nReturn: 18.04.2026",
        {"reference": "R77812", "company": "Sixt", "pickup_place": "Munich Airport", "pickup_date": "14.04.2026",
         "pickup_time": "10:30", "return_place": None, "return_date": "18.04.2026", "return_time": None},
    ),
}  # fmt: skip


_LEG = {"flight": "Fill in flight {number} from this part of a flight booking: where it departs from and arrives "
                  "(airport code and place as written), its date, departure and arrival times, and the arrival "
                  "date when it is written.",
        "train": "Fill in train {number} from this part of a train ticket: the departure and arrival stations as "
                 "written, the date, the departure and arrival times, coach and seat."}  # fmt: skip


def leg_messages(kind: Kind, text: str, number: str) -> list[ChatMessage]:
    shot, answer = _SHOTS[kind]
    example = answer["segments"][0]
    return [
        ChatMessage("system", f"{SYSTEM}\n{_LEG[kind].format(number=number)}"),
        ChatMessage("user", shot),
        ChatMessage("assistant", json.dumps(example, ensure_ascii=False)),
        ChatMessage("user", text),
    ]


def messages(kind: Kind, text: str) -> list[ChatMessage]:
    shot, answer = _SHOTS[kind]
    return [
        ChatMessage("system", f"{SYSTEM}\n{_GUIDE[kind]}"),
        ChatMessage("user", shot),
        ChatMessage("assistant", json.dumps(answer, ensure_ascii=False)),
        ChatMessage("user", text),
    ]


# -- the checked booking ---------------------------------------------------------------------------------------


class Segment(BaseModel):
    """One flight or one train."""

    number: str | None = None
    from_code: str | None = None  # IATA, flights only
    from_place: str | None = None
    to_code: str | None = None
    to_place: str | None = None
    date: dt.date | None = None
    departs: dt.time | None = None
    arrives: dt.time | None = None
    arrival_date: dt.date | None = None
    coach: str | None = None
    seat: str | None = None
    from_tz: str | None = None
    to_tz: str | None = None


class Booking(BaseModel):
    kind: Kind
    reference: str | None = None
    segments: list[Segment] = []  # flights and trains
    name: str | None = None  # hotel
    address: str | None = None
    checkin_date: dt.date | None = None
    checkin_time: dt.time | None = None
    checkout_date: dt.date | None = None
    checkout_time: dt.time | None = None
    company: str | None = None  # car rental
    pickup_place: str | None = None
    pickup_date: dt.date | None = None
    pickup_time: dt.time | None = None
    return_place: str | None = None
    return_date: dt.date | None = None
    return_time: dt.time | None = None
    tz: str | None = None  # the zone of a train, hotel or car rental's times (flights: their airports')

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude_none=True)
        if self.kind not in ("flight", "train"):
            data.pop("segments", None)
        return data


# Which fields are asked for when empty, and which of them a booking needs to become trip events.
ASKED: dict[Kind, tuple[str, ...]] = {
    "flight": ("number", "from_code", "to_code", "date", "departs", "arrives"),
    "train": ("number", "from_place", "to_place", "date", "departs", "arrives"),
    "hotel": ("name", "checkin_date", "checkout_date"),
    "car": ("company", "pickup_place", "pickup_date", "pickup_time", "return_date"),
}
NEEDED: dict[Kind, tuple[str, ...]] = {
    "flight": ("from_code", "date", "departs"),
    "train": ("date", "departs"),
    "hotel": ("checkin_date",),
    "car": ("pickup_date", "pickup_time"),
}


def missing(booking: Booking) -> list[str]:
    """The asked-for fields that are empty, as paths ("segments.0.departs", "checkin_date")."""
    if booking.kind in ("flight", "train"):
        return [f"segments.{i}.{name}" for i, seg in enumerate(booking.segments) for name in ASKED[booking.kind]
                if getattr(seg, name) is None]  # fmt: skip
    return [name for name in ASKED[booking.kind] if getattr(booking, name) is None]


def complete(booking: Booking) -> bool:
    """Whether it has what its reminders need (every segment of a trip)."""
    if booking.kind in ("flight", "train"):
        return bool(booking.segments) and all(
            getattr(seg, name) is not None for seg in booking.segments for name in NEEDED[booking.kind]
        )
    return all(getattr(booking, name) is not None for name in NEEDED[booking.kind])


@dataclass
class Checked:
    booking: Booking
    assumed: list[str] = field(default_factory=list)  # what was filled in by rule, not read
    warnings: list[str] = field(default_factory=list)  # what the model said and the checks refused


def grounded(value: Any, text: str) -> str | None:
    """The string when it occurs in the text as words of its own (compared by glassmate.text.fold: case, accents,
    spaces, full-width forms aside; "K" inside "Kabine" is not "K"), else None. One character is no name."""
    if not isinstance(value, str):
        return None
    value = " ".join(value.split()).strip(" ,;:|*")
    if len(value) < 2:
        return None
    folded = fold(value)
    start = r"(?<![a-z0-9])" if folded[0].isascii() and folded[0].isalnum() else ""
    end = r"(?![a-z0-9])" if folded[-1].isascii() and folded[-1].isalnum() else ""
    if not re.search(start + re.escape(folded) + end, fold(text)):
        return None
    return value[:120]


class Checker:
    """Turns the model's answer into a checked Booking."""

    def __init__(self, kind: Kind, found: Found, text: str, *, today: dt.date, zone: str) -> None:
        self.kind, self.found, self.text, self.today, self.zone = kind, found, text, today, zone
        self.out = Checked(Booking(kind=kind))

    def check(self, raw: Any) -> Checked:
        if not isinstance(raw, dict):
            raw = {}
        booking = self.out.booking
        booking.reference = self._pick(raw.get("reference"), self.found.references)
        if self.kind in ("flight", "train"):
            items = raw.get("segments") if isinstance(raw.get("segments"), list) else []
            for i, item in enumerate(items[:MAX_SEGMENTS]):
                segment = self._segment(i, item if isinstance(item, dict) else {})
                if any(v is not None for v in segment.model_dump().values()):
                    booking.segments.append(segment)
            self._check_route()
            if not booking.segments:
                booking.segments.append(Segment())
        elif self.kind == "hotel":
            booking.name = grounded(raw.get("name"), self.text)
            booking.address = grounded(raw.get("address"), self.text)
            if booking.address is not None and booking.address == booking.name:
                booking.address = None  # the name copied
            booking.checkin_date = self._date(raw.get("checkin_date"), "checkin_date")
            booking.checkin_time = self._time(raw.get("checkin_time"))
            booking.checkout_date = self._date(raw.get("checkout_date"), "checkout_date")
            booking.checkout_time = self._time(raw.get("checkout_time"))
            booking.tz = self.zone
            if booking.checkin_date and booking.checkout_date and booking.checkout_date <= booking.checkin_date:
                self.out.warnings.append(f"the check-out {booking.checkout_date} is not after the check-in "
                                         f"{booking.checkin_date}: left out")  # fmt: skip
                booking.checkout_date = booking.checkout_time = None
        else:
            booking.company = grounded(raw.get("company"), self.text)
            booking.pickup_place = grounded(raw.get("pickup_place"), self.text)
            booking.pickup_date = self._date(raw.get("pickup_date"), "pickup_date")
            booking.pickup_time = self._time(raw.get("pickup_time"))
            booking.return_place = grounded(raw.get("return_place"), self.text)
            booking.return_date = self._date(raw.get("return_date"), "return_date")
            booking.return_time = self._time(raw.get("return_time"))
            booking.tz = self.zone
            if booking.pickup_date and booking.return_date and booking.return_date < booking.pickup_date:
                self.out.warnings.append(f"the return {booking.return_date} is before the pick-up: left out")
                booking.return_date = booking.return_time = None
        if not any(v for k, v in booking.model_dump().items() if k not in ("kind", "tz", "segments")) and not any(
            any(v is not None for k, v in s.model_dump().items() if not k.endswith("_tz")) for s in booking.segments
        ):
            raise BookingError("nothing of a booking could be read from this text", code="booking-unrecognized")
        return self.out

    def _pick(self, value: Any, allowed: list[str] | dict[str, Any]) -> str | None:
        return value if isinstance(value, str) and value in allowed else None

    def _date(self, value: Any, path: str, *, after: dt.date | None = None) -> dt.date | None:
        written = self._pick(value, self.found.dates)
        if written is None:
            return None
        spec = self.found.dates[written]
        if spec.year is not None:
            return dt.date(spec.year, spec.month, spec.day)
        # "03.11." on a ticket that says "Hinfahrt am 03.11.2027" elsewhere: that year.
        years = {d.year for d in self.found.dates.values() if (d.month, d.day) == (spec.month, spec.day) and d.year}
        if len(years) == 1:
            return dt.date(years.pop(), spec.month, spec.day)
        day, assumed = spec.on_or_after(after or self.today)
        if assumed:
            self.out.assumed.append(f"{path}: the year of {written!r} is taken as {day.year}")
        return day

    def _time(self, value: Any) -> dt.time | None:
        written = self._pick(value, self.found.times)
        return self.found.times[written] if written is not None else None

    def _airport(self, code: Any, place: str | None, path: str) -> tuple[str | None, str | None]:
        """(code, zone) of a segment's end: its code, which must exist, or its place when that names one."""
        chosen = self._pick(code, self.found.codes)
        if chosen is not None:
            found = airports.airport(chosen)
            if found is None:
                raise BookingError(f"{chosen} is not an airport code (airportsdata {airports.version()})",
                                   code="booking-unknown-airport")  # fmt: skip
            return found.code, found.tz
        if place:
            named = airports.lookup(place)
            if len(named) == 1:
                return named[0].code, named[0].tz
            if len(named) > 1:
                self.out.warnings.append(f"{path}: {place!r} has {len(named)} airports "
                                         f"({', '.join(a.code for a in named[:5])}); which one?")  # fmt: skip
        return None, None

    def _segment(self, i: int, raw: dict[str, Any]) -> Segment:
        numbers = self.found.flight_numbers if self.kind == "flight" else self.found.train_numbers
        seg = Segment(number=self._pick(raw.get("number"), numbers),
                      from_place=grounded(raw.get("from_place"), self.text),
                      to_place=grounded(raw.get("to_place"), self.text))  # fmt: skip
        if self.kind == "flight":
            seg.from_code, seg.from_tz = self._airport(raw.get("from_code"), seg.from_place, f"segments.{i}.from")
            seg.to_code, seg.to_tz = self._airport(raw.get("to_code"), seg.to_place, f"segments.{i}.to")
        else:
            seg.coach, seg.seat = grounded(raw.get("coach"), self.text), grounded(raw.get("seat"), self.text)
            chinese = seg.number is not None and re.fullmatch(r"[GDCZTKY]\d+", seg.number) is not None
            seg.from_tz = seg.to_tz = "Asia/Shanghai" if chinese else self.zone
        if seg.to_place is not None and seg.to_place == seg.from_place:
            seg.to_place = None  # copied from the departure: a trip goes somewhere else
        if seg.to_code is not None and seg.to_code == seg.from_code:
            seg.to_code = seg.to_tz = None
        seg.date = self._date(raw.get("date"), f"segments.{i}.date")
        seg.departs, seg.arrives = self._time(raw.get("departs")), self._time(raw.get("arrives"))
        seg.arrival_date = self._date(raw.get("arrival_date"), f"segments.{i}.arrival_date", after=seg.date)
        self._check_arrival(i, seg)
        return seg

    def _check_arrival(self, i: int, seg: Segment) -> None:
        """An arrival must come after the departure (in UTC, across zones) and, for a flight, within a day.
        Without an arrival date it is the departure's day, or the next for an overnight trip."""
        if seg.date is None or seg.departs is None or seg.arrives is None:
            return
        depart = dt.datetime.combine(seg.date, seg.departs, ZoneInfo(seg.from_tz or self.zone))
        day = seg.arrival_date or seg.date
        arrive = dt.datetime.combine(day, seg.arrives, ZoneInfo(seg.to_tz or self.zone))
        if arrive <= depart and seg.arrival_date is None:
            arrive += dt.timedelta(days=1)
            seg.arrival_date = arrive.date()
            self.out.assumed.append(f"segments.{i}.arrival_date: the next day ({seg.arrival_date}), as it "
                                    f"arrives at {seg.arrives:%H:%M} after leaving at {seg.departs:%H:%M}")  # fmt: skip
        limit = dt.timedelta(hours=MAX_FLIGHT_H if self.kind == "flight" else 72)
        if not dt.timedelta(0) < arrive - depart <= limit:
            self.out.warnings.append(f"segments.{i}: an arrival at {arrive:%Y-%m-%d %H:%M} does not fit a departure "
                                     f"at {depart:%Y-%m-%d %H:%M}: the arrival is left out")  # fmt: skip
            seg.arrives = seg.arrival_date = None

    def _check_route(self) -> None:
        """A code written as a route's end ("FRA → XQZ") that is no airport is an error even when the model left
        it out: the booking would otherwise go to the wrong place or none."""
        if self.kind != "flight":
            return
        for pattern in _CODE_PATTERNS[1:2]:
            for m in pattern.finditer(self.text):
                for code in m.groups():
                    if airports.airport(code) is None:
                        raise BookingError(f"{code} is not an airport code (airportsdata {airports.version()})",
                                           code="booking-unknown-airport")  # fmt: skip


class BookingReader:
    """Reads one confirmation text with an LLM (embedded or remote: the same call)."""

    def __init__(self, llm: LLM | Callable[[], LLM], *, zone: str) -> None:
        self._llm = llm  # or how to get it: a text refused before any model is asked loads none
        self.zone = zone

    @property
    def llm(self) -> LLM:
        return self._llm if isinstance(self._llm, LLM) else self._llm()

    async def read(self, text: str, *, today: dt.date, kind: Kind | None = None) -> tuple[Checked, Found]:
        text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n")
        if not text.strip():
            raise BookingError("the booking text is empty", code="booking-empty")
        if len(text) > MAX_TEXT:
            raise BookingError(f"a booking text may have up to {MAX_TEXT} characters", code="booking-too-long")
        found = find(text)
        kind = kind or found.kind()
        if kind is None or not found.dates:
            if found.bad_dates:
                raise BookingError(f"{found.bad_dates[0]!r} is not a date", code="booking-invalid-date")
            raise BookingError("this text does not look like a flight, train, hotel or car rental booking (no "
                               "date, or no words of one)", code="booking-unrecognized")  # fmt: skip
        raw = await self._ask(kind, text, found)
        checked = Checker(kind, found, text, today=today, zone=self.zone).check(raw)
        if found.bad_dates and _lacks_date(checked.booking):
            raise BookingError(f"{found.bad_dates[0]!r} is not a date", code="booking-invalid-date")
        return checked, found

    async def _ask(self, kind: Kind, text: str, found: Found) -> Any:
        """The model's answer. A trip with flight or train numbers is asked leg by leg, each with its part of
        the text (the requests decoded together): the 0.5B model, asked for all legs at once, copies the first
        leg's date and times into the others."""
        lines = kept(text, found)
        numbers = (found.flight_numbers if kind == "flight" else found.train_numbers)[:MAX_SEGMENTS]
        options = GenerationOptions(max_tokens=600, temperature=0.0)
        if kind not in ("flight", "train") or not numbers:
            return await self.llm.complete_json(messages(kind, _joined(lines)), schema(kind, found), options=options)
        parts = blocks(lines, numbers, found)
        requests = [(leg_messages(kind, _joined(part), number), segment_schema(kind, _within(found, part), number))
                    for part, number in zip(parts, numbers, strict=True)]  # fmt: skip
        legs = await self.llm.complete_json_many(requests, options=GenerationOptions(max_tokens=250,
                                                                                     temperature=0.0))  # fmt: skip
        return {"reference": found.references[0] if found.references else None, "segments": legs}


def _lacks_date(booking: Booking) -> bool:
    if booking.kind in ("flight", "train"):
        return any(s.date is None for s in booking.segments)
    return (booking.checkin_date if booking.kind == "hotel" else booking.pickup_date) is None


# -- filling in what was asked ---------------------------------------------------------------------------------


def fill(booking: Booking, values: dict[str, Any]) -> Booking:
    """A copy with the wearer's answers ({"segments.0.departs": "12:55", "checkin_date": "2027-01-02"}) checked
    and set: dates ISO 8601, times HH:MM, airports an IATA code or a place airportsdata knows."""
    out = booking.model_copy(deep=True)
    for path, value in values.items():
        parts = path.split(".")
        target: Any = out
        name = parts[-1]
        if len(parts) == 3 and parts[0] == "segments" and parts[1].isdigit():
            if int(parts[1]) >= len(out.segments):
                raise BadInputError(f"{path}: the booking has {len(out.segments)} segment(s)", code="bad-field")
            target = out.segments[int(parts[1])]
        elif len(parts) != 1 or name == "segments":
            raise BadInputError(f"{path} is not a field of a booking", code="bad-field")
        if name not in type(target).model_fields or name in ("kind", "tz", "from_tz", "to_tz"):
            raise BadInputError(f"{path} is not a field of a {out.kind} booking", code="bad-field")
        setattr(target, *_value(target, name, value, path))
    return out


def _value(target: Any, name: str, value: Any, path: str) -> tuple[str, Any]:
    if value is None or value == "":
        return name, None
    text = str(value).strip()
    kinds = typing.get_args(type(target).model_fields[name].annotation)  # (datetime.date, None), (str, None)
    parse = dt.date.fromisoformat if dt.date in kinds else dt.time.fromisoformat if dt.time in kinds else None
    if parse is not None:
        try:
            return name, parse(text)
        except ValueError:
            raise BadInputError(f"{path}: {text!r} is not an ISO 8601 {'date' if dt.date in kinds else 'time'}",
                                code="booking-invalid-date") from None  # fmt: skip
    if name in ("from_code", "to_code"):
        named = [airports.airport(text)] if re.fullmatch(r"[A-Za-z]{3}", text) else airports.lookup(text)
        if not named or named[0] is None:
            raise BookingError(f"{text} is not an airport (airportsdata {airports.version()})",
                               code="booking-unknown-airport")  # fmt: skip
        if len(named) > 1:
            raise BadInputError(f"{text!r} has several airports: {', '.join(a.code for a in named[:6] if a)}",
                                code="booking-ambiguous-airport")  # fmt: skip
        found = named[0]
        setattr(target, "from_tz" if name == "from_code" else "to_tz", found.tz)
        return name, found.code
    return name, text[:120]


# -- trip events -----------------------------------------------------------------------------------------------


def occurrences(booking_id: str, booking: Booking) -> list[Occurrence]:
    """The booking's trips as calendar occurrences (for the trip questions and the reminder rules); a segment
    without what it needs is left out until it is filled in."""
    out: list[Occurrence] = []
    if booking.kind in ("flight", "train"):
        word = "Flight" if booking.kind == "flight" else "Train"
        for i, seg in enumerate(booking.segments):
            if seg.date is None or seg.departs is None or (booking.kind == "flight" and seg.from_code is None):
                continue
            start = dt.datetime.combine(seg.date, seg.departs, ZoneInfo(seg.from_tz or booking.tz or "UTC"))
            end = start
            if seg.arrives is not None:
                end = dt.datetime.combine(seg.arrival_date or seg.date, seg.arrives,
                                          ZoneInfo(seg.to_tz or seg.from_tz or "UTC"))  # fmt: skip
            origin = seg.from_code or seg.from_place or ""
            target = seg.to_code or seg.to_place or ""
            route = f"{origin} → {target}" if origin and target else origin or target
            summary = " ".join(x for x in (word, seg.number or "", route) if x)
            where = seg.from_place or ""
            if booking.kind == "flight" and seg.from_code and (found := airports.airport(seg.from_code)):
                where = found.name
            out.append(Occurrence(uid=f"{booking_id}-{i}", summary=summary, start=start, end=end, location=where,
                                  all_day=False, calendar=f"booking:{booking_id}", mode=booking.kind,
                                  number=seg.number or ""))  # fmt: skip
    elif booking.kind == "hotel" and booking.checkin_date is not None:
        summary = f"Hotel {booking.name}" if booking.name else "Hotel"
        zone = ZoneInfo(booking.tz or "UTC")
        if booking.checkin_time is None:
            end_day = booking.checkout_date or booking.checkin_date + dt.timedelta(days=1)
            out.append(Occurrence(uid=f"{booking_id}-stay", summary=summary, start=booking.checkin_date,
                                  end=end_day, location=booking.address or "", all_day=True,
                                  calendar=f"booking:{booking_id}", mode="hotel"))  # fmt: skip
        else:
            start = dt.datetime.combine(booking.checkin_date, booking.checkin_time, zone)
            end = start
            if booking.checkout_date is not None:
                end = dt.datetime.combine(booking.checkout_date, booking.checkout_time or dt.time(11, 0), zone)
            out.append(Occurrence(uid=f"{booking_id}-stay", summary=summary, start=start, end=end,
                                  location=booking.address or "", all_day=False, calendar=f"booking:{booking_id}",
                                  mode="hotel"))  # fmt: skip
    elif booking.kind == "car" and booking.pickup_date is not None and booking.pickup_time is not None:
        zone = ZoneInfo(booking.tz or "UTC")
        start = dt.datetime.combine(booking.pickup_date, booking.pickup_time, zone)
        end = start
        if booking.return_date is not None:
            end = dt.datetime.combine(booking.return_date, booking.return_time or booking.pickup_time, zone)
        summary = " ".join(x for x in ("Car rental", booking.company or "") if x)
        out.append(Occurrence(uid=f"{booking_id}-car", summary=summary, start=start, end=max(start, end),
                              location=booking.pickup_place or "", all_day=False, calendar=f"booking:{booking_id}",
                              mode="car"))  # fmt: skip
    return out
