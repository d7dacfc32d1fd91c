"""`POST /v1/payments/qr/parse`: a merchant QR payload in, its checked fields out (API key required).
(The payment flow and the ledger come with the rest of the payments work.)"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from glassmate.api.common import api_key
from glassmate.payments.emv import parse
from glassmate.store.devices import DeviceRecord

router = APIRouter()


class ParseRequest(BaseModel):
    payload: str = Field(min_length=1, max_length=4096)


@router.post("/v1/payments/qr/parse")
async def parse_qr(req: ParseRequest, _key: DeviceRecord = Depends(api_key)) -> Any:
    return parse(req.payload).as_dict()  # a bad payload: 400 with its qr-* code (a GlassmateError)
