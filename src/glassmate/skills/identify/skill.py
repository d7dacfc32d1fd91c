"""What is in view: a product of the catalog (barcode first, then the text on the package) with its price here and
the best offer; otherwise the codes and text in view, explained by the LLM in a sentence."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from glassmate.agent.prompt import SceneContext, answer
from glassmate.money import currency_name
from glassmate.products.catalog import Catalog, PricedOffer
from glassmate.products.gtin import display
from glassmate.products.identify import Identification, Identifier
from glassmate.skills.base import Card, Output, Skill, SkillPolicy
from glassmate.skills.read_text.skill import frame_in_view, scene_in_view
from glassmate.skills.tools import ToolContext, tool
from glassmate.store.catalog import Product

TEXTS = {
    "en": {
        "unknown": "I can't tell which product this is. Try showing me its barcode.",
        "not_in_catalog": "I don't know this product. Its barcode number is {code}.",
        "unsure": "I'm not sure. It could be {names}.",
        "or": " or ",
        "this_is": "This is {name}.",
        "cheaper": " {merchant} has it for {price}, {saving} less.",
        "best_here": " {price} here is the best price I know.",
        "best": " The best price is {price} at {merchant}.",
        "code": "That's {kind}: {text}.",
        "qr": "a QR code",
        "barcode": "a {format} barcode",
        "ask": "What is this? Answer in one sentence.",
        "one_sentence": "Answer in one sentence.",
    },
    "zh": {
        "unknown": "我认不出这是什么产品。请把条形码对准我。",
        "not_in_catalog": "我不认识这个产品。它的条形码是{code}。",
        "unsure": "我不确定，可能是{names}。",
        "or": "或",
        "this_is": "这是{name}。",
        "cheaper": "{merchant}卖{price}，便宜{saving}。",
        "best_here": "这里的{price}是我知道的最低价。",
        "best": "最低价是{merchant}的{price}。",
        "code": "这是{kind}：{text}。",
        "qr": "一个二维码",
        "barcode": "一个{format}条形码",
        "ask": "这是什么？用一句话回答。",
        "one_sentence": "用一句话回答。",
    },
    "de": {
        "unknown": "Ich erkenne das Produkt nicht. Zeig mir bitte den Strichcode.",
        "not_in_catalog": "Dieses Produkt kenne ich nicht. Die Strichcodenummer ist {code}.",
        "unsure": "Ich bin nicht sicher. Es könnte {names} sein.",
        "or": " oder ",
        "this_is": "Das ist {name}.",
        "cheaper": " {merchant} hat es für {price}, {saving} weniger.",
        "best_here": " {price} ist hier der beste Preis, den ich kenne.",
        "best": " Der beste Preis ist {price} bei {merchant}.",
        "code": "Das ist {kind}: {text}.",
        "qr": "ein QR-Code",
        "barcode": "ein {format}-Strichcode",
        "ask": "Was ist das? Antworte in einem Satz.",
        "one_sentence": "Antworte in einem Satz.",
    },
}


def money(amount: float, currency: str, language: str = "en") -> str:
    name = currency_name(currency, language)
    return f"{amount:.2f}{name}" if language == "zh" else f"{amount:.2f} {name}"


def summary(found: Identification, catalog: Catalog, language: str = "en") -> tuple[str, Card | None]:
    """The spoken sentence and the HUD card for an identification, in `language`."""
    texts = TEXTS.get(language, TEXTS["en"])
    best, currency = found.best, catalog.settings.currency

    def name(product: Product) -> str:
        return product.name_zh if language == "zh" and product.name_zh else product.name_en

    if best is None and found.unknown_codes:
        code = display(found.unknown_codes[0])  # as printed: 13 digits, or 8 for an EAN-8
        return texts["not_in_catalog"].format(code=code), Card("?", [code], icon="product")
    if best is None:
        return texts["unknown"], None
    if best.confidence < catalog.settings.min_confidence:
        names = texts["or"].join(name(c.product) for c in found.candidates[:2])
        return texts["unsure"].format(names=names), Card(
            "Not sure", [c.product.name_en[:32] for c in found.candidates[:3]], icon="product"
        )
    product = best.product
    sentence = texts["this_is"].format(name=name(product))
    lines = [product.name_en[:32]]
    cheapest: PricedOffer | None = found.offers[0] if found.offers else None
    here = None
    if found.price_here is not None:
        here = catalog.to_home(found.price_here.amount_minor, found.price_here.currency)
        lines.append(f"Here: {here:.2f} {currency}")
    if cheapest is not None:
        lines.append(f"Best: {cheapest.price:.2f} {currency} {cheapest.merchant}"[:32])
        price = money(cheapest.price, currency, language)
        if here is not None and cheapest.price < here - 0.005:
            saving = here - cheapest.price
            sentence += texts["cheaper"].format(merchant=cheapest.merchant, price=price,
                                                saving=money(saving, currency, language))  # fmt: skip
            lines.append(f"Save {saving:.2f} {currency}")
        elif here is not None:
            sentence += texts["best_here"].format(price=money(here, currency, language))
        else:
            sentence += texts["best"].format(price=price, merchant=cheapest.merchant)
    return sentence, Card(product.brand, lines[:5], icon="product")


class IdentifySkill(Skill):
    """Identifies the product in view (barcode, then package text) and compares its offers; anything else in view
    is described from its codes and text."""

    name = "identify"
    policy = SkillPolicy(icon="product", models=("ocr", "codes", "llm"), buttons=("long_press",))

    @tool(timeout_s=30, side_effects=False)
    async def identify(self, ctx: ToolContext) -> AsyncGenerator[Output, None]:
        """Say what the wearer is looking at: which product it is, its price here and where it is cheaper; or
        what the codes and text in view are."""
        catalog: Catalog | None = getattr(self.env.services, "catalog", None)
        if catalog is None:
            scene = await scene_in_view(ctx)
        else:
            pixels = await frame_in_view(ctx)
            identifier = Identifier(catalog=catalog, ocr=ctx.models.ocr, codes=ctx.models.codes)
            found = await identifier.identify(pixels)
            if found.best is not None or found.unknown_codes:
                sentence, card = summary(found, catalog, ctx.language)
                if card is not None:
                    yield card
                yield sentence
                return
            # Not a product the catalog knows: describe what is in view (the OCR has been done).
            scene = SceneContext(lines=found.lines, codes=await ctx.models.codes.scan(pixels))
        texts = TEXTS.get(ctx.language, TEXTS["en"])
        if scene.codes and not scene.lines:
            code = scene.codes[0]
            kind = texts["qr"] if code.format.startswith("QR") else texts["barcode"].format(format=code.format)
            yield texts["code"].format(kind=kind, text=code.text)
            return
        if not scene.lines and not scene.codes:
            yield texts["unknown"]
            return
        # The wearer's own question ("how much is this?"), or, for the button, "what is this?".
        question = f"{ctx.turn.text} {texts['one_sentence']}" if ctx.turn.text else texts["ask"]
        async with aclosing(answer(question, llm=ctx.models.llm, scene=scene)) as deltas:
            async for delta in deltas:
                yield delta
