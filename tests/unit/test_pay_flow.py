"""Look-to-pay in a realtime session, through the OpenAI SDK's realtime client: a merchant QR in view opens the
confirmation card, the wearer confirms by voice plus gesture or PIN, the ledger settles; cancel, expiry, a
static code's spoken amount, a tampered code. Real QR rendering and ZXing; fake ASR (the transcripts)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.logs import without_ids
from glassmate.payments.emv import build, crc16
from glassmate.providers.codes.zxing import ZXingScanner
from glassmate.providers.llm.base import ToolCall
from glassmate.testing import FakeASR, ScriptedLLM, fake_models
from glassmate.testing.scenes import jpeg_bytes, render_qr_scene
from glassmate.testing.server import serve_in_thread
from tests.unit.test_session_flows import send_audio, start_translating, utterance

CAFE = build(merchant_name="Cafe Lisboa", merchant_city="Berlin", currency_numeric="978", country="DE", amount="4.50")
KIOSK = build(merchant_name="Kiosk Ost", merchant_city="Leipzig", currency_numeric="978", country="DE",
              account_fields={"01": "KIOSK7"})  # fmt: skip


@pytest.fixture
def glasses(tmp_path: Path) -> Iterator[Any]:
    servers: list[Any] = []

    def start(transcripts: list[str], llm: Any = None, agent: Any = None, **payments: Any) -> tuple[AsyncOpenAI, Any]:
        settings = Settings(home=tmp_path / f"s{len(servers)}", payments=payments, agent=agent or {})
        fakes = {"llm": llm} if llm is not None else {}
        app = create_app(settings, models=fake_models(settings, asr=FakeASR(transcripts), codes=ZXingScanner(),
                                                      **fakes))  # fmt: skip
        _, token = app.state.services.devices.add("glasses")
        app.state.services.payments.fund("device:glasses", 10_000, "EUR")
        cm = serve_in_thread(app)
        base = cm.__enter__()
        servers.append(cm)
        ws = base.replace("http", "ws") + "/v1"
        client = AsyncOpenAI(api_key=token, base_url=f"{base}/v1", websocket_base_url=ws)
        return client, app

    yield start
    for cm in servers:
        cm.__exit__(None, None, None)


def frame_event(payload: str) -> dict[str, Any]:
    return {"type": "input_image.append", "image": base64.b64encode(jpeg_bytes(render_qr_scene(payload))).decode()}


async def until(conn: Any, test: Any, limit_s: float = 10) -> list[Any]:
    """Events up to and including the first one that passes `test`."""
    seen = []
    async with asyncio.timeout(limit_s):
        async for ev in conn:
            seen.append(ev)
            if test(ev):
                return seen
    raise AssertionError(f"the session ended first: {[e.type for e in seen]}")


async def offer_then_speak(conn: Any, payload: str) -> list[Any]:
    """A payment code comes into view and is offered; then the wearer speaks (the next scripted transcript).
    The events of the answer to the words."""
    await conn.send(frame_event(payload))
    await until(conn, lambda e: e.type == "response.done")
    await send_audio(conn, utterance())
    return await until(conn, lambda e: e.type == "response.done")


def card(title: str) -> Any:
    return lambda ev: ev.type == "hud.card" and ev.card["title"] == title


def said(events: list[Any]) -> str:
    return "".join(e.delta for e in events if e.type == "response.output_audio_transcript.delta")


def states(events: list[Any]) -> list[str]:
    return [e.payment["state"] for e in events if e.type == "payment.updated"]


async def test_a_code_in_view_is_paid_after_confirm_and_the_gesture(glasses: Any) -> None:
    client, app = glasses(["Confirm."])
    ledger = app.state.services.payments
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(frame_event(CAFE))
        shown = await until(conn, card("Pay Cafe Lisboa"))
        assert shown[-1].card["lines"][:2] == ["Berlin", "4.50 EUR"] and states(shown) == ["created"]
        spoken = await until(conn, lambda e: e.type == "response.done")
        assert "Pay 4 euros 50 to Cafe Lisboa in Berlin?" in said(spoken)
        assert ledger.balances("device:glasses") == {"EUR": 10_000}  # nothing charged yet
        await send_audio(conn, utterance())
        asked = await until(conn, lambda e: e.type == "response.done")
        assert "hold the button" in said(asked) and asked[-1].response.metadata["route"] == "pay"
        await conn.send({"type": "device.button", "button": "long_press"})
        paid = await until(conn, card("Paid"))
        assert paid[-1].card["lines"][:2] == ["4.50 EUR", "Cafe Lisboa · Berlin"] and states(paid) == ["settled"]
        receipt = await until(conn, lambda e: e.type == "response.done")
        assert "Paid 4 euros 50 to Cafe Lisboa." in said(receipt)
        # The code is still in view: it is not offered again right away.
        await conn.send(frame_event(CAFE))
        await asyncio.sleep(0.5)
    assert ledger.balances("device:glasses") == {"EUR": 10_000 - 450}
    assert not ledger.verify()


async def test_a_static_code_asks_the_amount_and_a_new_amount_needs_a_new_confirmation(glasses: Any) -> None:
    client, app = glasses(["Pay this.", "Twelve fifty.", "Seven euros.", "Confirm."], auto_detect_qr=False)
    ledger = app.state.services.payments
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(frame_event(KIOSK))
        await send_audio(conn, utterance())
        asked = await until(conn, lambda e: e.type == "response.done")
        assert said(asked) == "How much do you want to pay Kiosk Ost?"
        await send_audio(conn, utterance())
        first = await until(conn, lambda e: e.type == "response.done")
        assert "Pay 12 euros 50 to Kiosk Ost" in said(first) and states(first) == ["created"]
        await send_audio(conn, utterance())
        second = await until(conn, lambda e: e.type == "response.done")
        assert states(second) == ["cancelled", "created"] and "Pay 7 euros to Kiosk Ost" in said(second)
        pid = next(e.payment["id"] for e in second if e.type == "payment.updated" and e.payment["state"] == "created")
        await conn.send({"type": "payment.confirm", "payment_id": pid})  # the gesture first, then the voice
        await until(conn, lambda e: e.type == "response.done")
        await send_audio(conn, utterance())
        paid = await until(conn, card("Paid"))
        assert paid[-1].card["lines"][0] == "7.00 EUR"
    assert ledger.balances("device:glasses") == {"EUR": 10_000 - 700}


async def test_cancel_by_voice_or_tap_and_expiry_pay_nothing(glasses: Any) -> None:
    client, app = glasses(["Cancel."], confirm_ttl_s=1.0)
    ledger = app.state.services.payments
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(frame_event(CAFE))
        await until(conn, lambda e: e.type == "response.done")
        await send_audio(conn, utterance())
        cancelled = await until(conn, card("Payment cancelled"))
        assert states(cancelled) == ["cancelled"]
        await until(conn, lambda e: e.type == "response.done")
        await asyncio.sleep(0.2)
        await conn.send(frame_event(KIOSK.replace("Kiosk Ost", "Kiosk Nrd")))  # a tampered sticker: a warning
        await until(conn, card("Not a valid payment code"))
        await conn.send(frame_event(build(merchant_name="Bakery", merchant_city="Bonn", currency_numeric="978",
                                          country="DE", amount="2.00")))  # fmt: skip
        await until(conn, card("Pay Bakery"))
        expired = await until(conn, card("Payment expired"), limit_s=5)
        assert states(expired) == ["expired"]
        words = await until(conn, lambda e: e.type == "response.done")
        assert said(words) == "The payment expired; nothing was paid."
        await conn.send(frame_event(build(merchant_name="Florist", merchant_city="Bonn", currency_numeric="978",
                                          country="DE", amount="9.00")))  # fmt: skip
        await until(conn, card("Pay Florist"))
        await conn.send({"type": "device.button", "button": "tap"})
        tapped = await until(conn, card("Payment cancelled"))
        assert states(tapped)[-1] == "cancelled"
    assert ledger.balances("device:glasses") == {"EUR": 10_000}
    assert not ledger.verify()


async def test_pin_confirmation_with_a_wrong_pin_first(glasses: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    client, app = glasses(["Confirm."], confirm_with="pin")
    app.state.services.pins.set("device:glasses", "2468")
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        asked = await offer_then_speak(conn, CAFE)
        assert "enter your PIN" in said(asked)
        await conn.send({"type": "payment.confirm", "pin": "1111"})
        wrong = await until(conn, lambda e: e.type == "response.done")
        assert said(wrong) == "Wrong PIN; 2 attempts left."
        await conn.send({"type": "device.button", "button": "long_press"})  # a gesture is not a PIN
        gesture = await until(conn, lambda e: e.type == "response.done")
        assert said(gesture) == "Enter your PIN to pay."
        await conn.send({"type": "payment.confirm", "pin": "2468"})
        paid = await until(conn, card("Paid"))
    assert states(paid) == ["settled"]
    assert app.state.services.payments.balances("device:glasses") == {"EUR": 10_000 - 450}
    # The server logs the payment, never its PINs or payload (the test's own client, which logs the frames it
    # sends at DEBUG, is left out).
    server = [r.getMessage() for r in caplog.records if not r.name.startswith(("websockets.client", "openai"))]
    server_log = without_ids("\n".join(server))
    assert "settled by voice+pin" in server_log
    for secret in ("2468", "1111", CAFE, CAFE[10:50]):
        assert secret not in server_log


async def test_bad_codes_and_out_of_order_steps(glasses: Any) -> None:
    tampered = CAFE.replace("4.50", "0.50")  # the CRC no longer matches
    client, app = glasses(["Pay this.", "Pay this.", "Confirm."], auto_detect_qr=False)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await send_audio(conn, utterance())  # nothing in view
        nothing = await until(conn, lambda e: e.type == "response.done")
        assert said(nothing).startswith("I don't see a payment code.")
        await conn.send(frame_event(tampered))
        await send_audio(conn, utterance())
        refused = await until(conn, lambda e: e.type == "response.done")
        assert "not a valid payment code" in said(refused)
        assert next(e for e in refused if e.type == "hud.card").card["lines"] == ["qr-crc-mismatch"]
        await conn.send({"type": "payment.confirm"})  # nothing open
        none = await until(conn, lambda e: e.type == "response.done")
        assert said(none) == "There is no payment to confirm."
        await send_audio(conn, utterance())  # "Confirm." with nothing open: not a payment turn
        other = await until(conn, lambda e: e.type == "response.done")
        assert other[-1].response.metadata["route"] != "pay"
    assert app.state.services.payments.verify().payments == 0


async def test_a_gesture_alone_does_not_pay_and_a_wrong_payment_id_is_refused(glasses: Any) -> None:
    client, app = glasses([])
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(frame_event(CAFE))
        await until(conn, lambda e: e.type == "response.done")
        await conn.send({"type": "device.button", "button": "long_press"})
        asked = await until(conn, lambda e: e.type == "response.done")
        assert said(asked) == "Say confirm to pay."
        await conn.send({"type": "payment.confirm", "payment_id": "pay_someone_elses"})
        error = await until(conn, lambda e: e.type == "error")
        assert error[-1].error.code == "payment-mismatch"
    assert app.state.services.payments.balances("device:glasses") == {"EUR": 10_000}


async def test_a_dropped_connection_leaves_no_open_payment(glasses: Any) -> None:
    """The glasses go away with the confirmation card up: the payment is never charged and ends expired."""
    client, app = glasses([], confirm_ttl_s=0.3)
    ledger = app.state.services.payments
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(frame_event(CAFE))
        shown = await until(conn, card("Pay Cafe Lisboa"))
    pid = next(e.payment["id"] for e in shown if e.type == "payment.updated")
    await asyncio.sleep(0.5)
    await asyncio.to_thread(app.state.services.scheduler.run_due)  # what the server's scheduler does when the
    # payment's expiry job comes due (here the session's own timer did it first: the job finds it expired)
    assert ledger.get(pid, owner="device:glasses").state == "expired"
    assert ledger.balances("device:glasses") == {"EUR": 10_000}


async def test_confirm_goes_to_the_payment_in_translation_mode(glasses: Any) -> None:
    client, _app = glasses(["Confirm."])
    async with client.realtime.connect(model="glassmate") as conn:
        await start_translating(conn, other_language="de")
        asked = await offer_then_speak(conn, CAFE)
    assert "hold the button" in said(asked) and asked[-1].response.metadata["route"] == "pay"
    assert not any(e.type == "hud.caption" and e.kind == "translation" for e in asked)


async def test_a_broken_frame_is_skipped_and_the_next_one_is_scanned(glasses: Any) -> None:
    client, _app = glasses([])
    good = frame_event(CAFE)
    broken = jpeg_bytes(render_qr_scene(CAFE))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send({"type": "input_image.append", "image": base64.b64encode(broken[: len(broken) // 3]).decode()})
        await conn.send(good)
        seen = await until(conn, card("Pay Cafe Lisboa"))
    assert not [e for e in seen if e.type == "error"]


async def test_a_chinese_wearer_is_answered_in_chinese_and_pays_with_a_chinese_confirm(glasses: Any) -> None:
    """A wearer whose language is Chinese: the code in view is offered in Chinese (the amount as a voice reads it),
    "确认" confirms, and the receipt is spoken in Chinese too."""
    client, app = glasses(["确认。"])
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.session.update(session={"type": "realtime", "glassmate": {"language": "zh"}})  # type: ignore[typeddict-unknown-key]
        await until(conn, lambda e: e.type == "session.updated")
        await conn.send(frame_event(CAFE))
        offered = await until(conn, lambda e: e.type == "response.done")
        assert "向Berlin的Cafe Lisboa支付4欧元50吗？" in said(offered)
        shown = next(e.card for e in offered if e.type == "hud.card")  # the card speaks Chinese too
        assert shown["title"] == "付款给Cafe Lisboa" and shown["lines"][-1] == "请说“确认”或取消"
        await send_audio(conn, utterance())
        asked = await until(conn, lambda e: e.type == "response.done")
        assert (
            "现在请按住按钮来支付4欧元50。" in said(asked) and asked[-1].response.metadata["matched_by"] == "activity"
        )
        await conn.send({"type": "device.button", "button": "long_press"})
        await until(conn, card("已付款"))
        receipt = await until(conn, lambda e: e.type == "response.done")
    assert "已向Cafe Lisboa支付4欧元50。" in said(receipt)
    assert app.state.services.payments.balances("device:glasses") == {"EUR": 10_000 - 450}


async def test_the_amount_said_with_pay_this_fills_a_code_without_one(glasses: Any) -> None:
    """ "Pay seven euros twenty five" at a code with no amount: the intent's amount slot goes to the pay tool, and
    the confirmation asks for exactly that amount (it still needs "confirm" and the gesture)."""
    client, app = glasses(["Pay seven euros twenty five."], auto_detect_qr=False)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(frame_event(KIOSK))
        await send_audio(conn, utterance())
        asked = await until(conn, lambda e: e.type == "response.done")
    assert "Pay 7 euros 25 to Kiosk Ost in Leipzig?" in said(asked)
    assert asked[-1].response.metadata["matched_by"] == "intent" and states(asked) == ["created"]
    assert app.state.services.payments.balances("device:glasses") == {"EUR": 10_000}


async def test_an_amount_the_wearer_did_not_say_is_not_taken_from_the_llm(glasses: Any) -> None:
    """The 0.5B model called pay with {"amount": "twelve fifty"} (its description's example) for "Let me pay the
    merchant with this code." (bench/agent.py): at a code with no amount, the wearer is asked for the amount."""
    llm = ScriptedLLM([ToolCall("c1", "pay", {"amount": "twelve fifty"})])
    client, _ = glasses(["Let me settle up with the merchant using this."], llm=llm, agent={"offer_tools": 0},
                        auto_detect_qr=False)  # fmt: skip
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(frame_event(KIOSK))
        await send_audio(conn, utterance())
        asked = await until(conn, lambda e: e.type == "response.done")
    assert asked[-1].response.metadata["route"] == "pay" and llm.calls, "the agent did not call pay"
    assert "12" not in said(asked) and "how much" in said(asked).lower()


async def test_a_real_promptpay_code_without_name_or_city_is_offered_by_its_scheme_and_account(glasses: Any) -> None:
    """A personal PromptPay code (no merchant name, city or category, as Thai wallets print them) was refused; now
    the card names the scheme and the account, and the amount is asked to be confirmed like any other."""
    promptpay = "00020101021229370016A0000006770101110113006680111111153037645802TH540520.15630442BE"
    client, _ = glasses([])
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(frame_event(promptpay))
        shown = await until(conn, card("Pay PromptPay 0066801111111"))
        spoken = await until(conn, lambda e: e.type == "response.done")
    assert shown[-1].card["lines"][:2] == ["PromptPay", "20.15 THB"] and states(shown) == ["created"]
    assert "Pay 20 THB 15 to PromptPay 0066801111111? Say confirm, or cancel." in said(spoken)


async def test_a_code_with_a_non_ascii_digit_gets_one_warning_card_not_an_internal_error(glasses: Any) -> None:
    body = "000201010211" + "26190015com.example.pay" + "5303978" + "5802DE" + "5904Cafe" + "5²045.00" + "6304"
    client, _ = glasses([])
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(frame_event(body + crc16(body)))
        warned = await until(conn, card("Not a valid payment code"))
        await conn.send(frame_event(body + crc16(body)))  # still in view: no second card, no error
        later = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                async for ev in conn:
                    later.append(ev)
    assert warned[-1].card["lines"] == ["qr-tlv-malformed"]
    assert not [e for e in warned + later if e.type == "error"] and not [e for e in later if e.type == "hud.card"]


async def test_a_wallet_with_a_pin_is_never_paid_with_the_button_alone(glasses: Any) -> None:
    """The security probe's finding: with a PIN set (and the gesture configured), REST demanded the PIN but the
    glasses paid after "confirm" and a long press. One rule now: a wallet with a PIN needs it, everywhere."""
    client, app = glasses(["Confirm."])  # confirm_with is "gesture"
    app.state.services.pins.set("device:glasses", "2468")
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        asked = await offer_then_speak(conn, CAFE)
        assert "enter your PIN" in said(asked)
        await conn.send({"type": "device.button", "button": "long_press"})
        refused = await until(conn, lambda e: e.type == "response.done")
        assert said(refused) == "Enter your PIN to pay."
        await conn.send({"type": "payment.confirm", "pin": "2468"})
        paid = await until(conn, card("Paid"))
    assert states(paid) == ["settled"]


async def test_a_device_revoked_while_its_payment_waits_pays_nothing(glasses: Any) -> None:
    client, app = glasses(["Confirm."])
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await offer_then_speak(conn, CAFE)
        await asyncio.to_thread(app.state.services.devices.revoke, "glasses")
        await conn.send({"type": "device.button", "button": "long_press"})
        refused = await until(conn, lambda e: e.type == "response.done")
    assert "revoked; nothing was paid" in said(refused)
    assert app.state.services.payments.balances("device:glasses") == {"EUR": 10_000}
