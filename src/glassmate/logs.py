"""Secrets never reach a log line: device tokens, API keys and bearer headers are masked in what the web server
logs (uvicorn's access log shows a browser's `?token=` in the WebSocket's URL) and in every handler glassmate's
command line sets up. glassmate's own code logs no secret, PIN, payment payload or memory text in the first place;
tests/unit/test_logs.py reads the log of a whole session to hold it to that."""

from __future__ import annotations

import logging
import re

MASK = "[redacted]"
_PATTERNS = (
    re.compile(r"(?i)((?:token|api_key|key|pin)=)[^&\s\"']+"),  # query strings
    re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),  # Authorization headers
    re.compile(r"()\bgm_[A-Za-z0-9_-]{16,}"),  # device tokens (devices.py)
    re.compile(r"()\bsk-gm-[A-Za-z0-9_-]{16,}"),  # API keys
)
# The loggers of the web server, whose lines carry URLs and headers glassmate did not write.
SERVER_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "websockets.server", "fastapi", "httpx")


_IDS = re.compile(r"\b[a-z]+_[0-9a-f]{20}\b")  # events.new_id: sess_…, pay_…, mem_…


def without_ids(text: str) -> str:
    """A log without glassmate's random object ids, for tests that look for a short secret in it: a 4-digit PIN
    is found inside a random hex id now and then ("sess_6d78a8e2c15246828a4b" holds "2468")."""
    return _IDS.sub("<id>", text)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message holds a secret (its arguments are merged into the masked message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record is the logging module's to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactSecrets()


def install(*, handlers: bool = False) -> None:
    """Mask secrets in the web server's log lines, and (handlers=True: the command line, which owns the root
    logger's handlers) in every line any handler writes."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    if handlers:
        for handler in logging.getLogger().handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
