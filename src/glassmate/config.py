"""Settings: one pydantic-settings root. Environment variables (GLASSMATE_*) are read here and nowhere else.

Sources, strongest first: constructor arguments, environment (``GLASSMATE_LLM__N_THREADS=2``), a TOML file
(``GLASSMATE_CONFIG=/path/glassmate.toml``, sections named like the fields below), then the defaults.
Each provider gets its own frozen sub-settings object.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "glassmate"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RemoteSettings(_Frozen):
    """An OpenAI-compatible HTTP endpoint (DashScope/Qwen Cloud, vLLM, Ollama, llama.cpp server)."""

    base_url: str = "http://127.0.0.1:8080/v1"
    api_key: SecretStr = SecretStr("none")
    model: str = ""
    timeout_s: float = 60.0
    max_retries: int = 2


class LLMSettings(_Frozen):
    backend: Literal["local", "openai"] = "local"
    model_path: Path | None = Field(default=None, description="GGUF file; default: the embedded Qwen")
    n_ctx: int = 4096
    n_threads: int = 2
    n_batch: int = 256
    # llama.cpp's flash attention: prompt prefill of a 1,200-token meeting piece 116 instead of 99 tokens/s on
    # 2 cores (0.5B Qwen)
    flash_attn: bool = True
    # Requests the embedded model decodes at once (meeting notes, batch REST), each with a KV cache of n_ctx
    # tokens (0.5B Qwen: 12 KB a token, 192 MB for 4 × 4096).
    parallel: int = Field(default=4, ge=1, le=64)
    max_tokens: int = 512
    temperature: float = 0.2
    seed: int = 0
    remote: RemoteSettings = RemoteSettings(model="qwen-plus")


class ASRSettings(_Frozen):
    backend: Literal["local", "openai"] = "local"
    model_dir: Path | None = Field(default=None, description="CTranslate2 Whisper dir; default: embedded")
    # English speech (a transcription asked in "en") goes to Whisper tiny.en: on real recorded speech it is as
    # accurate as base in 0.6 of the time (bench/asr_wer.py). False: base for every language.
    english_model: bool = True
    english_model_dir: Path | None = Field(default=None, description="CTranslate2 English Whisper dir")
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 1
    max_audio_s: float = 600.0
    # Whisper's encoder always sees a 30-s window, mostly padding for a spoken command. Encoding only as much of
    # it as the audio needs (at least this many seconds, with 2 s of padding after the audio) makes a short
    # utterance faster: 20 s -> 1.6x, 10 s -> 3x; below 20 s, hard audio (espeak's German) is heard worse
    # (bench/RESULTS.md). 30 turns the shortcut off.
    min_window_s: float = Field(default=20.0, ge=4.0, le=30.0)
    remote: RemoteSettings = RemoteSettings(model="whisper-1")


class VADSettings(_Frozen):
    threshold: float = 0.5
    min_silence_ms: int = 500
    min_speech_ms: int = 128  # "Wait," is ~190 ms: a longer minimum missed short words now and then
    prefix_padding_ms: int = 300
    pause_ms: int = 200  # a pause this long inside speech marks a chunk boundary for incremental ASR


class TurnSettings(_Frozen):
    """`semantic_vad` turn detection: the end-of-turn model's verdict at a pause, and the silence that ends a turn
    it did not call finished, by the session's eagerness."""

    finished: float = Field(default=0.5, ge=0.0, le=1.0)  # Smart Turn's probability above which a turn is complete
    # The pause at which the turn is judged (and its speculative transcript started). The turn then ends only if
    # the silence lasted through the judgement too (the transcript takes ~0.2-0.3 s on 2 cores).
    pause_ms: int = Field(default=128, ge=64, le=1000)
    # ... and only once the silence is this long, however fast the judgement. On real speech the pauses inside a
    # sentence are mostly shorter than ~370 ms, which the judgement took on 2 cores (128 + ~240): a faster machine
    # would otherwise end turns at them (bench/turn_end_real.py: 1.7 % cut at ~370 ms, 2.6 % at ~340).
    min_silence_ms: int = Field(default=360, ge=0, le=2000)
    wait_ms: dict[str, int] = {"high": 500, "medium": 800, "auto": 800, "low": 2000}
    # Speech that starts again this soon after a turn ended at a pause goes on with that turn: the answer to the
    # half question is cancelled and the whole question answered (people hesitate for up to about a second).
    resume_ms: int = Field(default=1000, ge=0, le=5000)
    # Start answering a turn judged finished at once, holding what it sends until the minimum silence confirms the
    # end (session/speculation.py); off: the answer starts when the turn has ended.
    answer_early: bool = True


class TTSSettings(_Frozen):
    backend: Literal["local", "openai"] = "local"
    voice_path: Path | None = Field(default=None, description="Piper .onnx voice; default: embedded")
    espeak_binary: str = "espeak-ng"
    # Languages that Piper speaks (with its one embedded voice); the rest go to espeak-ng.
    piper_languages: tuple[str, ...] = ("en",)
    remote: RemoteSettings = RemoteSettings(model="tts-1")
    remote_voice: str = "alloy"


class TranslateSettings(_Frozen):
    # local: the embedded LLM prompted to translate; openai: an LLM behind an OpenAI-compatible endpoint
    # (e.g. a bigger Qwen on DashScope or vLLM).
    backend: Literal["local", "openai"] = "local"
    remote: RemoteSettings = RemoteSettings(model="qwen-mt-turbo")


class OCRSettings(_Frozen):
    backend: Literal["rapidocr", "tesseract"] = "rapidocr"
    min_confidence: float = 0.5
    threads: int = 2
    tesseract_languages: str = "eng"


class ImageSettings(_Frozen):
    max_pixels: int = 40_000_000
    max_bytes: int = 20 * 1024 * 1024
    max_frame_bytes: int = 4 * 1024 * 1024  # one camera frame over the realtime socket (a JPEG is ~0.1-0.5 MB)


class ProductSettings(_Frozen):
    # Offers are compared in this currency; `rates` says what one unit of each other currency is worth in it
    # (configured, not fetched: glassmate runs offline). Minor units per currency follow ISO 4217.
    currency: str = "EUR"
    rates: dict[str, float] = {"EUR": 1.0, "CNY": 0.13, "USD": 0.92, "GBP": 1.17, "CHF": 1.05, "JPY": 0.0061}
    min_confidence: float = 0.6  # below this the assistant says it is not sure and offers the candidates
    min_text_confidence: float = 0.25  # a text match below this is no candidate: "I don't know this product"
    barcode_effort_ms: float = 60.0  # second looks for a barcode the plain scan missed (providers/codes/enhance.py)


class MeetingSettings(_Frozen):
    # The recording kept in the store so that it can be processed again: FLAC (lossless, ~1 MB a minute of
    # speech at 16 kHz) or Ogg Opus (~0.2 MB a minute).
    audio_format: Literal["flac", "opus"] = "flac"
    # Days a meeting's audio is kept (the notes and transcript stay until deleted); 0 keeps it forever.
    audio_retention_days: int = Field(default=30, ge=0)
    max_upload_bytes: int = 512 * 1024 * 1024  # POST /v1/meetings (an hour of WAV at 44.1 kHz is 635 MB)
    max_duration_s: float = Field(default=4 * 3600.0, gt=0)
    language: str | None = None  # the meetings' language for ASR; None: detected


class TravelSettings(_Frozen):
    # The wearer's time zone (IANA name): floating calendar times are read in it.
    timezone: str = "UTC"
    max_upload_bytes: int = 5 * 1024 * 1024  # POST /v1/travel/import
    # The reminder rules (travel/rules.py): minutes and hours before a departure.
    checkin_before_h: float = Field(default=24, ge=0, le=72)  # online check-in opens
    airport_buffer_min: int = Field(default=120, ge=0, le=600)  # at the airport before a flight departs
    station_buffer_min: int = Field(default=15, ge=0, le=240)  # at the station before a train departs
    boarding_before_min: int = Field(default=30, ge=0, le=180)
    way_min: int = Field(default=45, ge=0, le=600)  # the way to the airport or station, until the map says better
    # The walking time from the navigation's map replaces `way_min` when the glasses report where they are, the
    # map has a walking route to the airport or station, and the walk is at most this long (a longer one is not
    # walked: there is no transit data, so the estimate stays).
    max_walk_min: int = Field(default=60, ge=1, le=600)
    refine_within_h: float = Field(default=12, gt=0, le=72)  # leave-by reminders this close are refined
    hotel_reminder: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # on an all-day stay's first day
    plan_days: int = Field(default=14, ge=1, le=366)  # reminders are planned this far ahead, again every day
    # A reminder that reaches the glasses later than this after its time (the server or the glasses were off) is
    # summarised with the others that waited, not spoken as news.
    stale_after_min: int = Field(default=15, ge=1, le=1440)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin)") from exc
        return value


class NavigationSettings(_Frozen):
    map: str = "default"  # the map in <home>/maps/<map>.npz (`glassmate map import FILE.osm.pbf --name NAME`)
    walking_speed_m_s: float = Field(default=1.3, gt=0.2, le=3.0)  # 4.7 km/h
    # Where routes come from: the imported map ("local"), or a routing server for areas too large for one box
    # (an OSRM server with a foot profile, or Valhalla) at router_url. Places are always searched on the map.
    router: Literal["local", "osrm", "valhalla"] = "local"
    router_url: str | None = None

    @model_validator(mode="after")
    def _router_has_url(self) -> NavigationSettings:
        if self.router != "local" and not self.router_url:
            raise ValueError(f"navigation.router = {self.router!r} needs navigation.router_url")
        return self


class PaymentSettings(_Frozen):
    # How the wearer confirms after saying "confirm": a deliberate gesture (holding the button) or a PIN entered
    # on the device (or its paired phone).
    confirm_with: Literal["gesture", "pin"] = "gesture"
    confirm_ttl_s: float = Field(default=30.0, gt=0, le=600)  # the confirmation card expires after this
    # Limits per wallet, in products.currency (other currencies converted with products.rates).
    max_payment: float = Field(default=500.0, gt=0)
    max_per_day: float = Field(default=1000.0, gt=0)
    pin_max_failures: int = Field(default=3, ge=1)  # consecutive wrong PINs before the wallet locks
    pin_lock_s: float = Field(default=300.0, ge=0)
    auto_detect_qr: bool = True  # a payment QR in view opens the confirmation card without "pay this"


class ServerSettings(_Frozen):
    host: str = "127.0.0.1"
    port: int = 8765
    # The OpenAI-compatible REST API: requests per minute per API key (bursts of rate_burst), and how many
    # requests may wait for one model before the next is answered 503.
    rate_per_minute: int = 120
    rate_burst: int = 30
    max_waiting: int = 32  # REST requests of one kind (llm, asr, …) in flight; more are answered 503
    max_request_bytes: int = 26 * 1024 * 1024
    api_docs: bool = False  # /docs (Swagger UI) loads scripts from a CDN: off by default
    # Browsers send the page's origin with a WebSocket: only the server's own page (and these) may open a session
    # with a device's token, so another site cannot use a token the browser holds.
    allowed_origins: tuple[str, ...] = ()
    max_sessions_per_device: int = Field(default=4, ge=1)
    # uvicorn's WebSocket implementation for /v1/realtime ("auto" is websockets' sans-I/O one).
    websocket_impl: Literal["auto", "websockets", "websockets-sansio"] = "auto"


class AgentSettings(_Frozen):
    """The agent: the LLM with the session's tools, for turns no activity or intent claims."""

    max_steps: int = Field(default=3, ge=1, le=8)  # LLM calls per turn: tool, tool, answer
    # Tool retrieval: only the tools whose examples mean what the wearer said (sentence embeddings, any language)
    # are offered to the LLM, at most this many; 0 offers every tool (for a strong remote model). The embedded
    # 0.5B model picks a tool for almost any question when it sees them all (bench/agent.py).
    offer_tools: int = Field(default=1, ge=0, le=32)
    min_similarity: float = Field(default=0.45, ge=-1, le=1)  # cosine; see bench/RESULTS.md for how it was set
    embed_threads: int = Field(default=1, ge=1, le=8)


class MemorySettings(_Frozen):
    """What the wearer asks the glasses to remember ("remember that I parked on level three"), recalled by meaning."""

    # A recall answers with the closest memory when its cosine similarity to the question is at least this
    # (bench/memory.py: right answers score 0.35-0.8 on the real model, unrelated memories below 0.3).
    min_similarity: float = Field(default=0.3, ge=-1, le=1)
    max_chars: int = Field(default=1000, ge=10, le=20_000)  # one memory's text
    place_within_m: float = Field(default=300.0, ge=0)  # a memory is "near" the nearest named place this close
    # A session's conversation is kept this long after the glasses disconnect: a reconnect within it continues
    # the conversation (0: never kept).
    resume_history_s: float = Field(default=600.0, ge=0)


class RetentionSettings(_Frozen):
    """How long what the glasses kept stays (days; 0 keeps it until the wearer deletes it). A background job
    deletes what is older, every hour. Payment records are not the wearer's to delete: they are kept for the
    legal minimum for accounting records (10 years: HGB §257 / AO §147 in Germany; China's 会计档案管理办法 asks
    for more), and neither this job nor "forget" removes them."""

    memories_days: int = Field(default=365, ge=0)
    meetings_days: int = Field(default=365, ge=0)  # a meeting's transcript and notes (its audio: meetings.*)
    transcripts_days: int = Field(default=30, ge=0)  # the conversations with the assistant
    payments_years: int = Field(default=10, ge=10)  # the legal minimum; cannot be set lower
    every_s: float = Field(default=3600.0, ge=60)


class Settings(BaseSettings):
    """The root of all settings."""

    model_config = SettingsConfigDict(
        env_prefix="GLASSMATE_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    home: Path = Field(default_factory=_default_home, description="Where assembled models and data live")
    log_level: str = "INFO"
    llm: LLMSettings = LLMSettings()
    asr: ASRSettings = ASRSettings()
    vad: VADSettings = VADSettings()
    turn: TurnSettings = TurnSettings()
    tts: TTSSettings = TTSSettings()
    ocr: OCRSettings = OCRSettings()
    translate: TranslateSettings = TranslateSettings()
    image: ImageSettings = ImageSettings()
    server: ServerSettings = ServerSettings()
    products: ProductSettings = ProductSettings()
    navigation: NavigationSettings = NavigationSettings()
    meetings: MeetingSettings = MeetingSettings()
    travel: TravelSettings = TravelSettings()
    payments: PaymentSettings = PaymentSettings()
    agent: AgentSettings = AgentSettings()
    memory: MemorySettings = MemorySettings()
    retention: RetentionSettings = RetentionSettings()

    # A secret because a PostgreSQL URL carries its password.
    database_url: SecretStr | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in home")

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def maps_dir(self) -> Path:
        return self.home / "maps"

    @property
    def meetings_dir(self) -> Path:
        return self.home / "meetings"

    @property
    def db_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home / 'glassmate.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = os.environ.get("GLASSMATE_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path:
            if not Path(toml_path).is_file():
                from glassmate.errors import ConfigError

                raise ConfigError(f"GLASSMATE_CONFIG points at {toml_path}, which is not a file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    def redacted(self) -> dict[str, Any]:
        """The effective settings as plain data, with every secret replaced by '**********'."""
        return self.model_dump(mode="json", by_alias=False)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
