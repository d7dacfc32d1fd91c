"""Payments: crash safety, throughput and the confirmation card's latency, on SQLite and PostgreSQL.

1. Crash test: 1,000 payments from 4 clients (idempotency keys, retried until answered) against `glassmate
   serve`, killed with SIGKILL every 0.5-3 s and started again; then every payment must exist once, settled, with
   the id its client was given, balances sum to zero, `glassmate ledger verify` passes (glassmate.testing.ledger_chaos).
2. Throughput with full durability (SQLite WAL + synchronous=FULL; PostgreSQL fsync + synchronous_commit on):
   the ledger alone (one thread, `Ledger.pay`), and over REST (4 clients, 1,000 payments, no kills).
3. Frame with a merchant QR → confirmation card on the HUD: `glassmate serve` with warm models, a glasses client
   sends a 640x480 JPEG of a counter with the code; timed to the `hud.card` event. Each code is then cancelled.

Run: `.venv/bin/python bench/payments.py` (about 3 minutes); writes bench/out/payments.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from glassmate.client import GlassesClient
from glassmate.config import PaymentSettings
from glassmate.payments.emv import build
from glassmate.payments.ledger import Ledger
from glassmate.payments.provider import Merchant, PaymentRequest
from glassmate.testing import ledger_chaos
from glassmate.testing.postgres import postgres_server
from glassmate.testing.scenes import jpeg_bytes, render_qr_scene
from served import glassmate_server

OUT = Path(__file__).parent / "out"


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    """None (SQLite in the run's home) or the URL of a fresh PostgreSQL server."""
    if backend == "sqlite":
        yield None
    else:
        with postgres_server() as url:
            yield url


def ledger_alone(backend: str, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, database(backend) as url:
        ledger = Ledger(url=url or f"sqlite:///{tmp}/l.db", settings=PaymentSettings(max_payment=1e9, max_per_day=1e12),
                        rates={"EUR": 1.0}, currency="EUR")  # fmt: skip
        ledger.fund("device:bench", 10**12, "EUR")
        shop = Merchant(key="bench:SHOP", name="Shop", city="Berlin")
        times = []
        for i in range(n):
            started = time.perf_counter()
            ledger.pay(PaymentRequest(owner="device:bench", idempotency_key=f"b{i}", merchant=shop,
                                      amount_minor=100 + i % 400, currency="EUR"))  # fmt: skip
            times.append((time.perf_counter() - started) * 1000)
        problems = ledger.verify()
        ledger.dispose()
    return {"payments": n, "per_s": round(n / (sum(times) / 1000), 1), "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(sorted(times)[int(n * 0.95)], 2), "verify_ok": not problems}  # fmt: skip


def chaos(backend: str, n: int, *, kills: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, database(backend) as url:
        report = ledger_chaos.run(home=Path(tmp), db_url=url, payments=n, clients=4, kills=kills,
                                  log=OUT / f"ledger_crash_{backend}.log")  # fmt: skip
    return report.as_dict()


async def card_latency(base: str, token: str, n: int) -> list[float]:
    times = []
    async with GlassesClient(base_url=base, token=token) as glasses:
        for i in range(n):
            payload = build(merchant_name=f"Cafe {i}", merchant_city="Berlin", currency_numeric="978", country="DE",
                            amount=f"{1 + i}.50", account_fields={"01": f"CAFE{i}"})  # fmt: skip
            frame = jpeg_bytes(render_qr_scene(payload, seed=i))
            sent = time.monotonic()
            await glasses.send_frame(frame)
            async with asyncio.timeout(30):
                async for ev in glasses.conn:
                    if ev.type == "hud.card" and ev.card["title"] == f"Pay Cafe {i}":
                        times.append((time.monotonic() - sent) * 1000)
                        break
                async for ev in glasses.conn:  # the prompt is spoken; then cancel and wait for its words
                    if ev.type == "response.done":
                        break
                await glasses.conn.send({"type": "payment.cancel"})
                async for ev in glasses.conn:
                    if ev.type == "response.done":
                        break
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--cards", type=int, default=30)
    parser.add_argument("--skip-crash", action="store_true")
    parser.add_argument("--output", type=Path, default=OUT / "payments.json")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    report: dict[str, Any] = {"machine": "2 cores, no GPU"}
    for backend in ("sqlite", "postgresql"):
        section: dict[str, Any] = {"ledger_alone": ledger_alone(backend, args.payments)}
        section["rest_no_kills"] = chaos(backend, args.payments, kills=False)
        if not args.skip_crash:
            section["crash"] = chaos(backend, args.payments, kills=True)
        report[backend] = section
    with glassmate_server(credential="devices") as served:
        times = asyncio.run(card_latency(served.base, served.secret, args.cards))
    report["qr_frame_to_card_ms"] = {
        "n": len(times),
        "p50": round(statistics.median(times), 1),
        "p95": round(sorted(times)[int(len(times) * 0.95)], 1),
        "max": round(max(times), 1),
    }
    args.output.write_text(json.dumps(report, indent=2))

    print(f"{'':<12} {'ledger/s':>9} {'p50 ms':>7} {'REST/s':>7} {'crash: paid':>12} {'kills':>6} {'replayed':>9} "
          f"{'retries':>8} {'verify':>7}")  # fmt: skip
    for backend in ("sqlite", "postgresql"):
        s = report[backend]
        crash = s.get("crash", {})
        paid = "-" if not crash else f"{crash['payments'] - len(crash['missing'])} ok" if crash["ok"] else "FAIL"
        print(f"{backend:<12} {s['ledger_alone']['per_s']:>9} {s['ledger_alone']['p50_ms']:>7} "
              f"{s['rest_no_kills']['answered_per_s']:>7} {paid:>12} "
              f"{crash.get('kills', '-'):>6} {crash.get('replayed', '-'):>9} {crash.get('retries', '-'):>8} "
              f"{('ok' if crash.get('verify_exit') == 0 else 'FAIL') if crash else '-':>7}")  # fmt: skip
    card = report["qr_frame_to_card_ms"]
    print(f"frame with a QR → confirmation card: p50 {card['p50']} ms, p95 {card['p95']} ms (n={card['n']})")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
