"""The pay skill: finds a merchant's payment QR code in view and opens the confirmation (never pays by itself);
while a payment is open its activity (PaymentFlow) takes "confirm", "cancel", the amount and the buttons."""

from __future__ import annotations

import logging
from typing import Any

from glassmate.errors import ToolError
from glassmate.events import PaymentCancel, PaymentConfirm
from glassmate.payments.speech import amount_from_speech
from glassmate.skills.base import Frame, Skill, SkillEnv
from glassmate.skills.pay.activity import POLICY, PaymentFlow
from glassmate.skills.tools import ToolContext, said_in, tool

log = logging.getLogger("glassmate.skills")

GLASSES_ONLY = "Payments work on the glasses: look at the merchant's QR code and say pay this."


class PaySkill(Skill):
    name = "pay"
    policy = POLICY
    events = (PaymentConfirm, PaymentCancel)

    def __init__(self, *, env: SkillEnv) -> None:
        super().__init__(env=env)
        services = env.services
        self.flow: PaymentFlow | None = None
        if env.port is not None:
            devices = getattr(services, "devices", None)
            self.flow = PaymentFlow(port=env.port, codes=env.models.codes, provider=getattr(services, "payments", None),
                                    pins=getattr(services, "pins", None), settings=env.settings.payments,
                                    device_active=devices.is_active if devices is not None else None)  # fmt: skip

    def on_frame(self, frame: Frame) -> None:
        if self.flow is not None:
            self.flow.frame_arrived(frame)

    async def on_event(self, event: Any) -> None:
        if self.flow is None:
            return
        if isinstance(event, PaymentConfirm):
            self.flow.second_factor(payment_id=event.payment_id, pin=event.pin)
        elif isinstance(event, PaymentCancel):
            said = await self.flow.cancel()
            if said:
                await self.flow.port.say(said, skill=self.name)

    @tool(timeout_s=30, cancellable=False, needs_confirmation=True)
    async def pay(self, ctx: ToolContext, amount: str | None = None) -> str:
        """Pay a merchant by the payment QR code the wearer is looking at. This only opens a confirmation card:
        the wearer must confirm by voice and with the button or PIN.

        Args:
            amount: the amount as said ("twelve fifty", "十二块五", "4,50 Euro"), for a code that has none.
        """
        if self.flow is None:
            raise ToolError(GLASSES_ONLY, code="needs-glasses")
        said = await self.flow.on_turn(ctx.turn.text, ctx.turn.frame, language=ctx.language)
        pending = self.flow.pending
        if amount and not said_in(amount, ctx.turn.text):
            # The small LLM fills this from the examples above when the wearer named no amount ("twelve fifty" for
            # "let me pay with this code"): only an amount in the wearer's own words is taken; else it is asked.
            log.info("pay: the amount %r is not in the wearer's words; asking for it", amount)
            amount = None
        # A code without an amount: the amount said with the request answers its question.
        if (amount and pending is not None and pending.payment is None
                and amount_from_speech(amount, pending.qr.minor_units) is not None):  # fmt: skip
            said = await self.flow.on_turn(amount, ctx.turn.frame, language=ctx.language)
        return said
