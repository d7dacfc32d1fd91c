"""Load on the OpenAI-compatible REST API with the embedded models: concurrent clients, latency, throughput,
what a full queue answers, the health check's latency meanwhile, and the server's memory.

Starts `glassmate serve` in its own process. For 1, 4 and 16 concurrent clients it runs each scenario (short chat,
streamed chat's time to first token, transcription of a 5 s clip, speech of one sentence) and reports requests/s,
p50/p95 latency of the successful requests and how many were refused (503: model queue full). Prints a table and
writes bench/out/api.json. Run: `.venv/bin/python bench/api.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from glassmate.audio import Audio, pcm16_to_audio
from glassmate.config import Settings
from glassmate.runtime import Models
from served import glassmate_server

OUT = Path(__file__).parent / "out"
CONCURRENCY = (1, 4, 16)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


async def scenario(
    client: httpx.AsyncClient, name: str, concurrency: int, total: int, clip: bytes, llm: str
) -> dict[str, Any]:
    async def one() -> tuple[int, float]:
        start = time.perf_counter()
        if name == "chat":
            r = await client.post("/v1/chat/completions", json={
                "model": llm, "max_tokens": 32, "temperature": 0,
                "messages": [{"role": "user", "content": "What is 2+3? Answer briefly."}]})  # fmt: skip
            return r.status_code, time.perf_counter() - start
        if name == "chat_stream_ttft":
            body = {"model": llm, "max_tokens": 32, "stream": True,
                    "messages": [{"role": "user", "content": "Name three colours."}]}  # fmt: skip
            async with client.stream("POST", "/v1/chat/completions", json=body) as r:
                first = None
                async for line in r.aiter_lines():
                    if first is None and '"content": "' in line and '"content": ""' not in line:
                        first = time.perf_counter() - start
                return r.status_code, first if first is not None else time.perf_counter() - start
        if name == "transcribe_5s":
            r = await client.post("/v1/audio/transcriptions", data={"model": "whisper-1", "language": "en"},
                                  files={"file": ("clip.wav", clip, "audio/wav")})  # fmt: skip
            return r.status_code, time.perf_counter() - start
        sentence = "Your train leaves from platform seven at nine forty."
        body = {"model": "tts-1", "voice": "alloy", "response_format": "wav", "input": sentence}
        r = await client.post("/v1/audio/speech", json=body)
        return r.status_code, time.perf_counter() - start

    queue = list(range(total))
    results: list[tuple[int, float]] = []

    async def worker() -> None:
        while queue:
            queue.pop()
            start = time.perf_counter()
            try:
                results.append(await one())
            except httpx.TransportError:  # a dropped connection counts as an error, not a crash of the benchmark
                results.append((0, time.perf_counter() - start))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    ok = [t * 1000 for status, t in results if status == 200]
    return {
        "concurrency": concurrency,
        "requests": total,
        "ok": len(ok),
        "refused_503": sum(1 for s, _ in results if s == 503),
        "other_errors": sum(1 for s, _ in results if s not in (200, 503)),
        "ok_per_s": round(len(ok) / wall, 2),
        "p50_ms": pct(ok, 0.5),
        "p95_ms": pct(ok, 0.95),
    }


async def health_poller(base: str, stop: asyncio.Event, samples: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        while not stop.is_set():
            start = time.perf_counter()
            await client.get("/healthz")
            samples.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.1)


def rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def run(base: str, key: str, pid: int, quick: bool) -> dict[str, Any]:
    models = Models(settings=Settings())
    speech = await models.tts.synthesize(
        "Good morning. Your train to Tampere leaves from platform seven at nine forty, so leave in twenty minutes."
    )
    audio = pcm16_to_audio(speech.pcm16, speech.sample_rate).resampled(16_000)
    clip_samples = np.zeros(16_000 * 5, np.float32)
    clip_samples[: min(len(audio.samples), len(clip_samples))] = audio.samples[: len(clip_samples)]
    clip = Audio(clip_samples, 16_000).to_wav()
    await models.aclose()
    headers = {"authorization": f"Bearer {key}"}
    report: dict[str, Any] = {"scenarios": {}}
    health: list[float] = []
    stop = asyncio.Event()
    poller = asyncio.create_task(health_poller(base, stop, health))
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as client:
        llm = (await client.get("/v1/models")).json()["data"][1]["id"]
        for name in ("chat", "chat_stream_ttft", "transcribe_5s", "speech_sentence"):
            rows = []
            for c in CONCURRENCY[:1] if quick else CONCURRENCY:
                rows.append(await scenario(client, name, c, max(4, 2 * c), clip, llm))
                print(f"  {name:<18} c={c:<3} {rows[-1]}", flush=True)
            report["scenarios"][name] = rows
    stop.set()
    await poller
    rss, peak = rss_mb(pid)
    report["health_ms"] = {"p50": pct(health, 0.5), "p95": pct(health, 0.95), "n": len(health)}
    report["server_rss_mb"] = {"now": round(rss), "peak": round(peak)}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=OUT / "api.json")
    parser.add_argument("--quick", action="store_true", help="one client per scenario (a smoke test)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    # A generous per-key rate limit: this measures the models and the queues, not the limiter.
    lifted = {"GLASSMATE_SERVER__RATE_PER_MINUTE": "100000", "GLASSMATE_SERVER__RATE_BURST": "1000"}
    with glassmate_server(credential="keys", env=lifted) as served:
        report = asyncio.run(run(served.base, served.secret, served.pid, args.quick))
    report["machine"] = {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    args.output.write_text(json.dumps(report, indent=2))
    print(f"\nglassmate REST API under load ({report['machine']['cpus']} CPUs, {report['machine']['date']})")
    print(f"  {'scenario':<18}{'clients':>8}{'ok/s':>8}{'p50 ms':>10}{'p95 ms':>10}{'503':>6}{'errors':>8}")
    for name, rows in report["scenarios"].items():
        for r in rows:
            print(f"  {name:<18}{r['concurrency']:>8}{r['ok_per_s']:>8}{r['p50_ms']!s:>10}{r['p95_ms']!s:>10}"
                  f"{r['refused_503']:>6}{r['other_errors']:>8}")  # fmt: skip
    print(f"  health check while loaded: p50 {report['health_ms']['p50']} ms, p95 {report['health_ms']['p95']} ms")
    print(f"  server RSS: {report['server_rss_mb']['now']} MB now, {report['server_rss_mb']['peak']} MB peak")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
