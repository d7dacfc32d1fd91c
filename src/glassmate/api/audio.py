"""`POST /v1/audio/transcriptions`, `/v1/audio/translations` and `/v1/audio/speech`, OpenAI-compatible."""

from __future__ import annotations

import asyncio
import re
import struct
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, Literal

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from glassmate.api.common import ApiError, api_key
from glassmate.audio import decode_audio, encode_audio, pcm16_to_audio
from glassmate.events import clip
from glassmate.providers.asr.base import TranscribeOptions, Transcript
from glassmate.store.devices import DeviceRecord

router = APIRouter()
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # OpenAI's limit too
MAX_PROMPT_CHARS = 1_000
ResponseFormat = Literal["json", "text", "srt", "vtt", "verbose_json"]


def _stamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render(result: Transcript, fmt: str, *, words: bool) -> Response:
    """The transcript in one of OpenAI's response formats."""
    if fmt == "text":
        return PlainTextResponse(result.text + "\n")
    if fmt == "srt":
        blocks = [f"{i}\n{_stamp(s.start, ',')} --> {_stamp(s.end, ',')}\n{s.text}\n"
                  for i, s in enumerate(result.segments, 1)]  # fmt: skip
        return PlainTextResponse("\n".join(blocks), media_type="application/x-subrip")
    if fmt == "vtt":
        cues = [f"{_stamp(s.start, '.')} --> {_stamp(s.end, '.')}\n{s.text}\n" for s in result.segments]
        return PlainTextResponse("WEBVTT\n\n" + "\n".join(cues), media_type="text/vtt")
    if fmt == "verbose_json":
        body: dict[str, Any] = {
            "task": "transcribe",
            "language": result.language,
            "duration": result.duration,
            "text": result.text,
            "segments": [
                {
                    "id": i,
                    "seek": 0,
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "tokens": [],
                    "temperature": 0.0,
                    "avg_logprob": s.avg_logprob,
                    "compression_ratio": 1.0,
                    "no_speech_prob": s.no_speech_prob,
                }
                for i, s in enumerate(result.segments)
            ],
        }
        if words:
            body["words"] = [{"word": w.word.strip(), "start": w.start, "end": w.end}
                             for s in result.segments for w in s.words]  # fmt: skip
        return JSONResponse(body)
    return JSONResponse({"text": result.text})


async def _transcribe(request: Request, file: UploadFile, task: str, language: str | None, prompt: str | None,
                      response_format: str, granularities: list[str]) -> Response:  # fmt: skip
    services = request.app.state.services
    if response_format not in ("json", "text", "srt", "vtt", "verbose_json"):
        raise ApiError(400, f"response_format {response_format!r} is not one of json, text, srt, vtt, verbose_json",
                       code="invalid-response-format", param="response_format")  # fmt: skip
    if language and not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", language):
        raise ApiError(400, f"language must be an ISO 639-1 code such as 'en' or 'zh', not {clip(language)!r}",
                       code="invalid-language", param="language")  # fmt: skip
    if prompt and len(prompt) > MAX_PROMPT_CHARS:  # Whisper reads 224 tokens of it; a long one only costs time
        raise ApiError(400, f"prompt may have at most {MAX_PROMPT_CHARS} characters", code="prompt-too-long",
                       param="prompt")  # fmt: skip
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "the file is larger than 25 MB", code="file-too-large", param="file")
    # In a worker, within the ASR's length limit: an hour of silence packed into 180 KB of FLAC is refused from its
    # header, not decoded on the event loop (every session would stall while it ran).
    audio = await asyncio.to_thread(decode_audio, data, max_seconds=services.settings.asr.max_audio_s)
    words = "word" in granularities
    options = TranscribeOptions(language=language or None, prompt=prompt or None, word_timestamps=words, task=task)
    async with services.admission.slot("asr"):
        result = await services.models.asr.transcribe(audio, options)
    return render(result, response_format, words=words)


@router.post("/v1/audio/transcriptions", response_model=None)
async def transcriptions(
    request: Request,
    file: UploadFile,
    model: str = Form(...),
    language: str | None = Form(None),
    prompt: str | None = Form(None),
    response_format: str = Form("json"),
    temperature: float = Form(0.0),
    timestamp_granularities: list[str] = Form([], alias="timestamp_granularities[]"),
    _key: DeviceRecord = Depends(api_key),
) -> Response:
    return await _transcribe(request, file, "transcribe", language, prompt, response_format, timestamp_granularities)


@router.post("/v1/audio/translations", response_model=None)
async def translations(
    request: Request,
    file: UploadFile,
    model: str = Form(...),
    prompt: str | None = Form(None),
    response_format: str = Form("json"),
    temperature: float = Form(0.0),
    _key: DeviceRecord = Depends(api_key),
) -> Response:
    return await _transcribe(request, file, "translate", None, prompt, response_format, [])


class SpeechRequest(BaseModel):
    model: str
    input: str = Field(min_length=1, max_length=4096)
    voice: str = "alloy"
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    instructions: str | None = None


PCM_RATE = 24_000  # OpenAI's rate for "pcm"; wav and the compressed formats use it too


def _wav_header(rate: int) -> bytes:
    # Sizes unknown while streaming: 0xFFFFFFFF, as OpenAI's own streamed WAV does; players read to the end.
    return (
        b"RIFF"
        + struct.pack("<I", 0xFFFFFFFF)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", 0xFFFFFFFF)
    )


MEDIA = {"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac", "wav": "audio/wav",
         "pcm": "audio/pcm"}  # fmt: skip


@router.post("/v1/audio/speech", response_model=None)
async def speech(req: SpeechRequest, request: Request, _key: DeviceRecord = Depends(api_key)) -> Response:
    services = request.app.state.services
    if not req.input.strip():  # checked now: once the audio streams, an error can no longer be an HTTP status
        raise ApiError(400, "input is empty", code="empty-input", param="input")
    language = "en"
    voice = "espeak" if req.voice.startswith("espeak") else None

    ticket = services.admission.ticket("tts")

    async def pcm_pieces() -> AsyncGenerator[bytes, None]:
        async with (
            ticket,
            aclosing(services.models.tts.stream(req.input, language=language, voice=voice)) as chunks,
        ):
            async for chunk in chunks:
                yield pcm16_to_audio(chunk.pcm16, chunk.sample_rate).resampled(PCM_RATE).to_pcm16()

    if req.response_format in ("pcm", "wav"):

        async def body() -> AsyncGenerator[bytes, None]:
            if req.response_format == "wav":
                yield _wav_header(PCM_RATE)
            async for piece in pcm_pieces():
                yield piece

        return StreamingResponse(body(), media_type=MEDIA[req.response_format])
    pcm = b"".join([p async for p in pcm_pieces()])
    try:
        encoded = encode_audio(pcm16_to_audio(pcm, PCM_RATE), req.response_format)
    except Exception as exc:  # an FFmpeg build without that encoder
        raise ApiError(400, f"this server cannot encode {req.response_format}; use wav, pcm or flac",
                       code="unsupported-response-format", param="response_format") from exc  # fmt: skip
    return Response(encoded, media_type=MEDIA[req.response_format])
