"""The realtime wire protocol: JSON events over the WebSocket `/v1/realtime`.

Standard events are the OpenAI Realtime API's, exactly as the official `openai` SDK models them
(`openai.types.realtime`): server events are built from those very models, so their names, fields and nesting
match what existing Realtime clients parse. glassmate adds a few events of its own (camera frames, device state,
buttons, HUD cards and captions), documented in docs/protocol.md. Unknown or malformed client events are
answered with an `error` event carrying a stable code; the session stays open.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal, get_args

import openai.types.realtime as rt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PROTOCOL_VERSION = "glassmate.realtime.v1"

# -- client → server ------------------------------------------------------------------------------------------


class _Lenient(BaseModel):
    # Fields glassmate does not use (tools, tracing, prompt…) are accepted and ignored, as OpenAI's
    # clients send them.
    model_config = ConfigDict(extra="ignore")


class AudioFormat(_Lenient):
    type: Literal["audio/pcm"] = "audio/pcm"
    # OpenAI's format is 24 kHz; glassmate also takes 16 kHz, what glasses microphones and ASR use.
    rate: Literal[16000, 24000] = 24000


class TurnDetection(_Lenient):
    # server_vad: the turn ends after `silence_duration_ms` of silence. semantic_vad (OpenAI's name): it ends at a
    # short pause once the voice sounds finished and the words so far can end a sentence (session/turn_end.py),
    # else after the longer silence that `eagerness` allows (settings `turn.wait_ms`).
    type: Literal["server_vad", "semantic_vad"] = "server_vad"
    eagerness: Literal["low", "medium", "high", "auto"] = "auto"
    threshold: float = Field(default=0.5, ge=0.05, le=0.95)
    prefix_padding_ms: int = Field(default=300, ge=0, le=2000)
    silence_duration_ms: int = Field(default=500, ge=100, le=5000)
    create_response: bool = True
    interrupt_response: bool = True


class Transcription(_Lenient):
    model: str | None = None
    language: str | None = None
    prompt: str | None = None


class AudioInput(_Lenient):
    format: AudioFormat = AudioFormat()
    # None means push-to-talk: the client commits the buffer itself.
    turn_detection: TurnDetection | None = TurnDetection()
    transcription: Transcription | None = Transcription()


class AudioOutput(_Lenient):
    format: AudioFormat = AudioFormat()
    voice: str | None = None


class AudioConfig(_Lenient):
    input: AudioInput = AudioInput()
    output: AudioOutput = AudioOutput()


class TranslationOptions(_Lenient):
    """Conversation translation: the wearer talks with someone in another language."""

    enabled: bool = False
    other_language: str | None = None  # the other party's; None: taken from the first utterance not in ours
    speak_back: bool = True  # speak the wearer's sentences in the other language
    glossary: dict[str, str] = {}  # names and terms and how to render them, e.g. {"Bahnhof": "station"}


class GlassmateOptions(_Lenient):
    """glassmate's own session options, under `session.glassmate`."""

    wake_phrase: str | None = None  # e.g. "hey glasses": only utterances that start with it are answered
    language: str = "en"  # the wearer's language, for answers and speech
    translation: TranslationOptions = TranslationOptions()


class SessionConfig(_Lenient):
    type: Literal["realtime"] = "realtime"
    instructions: str | None = None
    output_modalities: list[Literal["text", "audio"]] = ["audio"]
    audio: AudioConfig = AudioConfig()
    max_output_tokens: int | Literal["inf"] | None = None
    glassmate: GlassmateOptions = GlassmateOptions()


class SessionUpdate(_Lenient):
    type: Literal["session.update"]
    event_id: str | None = None
    session: dict[str, Any]


class Gps(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)


class Battery(BaseModel):
    level: float = Field(ge=0, le=1)
    charging: bool = False


class InputImageAppend(BaseModel):
    """A camera frame: base64 JPEG (or PNG) with the time it was captured (ms since the Unix epoch)."""

    type: Literal["input_image.append"]
    event_id: str | None = None
    image: str
    captured_at_ms: int | None = None


class DeviceState(BaseModel):
    type: Literal["device.state"]
    event_id: str | None = None
    gps: Gps | None = None
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    battery: Battery | None = None
    network: Literal["wifi", "cellular", "offline"] | None = None


class DeviceButton(BaseModel):
    type: Literal["device.button"]
    event_id: str | None = None
    button: Literal["tap", "double_tap", "long_press", "record"]  # record: the glasses' capture button


class PaymentConfirm(BaseModel):
    """The wearer's second factor for the payment on the HUD: the confirm gesture (no PIN) or the PIN typed on
    the device or its paired phone. A spoken "confirm" is needed as well."""

    type: Literal["payment.confirm"]
    event_id: str | None = None
    payment_id: str | None = None  # the card's payment; refused if it is not the one awaiting confirmation
    pin: str | None = Field(default=None, max_length=16)


class PaymentCancel(BaseModel):
    type: Literal["payment.cancel"]
    event_id: str | None = None
    payment_id: str | None = None


CLIENT_EVENTS: dict[str, type[BaseModel]] = {
    "session.update": SessionUpdate,
    "input_audio_buffer.append": rt.InputAudioBufferAppendEvent,
    "input_audio_buffer.commit": rt.InputAudioBufferCommitEvent,
    "input_audio_buffer.clear": rt.InputAudioBufferClearEvent,
    "conversation.item.create": rt.ConversationItemCreateEvent,
    "response.create": rt.ResponseCreateEvent,
    "response.cancel": rt.ResponseCancelEvent,
    "input_image.append": InputImageAppend,
    "device.state": DeviceState,
    "device.button": DeviceButton,
    "payment.confirm": PaymentConfirm,
    "payment.cancel": PaymentCancel,
}


class ProtocolError(Exception):
    """A client event we cannot act on; becomes an `error` event (the session stays open)."""

    def __init__(self, code: str, message: str, *, event_id: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.event_id = event_id
        self.param = param


ECHO_CHARS = 64  # at most this much of what a client sent is repeated in an error (a 14 MB 'type' is not echoed)


def clip(text: str) -> str:
    """A short prefix of client input, safe to send back: clipped, lone surrogates escaped."""
    short = text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + "…"
    return short.encode("utf-8", "backslashreplace").decode("utf-8")


def parse_client_event(raw: str | bytes) -> BaseModel:
    """Validate one client message into its typed event."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("invalid-json", "the message is not valid JSON") from exc
    except RecursionError as exc:  # "[[[[…" ten thousand deep
        raise ProtocolError("invalid-json", "the message is nested too deeply") from exc
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("invalid-event", "an event must be a JSON object with a string 'type'")
    event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
    event_id = clip(event_id) if event_id is not None else None
    kind = data["type"]
    model = CLIENT_EVENTS.get(kind)
    if model is None:
        raise ProtocolError("unknown-event", f"unknown event type {clip(kind)!r}", event_id=event_id, param="type")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = clip(".".join(str(p) for p in first["loc"]))
        raise ProtocolError(
            "invalid-event", f"{kind}: {where}: {clip(first['msg'])}", event_id=event_id, param=where or None
        ) from exc


def parse_session_config(current: SessionConfig, update: dict[str, Any]) -> SessionConfig:
    """The session after applying a `session.update` (a partial session object, merged deeply)."""

    def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in patch.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value)
            else:
                out[key] = value
        return out

    try:
        return SessionConfig.model_validate(merge(current.model_dump(), update))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProtocolError("invalid-session", f"session.{where}: {first['msg']}", param=f"session.{where}") from exc


# -- server → client ------------------------------------------------------------------------------------------


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def server_event(model: type[BaseModel], **fields: Any) -> dict[str, Any]:
    """A server event as JSON-ready data, validated by its SDK (or glassmate) model; `type` comes from the model."""
    fields.setdefault("event_id", new_id("event"))
    fields.setdefault("type", get_args(model.model_fields["type"].annotation)[0])
    return model.model_validate(fields).model_dump(mode="json", exclude_none=True)


def error_event(code: str, message: str, *, event_id: str | None = None, param: str | None = None) -> dict[str, Any]:
    kind = "invalid_request_error" if code not in ("internal-error", "server-busy") else "server_error"
    return server_event(
        rt.RealtimeErrorEvent,
        error={"type": kind, "code": code, "message": message, "event_id": event_id, "param": param},
    )


def session_object(config: SessionConfig, session_id: str) -> dict[str, Any]:
    """The session as OpenAI's `RealtimeSessionCreateRequest` shape, plus glassmate's options."""
    data = config.model_dump(mode="json", exclude_none=True)
    data["id"] = session_id
    data["model"] = "glassmate"
    data["object"] = "realtime.session"
    data["glassmate"]["protocol"] = PROTOCOL_VERSION
    return data


class HudCard(BaseModel):
    id: str
    title: str
    lines: list[str] = []
    icon: str | None = None  # a short name the device maps to a glyph: "info", "clock", "code", "warning"…
    ttl_ms: int = 8000
    priority: Literal["low", "normal", "high"] = "normal"


class HudCardEvent(BaseModel):
    type: Literal["hud.card"] = "hud.card"
    event_id: str
    card: HudCard
    response_id: str | None = None


class HudCaptionEvent(BaseModel):
    type: Literal["hud.caption"] = "hud.caption"
    event_id: str
    text: str
    final: bool = False
    side: Literal["me", "them", "assistant"] = "me"
    item_id: str | None = None
    language: str | None = None
    # "translation": this caption translates the caption of the same item_id into `language`
    kind: Literal["source", "translation"] = "source"


class PaymentUpdatedEvent(BaseModel):
    """A payment of this session changed state (created, settled, declined, expired, cancelled)."""

    type: Literal["payment.updated"] = "payment.updated"
    event_id: str
    payment: dict[str, Any]


class NavigationUpdatedEvent(BaseModel):
    """Walking guidance changed: its state (guiding, off-route, rerouted, arrived, stopped), the next maneuver and
    its distance, what remains (docs/navigation.md)."""

    type: Literal["navigation.updated"] = "navigation.updated"
    event_id: str
    navigation: dict[str, Any]


class MeetingUpdatedEvent(BaseModel):
    """A meeting recording changed: recording (with the seconds kept so far and a line of the live transcript),
    processing, done (with its title) or failed (docs/meetings.md)."""

    type: Literal["meeting.updated"] = "meeting.updated"
    event_id: str
    meeting: dict[str, Any]


class PrivacyIndicatorEvent(BaseModel):
    """What the glasses keep beyond the current turn, for the HUD's recording indicator: `audio` while a meeting is
    recorded, `camera` for a moment after a frame was kept (a memory's photo)."""

    type: Literal["privacy.indicator"] = "privacy.indicator"
    event_id: str
    audio: bool = False
    camera: bool = False


def caption(
    text: str, *, final: bool, item_id: str | None, side: str = "me", language: str | None = None, kind: str = "source"
) -> dict[str, Any]:
    return server_event(
        HudCaptionEvent, text=text, final=final, item_id=item_id, side=side, language=language, kind=kind
    )
