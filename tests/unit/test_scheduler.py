"""The durable job scheduler on SQLite and PostgreSQL: a job fires once; one due while no server ran fires late
and is marked so (missed past its grace period); a process killed in the middle of firing leaves the job to fire
once after the restart; two processes racing for the same jobs fire each exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from glassmate.scheduler import Fired, Scheduler, add_job
from glassmate.store.jobs import JobRow

T0 = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # the night Europe's clocks go forward


def _effects(scheduler: Scheduler) -> list[tuple[str, str]]:
    with scheduler.sessions() as s:
        return [(k, w) for k, w in s.execute(text("SELECT key, who FROM effects ORDER BY key"))]


def _with_effects(url: str) -> Scheduler:
    """A scheduler whose "test" jobs write a row to `effects`, in the firing transaction."""
    scheduler = Scheduler(url)
    with scheduler.sessions() as s, s.begin():
        s.execute(text("CREATE TABLE IF NOT EXISTS effects (key VARCHAR(200), who VARCHAR(40))"))
    scheduler.register("test", lambda s, job: _effect(s, job, "test"))
    return scheduler


def _effect(s: Session, job: Fired, who: str) -> None:
    s.execute(text("INSERT INTO effects (key, who) VALUES (:k, :w)"), {"k": job.key, "w": who})


def _job(scheduler: Scheduler, key: str) -> JobRow:
    with scheduler.sessions() as s:
        row = s.scalar(select(JobRow).where(JobRow.key == key))
        assert row is not None
        return row


def test_a_job_fires_once_at_its_time(any_db_url: str) -> None:
    scheduler = _with_effects(any_db_url)
    scheduler.schedule("test", "a", T0)
    assert scheduler.run_due(T0 - timedelta(seconds=1)) == []
    fired = scheduler.run_due(T0)
    assert [(j.key, j.late_s, j.missed) for j in fired] == [("a", 0.0, False)]
    assert scheduler.run_due(T0 + timedelta(hours=1)) == []
    assert _effects(scheduler) == [("a", "test")]
    assert _job(scheduler, "a").state == "done"
    scheduler.dispose()


def test_a_job_due_while_no_server_ran_fires_late_and_past_the_grace_is_missed(any_db_url: str) -> None:
    scheduler = Scheduler(any_db_url)
    seen: list[Fired] = []
    scheduler.register("remind", lambda s, job: seen.append(job), grace_s=600)
    scheduler.schedule("remind", "late", T0)
    scheduler.schedule("remind", "missed", T0 - timedelta(hours=2))
    fired = {j.key: j for j in scheduler.run_due(T0 + timedelta(seconds=90))}  # the server came back 90 s late
    assert fired["late"].late_s == 90 and not fired["late"].missed
    assert fired["missed"].missed and fired["missed"].late_s == 2 * 3600 + 90
    assert {j.key for j in seen} == {"late", "missed"}  # the handler was told, and decides what a missed one means
    assert (_job(scheduler, "late").state, _job(scheduler, "late").late_s) == ("done", 90)
    assert _job(scheduler, "missed").state == "missed"
    scheduler.dispose()


def test_only_the_kinds_a_process_handles_are_claimed(any_db_url: str) -> None:
    scheduler = _with_effects(any_db_url)
    scheduler.schedule("test", "mine", T0)
    scheduler.schedule("other", "theirs", T0)
    assert [j.key for j in scheduler.run_due(T0)] == ["mine"]
    assert _job(scheduler, "theirs").state == "scheduled"
    scheduler.dispose()


def test_scheduling_again_moves_a_pending_job_but_never_rearms_a_fired_one(any_db_url: str) -> None:
    scheduler = _with_effects(any_db_url)
    first = scheduler.schedule("test", "a", T0)
    assert scheduler.schedule("test", "a", T0 + timedelta(minutes=5)) == first  # moved
    assert scheduler.run_due(T0) == []
    assert len(scheduler.run_due(T0 + timedelta(minutes=5))) == 1
    scheduler.schedule("test", "a", T0 + timedelta(minutes=10))  # already fired: stays fired
    assert scheduler.run_due(T0 + timedelta(minutes=10)) == []
    scheduler.schedule("test", "b", T0)
    assert scheduler.cancel("test", "b") and not scheduler.cancel("test", "b")
    assert scheduler.run_due(T0 + timedelta(hours=1)) == []
    assert _effects(scheduler) == [("a", "test")]
    with pytest.raises(ValueError, match="time zone"):
        scheduler.schedule("test", "c", datetime(2027, 1, 1))
    scheduler.dispose()


def test_a_failing_handler_undoes_only_its_own_job_and_is_retried_then_given_up(any_db_url: str) -> None:
    scheduler = _with_effects(any_db_url)

    def flaky(s: Session, job: Fired) -> None:
        _effect(s, job, "flaky")  # undone with the failure
        raise RuntimeError("the handler failed")

    scheduler.register("flaky", flaky)
    scheduler.schedule("flaky", "bad", T0)
    scheduler.schedule("test", "good", T0)
    assert [j.key for j in scheduler.run_due(T0)] == ["good"]
    bad = _job(scheduler, "bad")
    assert (bad.state, bad.attempts) == ("scheduled", 1) and "the handler failed" in (bad.error or "")
    now = T0
    for _ in range(5):
        now += timedelta(minutes=5)
        scheduler.run_due(now)
    assert (_job(scheduler, "bad").state, _job(scheduler, "bad").attempts) == ("failed", 3)
    assert _effects(scheduler) == [("good", "test")]
    scheduler.dispose()


_WORKER = textwrap.dedent("""
    import sys, time
    from datetime import datetime, UTC
    from sqlalchemy import text
    from glassmate.scheduler import Scheduler

    url, who, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    scheduler = Scheduler(url, batch=int(sys.argv[4]))

    def handler(s, job):
        s.execute(text("INSERT INTO effects (key, who) VALUES (:k, :w)"), {"k": job.key, "w": who})
        if mode == "hang":  # killed in the middle of firing, its transaction open
            print("firing", flush=True)
            time.sleep(60)

    scheduler.register("test", handler)
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    deadline = time.monotonic() + 60
    while scheduler.pending() and time.monotonic() < deadline:
        scheduler.run_due()
    print("done", flush=True)
""")


def _worker(url: str, who: str, mode: str = "race", batch: int = 20) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _WORKER, url, who, mode, str(batch)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_server_killed_while_firing_a_job_at_its_time_fires_it_once_after_the_restart(any_db_url: str) -> None:
    scheduler = _with_effects(any_db_url)
    scheduler.schedule("test", "boarding", datetime.now(UTC))
    first = _worker(any_db_url, "first", mode="hang")
    assert first.stdin is not None and first.stdout is not None
    first.stdin.write("go\n")
    first.stdin.flush()
    assert first.stdout.readline().strip() == "firing"  # its effect is written, its transaction not committed
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert _job(scheduler, "boarding").state == "scheduled"  # the killed round was rolled back
    fired = scheduler.run_due()  # the restarted server
    assert [j.key for j in fired] == ["boarding"]
    assert _effects(scheduler) == [("boarding", "test")]  # once, by the restarted server
    scheduler.dispose()


def test_two_processes_racing_for_the_same_jobs_fire_each_exactly_once(any_db_url: str) -> None:
    scheduler = _with_effects(any_db_url)
    due = datetime.now(UTC) - timedelta(seconds=1)
    with scheduler.sessions() as s, s.begin():
        for i in range(400):
            add_job(s, "test", f"job{i:03d}", due)
    workers = [_worker(any_db_url, f"p{n}") for n in range(2)]
    for proc in workers:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in workers:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "done"
        proc.wait(timeout=30)
    effects = _effects(scheduler)
    assert sorted(k for k, _ in effects) == [f"job{i:03d}" for i in range(400)]  # each once, none lost
    by = {w: sum(1 for _, who in effects if who == w) for w in ("p0", "p1")}
    assert sum(by.values()) == 400
    if any_db_url.startswith("postgresql"):
        assert min(by.values()) > 0, by  # SKIP LOCKED: both took jobs at the same time
    scheduler.dispose()


def test_the_running_scheduler_wakes_for_a_job_sooner_than_it_slept_towards(tmp_path: Path) -> None:
    async def main() -> None:
        scheduler = _with_effects(f"sqlite:///{tmp_path / 'store.db'}")
        scheduler.poll_s = 30.0  # it would sleep this long without the wake-up
        done = asyncio.Event()

        async def after(jobs: list[Fired]) -> None:
            done.set()

        scheduler.register("test", lambda s, job: _effect(s, job, "test"), after=after)
        runner = asyncio.create_task(scheduler.run())
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await asyncio.to_thread(scheduler.schedule, "test", "soon", datetime.now(UTC) + timedelta(seconds=0.3))
        await asyncio.wait_for(done.wait(), timeout=10)
        assert time.monotonic() - started < 10
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        assert _effects(scheduler) == [("soon", "test")]
        scheduler.dispose()

    asyncio.run(main())
