"""The FastAPI application: health, model status, and the glasses page.

The realtime WebSocket and the OpenAI-compatible routes are added by their own modules as they land.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from glassmate import __version__
from glassmate.config import Settings
from glassmate.errors import GlassmateError
from glassmate.weights import CATALOG, WeightStore


def create_app(settings: Settings) -> FastAPI:
    """The glassmate server for `settings`."""
    app = FastAPI(title="glassmate", version=__version__)
    store = WeightStore(models_dir=settings.models_dir)

    @app.exception_handler(GlassmateError)
    async def glassmate_error(_request: Request, exc: GlassmateError) -> JSONResponse:
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: answers as long as the event loop is free."""
        return {"status": "ok", "version": __version__}

    @app.get("/v1/glassmate/models")
    async def model_status() -> list[dict[str, str]]:
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
