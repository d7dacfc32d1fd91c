"""Bookings read by the real embedded Qwen: a real two-flight Eurowings mail (airports by name only), SWISS's
flattened HTML mail (the number after the times) and a Chinese airline SMS, each to the right legs; the same
under the JSON constraint: the model can only name values the text has. bench/bookings.py measures the whole
set, with held-out mails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from glassmate.runtime import Models
from glassmate.travel.bookings import BookingReader

DATA = Path(__file__).parents[1] / "data" / "bookings"
Leg = tuple[str, str, str, str, str]  # number, from, to, date, departs


@pytest.mark.parametrize(
    ("name", "legs"),
    [
        ("eurowings_1.txt", [("4U 8462", "TXL", "LHR", "2017-06-15", "12:55"),
                             ("4U 8465", "LHR", "TXL", "2017-06-18", "19:10")]),
        ("swiss_one-leg-return.txt", [("LX 963", "TXL", "ZRH", "2017-09-10", "06:45"),
                                      ("LX 962", "ZRH", "TXL", "2017-09-15", "20:50")]),
        ("written/zh_ctrip_flight.txt", [("CA 1831", "PEK", "SHA", "2027-01-15", "08:00")]),
    ],
)  # fmt: skip
async def test_the_embedded_model_reads_real_flight_mails(models: Models, name: str, legs: list[Leg]) -> None:
    reader = BookingReader(models.llm, zone="Europe/Berlin")
    checked, _ = await reader.read((DATA / name).read_text(encoding="utf-8"), today=dt.date(2016, 1, 1))
    got = [(s.number, s.from_code, s.to_code, s.date.isoformat() if s.date else None,
            s.departs.strftime("%H:%M") if s.departs else None) for s in checked.booking.segments]  # fmt: skip
    for read, want in zip(got, legs, strict=True):
        # A departure airport the model leaves out is asked for (None); a wrong one would fail.
        assert read == want or (read[1] is None and read[0] == want[0] and read[2:] == want[2:]), (read, want)
