"""Reminders at scale: 100,000 scheduled in the store, then due → delivered latency, a burst, restart recovery and
memory, through the real scheduler, reminder store and Inbox (the glasses are fake sinks that note when each
reminder reached them).

1. **Schedule**: `--total` reminders for `--owners` devices, written as an import writes them (reminder row + job,
   `--batch` per transaction). Most are due over the next 30 days (the table a server carries); `--live` are due
   one by one over the next `--window` seconds, and `--burst` all at the same second (every passenger's check-in
   opening at once).
2. **Live**: the scheduler and Inbox run as in the server; every owner's glasses are connected. Due → delivered:
   the sink's clock minus the reminder's time, p50/p95/p99/max, for the steady ones and the burst.
3. **Restart**: the server stops; `--down-count` reminders come due during `--down` seconds with no server; a new
   scheduler starts. Recovery: from its start to the last of them delivered (marked late), and no reminder is
   delivered twice over the whole run.
4. **Memory**: the process's RSS after scheduling and after the live phase; the database file's size.

Prints a table and writes bench/out/reminders.json. Run: `.venv/bin/python bench/reminders.py` (~3 minutes on
SQLite); `--url postgresql://…` for PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.config import TravelSettings
from glassmate.scheduler import Scheduler
from glassmate.store import Database
from glassmate.travel.reminders import Reminder
from glassmate.travel.rules import Planned
from glassmate.travel.service import Travel

OUT = Path(__file__).parent / "out"
UTC = dt.UTC


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def db_bytes(url: str) -> int | None:
    return Path(url.removeprefix("sqlite:///")).stat().st_size if url.startswith("sqlite:///") else None


def new_travel(url: str) -> Travel:
    """A server's travel service, as after a (re)start: its own engine, scheduler and Inbox."""
    travel = Travel(db=Database(url=url), settings=TravelSettings(), scheduler=Scheduler(url))
    travel.register()
    return travel


def schedule(travel: Travel, plan: list[tuple[str, dt.datetime, str]], batch: int) -> float:
    """Write the reminders (owner, due, label) as an import does; returns the seconds it took."""
    started = time.perf_counter()
    for i in range(0, len(plan), batch):
        with travel.scheduler.sessions() as s, s.begin():
            for j, (owner, due, label) in enumerate(plan[i : i + batch], start=i):
                reminder = Planned(id=f"rem_bench{j:09d}", kind="custom", due_at=due, subject=label, location="",
                                   event_at=None, zone="UTC")  # fmt: skip
                travel.reminders.add(s, owner, "bench", reminder)
    return time.perf_counter() - started


class Glasses:
    """Every owner's connected glasses: when each reminder arrived, and how often."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # reminder id → seconds after its time
        self.counts: Counter[str] = Counter()

    def sink(self) -> Any:
        async def receive(reminders: list[Reminder]) -> None:
            now = dt.datetime.now(UTC)
            for r in reminders:
                self.counts[r.id] += 1
                self.arrived.setdefault(r.id, (now - r.due_at).total_seconds())

        return receive


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    a = np.array(values)
    return {"n": len(values), "p50_s": round(float(np.percentile(a, 50)), 3),
            "p95_s": round(float(np.percentile(a, 95)), 3), "p99_s": round(float(np.percentile(a, 99)), 3),
            "max_s": round(float(a.max()), 3)}  # fmt: skip


async def serve(travel: Travel, owners: list[str], glasses: Glasses) -> list[asyncio.Task[Any]]:
    for owner in owners:
        travel.inbox.attach(owner, glasses.sink())
    return [asyncio.create_task(travel.scheduler.run()), asyncio.create_task(travel.inbox.run())]


async def stop(tasks: list[asyncio.Task[Any]], travel: Travel) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    travel.scheduler.dispose()


async def wait_for(ids: set[str], glasses: Glasses, limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if ids <= glasses.arrived.keys():
            return True
        await asyncio.sleep(0.05)
    return False


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'reminders.db'}"
    owners = [f"device:bench{i:05d}" for i in range(args.owners)]
    rng = np.random.default_rng(7)
    t0 = dt.datetime.now(UTC) + dt.timedelta(seconds=args.lead)
    live_at = [t0 + dt.timedelta(seconds=float(x)) for x in np.sort(rng.uniform(0, args.window, args.live))]
    burst_at = t0 + dt.timedelta(seconds=args.window + 3)
    stop_at = burst_at + dt.timedelta(seconds=args.settle)
    down_at = [stop_at + dt.timedelta(seconds=1 + float(x))
               for x in np.sort(rng.uniform(0, args.down - 2, args.down_count))]  # fmt: skip
    rest = args.total - args.live - args.burst - args.down_count
    later = [stop_at + dt.timedelta(days=1, seconds=float(x)) for x in rng.uniform(0, 30 * 86400, rest)]
    plan: list[tuple[str, dt.datetime, str]] = []
    for group, times in (("live", live_at), ("burst", [burst_at] * args.burst), ("down", down_at),
                         ("later", later)):  # fmt: skip
        plan += [(owners[int(rng.integers(len(owners)))], when, group) for when in times]
    groups: dict[str, set[str]] = {}
    for j, (_, _, label) in enumerate(plan):
        groups.setdefault(label, set()).add(f"rem_bench{j:09d}")

    rss0 = rss_mb()
    travel = new_travel(url)
    took = schedule(travel, plan, args.batch)
    rss_scheduled = rss_mb()
    if dt.datetime.now(UTC) > t0:
        raise SystemExit(f"scheduling took {took:.0f} s, longer than --lead {args.lead} s: raise --lead")
    glasses = Glasses()
    tasks = await serve(travel, owners, glasses)
    await asyncio.sleep(max(0.0, (stop_at - dt.datetime.now(UTC)).total_seconds()))
    live_ok = await wait_for(groups["live"] | groups["burst"], glasses, 30)
    rss_live = rss_mb()
    await stop(tasks, travel)  # the server goes away…
    await asyncio.sleep(max(0.0, (down_at[-1] - dt.datetime.now(UTC)).total_seconds() + 1))
    restarted = time.perf_counter()
    travel = new_travel(url)  # …and comes back
    tasks = await serve(travel, owners, glasses)
    down_ok = await wait_for(groups["down"], glasses, 60)
    recovery_s = time.perf_counter() - restarted
    await stop(tasks, travel)
    lates = [travel.reminders.of_owner(o, states=("delivered",), limit=100000) for o in owners]
    late_marked = sum(1 for rs in lates for r in rs if r.id in groups["down"] and (r.late_s or 0) > 1)
    size = db_bytes(url)
    return {
        "machine": f"{os.cpu_count()} cores, no GPU", "database": url.split(":")[0], "total": len(plan),
        "owners": args.owners, "schedule_s": round(took, 1), "schedule_per_s": round(len(plan) / took),
        "live": {**percentiles([glasses.arrived[i] for i in groups["live"] if i in glasses.arrived]),
                 "all_delivered": live_ok},
        "burst": {**percentiles([glasses.arrived[i] for i in groups["burst"] if i in glasses.arrived]),
                  "at_once": args.burst},
        "restart": {"due_while_down": args.down_count, "down_s": args.down, "all_delivered": down_ok,
                    "recovery_s": round(recovery_s, 2), "marked_late": late_marked,
                    **percentiles([glasses.arrived[i] for i in groups["down"] if i in glasses.arrived])},
        "delivered_twice": sum(1 for n in glasses.counts.values() if n > 1),
        "delivered_early": sum(1 for s in glasses.arrived.values() if s < 0),
        "later_delivered": len(groups["later"] & glasses.arrived.keys()),
        "rss_mb": {"start": round(rss0), "scheduled": round(rss_scheduled), "after_live": round(rss_live),
                   "peak": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)},
        "db_mb": None if size is None else round(size / 1e6, 1),
    }  # fmt: skip


def print_table(r: dict[str, Any]) -> None:
    print(f"\nReminders ({r['total']:,} for {r['owners']:,} devices, {r['database']}, {r['machine']})")
    print(f"  scheduled in {r['schedule_s']} s ({r['schedule_per_s']:,}/s)")
    for name in ("live", "burst", "restart"):
        p = r[name]
        print(f"  {name:<8} n={p.get('n', 0):<5} due→delivered p50 {p.get('p50_s')} s  p95 {p.get('p95_s')} s  "
              f"p99 {p.get('p99_s')} s  max {p.get('max_s')} s")  # fmt: skip
    rs = r["restart"]
    print(f"  restart: {rs['due_while_down']} due during {rs['down_s']} s down; all delivered {rs['all_delivered']} "
          f"{rs['recovery_s']} s after the start, {rs['marked_late']} marked late")  # fmt: skip
    print(f"  delivered twice {r['delivered_twice']}, early {r['delivered_early']}, not yet due but delivered "
          f"{r['later_delivered']}")  # fmt: skip
    m = r["rss_mb"]
    print(f"  RSS {m['start']} → {m['scheduled']} (scheduled) → {m['after_live']} MB (live); peak {m['peak']} MB; "
          f"database {r['db_mb']} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=1000)
    parser.add_argument("--live", type=int, default=1000)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--down", type=float, default=10.0)
    parser.add_argument("--down-count", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--lead", type=float, default=240.0, help="seconds allowed for scheduling")
    parser.add_argument("--output", type=Path, default=OUT / "reminders.json")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    print_table(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
