"""The FastAPI application: health, model status, and the glasses page.

The realtime WebSocket and the OpenAI-compatible routes are added by their own modules as they land.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from glassmate import __version__
from glassmate.api.audio import router as audio_router
from glassmate.api.chat import router as chat_router
from glassmate.api.common import Admission, ApiError, KeyRateLimiter, error_response
from glassmate.api.guard import RequestGuard
from glassmate.api.meetings import router as meetings_router
from glassmate.api.memory import router as memory_router
from glassmate.api.navigation import router as navigation_router
from glassmate.api.payments import router as payments_router
from glassmate.api.products import router as products_router
from glassmate.api.realtime import router as realtime_router
from glassmate.api.translate import router as translate_router
from glassmate.api.travel import router as travel_router
from glassmate.config import Settings
from glassmate.errors import GlassmateError
from glassmate.meetings.service import Meetings
from glassmate.memory.conversations import Conversations
from glassmate.memory.privacy import Privacy
from glassmate.memory.service import Memories
from glassmate.navigation.service import Navigation
from glassmate.payments.ledger import EXPIRY_JOB, Ledger
from glassmate.payments.pins import PinStore
from glassmate.payments.provider import PaymentProvider
from glassmate.products.catalog import Catalog
from glassmate.runtime import Models
from glassmate.scheduler import Scheduler
from glassmate.skills.base import Skill
from glassmate.skills.installed import default_skills

if TYPE_CHECKING:
    from glassmate.skills.routing import Skills
from glassmate.store import ApiKeyRegistry, Database, DeviceRegistry
from glassmate.travel.service import Travel
from glassmate.weights import CATALOG, WeightStore

log = logging.getLogger("glassmate.server")


@dataclass
class Services:
    """What the routes share: built once per app, models loaded lazily."""

    settings: Settings
    models: Models
    skills: list[type[Skill]]  # built anew for each session and request
    devices: DeviceRegistry
    api_keys: ApiKeyRegistry
    rate_limiter: KeyRateLimiter
    admission: Admission
    catalog: Catalog
    payments: PaymentProvider  # the local ledger unless another provider is plugged in
    ledger: Ledger  # glassmate's own database of wallets: demo money, PINs, audit (`glassmate ledger`)
    pins: PinStore
    navigation: Navigation  # the walking map, loaded on first use
    meetings: Meetings  # recordings, transcripts with speakers, notes
    travel: Travel  # imported calendars, their reminders and the delivery of reminders to the glasses
    scheduler: Scheduler  # durable jobs that fire once: payment expiry, reminders
    memories: Memories  # what the wearer asked to remember, recalled by meaning
    conversations: Conversations  # each device's conversation, continued after a reconnect
    privacy: Privacy  # retention, forgetting, export
    warm: bool = False  # models loaded and the LLM's system prompt cached
    open_sessions: Counter[str] = field(default_factory=Counter)  # realtime sessions per device name
    warm_error: str | None = None


def _log_tasks_on_sigusr1() -> None:
    """`kill -USR1 <pid>` logs every asyncio task and where it waits: for a session that seems stuck."""
    import io
    import signal

    def dump() -> None:
        for task in asyncio.all_tasks():
            buf = io.StringIO()
            task.print_stack(limit=12, file=buf)
            log.warning("task %s:\n%s", task.get_name(), buf.getvalue())

    # Not in the main thread (tests), or no signals here: then there is no dump.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump)


def create_app(settings: Settings, *, models: Models | None = None, preload: bool = False) -> FastAPI:
    """The glassmate server for `settings` (tests may pass their own, e.g. fake, models)."""
    from glassmate.logs import install

    install()  # the web server's log lines never show a token
    store = WeightStore(models_dir=settings.models_dir)
    db = Database(url=settings.db_url)
    catalog = Catalog(db, settings.products)
    ledger = Ledger(url=settings.db_url, settings=settings.payments, rates=settings.products.rates,
                    currency=settings.products.currency)  # fmt: skip
    resolved_models = models or Models(settings=settings, store=store)
    scheduler = Scheduler(settings.db_url)  # durable jobs: payment expiry, travel reminders
    meetings = Meetings(db=db, models=resolved_models, settings=settings)
    memories = Memories(db=db, embedder=lambda: resolved_models.embedder, settings=settings.memory)
    conversations = Conversations(db=db, settings=settings.memory)
    services = Services(
        settings=settings,
        models=resolved_models,
        skills=default_skills(),
        devices=DeviceRegistry(db=db),
        api_keys=ApiKeyRegistry(db=db),
        rate_limiter=KeyRateLimiter(per_minute=settings.server.rate_per_minute, burst=settings.server.rate_burst),
        admission=Admission(max_waiting=settings.server.max_waiting),
        catalog=catalog,
        payments=ledger,
        ledger=ledger,
        pins=PinStore(ledger=ledger),
        navigation=Navigation(settings),
        meetings=meetings,
        travel=Travel(db=db, settings=settings.travel, scheduler=scheduler, llm=lambda: resolved_models.llm),
        scheduler=scheduler,
        memories=memories,
        conversations=conversations,
        privacy=Privacy(
            db=db, memories=memories, conversations=conversations, meetings=meetings, settings=settings.retention
        ),
    )
    scheduler.register(EXPIRY_JOB, ledger.expire_job)
    services.travel.register()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm = asyncio.create_task(_warm_up(services)) if preload else None
        jobs = asyncio.create_task(_run_jobs(services), name="scheduler")
        delivery = asyncio.create_task(services.travel.inbox.run(), name="reminder-delivery")
        retention = asyncio.create_task(services.privacy.run(), name="retention")
        _log_tasks_on_sigusr1()
        yield
        for task in (warm, jobs, delivery, retention):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await services.meetings.aclose()
        await services.models.aclose()
        services.devices.db.dispose()
        ledger.dispose()
        scheduler.dispose()

    # /docs loads its scripts from a CDN (it breaks offline, and would run third-party code on the origin that keeps
    # the device token): off unless asked for. The OpenAPI document stays at /openapi.json.
    docs = "/docs" if settings.server.api_docs else None
    app = FastAPI(title="glassmate", version=__version__, lifespan=lifespan, docs_url=docs, redoc_url=None)
    app.add_middleware(RequestGuard, max_bytes=settings.server.max_request_bytes,
                       uploads={"/v1/meetings": settings.meetings.max_upload_bytes,
                                "/v1/travel/import": settings.travel.max_upload_bytes})  # fmt: skip
    app.state.services = services
    app.include_router(realtime_router)
    app.include_router(chat_router)
    app.include_router(audio_router)
    app.include_router(translate_router)
    app.include_router(products_router)
    app.include_router(travel_router)
    app.include_router(payments_router)
    app.include_router(navigation_router)
    app.include_router(meetings_router)
    app.include_router(memory_router)

    @app.exception_handler(GlassmateError)
    async def glassmate_error(_request: Request, exc: GlassmateError) -> JSONResponse:
        if isinstance(exc, ApiError):
            return error_response(exc.http_status, exc.message, exc.code, exc.param, exc.headers)
        retry = getattr(exc, "retry_after_s", 0)  # a locked wallet says when to try again
        return error_response(
            exc.http_status, exc.message, exc.code, headers={"retry-after": str(retry)} if retry else None
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p not in ("body", "query"))
        return error_response(400, f"{where or 'request'}: {first['msg']}", "invalid-request", where or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 400: "invalid-request"}.get(exc.status_code, "http-error")  # 400: a body not parsed
        return error_response(exc.status_code, str(exc.detail), code)

    @app.get("/healthz")
    async def healthz() -> dict[str, str | bool]:
        """Liveness (answers while the event loop is free), and whether the models are warm: `state` is
        `warming_up` until everything a first turn needs is loaded (the page says so), then `ready`."""
        state = "ready" if services.warm else "warm_up_failed" if services.warm_error else "warming_up"
        return {"status": "ok", "version": __version__, "warm": services.warm, "state": state}

    @app.get("/v1/glassmate/models")
    def model_status() -> list[dict[str, str]]:
        """Every embedded model and whether it is ready."""
        return [
            {
                "key": spec.key,
                "kind": spec.kind,
                "name": spec.name,
                "status": report.status.value,
                "detail": report.detail,
            }
            for spec in CATALOG
            for report in [store.status(spec)]
        ]

    web_dir = Path(str(files("glassmate").joinpath("web")))
    app.mount("/", StaticFiles(directory=web_dir, html=True), name="web")
    return app


async def _run_jobs(services: Services) -> None:
    """The durable jobs (payment expiry, reminders), after one sweep for payments made before jobs existed."""
    try:
        expired = await asyncio.to_thread(services.ledger.expire_due)
        if expired:
            log.info("%d unconfirmed payment(s) from before the scheduler expired", expired)
    except Exception:  # the database is away for a moment: each payment's own job expires it later
        log.warning("could not sweep unconfirmed payments", exc_info=True)
    await services.scheduler.run()


async def _first_inferences(services: Services, skills: Skills) -> None:
    """Run once what a spoken turn runs: a model's first call is slower than the next (buffers allocated, code
    paged in). Measured on the first turn before this: Whisper tiny.en 431 ms instead of ~180, Smart Turn 187
    instead of ~70, the first intent match 100 ms. Whisper base too (German and Chinese turns)."""
    import numpy as np

    from glassmate.audio import ASR_RATE, Audio
    from glassmate.providers.asr.base import TranscribeOptions
    from glassmate.skills.base import Turn

    models = services.models
    rng = np.random.default_rng(0)
    murmur = Audio((0.01 * rng.standard_normal(ASR_RATE)).astype(np.float32), ASR_RATE)  # a second of room noise
    if services.settings.asr.backend == "local":  # a remote endpoint is not sent noise
        for language in ("en", "zh"):  # tiny.en, then base
            await models.asr.transcribe(murmur, TranscribeOptions(language=language))
    await models.turn.score(murmur.samples)
    for text, language in (("What time is it?", "en"), ("现在几点了？", "zh"), ("Wie spät ist es?", "de")):
        skills.route(Turn(text=text, language=language))


async def _warm_up(services: Services) -> None:
    """Load the models and prefill the LLM's system prompt, so the first turn is as fast as the next."""
    from glassmate.agent.prompt import build_messages
    from glassmate.providers.llm.base import GenerationOptions
    from glassmate.skills.base import SkillEnv
    from glassmate.skills.routing import Skills

    models = services.models
    try:
        for loader in (models.asr, models.tts, models.ocr, models.embedder):
            load = getattr(loader, "load", None)
            if load is not None:
                await load()
        await asyncio.to_thread(lambda: models.vad)
        await asyncio.to_thread(models.turn.load)  # the end-of-turn model of semantic_vad
        skills = Skills.build(services.skills, SkillEnv(models=models, settings=services.settings, services=services))
        await _first_inferences(services, skills)
        # The product photos' artwork index: "what is this?" would otherwise build it on its first call (seconds).
        await asyncio.to_thread(services.catalog.appearance)
        # The agent's system prompt, prefilled once and cached; and its tool index, embedded once.
        agent = skills.agent()
        if agent.index is not None:
            await agent.index.rank("hello")
        async for _ in models.llm.stream(build_messages("Hello."), options=GenerationOptions(max_tokens=1)):
            pass
        services.warm = True
        log.info("models loaded and warm")
    except GlassmateError as exc:
        services.warm_error = str(exc)
        log.warning("warm-up failed: %s", exc)
