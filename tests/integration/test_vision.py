"""OCR and barcodes on rendered labels and codes."""

import re

import numpy as np
import segno
import zxingcpp
from PIL import Image

from glassmate.config import OCRSettings
from glassmate.imaging import load_image
from glassmate.providers.ocr.tesseract import TesseractOCR
from glassmate.runtime import Models
from glassmate.testing.scenes import jpeg_bytes, render_label


def squash(text: str) -> str:
    # PP-OCR's recogniser often drops the spaces in Latin text; compare letters and digits only.
    return re.sub(r"[^A-Z0-9.]", "", text.upper())


async def test_ocr_reads_a_rendered_label(models: Models) -> None:
    pixels = load_image(jpeg_bytes(render_label(["OAT MILK 1L", "PRICE 2.49 EUR"])))
    result = await models.ocr.read(pixels)
    text = squash(result.text)
    assert "OATMILK" in text and "2.49" in text
    assert all(line.confidence >= 0.5 and len(line.box) == 4 for line in result.lines)


async def test_tesseract_fallback_reads_the_same_label() -> None:
    pixels = render_label(["OAT MILK 1L", "PRICE 2.49 EUR"])
    result = await TesseractOCR(settings=OCRSettings()).read(pixels)
    assert "2.49" in result.text and "MILK" in result.text.upper()


async def test_qr_from_a_qr_library_is_decoded(models: Models, tmp_path) -> None:  # type: ignore[no-untyped-def]
    payload = "https://pay.example/merchant/42?amount=3.50"
    path = tmp_path / "qr.png"
    segno.make(payload, error="m").save(str(path), scale=6, border=4)
    frame = Image.new("RGB", (1280, 720), (90, 90, 90))
    frame.paste(Image.open(path).convert("RGB"), (600, 250))
    codes = await models.codes.scan(load_image(jpeg_bytes(np.asarray(frame))), ["QRCode"])
    assert [c.text for c in codes] == [payload]
    (x0, y0), _, (x2, y2), _ = codes[0].position
    assert 600 <= x0 < x2 <= 600 + 400 and 250 <= y0 < y2 <= 250 + 400


async def test_ean13_product_barcode_is_decoded(models: Models) -> None:
    barcode = zxingcpp.create_barcode("4006381333931", zxingcpp.BarcodeFormat.EAN13)
    image = np.asarray(Image.fromarray(np.asarray(barcode.to_image(scale=4))).convert("RGB"))
    framed = np.full((image.shape[0] + 80, image.shape[1] + 80, 3), 255, np.uint8)
    framed[40:-40, 40:-40] = image
    codes = await models.codes.scan(framed)
    assert [(c.format, c.text) for c in codes] == [("EAN13", "4006381333931")]


async def test_asking_for_qr_only_ignores_barcodes(models: Models) -> None:
    barcode = zxingcpp.create_barcode("4006381333931", zxingcpp.BarcodeFormat.EAN13)
    image = np.asarray(Image.fromarray(np.asarray(barcode.to_image(scale=4))).convert("RGB"))
    framed = np.full((image.shape[0] + 80, image.shape[1] + 80, 3), 255, np.uint8)
    framed[40:-40, 40:-40] = image
    assert await models.codes.scan(framed, ["QRCode"]) == []


async def test_ocr_reads_chinese(models: Models) -> None:
    from PIL import ImageDraw, ImageFont

    image = Image.new("RGB", (640, 200), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 48)
    ImageDraw.Draw(image).text((30, 60), "燕麦奶 价格 12.9元", fill="black", font=font)
    result = await models.ocr.read(np.asarray(image))
    text = result.text.replace(" ", "")
    assert "燕麦奶" in text and "12.9" in text
