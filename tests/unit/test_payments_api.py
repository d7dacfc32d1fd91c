"""The payments REST API: pay a merchant QR with a device token or an API key, idempotent retries, two-step
confirmation, refunds, balances, and a table of bad inputs, each with its HTTP status and error code."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.payments.emv import build, crc16
from glassmate.testing import fake_models

DYNAMIC = build(merchant_name="Cafe Lisboa", merchant_city="Berlin", currency_numeric="978", country="DE",
                amount="4.50", additional={"bill_number": "A17"})  # fmt: skip
STATIC = build(merchant_name="Kiosk Ost", merchant_city="Leipzig", currency_numeric="978", country="DE",
               account_fields={"01": "KIOSK7"})  # fmt: skip
YEN = build(merchant_name="Ramen Ya", merchant_city="Tokyo", currency_numeric="392", country="JP")
BAHT = build(merchant_name="Som Tam", merchant_city="Bangkok", currency_numeric="764", country="TH", amount="80.00")


def _with_crc(body: str) -> str:
    return body + "6304" + crc16(body + "6304")


@dataclass
class Api:
    http: TestClient
    app: Any
    device: str  # the glasses' token
    other: str  # another device's token
    key: str  # an API key

    def pay(self, qr: str = DYNAMIC, *, token: str | None = None, key: str | None = "k1", **body: Any) -> Any:
        headers = {"authorization": f"Bearer {token or self.device}"}
        if key is not None:
            headers["idempotency-key"] = key
        return self.http.post("/v1/payments", json={"qr": qr, "confirm": True, **body}, headers=headers)

    def call(self, method: str, path: str, *, token: str | None = None, key: str | None = None,
             headers: dict[str, str] | None = None, **kw: Any) -> Any:  # fmt: skip
        headers = {"authorization": f"Bearer {token or self.device}", **(headers or {})}
        if key is not None:
            headers["idempotency-key"] = key
        return self.http.request(method, path, headers=headers, **kw)

    def balance(self, token: str | None = None) -> int:
        body = self.call("GET", "/v1/ledger/balance", token=token).json()
        return sum(b["amount_minor"] for b in body["balances"] if b["currency"] == "EUR")


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The whole app on SQLite, and on a fresh database of the session's PostgreSQL server."""
    url = None
    if request.param == "postgresql":
        from glassmate.testing.postgres import fresh_database

        url = fresh_database(request.getfixturevalue("postgres_url"), "payments_api")
    payments = {"max_payment": 100, "max_per_day": 150, "confirm_ttl_s": 30}
    settings = Settings(home=tmp_path, payments=payments, database_url=url)  # type: ignore[arg-type]
    app = create_app(settings, models=fake_models(settings))
    services = app.state.services
    _, device = services.devices.add("glasses")
    _, other = services.devices.add("someone-else")
    _, key = services.api_keys.add("till")
    services.payments.fund("device:glasses", 20_000, "EUR")
    services.payments.fund("device:someone-else", 20_000, "EUR")
    with TestClient(app) as http:
        yield Api(http, app, device, other, key)


def test_pay_a_dynamic_code_retry_get_refund_and_balance(api: Api) -> None:
    paid = api.pay()
    assert paid.status_code == 201, paid.text
    body = paid.json()
    assert (body["state"], body["amount"], body["currency"], body["reference"]) == ("settled", "4.50", "EUR", "A17")
    assert body["merchant"] == {"key": "com.example.pay:MERCHANT123", "name": "Cafe Lisboa", "city": "Berlin"}
    again = api.pay()
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == body["id"]
    assert api.balance() == 20_000 - 450
    got = api.call("GET", f"/v1/payments/{body['id']}")
    assert got.status_code == 200 and got.json()["state"] == "settled"
    part = api.call("POST", f"/v1/payments/{body['id']}/refund", key="r1", json={"amount": "1.50"})
    assert part.status_code == 200 and part.json()["refunded_minor"] == 150
    rest = api.call("POST", f"/v1/payments/{body['id']}/refund", key="r2")
    assert rest.json()["state"] == "refunded" and api.balance() == 20_000
    assert not api.app.state.services.payments.verify()


def test_static_code_with_the_payers_amount_and_an_api_keys_own_wallet(api: Api) -> None:
    paid = api.pay(STATIC, amount="7.25")
    assert paid.status_code == 201 and paid.json()["amount_minor"] == 725
    api.app.state.services.payments.fund("key:till", 1_000, "EUR")
    by_key = api.pay(STATIC, token=api.key, amount="2.00")
    assert by_key.status_code == 201
    assert api.balance(api.key) == 800 and api.balance() == 20_000 - 725


def test_two_step_confirmation_with_a_pin(api: Api) -> None:
    api.app.state.services.pins.set("device:glasses", "2468")
    created = api.call("POST", "/v1/payments", key="two", json={"qr": DYNAMIC, "confirm": False})
    assert created.status_code == 201 and created.json()["state"] == "created"
    assert created.json()["expires_at"] is not None and api.balance() == 20_000
    pid = created.json()["id"]
    wrong = api.call("POST", f"/v1/payments/{pid}/confirm", json={"pin": "1111"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "pin-wrong"
    ok = api.call("POST", f"/v1/payments/{pid}/confirm", json={"pin": "2468"})
    assert ok.status_code == 200 and ok.json()["state"] == "settled" and api.balance() == 20_000 - 450


def test_pin_and_token_never_reach_the_logs(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    api.app.state.services.pins.set("device:glasses", "97531")
    with caplog.at_level("DEBUG"):
        api.pay(pin="97531")
        api.pay(key="k2", pin="13579")
    logged = caplog.text
    assert "payment pay_" in logged  # the payment itself is logged
    for secret in ("97531", "13579", api.device, DYNAMIC, DYNAMIC[20:60]):
        assert secret not in logged


def _expired(api: Api) -> Any:
    ledger = api.app.state.services.payments
    from glassmate.payments.checkout import payment_request
    from glassmate.payments.emv import parse

    request = payment_request(parse(DYNAMIC), DYNAMIC, owner="device:glasses", key="soon", amount_minor=None)
    pid = ledger.create(request, ttl_s=0.01).id
    time.sleep(0.05)
    return api.call("POST", f"/v1/payments/{pid}/confirm")


def _cancelled(api: Api) -> Any:
    pid = api.call("POST", "/v1/payments", key="c", json={"qr": DYNAMIC, "confirm": False}).json()["id"]
    api.call("POST", f"/v1/payments/{pid}/cancel")
    return api.call("POST", f"/v1/payments/{pid}/confirm")


def _wrong_pin(api: Api, attempts: int, pin: str | None = "0000") -> Any:
    api.app.state.services.pins.set("device:glasses", "2468")
    for i in range(attempts):
        response = api.pay(key=f"pin{i}", pin=pin)
    return response


def _others(api: Api, action: str) -> Any:
    pid = api.pay(token=api.other).json()["id"]
    if action == "get":
        return api.call("GET", f"/v1/payments/{pid}")
    return api.call("POST", f"/v1/payments/{pid}/refund", key="steal")


def _revoked(api: Api) -> Any:
    api.app.state.services.devices.revoke("glasses")
    return api.pay()


def _daily(api: Api) -> Any:
    api.pay(STATIC, key="d1", amount="100.00")
    return api.pay(STATIC, key="d2", amount="50.01")


def _refund_too_much(api: Api) -> Any:
    pid = api.pay().json()["id"]
    return api.call("POST", f"/v1/payments/{pid}/refund", key="big", json={"amount": "4.51"})


def _refund_without_key(api: Api) -> Any:
    pid = api.pay().json()["id"]
    return api.call("POST", f"/v1/payments/{pid}/refund")


def _reused_key(api: Api) -> Any:
    api.pay(STATIC, key="same", amount="1.00")
    return api.pay(STATIC, key="same", amount="2.00")


BASE = "00020101021126190015com.example.pay520458125303978" "5802DE5909Kiosk Ost6007Leipzig"  # fmt: skip
Case = Callable[[Api], Any]
BAD: list[tuple[str, Case, int, str]] = [
    ("bad CRC", lambda a: a.pay(DYNAMIC[:-4] + "0000"), 400, "qr-crc-mismatch"),
    ("amount altered", lambda a: a.pay(DYNAMIC.replace("4.50", "0.50")), 400, "qr-crc-mismatch"),
    ("merchant altered", lambda a: a.pay(DYNAMIC.replace("Cafe Lisboa", "Evil Corp!!")), 400, "qr-crc-mismatch"),
    ("malformed TLV", lambda a: a.pay(_with_crc(BASE + "5A02XX")), 400, "qr-tlv-malformed"),
    ("length past the end", lambda a: a.pay(_with_crc(BASE.replace("6007Leipzig", "6099Leipzig"))), 400,
     "qr-length-mismatch"),
    ("truncated", lambda a: a.pay(DYNAMIC[:40]), 400, "qr-crc-missing"),
    ("unknown currency", lambda a: a.pay(_with_crc(BASE.replace("5303978", "5303999"))), 400, "qr-currency-unknown"),
    ("not a payment code", lambda a: a.pay("https://example.com/menu"), 400, "qr-not-emv"),
    ("wallet app link", lambda a: a.pay("https://qr.alipay.com/fkx12345"), 400, "qr-wallet-link"),
    ("empty payload", lambda a: a.pay(""), 400, "invalid-request"),
    ("oversized payload", lambda a: a.pay("0" * 5000), 400, "invalid-request"),
    ("static code, no amount", lambda a: a.pay(STATIC), 400, "amount-required"),
    ("negative amount", lambda a: a.pay(STATIC, amount="-5.00"), 400, "amount-invalid"),
    ("zero amount", lambda a: a.pay(STATIC, amount="0.00"), 400, "amount-invalid"),
    ("full-width digits", lambda a: a.pay(STATIC, amount="１.００"), 400, "amount-invalid"),
    ("Arabic-Indic digits", lambda a: a.pay(STATIC, amount="١.٠٠"), 400, "amount-invalid"),
    ("too precise", lambda a: a.pay(STATIC, amount="1.234"), 400, "amount-invalid"),
    ("yen has no cents", lambda a: a.pay(YEN, amount="150.5"), 400, "amount-invalid"),
    ("words for an amount", lambda a: a.pay(STATIC, amount="ten"), 400, "amount-invalid"),
    ("dynamic code, other amount", lambda a: a.pay(amount="0.01"), 400, "amount-mismatch"),
    ("over the per-payment limit", lambda a: a.pay(STATIC, amount="100.01"), 402, "over-limit"),
    ("over the daily limit", _daily, 402, "daily-limit"),
    ("not enough money", lambda a: a.pay(token=a.key), 402, "insufficient-funds"),
    ("currency without a rate", lambda a: a.pay(BAHT), 402, "currency-unsupported"),
    ("confirm missing", lambda a: a.call("POST", "/v1/payments", key="x", json={"qr": DYNAMIC}), 400,
     "invalid-request"),
    ("no idempotency key", lambda a: a.pay(key=None), 400, "idempotency-key-missing"),
    ("idempotency key too long", lambda a: a.pay(key="k" * 300), 400, "idempotency-key-invalid"),
    ("idempotency key reused", _reused_key, 409, "idempotency-key-reused"),
    ("wrong PIN", lambda a: _wrong_pin(a, 1), 403, "pin-wrong"),
    ("PIN missing", lambda a: _wrong_pin(a, 1, None), 403, "pin-required"),
    ("PIN locked", lambda a: _wrong_pin(a, 4), 429, "pin-locked"),
    ("other device's wallet", lambda a: a.pay(wallet="device:someone-else"), 403, "wallet-not-yours"),
    ("other device's payment", lambda a: _others(a, "get"), 404, "payment-not-found"),
    ("refund someone else's", lambda a: _others(a, "refund"), 404, "payment-not-found"),
    ("refund more than paid", _refund_too_much, 409, "refund-too-large"),
    ("refund without a key", _refund_without_key, 400, "idempotency-key-missing"),
    ("expired confirmation", _expired, 409, "payment-expired"),
    ("confirm a cancelled one", _cancelled, 409, "payment-cancelled"),
    ("no token", lambda a: a.http.post("/v1/payments", json={"qr": DYNAMIC, "confirm": True}), 401,
     "invalid_api_key"),
    ("revoked device", _revoked, 401, "invalid_api_key"),
    ("malformed JSON", lambda a: a.call("POST", "/v1/payments", key="j", content=b"{not json",
                                         headers={"content-type": "application/json"}), 400, "invalid-request"),
    ("unknown payment", lambda a: a.call("GET", "/v1/payments/pay_nope"), 404, "payment-not-found"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "status", "code"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_its_code_and_nothing_is_lost(api: Api, case: Case, status: int, code: str) -> None:
    before = api.app.state.services.payments.totals()
    response = case(api)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    ledger = api.app.state.services.payments
    report = ledger.verify()
    assert not report, report.items
    assert set(ledger.totals().values()) <= {0} and before.keys() <= ledger.totals().keys()


def test_a_payment_whose_answer_was_lost_is_returned_on_retry_not_charged_again(api: Api) -> None:
    """The server commits, then dies before answering (here: the route fails right after the ledger call). The
    client retries with the same key and gets the committed payment; the wallet is charged once."""
    ledger = api.app.state.services.payments
    real_pay = ledger.pay
    calls: list[str] = []

    def pay_then_crash(request: Any) -> Any:
        payment = real_pay(request)
        calls.append(payment.id)
        if len(calls) == 1:
            raise RuntimeError("the process died after the commit")
        return payment

    ledger.pay = pay_then_crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        api.pay(key="lost-answer")
    retried = api.pay(key="lost-answer")
    assert retried.status_code == 200 and retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["id"] == calls[0] == calls[1]
    assert api.balance() == 20_000 - 450 and not ledger.verify()


def test_a_locked_wallet_says_when_to_try_again(api: Api) -> None:
    locked = _wrong_pin(api, 4)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


def test_concurrent_requests_with_one_key_pay_once_and_only_one_says_so(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """The security probe's finding: 20 concurrent requests with one Idempotency-Key were charged once, but 9
    answered 201 (new) and the log said "settled" 9 times. Which call paid is now decided under the ledger's lock."""
    from concurrent.futures import ThreadPoolExecutor

    caplog.set_level("INFO", logger="glassmate.payments")
    before = api.balance()
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda _: api.pay(key="same-key"), range(20)))
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200] * 19 + [201]
    assert all(r.headers.get("idempotent-replayed") == "true" for r in replies if r.status_code == 200)
    assert len({r.json()["id"] for r in replies}) == 1
    assert api.balance() == before - 450
    assert sum("settled" in r.getMessage() for r in caplog.records if r.name == "glassmate.payments") == 1
