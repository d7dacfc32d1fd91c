"""EMVCo merchant-presented QR payloads: the spec's own example, property tests (generated payloads round-trip;
any altered character is caught), and a table of bad inputs with their error codes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassmate.payments.emv import CURRENCIES, QRPayloadError, build, crc16, is_wallet_link, parse

# The example payload of EMV QRCPS-MPM (merchant "BEST TRANSPORT", Beijing, CNY 23.72, language template in
# Chinese, additional data and an unreserved template), CRC A13A.
SPEC_EXAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT"
    "6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME9132"
    "0016A0112233449988770708123456786304A13A"
)
VALID = build(merchant_name="Cafe Lisboa", merchant_city="Berlin", currency_numeric="978", country="DE",
              amount="4.50", additional={"bill_number": "A17"})  # fmt: skip


def test_crc_is_ccitt_false() -> None:
    assert crc16("123456789") == "29B1"  # the catalogued check value of CRC-16/CCITT-FALSE


def test_the_specification_example_parses_field_by_field() -> None:
    qr = parse(SPEC_EXAMPLE)
    assert (qr.initiation, qr.merchant_category_code, qr.currency, qr.amount_minor) == ("dynamic", "4111", "CNY", 2372)
    assert [a.globally_unique_id for a in qr.merchant_accounts] == ["D15600000000", "D15600000001"]
    assert (qr.country, qr.merchant_name, qr.merchant_city, qr.tip) == ("CN", "BEST TRANSPORT", "BEIJING", "prompt")
    assert qr.language == {"preference": "ZH", "merchant_name": "最佳运输", "merchant_city": "北京"}
    assert qr.additional["store_label"] == "1234" and qr.additional["terminal_label"] == "A6008667"
    assert qr.unreserved == {"91": {"00": "A011223344998877", "07": "12345678"}}


text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(
    name=text,
    city=text.map(lambda s: s[:15]),
    currency=st.sampled_from(sorted(CURRENCIES)),
    cents=st.one_of(st.none(), st.integers(min_value=1, max_value=10**9)),
    bill=st.one_of(st.none(), st.text(alphabet="ABCDEFGHIJ0123456789", min_size=1, max_size=20)),
    gui=st.from_regex(r"[a-z]{2,8}\.[a-z]{2,8}\.[a-z]{2,8}", fullmatch=True),
)
def test_generated_payloads_round_trip(
    name: str, city: str, currency: str, cents: int | None, bill: str | None, gui: str
) -> None:
    minor = CURRENCIES[currency][1]
    amount = None if cents is None else (str(cents) if minor == 0 else f"{cents // 100}.{cents % 100:02d}")
    if amount is not None and amount.startswith("0.00"):
        amount = None
    payload = build(merchant_name=name, merchant_city=city, currency_numeric=currency, country="SG",
                    account_gui=gui, amount=amount, additional={"bill_number": bill} if bill else None)  # fmt: skip
    qr = parse(payload)
    assert (qr.merchant_name, qr.merchant_city, qr.currency_numeric) == (name, city, currency)
    assert qr.merchant_accounts[0].globally_unique_id == gui
    assert qr.initiation == ("static" if amount is None else "dynamic")
    assert qr.amount_minor == (None if amount is None else int(amount.replace(".", "")))
    assert qr.additional.get("bill_number") == bill


@settings(max_examples=300, deadline=None)
@given(position=st.integers(min_value=0, max_value=len(VALID) - 1), replacement=st.sampled_from("0123456789ABZ. "))
def test_any_altered_character_is_refused(position: int, replacement: str) -> None:
    """A tampered payload (an amount, a merchant, a length, the CRC itself) never parses as valid."""
    if VALID[position] == replacement:
        return
    altered = VALID[:position] + replacement + VALID[position + 1 :]
    with pytest.raises(QRPayloadError):
        parse(altered)


def _with_crc(body: str) -> str:
    body += "6304"
    return body + crc16(body)


BASE = "000201010211" + "26190015com.example.pay" + "52045812" + "5303978" + "5802DE" + "5904Cafe" + "6006Berlin"
# A valid payload whose CRC has hex letters in it.
LETTERED_CRC = next(p for i in range(100) if not (p := _with_crc(BASE + f"62070503{i:03d}"))[-4:].isdigit())
BAD = [
    ("", "qr-empty"),
    ("hello", "qr-not-emv"),
    ("https://qr.alipay.com/fkx12345", "qr-wallet-link"),
    ("wxp://f2f0abc", "qr-wallet-link"),
    ("0" * 600, "qr-too-long"),
    (BASE, "qr-crc-missing"),
    (BASE + "6304FFFF", "qr-crc-mismatch"),
    (VALID.replace("4.50", "9.50"), "qr-crc-mismatch"),  # the amount altered, CRC kept
    (VALID.replace("Cafe Lisboa", "Evil Corp!!"), "qr-crc-mismatch"),  # the merchant altered
    (_with_crc(BASE.replace("6006Berlin", "6099Berlin")), "qr-length-mismatch"),  # runs past the end
    (_with_crc(BASE.replace("6006Berlin", "6009Berlin")), "qr-tlv-malformed"),  # swallows the next ID
    (_with_crc(BASE + "5A02XX"), "qr-tlv-malformed"),
    (_with_crc(BASE + "5802DE"), "qr-duplicate-field"),
    (_with_crc(BASE.replace("5303978", "")), "qr-field-missing"),
    (_with_crc(BASE.replace("5802DE", "")), "qr-field-missing"),
    (_with_crc(BASE.replace("26190015com.example.pay", "")), "qr-field-missing"),
    (_with_crc(BASE.replace("26190015com.example.pay", "26080104ABCD")), "qr-field-missing"),
    (_with_crc(BASE.replace("5303978", "5303999")), "qr-currency-unknown"),
    (_with_crc(BASE + "5404-5.0"), "qr-amount-invalid"),
    (_with_crc(BASE + "54051.234"), "qr-amount-invalid"),  # more decimals than EUR has
    (_with_crc(BASE + "54031,5"), "qr-amount-invalid"),
    (_with_crc(BASE.replace("010211", "010213")), "qr-field-invalid"),
    (_with_crc(BASE.replace("5802DE", "5802de")), "qr-field-invalid"),
    (_with_crc(BASE + "550202"), "qr-field-missing"),  # a fixed fee without its value
    (_with_crc(BASE + "550209"), "qr-field-invalid"),
    (_with_crc(BASE + "5502035703150"), "qr-amount-invalid"),  # a 150 % fee
    (_with_crc(BASE + "62050199"), "qr-length-mismatch"),  # a template whose inside is malformed
    (_with_crc(BASE + "64060002ZH"), "qr-field-missing"),  # a language template without the name
    (_with_crc(BASE + "54０１5"), "qr-tlv-malformed"),  # a full-width digit in a length (int() would raise)
    (_with_crc(BASE + "5²045.00"), "qr-tlv-malformed"),  # a superscript digit in an ID
    (_with_crc(BASE + "5404１.００"), "qr-amount-invalid"),  # EMV amounts are ASCII digits
    (_with_crc(BASE + "5404١.٠٠"), "qr-amount-invalid"),  # Arabic-Indic digits
    (LETTERED_CRC[:-4] + LETTERED_CRC[-4:].lower(), "qr-crc-mismatch"),  # the CRC is upper-case hex
]
# Deviations real issuers make: accepted, each with the warning an app can show.
TOLERATED = [
    (_with_crc(BASE.replace("52045812", "")), "qr-mcc-missing"),  # PromptPay, VietQR, KHQR
    (_with_crc(BASE.replace("52045812", "5204ABCD")), "qr-mcc-invalid"),
    (_with_crc(BASE.replace("5904Cafe", "")), "qr-name-missing"),  # a personal PromptPay
    (_with_crc(BASE.replace("6006Berlin", "")), "qr-city-missing"),  # PIX
    (_with_crc(BASE.replace("5904Cafe", "5930" + "A" * 30)), "qr-name-long"),  # QRIS, PIX
    (_with_crc(BASE.replace("6006Berlin", "6020" + "B" * 20)), "qr-city-long"),
    (_with_crc(BASE + "540500.00"), "qr-amount-zero"),  # PIX: the payer enters the amount
    (_with_crc(BASE.replace("010211", "010212")), "qr-dynamic-without-amount"),
    (_with_crc(BASE + "6200"), "qr-empty-field"),  # PayNow, FPS
    (_with_crc("000202" + BASE[6:]), "qr-format-version"),  # DuitNow
]


@pytest.mark.parametrize(("payload", "warning"), TOLERATED, ids=[w for _, w in TOLERATED])
def test_deviations_of_real_issuers_are_accepted_with_a_warning(payload: str, warning: str) -> None:
    qr = parse(payload)
    assert warning in qr.warnings and qr.as_dict()["warnings"] == qr.warnings
    assert qr.amount is None or qr.amount > 0


@pytest.mark.parametrize(("payload", "code"), BAD, ids=[f"{i:02d}-{c}" for i, (_, c) in enumerate(BAD)])
def test_bad_payloads_are_refused_with_a_stable_code(payload: str, code: str) -> None:
    with pytest.raises(QRPayloadError) as caught:
        parse(payload)
    assert caught.value.code == code, caught.value.message


def test_wallet_links_are_recognised() -> None:
    assert is_wallet_link("https://qr.alipay.com/abc123") and is_wallet_link("upi://pay?pa=shop@bank")
    assert not is_wallet_link(VALID) and not is_wallet_link("https://example.com/menu")


def test_parse_over_the_api_and_the_command_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from glassmate.api.app import create_app
    from glassmate.cli import app as cli
    from glassmate.config import Settings
    from glassmate.testing import fake_models

    settings = Settings(home=tmp_path)
    app = create_app(settings, models=fake_models(settings))
    _, key = app.state.services.api_keys.add("till")
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as http:
        ok = http.post("/v1/payments/qr/parse", json={"payload": VALID}, headers=auth)
        assert ok.status_code == 200 and ok.json()["amount_minor"] == 450 and ok.json()["currency"] == "EUR"
        bad = http.post("/v1/payments/qr/parse", json={"payload": VALID[:-1] + "0"}, headers=auth)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "qr-crc-mismatch"
        assert http.post("/v1/payments/qr/parse", json={"payload": VALID}).status_code == 401
    runner = CliRunner()
    good = runner.invoke(cli, ["pay", "parse", VALID])
    assert good.exit_code == 0 and '"merchant_name": "Cafe Lisboa"' in good.output
    refused = runner.invoke(cli, ["pay", "parse", "hello"])
    assert refused.exit_code == 1 and "qr-not-emv" in refused.output
