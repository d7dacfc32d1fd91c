"""Voice latency of the realtime loop with the embedded models, as a pair of glasses sees it.

Starts `glassmate serve` in its own process, connects like glasses (the OpenAI SDK's realtime client), streams
spoken questions (made with the TTS) at real-time pace, and reports p50/p95 of the time from the end of speech
to the first text, the first audio and the HUD card, for deterministic and LLM turns; then the barge-in cancel
latency. Prints a table and writes bench/out/voice_latency.json. Run: `.venv/bin/python bench/voice_latency.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from glassmate.audio import Audio, pcm16_to_audio
from glassmate.client import GlassesClient, TurnResult
from glassmate.config import Settings
from glassmate.runtime import Models
from glassmate.testing.scenes import jpeg_bytes, render_label
from served import glassmate_server

OUT = Path(__file__).parent / "out"
DETERMINISTIC = [
    ("What time is it?", None),
    ("What's the battery level?", None),
    ("Read this.", "label"),
    ("Repeat that.", None),
] * 3
LLM = [
    "What is the capital of France?",
    "How many days are in a week?",
    "What is two plus three?",
    "Name a fruit that is yellow.",
    "What colour is the sky?",
    "Who wrote Romeo and Juliet?",
    "What is the boiling point of water?",
    "What is the largest planet?",
    "How many legs does a spider have?",
    "Say hello in German.",
]
BARGE_INS = 5


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def summarise(turns: list[TurnResult]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(turns), "routes": sorted({t.route for t in turns})}
    for name in ("speech_stopped", "first_text", "first_audio", "card_at"):
        values = [v for t in turns if (v := t.ms(name)) is not None]
        out[name] = {"p50": pct(values, 0.5), "p95": pct(values, 0.95), "n": len(values)}
    for name in ("first_text", "first_audio"):
        values = [v for t in turns if (v := t.ms(name, since="speech_stopped")) is not None]
        out[f"{name}_after_turn_detected"] = {"p50": pct(values, 0.5), "p95": pct(values, 0.95)}
    return out


async def barge_in(glasses: GlassesClient, question: Audio, stop: Audio) -> float | None:
    """Ask for a long answer; talk over it once audio plays; time speech_started → response.done (cancelled)."""
    conn = glasses.conn
    speaking = asyncio.create_task(glasses.speak(question))
    started_at = None
    interrupting: asyncio.Task[float] | None = None
    result = None
    async with asyncio.timeout(90):
        async for ev in conn:
            if ev.type == "response.output_audio.delta" and interrupting is None:
                interrupting = asyncio.create_task(glasses.speak(stop, lead_s=0.0))
            elif ev.type == "input_audio_buffer.speech_started" and interrupting is not None and started_at is None:
                started_at = time.monotonic()
            elif ev.type == "response.done" and started_at is not None:
                if ev.response.status == "cancelled":
                    result = (time.monotonic() - started_at) * 1000
                break
    await speaking
    if interrupting is not None:
        await interrupting
    # Let the interruption's own turn ("stop") finish before the next trial.
    async with asyncio.timeout(60):
        async for ev in conn:
            if ev.type == "response.done":
                break
    return None if result is None else round(result, 1)


async def run(base: str, token: str, *, quick: bool = False) -> dict[str, Any]:
    models = Models(settings=Settings())
    label = jpeg_bytes(render_label(["OAT DRINK 1L", "PRICE 2.49 EUR"], (960, 540), 56))

    async def voice(text: str) -> Audio:
        chunk = await models.tts.synthesize(text)
        return pcm16_to_audio(chunk.pcm16, chunk.sample_rate)

    deterministic: list[TurnResult] = []
    llm: list[TurnResult] = []
    async with GlassesClient(base_url=base, token=token) as glasses:
        await glasses.configure(audio={"input": {"format": {"type": "audio/pcm", "rate": 24000}}})
        await glasses.conn.send({"type": "device.state", "battery": {"level": 0.8, "charging": False}})
        for text, scene in DETERMINISTIC[:1] if quick else DETERMINISTIC:
            if scene == "label":
                await glasses.send_frame(label)
            deterministic.append(await glasses.turn(await voice(text)))
            print(f"  {deterministic[-1].route:<12} {deterministic[-1].ms('first_audio')} ms  {text}", flush=True)
        for text in LLM[:1] if quick else LLM:
            llm.append(await glasses.turn(await voice(text)))
            print(f"  {llm[-1].route:<12} {llm[-1].ms('first_audio')} ms  {text} → {llm[-1].answer[:50]}", flush=True)
        long_question = await voice("Tell me a long story about a dragon and a knight.")
        stop = await voice("Wait, stop.")
        cancels = [await barge_in(glasses, long_question, stop) for _ in range(1 if quick else BARGE_INS)]
    await models.aclose()
    return {
        "deterministic": summarise(deterministic),
        "llm": summarise(llm),
        "barge_in_cancel_ms": {"values": cancels, "p50": pct([c for c in cancels if c is not None], 0.5)},
        "misrouted": [t.transcript for t in deterministic if t.route == "ask"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=OUT / "voice_latency.json")
    parser.add_argument("--quick", action="store_true", help="one turn of each kind (a smoke test)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    with glassmate_server(credential="devices", log=OUT / "voice_latency_server.log") as served:
        report = asyncio.run(run(served.base, served.secret, quick=args.quick))
    report["machine"] = {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    args.output.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nwrote {args.output}")


def print_table(r: dict[str, Any]) -> None:
    print(f"\nglassmate voice latency ({r['machine']['cpus']} CPUs, {r['machine']['date']}), ms from end of speech")
    print(f"  {'':<24}{'turn detected':>16}{'first text':>16}{'first audio':>16}{'HUD card':>16}")
    for kind in ("deterministic", "llm"):
        s = r[kind]
        cells = [f"{s[k]['p50']} / {s[k]['p95']}" for k in ("speech_stopped", "first_text", "first_audio", "card_at")]
        print(f"  {kind + ' (n=' + str(s['n']) + ')':<24}" + "".join(f"{c:>16}" for c in cells))
    print("  (p50 / p95)")
    for kind in ("deterministic", "llm"):
        s = r[kind]
        print(f"  {kind}: after the server detected the end of the turn, first audio p50 "
              f"{s['first_audio_after_turn_detected']['p50']} ms")  # fmt: skip
    print(f"  barge-in, speech_started → response cancelled: {r['barge_in_cancel_ms']}")
    if r["misrouted"]:
        print(f"  deterministic questions the router sent to the LLM: {r['misrouted']}")


if __name__ == "__main__":
    main()
