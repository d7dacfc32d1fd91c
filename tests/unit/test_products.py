"""Products: GTINs, the catalog import, offers compared by currency and unit, and identification (real barcode
reader on rendered packages; OCR faked)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from glassmate.config import ProductSettings
from glassmate.products import demo
from glassmate.products.catalog import Catalog, trend
from glassmate.products.gtin import InvalidGTINError, check_digit, display, expand_upce, from_digital_link, normalise
from glassmate.products.identify import Identifier, read_price
from glassmate.providers.codes.zxing import ZXingScanner
from glassmate.providers.ocr.base import TextLine
from glassmate.store import Database
from glassmate.testing import FakeOCR


def test_gtins_are_validated_and_kept_as_14_digits() -> None:
    assert normalise("4006381333931") == "04006381333931"  # EAN-13
    assert normalise("0 36000 29145 2") == "00036000291452"  # UPC-A, spaced
    assert normalise("96385074") == "00000096385074"  # EAN-8
    assert display(normalise("96385074")) == "96385074" and display(normalise("036000291452")) == "0036000291452"
    assert expand_upce("04252614") == "042100005264"
    assert normalise("04252614", upce=True) == "00042100005264"
    assert check_digit("400638133393") == 1
    for bad in ("4006381333932", "12345", "abcdefghijklm", ""):
        with pytest.raises(InvalidGTINError):
            normalise(bad)


def test_gs1_digital_link_gives_the_gtin() -> None:
    assert from_digital_link("https://id.gs1.org/01/09506000134352/10/ABC123") == "09506000134352"
    assert from_digital_link("https://brand.example/gtin/4006381333931") == "04006381333931"
    assert from_digital_link("https://example.com/pay?id=01") is None
    with pytest.raises(InvalidGTINError):
        from_digital_link("https://id.gs1.org/01/09506000134353")  # wrong check digit


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Catalog:
    """The catalog on SQLite (FTS5 name index) and on a real PostgreSQL server (its ranked LIKE search)."""
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    if request.param == "postgresql":
        from glassmate.testing.postgres import fresh_database

        url = fresh_database(request.getfixturevalue("postgres_url"), "catalog")
    return Catalog(Database(url=url), ProductSettings())


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_lands_the_good_rows_and_reports_the_bad_ones(catalog: Catalog, tmp_path: Path) -> None:
    products = write(tmp_path / "p.csv", "gtin,brand,name_en,name_zh,quantity,unit,category\n"
                     "4006381333931,Acme,Acme Oat Drink 1 L,燕麦饮,1000,ml,drinks\n"
                     "4006381333932,Acme,Bad check digit,,1000,ml,drinks\n"
                     "96385074,Acme,Acme Mints,,20,g,snacks\n"
                     "12345678,Acme,,,,gallon,x\n")  # fmt: skip
    report = catalog.import_file(products)
    assert report.products == 2 and [(k, n) for k, n, _ in report.rejected] == [("products", 2), ("products", 4)]
    assert "check digit" in report.rejected[0][2] and "name_en" in report.rejected[1][2]
    offers = write(tmp_path / "o.csv", "gtin,merchant,price,currency,stock\n"
                   "4006381333931,Shop A,2.49,EUR,10\n"
                   "4006381333931,Shop B,18.00,CNY,\n"
                   "4006381333931,Shop C,-1,EUR,\n"
                   "4006381333931,Shop C,1.999,EUR,\n"
                   "4006381333931,Shop C,2.00,XXX,\n"
                   "0000000000000,Shop C,2.00,EUR,\n"
                   "96385074,Shop A,0.99,EUR,3\n")  # fmt: skip
    report = catalog.import_file(offers)
    assert report.offers == 3 and len(report.rejected) == 4
    reasons = " | ".join(r for _, _, r in report.rejected)
    assert "positive" in reasons and "decimals" in reasons and "currency" in reasons and "no product" in reasons


def test_a_broken_file_is_refused_whole(catalog: Catalog, tmp_path: Path) -> None:
    from glassmate.errors import BadInputError
    from glassmate.products.catalog import read_file

    with pytest.raises(BadInputError):
        read_file(write(tmp_path / "x.json", "{not json"))
    with pytest.raises(BadInputError):
        read_file(write(tmp_path / "x.csv", "what,ever\n1,2\n"))
    assert catalog.count() == 0


def test_offers_are_compared_in_one_currency_and_per_unit(catalog: Catalog) -> None:
    now = datetime.now(UTC)
    catalog.import_rows({
        "products": [{"gtin": "4006381333931", "brand": "Acme", "name_en": "Acme Oat Drink 1 L",
                      "quantity": 1000, "unit": "ml"}],
        "offers": [
            {"gtin": "4006381333931", "merchant": "Shop A", "price": "2.49", "currency": "EUR",
             "observed_at": (now - timedelta(days=60)).isoformat()},
            {"gtin": "4006381333931", "merchant": "Shop A", "price": "2.99", "currency": "EUR",
             "observed_at": now.isoformat()},
            {"gtin": "4006381333931", "merchant": "Shop B", "price": "18.00", "currency": "CNY",
             "observed_at": now.isoformat()},
        ],
    })  # fmt: skip
    offers = catalog.offers("4006381333931")
    assert [o.merchant for o in offers] == ["Shop B", "Shop A"]  # 18 CNY = 2.34 EUR < 2.99 EUR (the newest)
    assert offers[0].price == pytest.approx(2.34) and offers[0].unit_basis == "100 ml"
    assert offers[1].unit_price == pytest.approx(0.299)
    assert trend(catalog.history("4006381333931")) == "rising"


def test_demo_catalog_has_valid_gtins_two_languages_and_offers() -> None:
    products = demo.products()
    assert len(products) >= 300 and len({p["gtin"] for p in products}) == len(products)
    for p in products:
        normalise(p["gtin"])
        assert p["name_en"] and p["name_zh"] and p["demo"]
    assert len({o["merchant"] for o in demo.offers(products[:20])}) >= 3


def test_price_tags_are_read_with_their_currency() -> None:
    def line(text: str, height: int = 20) -> TextLine:
        return TextLine(text, 0.9, ((0, 0), (100, 0), (100, height), (0, height)))

    assert read_price([line("PRICE 2.49 EUR", 40), line("1 L")], "EUR").amount_minor == 249
    here = read_price([line("¥12.80", 50), line("500 ml")], "EUR")
    assert (here.amount_minor, here.currency) == (1280, "CNY")
    assert read_price([line("Preis: 3,99")], "EUR").amount_minor == 399
    assert read_price([line("500 ml"), line("2024.10")], "EUR") is None  # numbers, not prices


async def test_a_package_is_identified_by_its_barcode_then_by_its_text(catalog: Catalog, tmp_path: Path) -> None:
    rows = demo.products()[:30]
    catalog.import_rows({"products": rows, "offers": demo.offers(rows), "merchants": demo.MERCHANTS})
    target = rows[7]
    package = demo.render_package(target)
    identifier = Identifier(catalog=catalog, ocr=FakeOCR([]), codes=ZXingScanner())
    found = await identifier.identify(package)
    assert found.best is not None and found.best.cue == "barcode"
    assert found.best.product.gtin == normalise(target["gtin"]) and found.offers
    assert [o.price for o in found.offers] == sorted(o.price for o in found.offers)
    # No barcode in view: the words on the package.
    words = [target["brand"].upper(), target["name_en"].removeprefix(target["brand"]).strip(), target["name_zh"]]
    top = package[:400]
    by_text = await Identifier(catalog=catalog, ocr=FakeOCR(words), codes=ZXingScanner()).identify(top)
    assert by_text.best is not None and by_text.best.cue == "text"
    assert by_text.best.product.gtin == normalise(target["gtin"]) and by_text.best.confidence > 0.9
    assert json.dumps([c.as_dict() for c in by_text.candidates])  # serialisable as the API returns it


def test_identify_and_offers_over_the_api(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glassmate.api.app import create_app
    from glassmate.config import Settings
    from glassmate.testing import fake_models
    from glassmate.testing.scenes import jpeg_bytes

    settings = Settings(home=tmp_path)
    app = create_app(settings, models=fake_models(settings, codes=ZXingScanner()))
    _, key = app.state.services.api_keys.add("shop")
    rows = demo.products()[:10]
    app.state.services.catalog.import_rows({"products": rows, "offers": demo.offers(rows)})
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as http:
        photo = jpeg_bytes(demo.render_package(rows[3]), quality=90)
        found = http.post("/v1/products/identify", files={"image": ("p.jpg", photo, "image/jpeg")}, headers=auth)
        assert found.status_code == 200, found.text
        body = found.json()
        assert body["candidates"][0]["gtin"] == normalise(rows[3]["gtin"]) and body["candidates"][0]["cue"] == "barcode"
        assert body["sure"] and body["offers"] and body["offers"][0]["price"] <= body["offers"][-1]["price"]
        offers = http.get(f"/v1/products/{rows[3]['gtin']}/offers", headers=auth).json()
        assert offers["product"]["name"] == rows[3]["name_en"] and offers["currency"] == "EUR"
        # Bad input: not an image, a wrong check digit, an unknown product, no key.
        junk = http.post(
            "/v1/products/identify", files={"image": ("x.jpg", b"not an image", "image/jpeg")}, headers=auth
        )
        assert junk.status_code == 400 and junk.json()["error"]["code"] == "image-unreadable"
        wrong = http.get("/v1/products/4006381333932/offers", headers=auth)
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "gtin-invalid"
        missing = http.get("/v1/products/4006381333931/offers", headers=auth)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "product-not-found"
        assert http.get(f"/v1/products/{rows[3]['gtin']}/offers").status_code == 401


async def test_a_package_with_no_readable_code_or_name_is_recognised_by_its_artwork(tmp_path: Path) -> None:
    catalog = Catalog(Database(url=f"sqlite:///{tmp_path / 'c.db'}"), ProductSettings())
    rows = demo.products()[:40]
    demo.write_images(rows, tmp_path / "images")
    catalog.import_rows({"products": rows})
    artwork = demo.render_package(rows[11])[330:510]  # between the label and the barcode
    found = await Identifier(catalog=catalog, ocr=FakeOCR([]), codes=ZXingScanner()).identify(artwork)
    assert found.best is not None and found.best.cue == "appearance"
    assert found.best.product.gtin == normalise(rows[11]["gtin"]) and found.best.confidence >= 0.6
    plain = np.full((300, 400, 3), 128, np.uint8)  # nothing to recognise: no guess
    assert (await Identifier(catalog=catalog, ocr=FakeOCR([]), codes=ZXingScanner()).identify(plain)).best is None


async def test_a_huge_photo_is_read_at_a_bounded_size(catalog: Catalog) -> None:
    """A 20 MP phone photo is downscaled before the cascade (bounded time), and the package is still found."""
    import cv2

    from glassmate.products.identify import MAX_SIDE, _bounded

    rows = demo.products()[:5]
    catalog.import_rows({"products": rows})
    photo = np.full((4000, 5000, 3), 200, np.uint8)
    photo[500:3700, 1000:3400] = cv2.resize(demo.render_package(rows[1]), (2400, 3200))
    assert max(_bounded(photo).shape[:2]) == MAX_SIDE
    found = await Identifier(catalog=catalog, ocr=FakeOCR([]), codes=ZXingScanner()).identify(photo)
    assert found.best is not None and found.best.product.gtin == normalise(rows[1]["gtin"])
