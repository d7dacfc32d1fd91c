"""Look-to-pay inside a realtime session: an activity in focus while a payment is open.

A merchant's QR code in view (seen in a frame, or after "pay this") opens a confirmation card: merchant, city,
amount and currency. A static code has no amount: the wearer says it and hears it read back. Paying then takes
two things from the wearer, in either order: a spoken "confirm", and the device's confirm gesture (holding the
button, or a `payment.confirm` event) or the wallet's PIN (`payment.confirm` with `pin`), as configured. The card
expires after `payments.confirm_ttl_s`; "cancel", "stop", "no", a tap or `payment.cancel` end it at any step.
Saying another amount replaces the confirmation (a new card, both factors again): the amount on the card is
always the amount charged.

The flow talks to a PaymentProvider only (the local ledger by default); every step sends its card at once
(before anything is spoken) and a `payment.updated` event whenever the payment changes state.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from glassmate.config import PaymentSettings
from glassmate.errors import GlassmateError
from glassmate.events import PaymentUpdatedEvent, new_id, server_event
from glassmate.payments.checkout import payment_request
from glassmate.payments.emv import EMVPayload, QRPayloadError, is_wallet_link, parse
from glassmate.payments.provider import Payment, PaymentConflict, PaymentDeclined, PaymentError, PaymentProvider
from glassmate.payments.speech import amount_from_speech, is_cancel, is_confirm, is_pay_request, spoken_amount
from glassmate.skills.base import LANGUAGES, Activity, Card, Output, SkillPolicy, Turn
from glassmate.skills.pay.texts import text
from glassmate.skills.tools import ToolContext

if TYPE_CHECKING:
    from glassmate.payments.pins import PinStore
    from glassmate.providers.codes.base import CodeScanner
    from glassmate.skills.base import Frame, Port
    from glassmate.skills.routing import Route

log = logging.getLogger("glassmate.payments")
# The flow sends its own cards (before it speaks), and its steps are not conversation for the LLM.
POLICY = SkillPolicy(icon="pay", command_while_busy=True, remembered=False, summary_card=False)
SCAN_EVERY_S = 0.25  # at most this often a frame is searched for a payment code
SEEN_HOLD_S = 20.0  # a code just paid or cancelled is not offered again while it stays in view
_keys = itertools.count(1)


@dataclass
class Pending:
    qr: EMVPayload
    payload: str
    card_id: str
    payment: Payment | None = None  # created in the ledger once the amount is known
    said_confirm: bool = False
    second_factor: bool = False  # the gesture, or the right PIN
    pin_required: bool = False  # PinStore.required: the settings ask for a PIN, or the wallet has one
    expiry: asyncio.Task[None] | None = None

    @property
    def amount_text(self) -> str:
        assert self.payment is not None
        return self.payment.amount_text()


class PaymentFlow(Activity):
    """One session's look-to-pay. `None` provider: payments are not available (the skill says so). While a payment
    is open the flow is in focus: it claims "confirm", "cancel", an amount, "pay this", and the buttons."""

    skill = "pay"

    def __init__(self, *, port: Port, codes: CodeScanner, provider: PaymentProvider | None, pins: PinStore | None,
                 settings: PaymentSettings, device_active: Callable[[str], bool] | None = None) -> None:  # fmt: skip
        self.port = port
        self.device_active = device_active  # checked again right before paying: a revoked device pays nothing
        self.codes = codes
        self.provider = provider
        self.pins = pins
        self.settings = settings
        self._pending: Pending | None = None
        self._language: str | None = None  # of the turn that the flow last answered
        self._seen: dict[str, float] = {}  # payload hash → when it was last paid or cancelled
        self._last_scan = 0.0
        self._latest: Frame | None = None  # the newest frame not scanned yet
        self._scanner: asyncio.Task[None] | None = None

    @property
    def owner(self) -> str:
        return f"device:{self.port.device_name or 'anonymous'}"

    # -- the activity: what it claims while a payment is open --------------------------------------------------

    @property
    def pending(self) -> Pending | None:
        return self._pending

    @pending.setter
    def pending(self, value: Pending | None) -> None:
        # In focus exactly while a payment is open: then "stop" cancels it and the button confirms it.
        self._pending = value
        if value is None:
            self.port.release(self)
        else:
            self.port.focus(self)

    def claim(self, turn: Turn, matched: Route | None) -> Route | None:
        said = turn.text
        if not (is_cancel(said) or is_confirm(said) or is_pay_request(said)
                or amount_from_speech(said, 2) is not None):  # fmt: skip
            return None
        return self._route(lambda: self.on_turn(said, turn.frame, language=turn.reply_language))

    def claim_button(self, button: str) -> Route | None:
        if button == "tap":
            return self._route(self.cancel)
        if button == "long_press":  # the confirm gesture: it speaks for itself once checked
            return self._route(self._gesture, silent=True)
        return None

    async def _gesture(self) -> None:
        self.second_factor(payment_id=None, pin=None)

    def _route(self, step: Callable[[], Awaitable[str | None]], *, silent: bool = False) -> Route:
        from glassmate.skills.routing import Route

        async def run(ctx: ToolContext) -> AsyncGenerator[Output, None]:
            ctx.trace.used(self.skill)
            said = await step()
            if said:
                yield said

        return Route(skill=self.skill, matched_by="activity", run=run, policy=POLICY, cancellable=False,
                     silent=silent)  # fmt: skip

    async def _say(self, said: str) -> None:
        await self.port.say(said, skill=self.skill, language=self.language)

    @property
    def language(self) -> str:
        """The language the flow speaks: the wearer's last words' (a claim sets it), else the session's."""
        if self._language is not None:
            return self._language
        configured = self.port.config.glassmate.language
        return configured if configured in LANGUAGES else "en"

    # -- what starts a payment --------------------------------------------------------------------------------

    def frame_arrived(self, frame: Frame) -> None:
        """Look for a payment code in the newest frame: at most every SCAN_EVERY_S, only while no payment is open;
        a frame that arrives meanwhile is scanned when the wait is over (the newest one wins)."""
        if not self.settings.auto_detect_qr or self.provider is None or self.pending is not None:
            return
        self._latest = frame
        if self._scanner is None or self._scanner.done():
            self._scanner = self.port.spawn(self._scan_frames(), name="pay-scan")

    async def _scan_frames(self) -> None:
        while self._latest is not None and self.pending is None:
            wait = SCAN_EVERY_S - (time.monotonic() - self._last_scan)
            if wait > 0:
                await asyncio.sleep(wait)
            frame, self._latest = self._latest, None
            self._last_scan = time.monotonic()
            try:
                payload = await self._find_code(frame)
            except GlassmateError as exc:  # a frame that cannot be read: the next one will do, no error per frame
                log.debug("payment scan skipped a frame: %s", exc.code)
                continue
            if payload is None or self.pending is not None or is_wallet_link(payload):
                continue  # a wallet app's link in view is not worth interrupting the wearer for
            if time.monotonic() - self._seen.get(_digest(payload), -SEEN_HOLD_S) < SEEN_HOLD_S:
                continue
            await self._say(await self.offer(payload))

    async def _find_code(self, frame: Frame | None) -> str | None:
        """The first QR code in the frame that is an EMV payload or a wallet link."""
        if frame is None:
            return None
        pixels = await asyncio.to_thread(frame.pixels)
        for code in await self.codes.scan(pixels, formats=("QRCode",)):
            if code.text.startswith("000201") or is_wallet_link(code.text):
                return code.text
        return None

    # -- the steps ---------------------------------------------------------------------------------------------

    async def on_turn(self, text: str, frame: Frame | None, *, language: str | None = None) -> str:
        """Answer what the wearer said: "pay this", an amount, "confirm" or "cancel"."""
        self._language = language or self._language
        if self.provider is None:
            return self._t("not_set_up")
        pending = self.pending
        if pending is None:
            payload = await self._find_code(frame)
            if payload is None:
                return self._t("no_code")
            return await self.offer(payload)
        if is_cancel(text):
            return await self.cancel()
        if is_confirm(text):
            if pending.payment is None:
                return self._t("amount_first", merchant=pending.qr.payee)
            pending.said_confirm = True
            return await self._maybe_pay()
        amount = amount_from_speech(text, pending.qr.minor_units)
        if amount is not None:
            return await self._set_amount(amount)
        return self._prompt()  # "pay this" again: say what is waiting

    async def offer(self, payload: str) -> str:
        """A payment code was found: check it and show the confirmation card (or say why it cannot be paid)."""
        if self.pending is not None:
            if self.pending.payload == payload:
                return self._prompt()
            await self.cancel(quiet=True)
        if is_wallet_link(payload):
            await self._card(self._t("card_wallet"), self._t("card_wallet_lines").split("|"), "warning")
            return self._t("wallet_link")
        try:
            qr = parse(payload)
        except QRPayloadError as exc:
            log.info("refused a payment code: %s", exc.code)  # the code, never the payload
            self._seen[_digest(payload)] = time.monotonic()  # warned once, not at every frame
            await self._card(self._t("card_invalid"), [exc.code], "warning")
            return self._t("invalid")
        pin_required = self.settings.confirm_with == "pin" or (
            self.pins is not None
            and await asyncio.to_thread(self.pins.required, self.owner, self.settings.confirm_with)
        )
        self.pending = Pending(qr=qr, payload=payload, card_id=new_id("card"), pin_required=pin_required)
        if qr.amount_minor is None:
            await self._show_confirmation()
            return self._t("how_much", merchant=qr.payee)
        return await self._set_amount(qr.amount_minor)

    async def _set_amount(self, amount_minor: int) -> str:
        pending = self.pending
        assert pending is not None and self.provider is not None
        if pending.qr.amount_minor is not None and amount_minor != pending.qr.amount_minor:
            fixed = self._spoken(pending.qr.amount_minor, pending.qr)
            return self._t("fixed", amount=fixed)
        if pending.payment is not None:  # a new amount: the old confirmation is void
            await self._updated(await asyncio.to_thread(self.provider.cancel, pending.payment.id, owner=self.owner))
            pending.said_confirm = pending.second_factor = False
        key = f"{self.port.session_id}:{next(_keys)}:{_digest(pending.payload)[:12]}"
        try:
            request = payment_request(pending.qr, pending.payload, owner=self.owner, key=key, amount_minor=amount_minor)
            payment = await asyncio.to_thread(self.provider.create, request, ttl_s=self.settings.confirm_ttl_s)
        except PaymentError as exc:
            await self._card(self._t("card_cannot"), [exc.message], "warning")
            return self._t("cannot", reason=exc.message)
        pending.payment = payment
        pending.card_id = new_id("card")
        self._arm_expiry()
        await self._updated(payment)
        await self._show_confirmation()
        return self._prompt()

    def second_factor(self, *, payment_id: str | None, pin: str | None) -> None:
        """The confirm gesture or a PIN arrived (a device event): check it, pay if "confirm" was said too."""
        self.port.spawn(self._second_factor(payment_id, pin), name="pay-confirm")

    async def _second_factor(self, payment_id: str | None, pin: str | None) -> None:
        pending = self.pending
        if pending is None or pending.payment is None:
            await self._say(self._t("nothing_to_confirm"))
            return
        if payment_id is not None and payment_id != pending.payment.id:
            raise PaymentConflict("that is not the payment on the card", code="payment-mismatch")
        if pending.pin_required:
            if self.pins is None:
                return
            try:
                await asyncio.to_thread(self.pins.verify, self.owner, pin)
            except PaymentError as exc:
                if exc.code == "pin-locked":
                    await self.cancel(quiet=True)
                await self._say(self._pin_message(exc))
                return
        pending.second_factor = True
        await self._say(await self._maybe_pay())

    async def _maybe_pay(self) -> str:
        pending = self.pending
        assert pending is not None and pending.payment is not None and self.provider is not None
        if not pending.said_confirm:
            return self._t("say_confirm")
        if not pending.second_factor:
            await self._show_confirmation(step=self._t("card_now", step=self._second_step))
            return self._prompt()
        return await self._pay()

    async def _pay(self) -> str:
        pending = self.pending
        assert pending is not None and pending.payment is not None and self.provider is not None
        name = self.port.device_name
        if self.device_active is not None and name and not await asyncio.to_thread(self.device_active, name):
            log.warning("a payment of revoked device %s was refused", name)
            await self.cancel(quiet=True)
            return self._t("revoked")
        try:
            payment = await asyncio.to_thread(self.provider.confirm, pending.payment.id, owner=self.owner)
        except PaymentDeclined as exc:
            await self._updated(exc.payment)
            await self._card(self._t("card_declined"), [exc.payment.amount_text(), exc.message], "warning")
            return self._t("declined", reason=exc.message.removeprefix("declined: "))
        except PaymentConflict as exc:
            await self._card(self._t("card_not_made"), [exc.message], "warning")
            return self._t("expired_before") if exc.code == "payment-expired" else exc.message
        await self._updated(payment)
        merchant = payment.merchant
        lines = [payment.amount_text(), f"{merchant.name} · {merchant.city}", f"Ref {payment.id[-10:]}"]
        await self._card(self._t("card_paid"), lines, "check", card_id=pending.card_id, ttl_ms=8000)
        second = "pin" if pending.pin_required else "gesture"
        log.info("payment %s settled by voice+%s for %s", payment.id, second, self.owner)
        return self._t("paid", amount=self._spoken(payment.amount_minor, pending.qr), merchant=merchant.name)

    async def cancel(self, *, quiet: bool = False, expired: bool = False) -> str:
        """End the open payment without paying."""
        pending = self.pending
        if pending is None:
            return "" if quiet else self._t("nothing_to_cancel")
        self._end(pending)
        if pending.payment is not None and self.provider is not None:
            with contextlib.suppress(PaymentConflict):  # it settled or ended in the meantime
                payment = await asyncio.to_thread(
                    self.provider.cancel, pending.payment.id, owner=self.owner, expired=expired
                )
                await self._updated(payment)
        title = self._t("card_expired" if expired else "card_cancelled")
        await self._card(title, [self._t("card_nothing_paid")], "warning", card_id=pending.card_id, ttl_ms=4000)
        if quiet:
            return ""
        return self._t("expired") if expired else self._t("cancelled")

    # -- helpers ------------------------------------------------------------------------------------------------

    def _end(self, pending: Pending) -> None:
        self.pending = None
        self._seen[_digest(pending.payload)] = time.monotonic()
        if pending.expiry is not None and pending.expiry is not asyncio.current_task():
            pending.expiry.cancel()

    def _arm_expiry(self) -> None:
        pending = self.pending
        assert pending is not None
        if pending.expiry is not None:
            pending.expiry.cancel()

        async def expire() -> None:
            await asyncio.sleep(self.settings.confirm_ttl_s)
            if self.pending is pending:
                await self._say(await self.cancel(expired=True))

        pending.expiry = self.port.spawn(expire(), name="pay-expiry")

    @property
    def _second_step(self) -> str:
        pin = self.pending.pin_required if self.pending is not None else self.settings.confirm_with == "pin"
        return self._t("pin" if pin else "button")

    def _spoken(self, minor: int, qr: EMVPayload) -> str:
        return spoken_amount(minor, qr.currency, qr.minor_units, self.language)

    def _t(self, key: str, **values: Any) -> str:
        return text(self.language, key, **values)

    def _pin_message(self, exc: GlassmateError) -> str:
        if exc.code in ("pin-required", "pin-not-set", "pin-locked"):
            return self._t(exc.code)
        return f"{exc.message[0].upper()}{exc.message[1:]}."

    def _prompt(self) -> str:
        pending = self.pending
        assert pending is not None
        name, city = pending.qr.payee, pending.qr.merchant_city
        if pending.payment is None:
            return self._t("how_much", merchant=name)
        amount = self._spoken(pending.payment.amount_minor, pending.qr)
        if pending.said_confirm:
            return self._t("now", step=self._second_step, amount=amount)
        return self._t("ask" if city else "ask_no_city", amount=amount, merchant=name, city=city)

    async def _show_confirmation(self, step: str | None = None) -> None:
        pending = self.pending
        assert pending is not None
        qr = pending.qr
        where = [qr.merchant_city] if qr.merchant_city else [qr.scheme]
        if pending.payment is None:
            lines = [*where, self._t("card_amount", currency=qr.currency), self._t("card_say_amount")]
        else:
            lines = [*where, pending.amount_text]
            if qr.convenience_fee is not None or qr.convenience_percentage is not None:
                lines.append(self._t("card_fee"))
            lines.append(step or self._t("card_say_confirm"))
        ttl = int(self.settings.confirm_ttl_s * 1000)
        await self._card(
            self._t("card_pay", payee=qr.payee), lines, "pay", card_id=pending.card_id, ttl_ms=ttl, priority="high"
        )

    async def _card(self, title: str, lines: list[str], icon: str, *, card_id: str | None = None,
                    ttl_ms: int = 6000, priority: Literal["normal", "high"] = "normal") -> None:  # fmt: skip
        await self.port.show(Card(title, lines, icon=icon, id=card_id, ttl_ms=ttl_ms, priority=priority))

    async def _updated(self, payment: Payment) -> None:
        await self.port.emit(server_event(PaymentUpdatedEvent, payment=payment.as_dict()))


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()
