"""What every HTTP request passes before any route reads its body: a request to the API without a current API key
or device token is refused at once (a 300 MB upload is not read to be told 401), the bytes of a body are counted
as they arrive (a chunked upload has no Content-Length to check), and every response carries the security
headers."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from glassmate.api.common import bearer_token, error_response

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # The glasses page keeps the device token: no other site may frame it.
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
]
BODY_METHODS = {"POST", "PUT", "PATCH"}


TOO_LARGE = "request-too-large"


async def _known(scope: dict[str, Any], token: str) -> bool:
    """A current API key or device token (the route's own check then says which it accepts)."""
    services = scope["app"].state.services
    for registry in (services.api_keys, services.devices):
        if await asyncio.to_thread(registry.holds, token):
            return True
    return False


class RequestGuard:
    """A pure ASGI middleware (it must see the body as it streams, which Starlette's middleware does not)."""

    def __init__(self, app: Any, *, max_bytes: int, uploads: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads or {}  # paths that take larger bodies (a meeting's recording), with their limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        too_large = False  # the body passed the limit: the app is told the client left, and the answer is ours
        started = False

        async def send_secured(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if too_large:
                return
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        max_bytes = self.uploads.get(scope["path"].rstrip("/"), self.max_bytes)
        limit = max_bytes // (1024 * 1024)
        if scope["method"] in BODY_METHODS and scope["path"].startswith("/v1/"):
            token = bearer_token(headers)
            if not token or not await _known(scope, token):
                response = error_response(401, "missing or unknown credentials: send Authorization: Bearer …",
                                          "invalid_api_key")  # fmt: skip
                await response(scope, receive, send_secured)
                return
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                response = error_response(413, f"the request is larger than {limit} MB", TOO_LARGE)
                await response(scope, receive, send_secured)
                return
        received = 0

        async def counted() -> dict[str, Any]:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, counted, send_secured)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            too_large = False  # let our own answer through
            response = error_response(413, f"the request is larger than {limit} MB", TOO_LARGE)
            await response(scope, receive, send_secured)
