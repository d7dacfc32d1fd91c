"""Bookings from pasted confirmations: what the code finds in real confirmations (KDE Itinerary's CC0 test mails:
Eurowings, SWISS, Iberia, Travellink, Deutsche Bahn, SNCF, a&o) and in the Chinese and car-rental texts we wrote;
how the model's answer is checked (nothing invented survives, airports from airportsdata, dates checked); the
questions for what a text lacks; and the store: planned reminders, the same text twice, nothing half-imported.

The model here is scripted (its answers are the JSON it would give); tests/integration/test_bookings_llm.py runs
the embedded Qwen on real texts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from glassmate.config import TravelSettings
from glassmate.errors import BadInputError, GlassmateError
from glassmate.scheduler import Scheduler
from glassmate.store import Database
from glassmate.store.travel import BookingRow, ReminderRow
from glassmate.testing.fakes import ScriptedLLM
from glassmate.travel import airports
from glassmate.travel.booking_questions import language_of, questions
from glassmate.travel.booking_text import blocks, find, kept
from glassmate.travel.bookings import Booking, BookingError, BookingReader, Checker, fill, missing, occurrences
from glassmate.travel.service import Travel

DATA = Path(__file__).parents[1] / "data" / "bookings"
TODAY = dt.date(2016, 1, 1)


def text(name: str) -> str:
    path = DATA / name if (DATA / name).exists() else DATA / "written" / name
    return path.read_text(encoding="utf-8")


def read(name: str, *answers: dict[str, Any], today: dt.date = TODAY, zone: str = "Europe/Berlin") -> Any:
    llm = ScriptedLLM([json.dumps(a, ensure_ascii=False) for a in answers])
    checked, _ = asyncio.run(BookingReader(llm, zone=zone).read(text(name), today=today))
    return checked, llm


def leg(number: str, **fields: Any) -> dict[str, Any]:
    base = {"number": number, "from_code": None, "from_place": None, "to_code": None, "to_place": None,
            "date": None, "departs": None, "arrives": None, "arrival_date": None}  # fmt: skip
    return {**base, **fields}


# -- what the code finds -------------------------------------------------------------------------------------


def test_what_real_confirmations_are_made_of() -> None:
    swiss = find(text("swiss_one-leg-return.txt"))
    assert swiss.kind() == "flight"  # not "car", though the mail advertises Mietwagen and hotels
    assert swiss.codes == ["TXL", "ZRH"] and swiss.flight_numbers == ["LX 963", "LX 962"]
    assert list(swiss.dates) == ["10.09.2017", "15.09.2017"] and swiss.references == ["XXX007"]
    iberia = find(text("iberia_1.txt"))
    assert iberia.flight_numbers == ["IB 3677", "IB 8588", "IB 8603", "IB 3186"]
    assert iberia.dates["20-Jul"].year is None and iberia.dates["20-Jul"].month == 7
    sncf = find(text("sncf_one-leg-single-tgv.txt"))
    assert sncf.kind() == "train" and sncf.train_numbers == ["6857"]
    assert sncf.times == {"17h50": dt.time(17, 50), "19h58": dt.time(19, 58)}
    db = find(text("deutschebahn_one-leg-single-international.txt"))
    assert db.kind() == "train" and "EC 170" in db.train_numbers and db.references == ["XXX007"]
    assert "29.08.2027" not in db.dates  # the payment's date, written beside "Datum" and "erfolgte am"
    eurowings = find(text("eurowings_1.txt"))
    assert "11:10" not in eurowings.times  # 11:10:45 is a time of day with seconds: the booking's
    assert find(text("aohostels_1.txt")).kind() == "hotel"
    china = find(text("zh_12306_train.txt"))
    assert china.kind() == "train" and china.train_numbers == ["G1"] and list(china.dates) == ["12月24日"]
    assert find(text("zh_ctrip_flight.txt")).kind() == "flight"
    assert find(text("en_car_rental.txt")).kind() == "car" and find(text("de_car_rental.txt")).kind() == "car"


def test_each_leg_gets_its_own_part_of_the_text_whichever_way_the_mail_is_laid_out() -> None:
    # Eurowings writes the number before the times, SWISS after them.
    for name, numbers, first_date, second_date in (
        ("eurowings_1.txt", ["4U 8462", "4U 8465"], "15.06.2017", "18.06.2017"),
        ("swiss_one-leg-return.txt", ["LX 963", "LX 962"], "10.09.2017", "15.09.2017"),
    ):
        found = find(text(name))
        lines = kept(text(name), found)
        first, second = ("\n".join(part) for part in blocks(lines, numbers, found))
        assert first_date in first and second_date not in first, name
        assert second_date in second, name


# -- checking the model's answer -----------------------------------------------------------------------------


def test_a_real_two_flight_booking_with_airports_by_name() -> None:
    checked, llm = read(
        "eurowings_1.txt",
        leg("4U 8462", from_place="Berlin-Tegel", to_place="London Heathrow", date="15.06.2017", departs="12:55",
            arrives="13:50"),
        leg("4U 8465", from_place="London Heathrow", to_place="Berlin-Tegel", date="18.06.2017", departs="19:10",
            arrives="22:00"),
    )  # fmt: skip
    booking: Booking = checked.booking
    assert len(llm.calls) == 2  # one request per leg
    assert booking.reference == "ABC123"
    first = booking.segments[0]
    assert (first.from_code, first.to_code, first.from_tz, first.to_tz) == ("TXL", "LHR", "Europe/Berlin",
                                                                            "Europe/London")  # fmt: skip
    assert missing(booking) == [] and not checked.warnings
    outbound, back = occurrences("b1", booking)
    assert outbound.start == dt.datetime(2017, 6, 15, 12, 55, tzinfo=ZoneInfo("Europe/Berlin"))
    assert (outbound.end - outbound.start) == dt.timedelta(hours=1, minutes=55)  # 13:50 in London is 14:50 in Berlin
    assert outbound.mode == "flight" and outbound.number == "4U 8462" and "Tegel" in outbound.location
    assert back.summary == "Flight 4U 8465 LHR → TXL"


def test_nothing_the_text_does_not_say_survives() -> None:
    checked, _ = read(
        "eurowings_1.txt",
        leg("4U 8462", from_place="Paris", to_place="K", date="15.06.2017", departs="09:99", arrives="13:50"),
        {"number": "4U 8465", "date": "2017-06-18"},  # not as written: not one of the text's dates
    )
    first, second = checked.booking.segments
    assert first.from_place is None and first.to_place is None  # Paris is not in the text; "K" is a fare class
    assert first.departs is None and first.arrives == dt.time(13, 50)
    assert second.date is None
    assert "segments.0.from_code" in missing(checked.booking) and "segments.1.date" in missing(checked.booking)


def test_an_overnight_leg_arrives_the_next_day_and_a_date_without_a_year_is_the_next_such_day() -> None:
    checked, _ = read(
        "fcmtravel_2.txt",
        leg("AB 6439", from_code="TXL", to_code="DUS", date="17 Oct 2016", departs="10:50", arrives="12:00"),
        leg("AB 7392", from_code="DUS", to_code="SFO", date="17 Oct 2016", departs="13:20", arrives="15:55"),
        leg("AA 086", from_code="PDX", to_code="ORD", date="22 Oct 2016", departs="08:00", arrives="14:00"),
        leg("AB 7421", from_code="ORD", to_code="TXL", date="22 Oct 2016", departs="15:25", arrives="07:00"),
    )  # fmt: skip
    last = checked.booking.segments[3]
    assert last.arrival_date == dt.date(2016, 10, 23) and any("next day" in a for a in checked.assumed)
    dus_sfo = occurrences("b", checked.booking)[1]
    assert dus_sfo.end - dus_sfo.start == dt.timedelta(hours=11, minutes=35)  # across nine time zones

    checked, _ = read("iberia_1.txt", leg("IB 3677", from_code="TXL", to_code="MAD", date="20-Jul", departs="12:25",
                                          arrives="15:35"), {}, {}, {}, today=dt.date(2027, 8, 1))  # fmt: skip
    assert checked.booking.segments[0].date == dt.date(2028, 7, 20)  # July 2027 is past on 1 August 2027
    assert checked.assumed == ["segments.0.date: the year of '20-Jul' is taken as 2028"]


def test_an_arrival_that_does_not_fit_the_departure_is_left_out() -> None:
    swapped = leg("LX 963", from_code="TXL", to_code="ZRH", date="10.09.2017", departs="08:15", arrives="06:45",
                  arrival_date="15.09.2017")  # fmt: skip
    checked, _ = read("swiss_one-leg-return.txt", swapped, {})
    first = checked.booking.segments[0]
    assert first.arrives is None and first.departs == dt.time(8, 15) and checked.warnings


def test_chinese_bookings_resolve_their_airports_and_trains_keep_chinas_zone() -> None:
    checked, _ = read("zh_ctrip_flight.txt", leg("CA 1831", from_place="北京首都国际机场T3",
                                                 to_place="上海虹桥国际机场T2", date="2027年1月15日", departs="08:00",
                                                 arrives="10:15"))  # fmt: skip
    seg = checked.booking.segments[0]
    assert (seg.from_code, seg.to_code, seg.from_tz) == ("PEK", "SHA", "Asia/Shanghai")
    checked, _ = read("zh_12306_train.txt", {"number": "G1", "from_place": "北京南站", "to_place": "北京南站",
                      "date": "12月24日", "departs": "09:00", "arrives": None, "arrival_date": None, "coach": "02车",
                      "seat": "05F号"})  # fmt: skip
    seg = checked.booking.segments[0]
    assert seg.to_place is None  # the departure copied: asked for
    assert seg.from_tz == "Asia/Shanghai" and seg.date == dt.date(2016, 12, 24)
    asked = questions(checked.booking, "zh")
    assert {"field": "segments.0.to_place", "question": "G1次列车到哪个车站？"} in asked


def test_hotels_and_car_rentals() -> None:
    checked, _ = read("aohostels_1.txt", {"reference": "AOI-XX-1234567", "name": "a&o Wien Hauptbahnhof",
                      "address": "Sonnwendgasse 11", "checkin_date": "10.08.2018", "checkin_time": None,
                      "checkout_date": "18.08.2018", "checkout_time": None}, zone="Europe/Vienna")  # fmt: skip
    (stay,) = occurrences("h", checked.booking)
    assert stay.all_day and stay.start == dt.date(2018, 8, 10) and stay.end == dt.date(2018, 8, 18)
    checked, _ = read("de_hotel.txt", {"name": "Hotel Adlon Kempinski Berlin", "checkin_date": "07.03.2027",
                      "checkout_date": "05.03.2027", "checkin_time": "15:00"})  # fmt: skip
    assert checked.booking.checkout_date is None and checked.warnings  # before the check-in: asked again
    checked, _ = read("en_car_rental.txt", {"reference": "9876543210", "company": "SIXT", "pickup_place":
                      "Munich Airport, Terminal 2", "pickup_date": "12.02.2027", "pickup_time": "09:30",
                      "return_place": "Munich Airport, Terminal 2", "return_date": "15.02.2027",
                      "return_time": "18:00"})  # fmt: skip
    (car,) = occurrences("c", checked.booking)
    assert car.mode == "car" and car.start == dt.datetime(2027, 2, 12, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))


# -- bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("bad_recipe.txt", "booking-unrecognized"),  # a date, but no words of a booking
        ("bad_airport.txt", "booking-unknown-airport"),  # FRA - XQZ
        ("bad_date.txt", "booking-invalid-date"),  # 31.02.2027
    ],
)
def test_bad_texts_are_refused_with_their_codes(name: str, code: str) -> None:
    with pytest.raises(BookingError) as caught:
        read(name, leg("LH 1234", from_code="FRA", date="14.05.2027", departs="10:05", arrives="12:40"))
    assert caught.value.code == code and caught.value.http_status == 422


def test_a_text_without_any_booking_never_reaches_the_model() -> None:
    llm = ScriptedLLM()
    for said in ("", "   ", "hello, how are you?", "Meeting notes 12.03.2026: we agreed on the budget."):
        with pytest.raises(BookingError):
            asyncio.run(BookingReader(llm, zone="UTC").read(said, today=TODAY))
    assert llm.calls == []
    with pytest.raises(BookingError) as caught:
        asyncio.run(BookingReader(llm, zone="UTC").read("Flug " * 5000, today=TODAY))
    assert caught.value.code == "booking-too-long"


def test_an_unknown_airport_the_model_chose_is_refused() -> None:
    found = find("Flight LH 1 from Nowhere (QQQ) to Frankfurt (FRA) on 14.05.2027 at 10:05")
    checker = Checker("flight", found, "…", today=TODAY, zone="UTC")
    with pytest.raises(BookingError) as caught:
        checker.check({"segments": [leg("LH 1", from_code="QQQ", date="14.05.2027", departs="10:05")]})
    assert caught.value.code == "booking-unknown-airport"


# -- questions and answers -----------------------------------------------------------------------------------


def test_what_a_text_lacks_is_asked_for_in_three_languages_and_answered() -> None:
    checked, _ = read("en_flight_no_time.txt", leg("LH 720", from_code="FRA", to_code="PEK", date="24 March 2027"))
    booking = checked.booking
    assert missing(booking) == ["segments.0.departs", "segments.0.arrives"]
    assert [q["question"] for q in questions(booking, "en")] == ["At what time does flight LH 720 leave?",
                                                                "At what time does flight LH 720 arrive?"]  # fmt: skip
    assert questions(booking, "de")[0]["question"] == "Um wie viel Uhr geht Flug LH 720?"
    assert questions(booking, "zh")[0]["question"] == "航班LH 720几点出发？"
    assert occurrences("x", booking) == []  # no departure time: no trip event, no reminders yet
    answered = fill(booking, {"segments.0.departs": "13:55", "segments.0.arrives": "05:45"})
    assert missing(answered) == []
    (flight,) = occurrences("x", answered)
    assert flight.start == dt.datetime(2027, 3, 24, 13, 55, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"segments.0.departs": "late"}, "booking-invalid-date"),
        ({"segments.0.date": "2027-02-31"}, "booking-invalid-date"),
        ({"segments.0.to_code": "XQZ"}, "booking-unknown-airport"),
        ({"segments.0.to_code": "London"}, "booking-ambiguous-airport"),
        ({"segments.3.departs": "10:00"}, "bad-field"),
        ({"password": "x"}, "bad-field"),
        ({"kind": "hotel"}, "bad-field"),
    ],
)
def test_bad_answers_are_refused(values: dict[str, Any], code: str) -> None:
    booking = Booking(kind="flight", segments=[{"number": "LH 720"}])  # type: ignore[list-item]
    with pytest.raises(BadInputError) as caught:
        fill(booking, values)
    assert caught.value.code == code


def test_a_date_is_answered_as_a_date_and_a_time_as_a_time() -> None:
    booking = Booking(kind="flight", segments=[{"number": "LH 720"}])  # type: ignore[list-item]
    answered = fill(booking, {"segments.0.date": "2027-03-24", "segments.0.departs": "13:55"})
    assert (answered.segments[0].date, answered.segments[0].departs) == (dt.date(2027, 3, 24), dt.time(13, 55))
    hotel = fill(Booking(kind="hotel"), {"checkin_date": "2027-03-05", "name": "Hotel Adlon"})
    assert hotel.checkin_date == dt.date(2027, 3, 5) and hotel.name == "Hotel Adlon"


def test_an_airport_answer_may_be_a_code_or_a_place() -> None:
    booking = Booking(kind="flight", segments=[{"number": "LH 720"}])  # type: ignore[list-item]
    answered = fill(booking, {"segments.0.from_code": "fra", "segments.0.to_code": "北京首都国际机场"})
    seg = answered.segments[0]
    assert (seg.from_code, seg.to_code, seg.to_tz) == ("FRA", "PEK", "Asia/Shanghai")


def test_airports_come_from_airportsdata() -> None:
    assert airports.airport("PEK").tz == "Asia/Shanghai"  # type: ignore[union-attr]
    assert airports.airport("XQZ") is None
    assert [a.code for a in airports.lookup("Zürich")] == ["ZRH"]
    assert [a.code for a in airports.lookup("München")] == ["MUC"]
    assert len(airports.lookup("London")) > 1  # a city with several airports is not guessed
    assert airports.lookup("K") == [] and airports.lookup("Unknown Place") == []


def test_the_language_of_the_questions_follows_the_text() -> None:
    assert language_of(text("zh_hotel.txt")) == "zh"
    assert language_of(text("swiss_one-leg-return.txt")) == "de"
    assert language_of(text("eurowings_1.txt")) == "en"


# -- the store -----------------------------------------------------------------------------------------------

NOW = dt.datetime(2027, 3, 20, 8, 0, tzinfo=dt.UTC)
LH720 = leg("LH 720", from_code="FRA", to_code="PEK", date="24 March 2027")


@pytest.fixture
def travel(any_db_url: str) -> Travel:
    service = Travel(db=Database(url=any_db_url), settings=TravelSettings(timezone="Europe/Berlin", plan_days=14),
                     scheduler=Scheduler(any_db_url))  # fmt: skip
    service.register()
    return service


def _counts(travel: Travel) -> tuple[int, int]:
    with travel.db.session() as s:
        return (s.scalar(select(func.count()).select_from(BookingRow)) or 0,
                s.scalar(select(func.count()).select_from(ReminderRow)) or 0)  # fmt: skip


def test_a_booking_is_kept_answered_planned_and_removed(travel: Travel) -> None:
    llm = ScriptedLLM([json.dumps(LH720)])
    travel.llm = lambda: llm
    body = asyncio.run(travel.import_booking("device:g", text("en_flight_no_time.txt"), now=NOW))
    assert body["created"] and body["kind"] == "flight" and not body["complete"] and body["reminders"] == 0
    assert [q["field"] for q in body["missing"]] == ["segments.0.departs", "segments.0.arrives"]
    again = asyncio.run(travel.import_booking("device:g", text("en_flight_no_time.txt") + "\n", now=NOW))
    assert again["id"] == body["id"] and not again["created"] and len(llm.calls) == 1  # read once
    answered = travel.complete_booking("device:g", body["id"], {"segments.0.departs": "13:55"}, now=NOW)
    assert answered["complete"] and answered["reminders"] == 3  # check-in, leave-by, boarding
    kinds = {r.kind: r for r in travel.pending("device:g")}
    assert set(kinds) == {"checkin", "leave", "boarding"}
    departure = dt.datetime(2027, 3, 24, 13, 55, tzinfo=ZoneInfo("Europe/Berlin"))
    assert kinds["boarding"].due_at == departure - dt.timedelta(minutes=30)
    events = travel.events("device:g", NOW, NOW + dt.timedelta(days=7))
    assert [(e.summary, e.start) for e in events] == [("Flight LH 720 FRA → PEK", departure)]
    assert travel.events("device:other", NOW, NOW + dt.timedelta(days=7)) == []
    with pytest.raises(GlassmateError) as caught:
        travel.complete_booking("device:other", body["id"], {"segments.0.departs": "13:55"}, now=NOW)
    assert caught.value.code == "booking-not-found"
    travel.delete_booking("device:g", body["id"])
    assert travel.pending("device:g") == [] and travel.bookings("device:g") == []


def test_a_refused_text_leaves_nothing_behind(travel: Travel) -> None:
    travel.llm = lambda: ScriptedLLM([json.dumps(leg("LH 1234", from_code="FRA"))])
    with pytest.raises(BookingError):
        asyncio.run(travel.import_booking("device:g", text("bad_airport.txt"), now=NOW))
    with pytest.raises(GlassmateError):
        travel.complete_booking("device:g", "bkg_nope", {}, now=NOW)
    assert _counts(travel) == (0, 0)


def test_a_date_without_a_year_takes_the_year_the_text_writes_for_that_day() -> None:
    answer = {
        "number": "EC 170",
        "from_place": "Brno hl.n.",
        "to_place": "Berlin Hbf (tief)",
        "date": "12.09.",
        "departs": "13:39",
        "arrives": "21:15",
        "arrival_date": "12.09.",
        "coach": None,
        "seat": None,
    }
    checked, _ = read("deutschebahn_one-leg-single-international.txt", answer)
    seg = checked.booking.segments[0]
    assert seg.date == dt.date(2027, 9, 12) and checked.assumed == []  # "Hinfahrt am 12.09.2027"


def test_the_same_text_pasted_twice_at_once_is_one_booking(travel: Travel, monkeypatch: pytest.MonkeyPatch) -> None:
    travel.llm = lambda: ScriptedLLM([json.dumps(LH720), json.dumps(LH720)])
    first = asyncio.run(travel.import_booking("device:g", text("en_flight_no_time.txt"), now=NOW))
    looked = iter([None])  # the second paste looked before the first was stored
    real = travel._booking_by_text
    monkeypatch.setattr(travel, "_booking_by_text", lambda owner, digest: next(looked, real(owner, digest)))
    second = asyncio.run(travel.import_booking("device:g", text("en_flight_no_time.txt"), now=NOW))
    assert second["id"] == first["id"] and not second["created"] and _counts(travel)[0] == 1
