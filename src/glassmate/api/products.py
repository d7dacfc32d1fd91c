"""`POST /v1/products/identify` (a photo in: candidates and the best one's offers out) and
`GET /v1/products/{gtin}/offers` (API key required)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request, UploadFile

from glassmate.api.common import ApiError, api_key, decode_image
from glassmate.products.catalog import trend
from glassmate.products.gtin import display
from glassmate.products.identify import MAX_SIDE, Identifier
from glassmate.store.devices import DeviceRecord

router = APIRouter()


def _offers_body(request: Request, gtin: str) -> dict[str, Any]:
    catalog = request.app.state.services.catalog
    product = catalog.product(gtin)
    offers = catalog.offers(product.gtin)
    return {
        "product": {**product.as_dict(), "gtin13": display(product.gtin)},
        "currency": catalog.settings.currency,
        "offers": [o.as_dict() for o in offers],
        "trend": trend(catalog.history(product.gtin)),
    }


@router.get("/v1/products/{gtin}/offers")
async def product_offers(gtin: str, request: Request, _key: DeviceRecord = Depends(api_key)) -> Any:
    return await asyncio.to_thread(_offers_body, request, gtin)


@router.post("/v1/products/identify")
async def identify(image: UploadFile, request: Request, _key: DeviceRecord = Depends(api_key)) -> Any:
    services = request.app.state.services
    limit = services.settings.image.max_bytes
    data = await image.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"the image is larger than {limit // 1_000_000} MB", code="image-too-large", param="image")
    pixels = await decode_image(services, data, max_side=MAX_SIDE)
    identifier = Identifier(catalog=services.catalog, ocr=services.models.ocr, codes=services.models.codes)
    async with services.admission.slot("ocr"):
        found = await identifier.identify(pixels)
    return {
        "candidates": [c.as_dict() for c in found.candidates],
        "sure": bool(found.best and found.best.confidence >= services.catalog.settings.min_confidence),
        "price_here": None
        if found.price_here is None
        else {"amount_minor": found.price_here.amount_minor, "currency": found.price_here.currency},
        "offers": [o.as_dict() for o in found.offers],
        "unknown_codes": found.unknown_codes,
    }
