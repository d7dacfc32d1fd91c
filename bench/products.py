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
                    "sure": bool(best and best.confidence >= catalog.settings.min_confidence),
                })  # fmt: skip
    report: dict[str, Any] = {}
    for cue, rows in results.items():
        times = [r["ms"] for r in rows]
        stage = [r["cue_ms"] for r in rows]
        report[cue] = {
            "n": len(rows),
            "top1": round(sum(r["correct"] for r in rows) / len(rows), 3),
            "sure_correct": round(sum(r["correct"] and r["sure"] for r in rows) / len(rows), 3),
            "sure_wrong": round(sum(r["sure"] and not r["correct"] for r in rows) / len(rows), 3),
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


async def out_of_catalog(models: Models, tmp: Path, per_condition: int) -> dict[str, Any]:
    """Photos of products the catalog does not have: every 8th demo product is left out of a second catalog (its
    siblings, same brand or same name in another flavour or size, stay in: the hardest look-alikes), plus the
    real photos of opencv-doc (books with their barcodes, street scenes with text). Any "sure" answer is a
    confident wrong one."""
    rows = demo.products()
    missing = rows[::8]
    kept = [r for r in rows if r not in missing]
    catalog = Catalog(Database(url=f"sqlite:///{tmp}/partial.db"), ProductSettings())
    catalog.import_rows({"products": kept})
    identifier = Identifier(catalog=catalog, ocr=models.ocr, codes=models.codes)
    rng = random.Random(11)
    answers: dict[str, list[dict[str, Any]]] = {"text": [], "barcode": [], "real": []}
    for product in missing[: per_condition * 4]:
        package = demo.render_package(product)
        for cue, view in (("text", package[:360]), ("barcode", package)):
            found = await identifier.identify(photograph(view, rng.choice(CONDITIONS), rng), with_offers=False)
            answers[cue].append(_answer(found, catalog, product["name_en"]))
    for path in REAL_PHOTOS:
        if path.exists():
            pixels = np.ascontiguousarray(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB))
            found = await identifier.identify(pixels, with_offers=False)
            answers["real"].append(_answer(found, catalog, path.name))
    report: dict[str, Any] = {}
    for kind, found in answers.items():
        report[kind] = {"n": len(found), "sure_wrong": sum(a["sure"] for a in found),
                        "unsure": sum(a["said"] == "unsure" for a in found),
                        "dont_know": sum(a["said"] == "dont-know" for a in found),
                        "sure_examples": [a for a in found if a["sure"]][:5]}  # fmt: skip
    everything = [a for found in answers.values() for a in found]
    report["sure_wrong_rate"] = round(sum(a["sure"] for a in everything) / max(1, len(everything)), 3)
    return report


def _answer(found: Any, catalog: Catalog, shown: str) -> dict[str, Any]:
    best = found.best
    sure = bool(best and best.confidence >= catalog.settings.min_confidence)
    said = "sure" if sure else "unsure" if best else "dont-know"
    return {"shown": shown, "said": said, "sure": sure, "answer": best.product.name_en if best else None,
            "confidence": best.confidence if best else None, "unknown_codes": found.unknown_codes}  # fmt: skip


# Real photos (not rendered by us) from Debian's opencv-doc package (`apt-get install opencv-doc`; OpenCV's
# samples and tutorials, Apache 2.0): four books' EAN-13 codes photographed on a table, and scenes with text.
OPENCV_DOC = Path("/usr/share/doc/opencv-doc")
BARCODE_PHOTO = OPENCV_DOC / "opencv4/html/4_barcodes.jpg"
BARCODE_TRUTH = {"tl": "9787564350840", "tr": "9783319200064", "bl": "9787118081473", "br": "9787122276124"}
REAL_PHOTOS = (
    [BARCODE_PHOTO]
    + [OPENCV_DOC / f"examples/text/scenetext0{i}.jpg" for i in range(1, 7)]
    + [OPENCV_DOC / f"examples/data/{name}.jpg" for name in ("fruits", "building", "stuff", "text_defocus")]
)


async def barcodes(models: Models) -> dict[str, Any]:
    """Product barcodes in a real photo (opencv-doc's four books, one book per quarter of the photo), as taken and
    smaller, blurred, darker and compressed as a glasses camera at arm's length would give them: read by a plain
    zxing-cpp scan, then with the second looks (products.barcode_effort_ms)."""
    if not BARCODE_PHOTO.exists():
        return {"skipped": f"{BARCODE_PHOTO} is missing: apt-get install opencv-doc"}
    photo = cv2.cvtColor(cv2.imread(str(BARCODE_PHOTO)), cv2.COLOR_BGR2RGB)
    h, w = photo.shape[:2]
    quarters = {"tl": photo[: h // 2, : w // 2], "tr": photo[: h // 2, w // 2 :],
                "bl": photo[h // 2 :, : w // 2], "br": photo[h // 2 :, w // 2 :]}  # fmt: skip
    effort = ProductSettings().barcode_effort_ms
    formats = ("EAN13", "EAN8", "UPCA", "UPCE", "QRCode")
    rows = []
    for name, quarter in quarters.items():
        for condition in ("as-taken", "smaller-0.8", "smaller-0.7", "blur-0.8", "blur-1.2", "dark", "jpeg-30"):
            image = quarter.copy()
            if condition.startswith("smaller"):
                f = float(condition.split("-")[1])
                image = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            elif condition.startswith("blur"):
                image = cv2.GaussianBlur(image, (0, 0), float(condition.split("-")[1]))
            elif condition == "dark":
                image = np.clip(image.astype(np.float32) * 0.3 + np.random.default_rng(1).normal(0, 3, image.shape),
                                0, 255).astype(np.uint8)  # fmt: skip
            elif condition == "jpeg-30":
                _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 30])
                image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
            image = np.ascontiguousarray(image)
            start = time.perf_counter()
            plain = await models.codes.scan(image, formats)
            plain_ms = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            harder = plain or await models.codes.scan(image, formats, effort_ms=effort)
            harder_ms = (time.perf_counter() - start) * 1000
            rows.append({"photo": name, "condition": condition, "plain": [c.text for c in plain],
                         "harder": [c.text for c in harder], "plain_ms": round(plain_ms, 1),
                         "extra_ms": round(harder_ms if not plain else 0.0, 1)})  # fmt: skip
    truth = {r["photo"]: BARCODE_TRUTH[r["photo"]] for r in rows}
    return {
        "n": len(rows),
        "plain_read": sum(truth[r["photo"]] in r["plain"] for r in rows),
        "harder_read": sum(truth[r["photo"]] in r["harder"] for r in rows),
        "wrong_codes": sum(any(t != truth[r["photo"]] for t in r["harder"]) for r in rows),
        "extra_ms_p50": pct([r["extra_ms"] for r in rows if not r["plain"]], 0.5),
        "extra_ms_max": max((r["extra_ms"] for r in rows), default=0.0),
        "rows": rows,
    }


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
        report["out_of_catalog"] = await out_of_catalog(models, Path(tmp), args.per_condition)
    report["barcodes"] = await barcodes(models)
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
        print(f"           said sure: right {r['sure_correct']:.1%}, wrong {r['sure_wrong']:.1%}")
    o = report["out_of_catalog"]
    print(f"  not in the catalog: said sure (wrong) {o['sure_wrong_rate']:.1%}; "
          + ", ".join(f"{k} n={o[k]['n']} sure={o[k]['sure_wrong']} unsure={o[k]['unsure']} "
                      f"don't-know={o[k]['dont_know']}" for k in ("text", "barcode", "real")))  # fmt: skip
    b = report["barcodes"]
    if "n" in b:
        print(f"  real barcode photo, {b['n']} views: plain zxing {b['plain_read']}, with second looks "
              f"{b['harder_read']} (wrong codes {b['wrong_codes']}); extra p50 {b['extra_ms_p50']} ms, "
              f"max {b['extra_ms_max']} ms")  # fmt: skip
    if "scale" in report:
        s = report["scale"]
        print(f"  scale: {s['products']:,} products (loaded in {s['load_s']} s): GTIN look-up p50 "
              f"{s['gtin_lookup_ms']['p50']} ms, name search p50 {s['name_search_ms']['p50']} ms")  # fmt: skip
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
