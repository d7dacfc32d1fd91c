"""Product identification on held-out photos, and the catalog at scale.

Held-out set: the demo catalog's packages re-rendered and then photographed differently from the reference
images (perspective, blur, glare, rotation, partial occlusion, low light), with a different seed. Three cues:
"barcode" (the whole package in view, the code readable) and "text" (the barcode cut off: only the upper part of
the package in view, so the name must be read), and "appearance" (only the artwork band between name and
barcode: neither can be read). Real models: zxing-cpp, RapidOCR, OpenCV ORB. Reports top-1 accuracy
and latency p50/p95 per cue, and frame → HUD card (identification + offers + the spoken sentence).

Scale (--scale N): N generated products (and one offer each) in a fresh SQLite database; GTIN look-up and name
search p50/p95.

Prints tables and writes bench/out/products.json. Run: `.venv/bin/python bench/products.py` (about 3 minutes
here; `--scale 1000000` adds a few minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from glassmate.config import ProductSettings, Settings
from glassmate.products import demo
from glassmate.products.catalog import Catalog
from glassmate.products.gtin import normalise
from glassmate.products.identify import Identifier
from glassmate.runtime import Models
from glassmate.skills.identify.skill import summary
from glassmate.store import Database

OUT = Path(__file__).parent / "out"
CONDITIONS = ("perspective", "blur", "glare", "rotation", "occlusion", "low-light")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def photograph(package: np.ndarray, condition: str, rng: random.Random) -> np.ndarray:
    """The package as a camera sees it: on a cluttered background, under one condition."""
    h, w = package.shape[:2]
    bg = np.full((int(h * 1.4), int(w * 1.6), 3), rng.randint(60, 200), np.uint8)
    noise = np.random.default_rng(rng.randint(0, 10**6)).integers(0, 40, bg.shape, dtype=np.uint8)
    bg = cv2.add(bg, noise)
    ox, oy = rng.randint(10, bg.shape[1] - w - 10), rng.randint(10, bg.shape[0] - h - 10)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + np.float32([[ox, oy]] * 4)
    if condition == "perspective":
        j = 0.12
        dst += np.float32([[rng.uniform(-j, j) * w, rng.uniform(-j, j) * h] for _ in range(4)])
    elif condition == "rotation":
        angle = rng.choice([-1, 1]) * rng.uniform(10, 35)
        centre = (ox + w / 2, oy + h / 2)
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        dst = cv2.transform(dst[None], m)[0].astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, (bg.shape[1], bg.shape[0]))
    warped = cv2.warpPerspective(package, matrix, (bg.shape[1], bg.shape[0]))
    photo = np.where(mask[..., None] > 0, warped, bg)
    if condition == "blur":
        photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(1.2, 2.0))
    elif condition == "glare":
        yy, xx = np.mgrid[: photo.shape[0], : photo.shape[1]]
        cx, cy = ox + rng.uniform(0.2, 0.8) * w, oy + rng.uniform(0.1, 0.5) * h
        spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.18 * w) ** 2))
        photo = np.clip(photo + 170 * spot[..., None], 0, 255).astype(np.uint8)
    elif condition == "occlusion":
        x0 = ox + rng.randint(0, w // 2)
        cv2.rectangle(photo, (x0, oy + h // 3), (x0 + w // 3, oy + h // 3 + h // 5), (30, 30, 30), -1)
    elif condition == "low-light":
        dark = photo.astype(np.float32) * rng.uniform(0.25, 0.4)
        dark += np.random.default_rng(rng.randint(0, 10**6)).normal(0, 4, photo.shape)
        photo = np.clip(dark, 0, 255).astype(np.uint8)
    return photo


async def held_out(models: Models, catalog: Catalog, per_condition: int) -> dict[str, Any]:
    rng = random.Random(7)  # not the demo's seed: other products, other placements
    products = demo.products()
    identifier = Identifier(catalog=catalog, ocr=models.ocr, codes=models.codes)
    await identifier.identify(demo.render_package(products[0]))  # load the models before timing
    await asyncio.to_thread(catalog.appearance)  # build the reference index before timing
    results: dict[str, list[dict[str, Any]]] = {"barcode": [], "text": [], "appearance": []}
    for cue in results:
        for condition in CONDITIONS:
            for product in rng.sample(products, per_condition):
                package = demo.render_package(product)
                if cue == "text":
                    package = package[:360]  # the upper part: names, no barcode
                elif cue == "appearance":
                    package = package[330:510]  # the artwork only: no name, no barcode
                photo = photograph(package, condition, rng)
                start = time.perf_counter()
                found = await identifier.identify(photo)
                summary(found, catalog)  # what the HUD card and the voice say
                ms = (time.perf_counter() - start) * 1000
                best = found.best
                # The cue's own stage (the code scan, the OCR and name matching, the artwork matching).
                stage = found.timings_ms.get({"barcode": "codes"}.get(cue, cue), 0.0)
                results[cue].append({
                    "condition": condition, "gtin": product["gtin"], "ms": round(ms, 1), "cue_ms": round(stage, 1),
                    "found": best.product.gtin if best else None, "cue": best.cue if best else None,
                    "correct": bool(best and best.product.gtin == normalise(product["gtin"])),
                })  # fmt: skip
    report: dict[str, Any] = {}
    for cue, rows in results.items():
        times = [r["ms"] for r in rows]
        stage = [r["cue_ms"] for r in rows]
        report[cue] = {
            "n": len(rows),
            "top1": round(sum(r["correct"] for r in rows) / len(rows), 3),
            "cue_p50_ms": pct(stage, 0.5),
            "cue_p95_ms": pct(stage, 0.95),
            "card_p50_ms": pct(times, 0.5),
            "card_p95_ms": pct(times, 0.95),
            "by_condition": {
                c: round(statistics.mean(r["correct"] for r in rows if r["condition"] == c), 2) for c in CONDITIONS
            },
            "cue_used": {str(k): sum(r["cue"] == k for r in rows) for k in ("barcode", "text", "appearance", None)},
        }
    return report


def scale(n: int) -> dict[str, Any]:
    """N products in a fresh SQLite catalog: GTIN look-up and name search."""
    from sqlalchemy import insert

    from glassmate.products.gtin import check_digit
    from glassmate.store.catalog import Product

    words = ["Oat", "Soy", "Rice", "Green", "Tea", "Juice", "Milk", "Chips", "Honey", "Coffee", "Lemon", "Salt",
             "Cocoa", "Mango", "Apple", "Berry", "Ginger", "Mint", "Vanilla", "Almond"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(url=f"sqlite:///{tmp}/scale.db")
        catalog = Catalog(db, ProductSettings())
        rng = random.Random(1)
        start = time.perf_counter()
        gtins = []
        with db.engine.begin() as conn:
            batch = []
            for i in range(n):
                body = f"29{i:010d}"
                gtin = (body + str(check_digit(body))).zfill(14)
                gtins.append(gtin)
                name = " ".join(rng.sample(words, 3))
                batch.append({"gtin": gtin, "brand": f"Brand{i % 5000}", "name_en": f"{name} {i}", "name_zh": "",
                              "aliases": [], "unit": "g", "category": "", "images": [], "demo": True})  # fmt: skip
                if len(batch) == 20_000:
                    conn.execute(insert(Product), batch)
                    batch = []
            if batch:
                conn.execute(insert(Product), batch)
        catalog.reindex_names()
        load_s = time.perf_counter() - start
        lookups, searches = [], []
        for gtin in rng.sample(gtins, 200):
            t = time.perf_counter()
            assert catalog.find(gtin) is not None
            lookups.append((time.perf_counter() - t) * 1000)
        for _ in range(50):
            t = time.perf_counter()
            catalog.search_names([f"Brand{rng.randint(0, 4999)}", rng.choice(words)], limit=50)
            searches.append((time.perf_counter() - t) * 1000)
    return {"products": n, "load_s": round(load_s, 1),
            "gtin_lookup_ms": {"p50": pct(lookups, 0.5), "p95": pct(lookups, 0.95)},
            "name_search_ms": {"p50": pct(searches, 0.5), "p95": pct(searches, 0.95)}}  # fmt: skip


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    models = Models(settings=settings)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Database(url=f"sqlite:///{tmp}/catalog.db"), settings.products)
        rows = demo.products()
        demo.write_images(rows, Path(tmp) / "images")  # the reference images for appearance matching
        catalog.import_rows({"products": rows, "offers": demo.offers(rows), "merchants": demo.MERCHANTS})
        report: dict[str, Any] = {"held_out": await held_out(models, catalog, args.per_condition)}
    await models.aclose()
    if args.scale:
        report["scale"] = scale(args.scale)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-condition", type=int, default=10, help="photos per condition and cue")
    parser.add_argument("--scale", type=int, default=0, help="also a catalog of this many products")
    parser.add_argument("--output", type=Path, default=OUT / "products.json")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    report = asyncio.run(main_async(args))
    report["machine"] = {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    args.output.write_text(json.dumps(report, indent=2))
    print(f"\nglassmate product identification ({report['machine']['cpus']} CPUs, {report['machine']['date']})")
    for cue, r in report["held_out"].items():
        print(f"  {cue:<8} n={r['n']:<4} top-1 {r['top1']:.1%}   cue p50 {r['cue_p50_ms']} / p95 {r['cue_p95_ms']} ms"
              f"   frame → card p50 {r['card_p50_ms']} / p95 {r['card_p95_ms']} ms")  # fmt: skip
        print(f"           by condition {r['by_condition']}")
    if "scale" in report:
        s = report["scale"]
        print(f"  scale: {s['products']:,} products (loaded in {s['load_s']} s): GTIN look-up p50 "
              f"{s['gtin_lookup_ms']['p50']} ms, name search p50 {s['name_search_ms']['p50']} ms")  # fmt: skip
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
