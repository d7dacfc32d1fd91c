""" "What is this, and where is it cheaper?": the product in view, its price here and the best offer."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from glassmate.products.catalog import Catalog, PricedOffer
from glassmate.products.identify import Identification, Identifier
from glassmate.skills.ask import SceneContext, answer
from glassmate.skills.base import SkillContext, Turn
from glassmate.skills.builtin import FRESH_FRAME_S, PatternSkill, WhatIsThisSkill

CURRENCY_WORDS = {"EUR": "euros", "USD": "dollars", "GBP": "pounds", "CNY": "yuan", "CHF": "francs", "JPY": "yen"}


def money(amount: float, currency: str) -> str:
    return f"{amount:.2f} {CURRENCY_WORDS.get(currency, currency)}"


def summary(found: Identification, catalog: Catalog) -> tuple[str, dict[str, Any] | None]:
    """The spoken sentence and the HUD card for an identification."""
    best, currency = found.best, catalog.settings.currency
    if best is None:
        return "I can't tell which product this is. Try showing me its barcode.", None
    if best.confidence < catalog.settings.min_confidence:
        names = " or ".join(c.product.name_en for c in found.candidates[:2])
        return f"I'm not sure. It could be {names}.", {
            "title": "Not sure",
            "lines": [c.product.name_en[:32] for c in found.candidates[:3]],
            "icon": "product",
        }
    product = best.product
    sentence = f"This is {product.name_en}."
    lines = [product.name_en[:32]]
    cheapest: PricedOffer | None = found.offers[0] if found.offers else None
    here = None
    if found.price_here is not None:
        here = catalog.to_home(found.price_here.amount_minor, found.price_here.currency)
        lines.append(f"Here: {here:.2f} {currency}")
    if cheapest is not None:
        lines.append(f"Best: {cheapest.price:.2f} {currency} {cheapest.merchant}"[:32])
        if here is not None and cheapest.price < here - 0.005:
            saving = here - cheapest.price
            sentence += (
                f" {cheapest.merchant} has it for {money(cheapest.price, currency)}, {money(saving, currency)} less."
            )
            lines.append(f"Save {saving:.2f} {currency}")
        elif here is not None:
            sentence += f" {money(here, currency)} here is the best price I know."
        else:
            sentence += f" The best price is {money(cheapest.price, currency)} at {cheapest.merchant}."
    card = {"title": product.brand, "lines": lines[:5], "icon": "product"}
    return sentence, card


class ProductSkill(PatternSkill):
    """Identifies the product in view (barcode, then package text) and compares its offers."""

    name = "product"
    patterns = (
        r"(hey glasses )?(what is|what's) (this|that)( thing| product)?",
        r"(where|is there (anywhere|somewhere)) (is|where) (it|this|that) cheaper",
        r"where (is|can i (get|buy)) (it|this|that)( for)? cheaper",
        r"(how much is|what does) (this|that|it)( cost)?( elsewhere| somewhere else)?",
        r"(compare|check) (the )?prices?( for this)?",
        r"is (this|that) a good price",
        r"(find|show me) (a )?(better|cheaper|lower) price",
    )

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._fallback = WhatIsThisSkill()

    async def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]:
        if turn.frame is None or turn.frame.age_s() > FRESH_FRAME_S:
            yield "I can't see anything right now. Is the camera on?"
            return
        identifier = Identifier(catalog=self.catalog, ocr=ctx.models.ocr, codes=ctx.models.codes)
        found = await identifier.identify(turn.frame.pixels())
        if found.best is None:  # not a product the catalog knows: answer from what is in view
            if self._fallback.match(turn):
                async for delta in self._fallback.run(turn, ctx):
                    yield delta
                return
            if found.lines:
                scene = SceneContext(lines=found.lines, codes=[])
                async for delta in answer(turn.text, llm=ctx.models.llm, scene=scene):
                    yield delta
                return
        sentence, card = summary(found, self.catalog)
        if card is not None:
            ctx.card = card
        yield sentence
