"""A `glassmate serve` process for the benchmarks: its own database, one credential, warm models."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from glassmate.testing.server import free_port


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:PORT
    secret: str  # the device token or API key
    pid: int
    device: str | None = None  # a device token too, when asked for (with credential="keys")


@contextmanager
def glassmate_server(
    *, credential: str, log: Path | None = None, env: dict[str, str] | None = None, with_device: bool = False
) -> Iterator[Served]:
    """Start `glassmate serve` with a fresh database and `glassmate <credential> add bench` (devices or keys)."""
    glassmate = str(Path(sys.executable).with_name("glassmate"))
    with tempfile.TemporaryDirectory() as tmp:
        full_env = {**os.environ, "GLASSMATE_DATABASE_URL": f"sqlite:///{tmp}/bench.db", **(env or {})}
        secret = subprocess.run(
            [glassmate, credential, "add", "bench"], env=full_env, capture_output=True, text=True, check=True
        ).stdout.strip()
        device = None
        if with_device:
            device = subprocess.run([glassmate, "devices", "add", "bench-glasses"], env=full_env, capture_output=True,
                                    text=True, check=True).stdout.strip()  # fmt: skip
        port = free_port()
        out = log.open("w") if log else subprocess.DEVNULL
        verbose = ["--verbose"] if log else []
        server = subprocess.Popen(
            [glassmate, *verbose, "serve", "--port", str(port)], env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/healthz").json().get("warm"):
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            else:
                raise RuntimeError("glassmate serve did not get warm in 120 s")
            yield Served(base, secret, server.pid, device)
        finally:
            server.terminate()
            server.wait(timeout=30)
