"""What every HTTP request passes first: credentials before the body, a byte count of streamed bodies, security
headers on every answer, no CDN-loaded /docs (the security probe's findings 4 and 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.testing import fake_models
from glassmate.testing.server import serve_in_thread

LIMIT = 1_000_000


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    settings = Settings(home=tmp_path, server={"max_request_bytes": LIMIT})
    app = create_app(settings, models=fake_models(settings))
    _, key = app.state.services.api_keys.add("tests")
    with serve_in_thread(app) as base:
        yield {"base": base, "key": key}


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A chunked body (no Content-Length) of `total` bytes of JSON-looking text."""
    sent = 0
    while sent < total:
        piece = b" " * min(size, total - sent)
        sent += len(piece)
        yield piece


def test_a_streamed_body_without_credentials_is_refused_before_it_is_read(served: dict[str, Any]) -> None:
    reply = httpx.post(f"{served['base']}/v1/translate", content=chunks(50 * LIMIT), timeout=30,
                       headers={"content-type": "application/json"})  # fmt: skip
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "invalid_api_key"


def test_a_streamed_body_with_an_unknown_token_is_refused_before_it_is_read(served: dict[str, Any]) -> None:
    headers = {"authorization": "Bearer sk-gm-not-a-key", "content-type": "application/json"}
    reply = httpx.post(f"{served['base']}/v1/translate", content=chunks(50 * LIMIT), headers=headers, timeout=30)
    assert reply.status_code == 401


def test_a_streamed_body_past_the_limit_is_413_with_credentials_too(served: dict[str, Any]) -> None:
    headers = {"authorization": f"Bearer {served['key']}", "content-type": "application/json"}
    reply = httpx.post(f"{served['base']}/v1/translate", content=chunks(5 * LIMIT), headers=headers, timeout=30)
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "request-too-large"


def test_every_answer_carries_the_security_headers_and_docs_are_off(served: dict[str, Any]) -> None:
    for path in ("/healthz", "/", "/v1/models"):
        reply = httpx.get(f"{served['base']}{path}")
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert httpx.get(f"{served['base']}/docs").status_code == 404
    assert httpx.get(f"{served['base']}/openapi.json").status_code == 200
