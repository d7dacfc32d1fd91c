"""The demo catalog: 320 made-up products (DEMO DATA, not real goods), with names in English and Chinese, offers
from five merchants over 90 days, and a rendered package label per product that carries its barcode and name.

Everything is generated from a fixed seed, so `glassmate catalog demo` gives the same catalog on every machine.
GTINs use the GS1 prefixes 20-29 ("restricted circulation": numbers a store assigns itself), so no demo number
is a real product's.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from glassmate.products.gtin import check_digit

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # Debian's fonts-wqy-microhei (scripts/setup.sh)
SEED = 20261122

BRANDS = [
    ("Alpenhof", "阿尔彭霍夫"), ("Lotus Garden", "莲花园"), ("Nordic Farm", "北欧农场"), ("Golden Harvest", "金色丰收"),
    ("BlueRiver", "蓝河"), ("Sunwell", "阳光井"), ("Maple & Co", "枫叶"), ("Jade Mountain", "玉山"),
]  # fmt: skip
# category: (base name en, zh, unit, sizes)
BASES = {
    "drinks": [("Oat Drink", "燕麦饮", "ml", [250, 1000]), ("Orange Juice", "橙汁", "ml", [330, 1000]),
               ("Green Tea", "绿茶", "ml", [500]), ("Soy Milk", "豆奶", "ml", [250, 1000]),
               ("Sparkling Water", "气泡水", "ml", [500, 1500])],
    "snacks": [("Potato Chips", "薯片", "g", [75, 150]), ("Rice Crackers", "米饼", "g", [100]),
               ("Chocolate Bar", "巧克力棒", "g", [45, 100]), ("Butter Cookies", "黄油饼干", "g", [200])],
    "pantry": [("Jasmine Rice", "茉莉香米", "g", [1000, 5000]), ("Spaghetti", "意大利面", "g", [500]),
               ("Soy Sauce", "酱油", "ml", [500]), ("Olive Oil", "橄榄油", "ml", [750]), ("Honey", "蜂蜜", "g", [350])],
    "dairy": [("Yogurt", "酸奶", "g", [150, 500]), ("Butter", "黄油", "g", [250]), ("Cheese", "奶酪", "g", [200])],
    "care": [("Toothpaste", "牙膏", "ml", [100]), ("Shampoo", "洗发水", "ml", [400]),
             ("Hand Soap", "洗手液", "ml", [300])],
}  # fmt: skip
VARIANTS = [("Original", "原味"), ("Vanilla", "香草"), ("Lemon", "柠檬"), ("Sea Salt", "海盐"), ("Strawberry", "草莓"),
            ("Light", "清淡"), ("Organic", "有机"), ("Classic", "经典")]  # fmt: skip
MERCHANTS = [
    {"name": "FreshMart Mitte", "kind": "store", "city": "Berlin"},
    {"name": "Kaufpark", "kind": "store", "city": "Berlin"},
    {"name": "EcoShop Online", "kind": "online", "city": ""},
    {"name": "Hema Market", "kind": "store", "city": "Hangzhou"},
    {"name": "Tmall Global", "kind": "online", "city": ""},
]
N_PRODUCTS = 320


def _gtin(n: int) -> str:
    body = f"2{n % 10}{n:010d}"[-12:]
    return body + str(check_digit(body))


def products() -> list[dict[str, Any]]:
    """The demo products (catalog import rows, without images)."""
    rng = random.Random(SEED)
    combos = [(b, cat, base, size, v) for b in BRANDS for cat, bases in BASES.items() for base in bases
              for size in base[3] for v in VARIANTS]  # fmt: skip
    rng.shuffle(combos)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for (brand, brand_zh), category, (name, name_zh, unit, _), size, (variant, variant_zh) in combos:
        key = (brand, name, variant)
        if key in seen:
            continue
        seen.add(key)
        size_text = f"{size / 1000:g} {'L' if unit == 'ml' else 'kg'}" if size >= 1000 else f"{size} {unit}"
        rows.append({
            "gtin": _gtin(len(rows) + 1),
            "brand": brand,
            "name_en": f"{brand} {name} {variant} {size_text}",
            "name_zh": f"{brand_zh}{variant_zh}{name_zh} {size_text}",
            "aliases": [f"{name} {variant}"],
            "quantity": size, "unit": unit, "category": category, "demo": True,
        })  # fmt: skip
        if len(rows) == N_PRODUCTS:
            break
    return rows


def offers(product_rows: list[dict[str, Any]], *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Prices from 3-5 merchants per product, observed weekly over 90 days (a trend for some)."""
    rng = random.Random(SEED + 1)
    now = now or datetime.now(UTC).replace(microsecond=0)
    rows = []
    for p in product_rows:
        base = rng.uniform(0.8, 9.0) * (1 + (p["quantity"] or 1) / 2000)
        drift = rng.choice([-0.15, 0.0, 0.0, 0.12])  # over the 90 days
        for merchant in rng.sample(MERCHANTS, rng.randint(3, 5)):
            cny = merchant["city"] == "Hangzhou" or merchant["name"] == "Tmall Global"
            markup = rng.uniform(0.85, 1.25)
            for week in range(13):
                at = now - timedelta(days=7 * (12 - week))
                eur = base * markup * (1 + drift * week / 12)
                price, currency = (eur / 0.13, "CNY") if cny else (eur, "EUR")
                rows.append({"gtin": p["gtin"], "merchant": merchant["name"], "price": f"{price:.2f}",
                             "currency": currency, "stock": rng.randint(0, 80),
                             "observed_at": at.isoformat()})  # fmt: skip
    return rows


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(CJK_FONT, size)
    except OSError:
        return ImageFont.load_default(size=size)


def render_package(product: dict[str, Any], size: tuple[int, int] = (600, 800)) -> np.ndarray:
    """The front of the product's package: brand colours, brand, names, size, and its EAN-13 barcode."""
    import zxingcpp

    rng = random.Random(product["brand"])  # one look per brand, one pattern per product
    colour = tuple(rng.randint(40, 200) for _ in range(3))
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    w, h = size
    prng = random.Random(product["gtin"])
    for _ in range(6):  # a pattern that tells products apart for appearance matching
        x, y, r = prng.randint(0, w), prng.randint(0, h // 2), prng.randint(20, 90)
        shade = tuple(min(255, c + prng.randint(30, 90)) for c in colour)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=shade)
    # The product's artwork between the label and the barcode: what appearance matching recognises when
    # neither the code nor the name can be read.
    for _ in range(14):
        cx, cy = prng.randint(40, w - 40), prng.randint(350, 495)
        points = [(cx + prng.randint(-60, 60), cy + prng.randint(-45, 45)) for _ in range(prng.randint(3, 6))]
        fill = tuple(prng.randint(0, 255) for _ in range(3))
        draw.polygon(points, fill=fill, outline=(20, 20, 20))
    draw.rectangle((30, 40, w - 30, 330), fill="white")
    draw.text((50, 55), product["brand"].upper(), fill="black", font=_font(52))
    name = product["name_en"].removeprefix(product["brand"]).strip()
    draw.text((50, 140), name, fill="black", font=_font(34))
    draw.text((50, 200), product["name_zh"], fill="black", font=_font(34))
    draw.text((50, 262), "DEMO DATA", fill=(160, 0, 0), font=_font(24))
    barcode = zxingcpp.create_barcode(product["gtin"], zxingcpp.BarcodeFormat.EAN13)
    code = Image.fromarray(np.asarray(barcode.to_image(scale=4, add_quiet_zones=True))).convert("RGB")
    code = code.resize((min(w - 100, code.width), 220))
    box = (w // 2 - code.width // 2 - 10, h - 290, w // 2 + code.width // 2 + 10, h - 40)
    draw.rectangle(box, fill="white")
    image.paste(code, (w // 2 - code.width // 2, h - 280))
    draw.text((w // 2 - 90, h - 62), product["gtin"], fill="black", font=_font(26))
    return np.asarray(image)


def write_images(product_rows: list[dict[str, Any]], folder: Path) -> None:
    """Render each product's package into `folder` and record it as the product's reference image."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in product_rows:
        path = folder / f"{p['gtin']}.png"
        if not path.exists():
            Image.fromarray(render_package(p)).save(path, optimize=False)
        p["images"] = [str(path)]


def catalog(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The whole demo catalog as import rows, with its images rendered into `folder`."""
    rows = products()
    write_images(rows, folder)
    return {"products": rows, "merchants": list(MERCHANTS), "offers": offers(rows)}
