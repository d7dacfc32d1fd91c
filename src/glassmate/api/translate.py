"""`POST /v1/translate`: text in, translation out (API key required)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glassmate.api.common import api_key
from glassmate.store.devices import DeviceRecord

router = APIRouter()


class TranslateRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    target: str = Field(min_length=2, max_length=8, description="ISO 639-1 code, e.g. de")
    source: str | None = Field(default=None, max_length=8, description="detected when left out")
    glossary: dict[str, str] = Field(default_factory=dict, max_length=50)


class TranslateResponse(BaseModel):
    translation: str
    source_language: str
    target_language: str


@router.post("/v1/translate")
async def translate(req: TranslateRequest, request: Request, _key: DeviceRecord = Depends(api_key)) -> Any:
    services = request.app.state.services
    async with services.admission.slot("llm"):
        result = await services.models.translator.translate(
            req.text, target=req.target, source=req.source, glossary=req.glossary
        )
    return TranslateResponse(
        translation=result.text, source_language=result.source_language, target_language=result.target_language
    )
