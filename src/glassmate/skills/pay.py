"""The pay skill: "pay this" with a merchant's QR code in view, then the amount, "confirm" or "cancel" while a
payment is open. The steps themselves live in the session's PaymentFlow (glassmate.session.payment)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from glassmate.payments.speech import amount_from_speech, is_cancel, is_confirm, is_pay_request
from glassmate.skills.base import SkillContext, Turn


class PaySkill:
    name = "pay"
    # Once the wearer confirmed, the payment must finish: barge-in does not cut it off.
    cancellable = False

    def match(self, turn: Turn) -> bool:
        if turn.payment_pending:  # "stop" and "no" cancel the payment, an amount answers its question
            said = turn.text
            return (
                is_cancel(said) or is_confirm(said) or is_pay_request(said) or amount_from_speech(said, 2) is not None
            )
        return is_pay_request(turn.text)

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        flow = getattr(ctx.session, "payments", None)
        if flow is None:
            yield "Payments work on the glasses: look at the merchant's QR code and say pay this."
            return
        ctx.card_shown = True  # the flow sends its own cards, before it speaks
        yield await flow.on_turn(turn.text, turn.frame)
