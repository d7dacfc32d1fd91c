"""The payments crash test: clients send payments (each with its idempotency key, retried until answered) to a
real `glassmate serve` process while another thread kills it with SIGKILL at random moments and starts it again.
At the end every payment must exist exactly once, with the id its client was given, settled; the payer's wallet
must be down by exactly the sum paid; balances must sum to zero; `glassmate ledger verify` must pass.

Used by bench/ledger_crash.py (1,000 payments, SQLite and PostgreSQL) and by a smaller slow test.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from glassmate.payments.emv import build
from glassmate.testing.server import free_port

FUNDS_MINOR = 100_000_000  # 1,000,000.00 EUR: never the reason a payment fails here


@dataclass
class ChaosReport:
    backend: str
    payments: int
    clients: int
    kills: int = 0
    kills_after_commit: int = 0  # kills sent the moment a new ledger commit was seen
    requests: int = 0
    retries: int = 0  # requests that got no answer (connection refused or cut) and were sent again
    # Retries answered "already done" (Idempotent-Replayed): the payment committed, its answer was lost in a kill.
    replayed: int = 0
    wall_s: float = 0.0
    answered_per_s: float = 0.0
    missing: list[str] = field(default_factory=list)  # keys with no payment
    duplicated: list[str] = field(default_factory=list)  # keys with more than one payment
    wrong_id: list[str] = field(default_factory=list)  # the client was told another payment id than stored
    not_settled: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # answers other than 200/201 or a retryable failure
    wallet_ok: bool = False
    totals: dict[str, int] = field(default_factory=dict)
    verify_exit: int = -1
    verify_output: str = ""

    @property
    def ok(self) -> bool:
        problems = self.missing or self.duplicated or self.wrong_id or self.not_settled or self.unexpected
        return not problems and self.wallet_ok and set(self.totals.values()) <= {0} and self.verify_exit == 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


class ServerProcess:
    """`glassmate serve --no-preload` on a fixed port, started again after each kill."""

    def __init__(self, env: dict[str, str], log: Path | None) -> None:
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("ab") if log else None
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        glassmate = str(Path(sys.executable).with_name("glassmate"))
        self.proc = subprocess.Popen([glassmate, "serve", "--no-preload", "--port", str(self.port)], env=self.env,
                                     stdout=self.log or subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"glassmate serve exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError("glassmate serve did not answer in 90 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.log:
            self.log.close()


class _HeadWatcher:
    """Reads the ledger head's sequence number from outside the server, to notice a commit within ~1 ms."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(url)

    def _seq(self) -> int:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT seq FROM ledger_head WHERE id = 1")).scalar_one())

    def wait_for_commit(self, *, limit_s: float) -> None:
        try:
            start = self._seq()
            deadline = time.monotonic() + limit_s
            while time.monotonic() < deadline and self._seq() == start:
                time.sleep(0.0005)
        except Exception:  # the database is busy or restarting: kill blind this time
            return

    def close(self) -> None:
        self.engine.dispose()


def _glassmate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    glassmate = str(Path(sys.executable).with_name("glassmate"))
    return subprocess.run([glassmate, *args], env=env, capture_output=True, text=True, check=False)


def plan(i: int, seed: int) -> tuple[str, str, int]:
    """Payment i: its idempotency key, the merchant's QR payload, and the amount in cents."""
    cents = 100 + (i * 37) % 400
    shop = i % 10
    payload = build(merchant_name=f"Shop {shop}", merchant_city="Berlin", currency_numeric="978", country="DE",
                    amount=f"{cents // 100}.{cents % 100:02d}", account_fields={"01": f"SHOP{shop}"})  # fmt: skip
    return f"chaos-{seed}-{i}", payload, cents


def run(*, home: Path, db_url: str | None, payments: int, clients: int = 4,
        kill_between: tuple[float, float] = (0.5, 3.0), seed: int = 0, log: Path | None = None,
        kills: bool = True) -> ChaosReport:  # fmt: skip
    """Run the crash test (or, with kills=False, the same load without crashes: the REST throughput)."""
    backend = "postgresql" if db_url and db_url.startswith("postgresql") else "sqlite"
    report = ChaosReport(backend=backend, payments=payments, clients=clients)
    env = {**os.environ, "GLASSMATE_HOME": str(home), "GLASSMATE_PAYMENTS__MAX_PAYMENT": "1000000",
           "GLASSMATE_PAYMENTS__MAX_PER_DAY": "1000000000", "GLASSMATE_SERVER__RATE_PER_MINUTE": "100000000",
           "GLASSMATE_SERVER__RATE_BURST": "100000000"}  # fmt: skip
    if db_url:
        env["GLASSMATE_DATABASE_URL"] = db_url
    token = _glassmate(env, "devices", "add", "chaos").stdout.strip()
    funded = _glassmate(env, "ledger", "fund", "chaos", f"{FUNDS_MINOR // 100}.00", "EUR")
    if not token.startswith("gm_") or funded.returncode != 0:
        raise RuntimeError(f"setup failed: {funded.stderr}")
    server = ServerProcess(env, log)
    server.start()
    todo: queue.Queue[int] = queue.Queue()
    for i in range(payments):
        todo.put(i)
    told: dict[int, str] = {}
    lock = threading.Lock()
    done = threading.Event()
    rng = random.Random(seed)

    def client() -> None:
        headers = {"authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base, timeout=10, headers=headers) as http:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                key, payload, _ = plan(i, seed)
                while True:
                    with lock:
                        report.requests += 1
                    try:
                        r = http.post("/v1/payments", json={"qr": payload, "confirm": True},
                                      headers={"idempotency-key": key})  # fmt: skip
                    except httpx.TransportError:
                        r = None
                    if r is not None and r.status_code in (200, 201):
                        told[i] = r.json()["id"]
                        if r.headers.get("idempotent-replayed") == "true":
                            with lock:
                                report.replayed += 1
                        break
                    if r is not None and r.status_code < 500:
                        report.unexpected.append(f"{key}: {r.status_code} {r.text[:200]}")
                        break
                    with lock:
                        report.retries += 1
                    time.sleep(0.02)

    head = _HeadWatcher(db_url or f"sqlite:///{home / 'glassmate.db'}")

    def killer() -> None:
        while not done.wait(rng.uniform(*kill_between)):
            # Every other kill lands just after a commit, while its answer is likely still on the way: the
            # case idempotency keys exist for (a blind kill rarely hits that millisecond).
            if report.kills % 2 == 1:
                head.wait_for_commit(limit_s=1.0)
                report.kills_after_commit += 1
            server.kill()
            report.kills += 1
            server.start()

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(clients)]
    chaos = threading.Thread(target=killer) if kills else None
    for t in workers:
        t.start()
    if chaos:
        chaos.start()
    for t in workers:
        t.join()
    report.wall_s = round(time.monotonic() - started, 2)
    report.answered_per_s = round(payments / report.wall_s, 1)
    done.set()
    if chaos:
        chaos.join()
    head.close()
    server.stop()
    _check(report, env, told, seed)
    return report


def _check(report: ChaosReport, env: dict[str, str], told: dict[int, str], seed: int) -> None:
    from sqlalchemy import select

    from glassmate.config import Settings
    from glassmate.payments.ledger import Ledger
    from glassmate.store.ledger import LedgerPayment

    settings = Settings(home=Path(env["GLASSMATE_HOME"]))
    url = env.get("GLASSMATE_DATABASE_URL") or settings.db_url
    ledger = Ledger(url=url, settings=settings.payments, rates=settings.products.rates, currency="EUR")
    with ledger.sessions() as s:
        rows = s.execute(
            select(LedgerPayment.idempotency_key, LedgerPayment.id, LedgerPayment.state, LedgerPayment.amount).where(
                LedgerPayment.owner == "device:chaos"
            )
        ).all()
    by_key: dict[str, list[tuple[str, str, int]]] = {}
    for key, pid, state, amount in rows:
        by_key.setdefault(key, []).append((pid, state, amount))
    expected_total = 0
    for i in range(report.payments):
        key, _, cents = plan(i, seed)
        expected_total += cents
        found = by_key.get(key, [])
        if not found:
            report.missing.append(key)
            continue
        if len(found) > 1:
            report.duplicated.append(key)
        if told.get(i) != found[0][0]:
            report.wrong_id.append(key)
        if found[0][1] != "settled" or found[0][2] != cents:
            report.not_settled.append(key)
    report.wallet_ok = ledger.balances("device:chaos") == {"EUR": FUNDS_MINOR - expected_total}
    report.totals = ledger.totals()
    ledger.dispose()
    verified = _glassmate(env, "ledger", "verify")
    report.verify_exit = verified.returncode
    report.verify_output = (verified.stdout + verified.stderr).strip()[-500:]
