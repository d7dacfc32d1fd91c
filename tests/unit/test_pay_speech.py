"""What the wearer says during a payment: amounts in English, German and Chinese (words, numerals, digits), and
the pay / confirm / cancel phrases. Deterministic: a small model never decides what is paid."""

from __future__ import annotations

import pytest

from glassmate.payments.speech import amount_from_speech, is_cancel, is_confirm, is_pay_request, spoken_amount

AMOUNTS = [
    ("12.50", 2, 1250), ("12,50 euros", 2, 1250), ("€4.50", 2, 450), ("It's 7.25, please.", 2, 725),
    ("Twelve euros fifty.", 2, 1250), ("Seven twenty-five.", 2, 725), ("twenty euros", 2, 2000),
    ("4 euros 50", 2, 450), ("5 euros and 20 cents", 2, 520), ("three fifty", 2, 350), ("fifty cents", 2, 50),
    ("50 cents", 2, 50), ("one hundred twenty", 2, 12_000), ("a hundred", 2, 10_000), ("four point five", 2, 450),
    ("twenty five", 2, 2_500), ("¥30", 2, 3_000), ("1500", 0, 1_500),
    ("zwölf Euro fünfzig", 2, 1250), ("zwölf fünfzig", 2, 1250), ("sieben Euro", 2, 700), ("fünfzig Cent", 2, 50),
    ("fünfundzwanzig Euro", 2, 2500), ("einhundertzwanzig", 2, 12_000), ("zwölf Komma fünf", 2, 1250),
    ("十二块五", 2, 1250), ("十二块五毛", 2, 1250), ("12块5", 2, 1250), ("十二元五角三分", 2, 1253),
    ("三十块钱。", 2, 3000), ("五毛", 2, 50), ("十二点五", 2, 1250), ("12.5元", 2, 1250), ("一百二十块", 2, 12_000),
    ("两块", 2, 200), ("付十二块", 2, 1200), ("一千五百", 0, 1500), ("1500円", 0, 1500),
]  # fmt: skip
NOT_AMOUNTS = [("hello there", 2), ("1.234", 2), ("15.5", 0), ("你好", 2), ("确认", 2), ("Guten Tag", 2),
               ("十二块五", 0), ("what time is it", 2)]  # fmt: skip


@pytest.mark.parametrize(("said", "units", "minor"), AMOUNTS, ids=[a[0] for a in AMOUNTS])
def test_amounts(said: str, units: int, minor: int) -> None:
    assert amount_from_speech(said, units) == minor


@pytest.mark.parametrize(("said", "units"), NOT_AMOUNTS, ids=[a[0] for a in NOT_AMOUNTS])
def test_words_that_are_not_amounts(said: str, units: int) -> None:
    assert amount_from_speech(said, units) is None


def test_phrases() -> None:
    for said in ("Confirm.", "Yes, confirm.", "I confirm", "confirm payment", "Ja, bestätigen.", "确认"):
        assert is_confirm(said) and not is_cancel(said), said
    for said in ("Cancel.", "No.", "don't pay", "Stop.", "Wait, stop.", "Abbrechen.", "取消"):
        assert is_cancel(said) and not is_confirm(said), said
    for said in (
        "Pay this.",
        "pay",
        "Pay with my glasses please",
        "Scan to pay",
        "Jetzt bezahlen.",
        "付款",
        "扫码支付",
    ):
        assert is_pay_request(said), said
    for said in ("What time is it?", "Where is it cheaper?", "Is it confirmed that the shop is open?"):
        assert not (is_pay_request(said) or is_confirm(said) or is_cancel(said)), said


def test_spoken_amounts_read_well() -> None:
    assert spoken_amount(450, "EUR", 2) == "4 euros 50"
    assert spoken_amount(700, "EUR", 2) == "7 euros"
    assert spoken_amount(1500, "JPY", 0) == "1500 yen"
    assert spoken_amount(2372, "CNY", 2) == "23 yuan 72"


def test_spoken_amounts_in_chinese_and_german() -> None:
    assert spoken_amount(450, "EUR", 2, "zh") == "4欧元50"
    assert spoken_amount(1200, "CNY", 2, "zh") == "12元"
    assert spoken_amount(450, "EUR", 2, "de") == "4 Euro 50"
