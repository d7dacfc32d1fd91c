"""Benchmark of the embedded models on this machine: load time, memory, speed.

Run with `make bench` (or `.venv/bin/python bench/models.py`). Prints a table and writes bench/out/models.json.
Targets (issue 2): LLM >= 25 tok/s and first token <= 300 ms for a short turn with a cached system prompt;
ASR real-time factor <= 0.2; all models together <= 2.5 GB RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.agent.prompt import SYSTEM_PROMPT
from glassmate.audio import pcm16_to_audio
from glassmate.config import ASRSettings, Settings
from glassmate.providers.asr.faster_whisper import FasterWhisperASR
from glassmate.providers.llm.base import ChatMessage, GenerationOptions
from glassmate.providers.llm.llama_cpp import LlamaCppLLM
from glassmate.runtime import Models

OUT = Path(__file__).parent / "out"
RUNS = 5  # repeats per LLM figure; the median is reported (this machine varies by up to 1.5x run to run)
SPEECH = (
    "Good morning. Your train to Tampere leaves from platform seven at nine forty. "
    "The walk to the station takes about twelve minutes, so you should leave in twenty minutes. "
    "It is cloudy and four degrees outside, and rain is expected after lunch."
)
FILLER = (
    "The label on the shelf lists oat drink, water, oats, rapeseed oil, calcium carbonate, salt, vitamins D2 "
    "and B12, riboflavin. It says one litre, best before the twelfth of March, keep refrigerated after opening. "
)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def bench_load(models: Models) -> dict[str, dict[str, float]]:
    """Load each model in turn; RSS growth is per model in this process (shared libraries count once)."""
    out: dict[str, dict[str, float]] = {}
    loaders = {
        "llm": lambda: models.llm.load(),  # type: ignore[attr-defined]
        "asr": lambda: models.asr.load(),  # type: ignore[attr-defined]
        "tts": lambda: models.tts.piper.load(),  # type: ignore[attr-defined]
        "ocr": lambda: models.ocr.load(),  # type: ignore[attr-defined]
        "vad": lambda: asyncio.to_thread(models.vad._engine),
    }
    for name, load in loaders.items():
        before = rss_mb()
        seconds = await timed(load)
        out[name] = {"load_s": round(seconds, 3), "rss_growth_mb": round(rss_mb() - before, 1)}
    return out


async def llm_turn(llm: LlamaCppLLM, messages: list[ChatMessage], max_tokens: int) -> dict[str, float]:
    start = time.perf_counter()
    first = None
    tokens = 0
    async for _ in llm.stream(messages, options=GenerationOptions(temperature=0.0, max_tokens=max_tokens)):
        if first is None:
            first = time.perf_counter() - start
        tokens += 1
    total = time.perf_counter() - start
    assert first is not None
    return {
        "ttft_ms": round(first * 1000, 1),
        "tokens": tokens,
        "tok_per_s": round((tokens - 1) / (total - first), 1) if tokens > 1 else 0.0,
    }


def median_turn(turns: list[dict[str, float]]) -> dict[str, float]:
    """Median of each figure over repeated runs (this machine's speed varies from run to run)."""
    return {key: round(statistics.median(t[key] for t in turns), 1) for key in turns[0]}


async def bench_llm(llm: LlamaCppLLM) -> dict[str, Any]:
    engine = llm._engine()
    user_short = (
        "My train to Tampere leaves at nine forty from platform seven and I am still at the hotel with my bags. "
        "What should I do now? Answer in two sentences."
    )
    user_long = FILLER * 7 + "What does this product contain? Answer in two sentences."
    results: dict[str, Any] = {
        "system_prompt_tokens": len(engine.tokenize(SYSTEM_PROMPT.encode())),
        "short_user_tokens": len(engine.tokenize(user_short.encode())),
        "long_user_tokens": len(engine.tokenize(user_long.encode())),
    }
    hello = [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", "Hello.")]
    for label, user in (("short", user_short), ("long", user_long)):
        messages = [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", user)]
        cold, cached = [], []
        for _ in range(RUNS):
            llm.reset_cache()
            cold.append(await llm_turn(llm, messages, 64))
            # Warm the cache with the same system prompt and another question, as an earlier turn would.
            llm.reset_cache()
            await llm_turn(llm, hello, 4)
            cached.append(await llm_turn(llm, messages, 64))
        results[f"{label}_cold"] = median_turn(cold)
        results[f"{label}_cached_system"] = median_turn(cached)
    # Short spoken answers end after ~10 tokens, too few to time decoding: count to force 64 tokens.
    count = [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", "Count from one to fifty in words.")]
    results["decode_64_tokens"] = median_turn([await llm_turn(llm, count, 64) for _ in range(RUNS)])
    return results


async def bench_asr(model_dir: Path, clip: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {"clip_s": round(len(clip) / 16_000, 2)}
    audio = pcm16_to_audio((clip * 32767).astype("<i2").tobytes(), 16_000)
    for threads in (1, 2):
        asr = FasterWhisperASR(model_dir=model_dir, settings=ASRSettings(cpu_threads=threads))
        await asr.load()
        await asr.transcribe(audio)  # warm-up
        runs = [await timed(lambda asr=asr: asr.transcribe(audio)) for _ in range(3)]
        out[f"rtf_{threads}_threads"] = round(statistics.median(runs) / out["clip_s"], 3)
        await asr.aclose()
    return out


async def bench_tts(models: Models) -> dict[str, Any]:
    await models.tts.synthesize("Warm up.")
    start = time.perf_counter()
    first = None
    audio_s = 0.0
    async for chunk in models.tts.stream(SPEECH):
        if first is None:
            first = time.perf_counter() - start
        audio_s += chunk.duration_s
    total = time.perf_counter() - start
    start = time.perf_counter()
    espeak = await models.tts.synthesize("Guten Tag, wie geht es Ihnen?", language="de")
    espeak_s = time.perf_counter() - start
    return {
        "piper_rtf": round(total / audio_s, 3),
        "piper_first_audio_ms": round((first or 0) * 1000, 1),
        "audio_s": round(audio_s, 2),
        "espeak_de_rtf": round(espeak_s / espeak.duration_s, 3),
    }


def label_image() -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (640, 360), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    for i, line in enumerate(["OAT DRINK 1L", "Organic, unsweetened", "PRICE 2.49 EUR", "1 L = 2.49 EUR"]):
        draw.text((30, 30 + i * 80), line, fill="black", font=font)
    return np.asarray(image)


def qr_frame() -> np.ndarray:
    import segno
    from PIL import Image

    qr = segno.make("https://pay.example/merchant/42?amount=3.50", error="m")
    path = OUT / "qr.png"
    qr.save(str(path), scale=5, border=4)
    rng = np.random.default_rng(0)
    frame = Image.fromarray(rng.integers(60, 200, (720, 1280, 3), dtype=np.uint8))
    frame.paste(Image.open(path).convert("RGB"), (700, 300))
    return np.asarray(frame)


async def median_ms(fn: Callable[[], Awaitable[Any]], runs: int) -> float:
    await fn()
    return round(statistics.median([await timed(fn) for _ in range(runs)]) * 1000, 1)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=OUT / "models.json")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    settings = Settings()
    models = Models(settings=settings)
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d"),
        },
        "llm_threads": settings.llm.n_threads,
    }
    report["load"] = await bench_load(models)
    report["rss_all_loaded_mb"] = round(rss_mb(), 1)

    speech = await models.tts.synthesize(SPEECH)
    clip = pcm16_to_audio(speech.pcm16, speech.sample_rate).resampled(16_000).samples
    report["asr"] = await bench_asr(settings.asr.model_dir or models.store.folder("asr"), clip)
    report["llm"] = await bench_llm(models.llm)  # type: ignore[arg-type]
    report["tts"] = await bench_tts(models)

    label = label_image()
    report["ocr_label_640x360_ms"] = await median_ms(lambda: models.ocr.read(label), 5)
    frame = qr_frame()
    report["qr_1280x720_ms"] = await median_ms(lambda: models.codes.scan(frame, ["QRCode"]), 10)
    report["all_formats_1280x720_ms"] = await median_ms(
        lambda: models.codes.scan(frame, ["QRCode", "EAN13", "EAN8", "UPCA", "UPCE", "DataMatrix", "Code128",
                                          "Code39", "ITF", "PDF417", "Aztec"]),
        10,
    )  # fmt: skip
    stream = models.vad.stream()
    window = clip[:512]
    start = time.perf_counter()
    for _ in range(300):
        stream.feed(window)
    report["vad_ms_per_32ms_window"] = round((time.perf_counter() - start) / 300 * 1000, 3)
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    await models.aclose()

    args.output.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nwrote {args.output}")


def print_table(r: dict[str, Any]) -> None:
    llm = r["llm"]
    rows = [
        *[(f"load {k}", f"{v['load_s']:.2f} s, +{v['rss_growth_mb']:.0f} MB RSS") for k, v in r["load"].items()],
        ("RSS, all models loaded", f"{r['rss_all_loaded_mb']:.0f} MB"),
        ("peak RSS (whole benchmark)", f"{r['peak_rss_mb']:.0f} MB (target <= 2500)"),
        ("ASR RTF, 1 thread", f"{r['asr']['rtf_1_threads']} on a {r['asr']['clip_s']} s clip"),
        ("ASR RTF, 2 threads", f"{r['asr']['rtf_2_threads']} (target <= 0.2)"),
    ]
    for label, tokens in (("short", llm["short_user_tokens"]), ("long", llm["long_user_tokens"])):
        for mode in ("cold", "cached_system"):
            x = llm[f"{label}_{mode}"]
            rows.append(
                (
                    f"LLM {tokens}-token turn, {mode.replace('_', ' ')}",
                    f"first token {x['ttft_ms']:.0f} ms ({x['tokens']}-token answer)",
                )
            )
    rows.append(("LLM decoding, 64 tokens", f"{llm['decode_64_tokens']['tok_per_s']} tok/s (target >= 25)"))
    rows += [
        ("TTS Piper RTF / first audio", f"{r['tts']['piper_rtf']} / {r['tts']['piper_first_audio_ms']:.0f} ms"),
        ("TTS espeak-ng (de) RTF", f"{r['tts']['espeak_de_rtf']}"),
        ("OCR 640x360 label", f"{r['ocr_label_640x360_ms']} ms"),
        ("QR only, 1280x720", f"{r['qr_1280x720_ms']} ms"),
        ("11 formats, 1280x720", f"{r['all_formats_1280x720_ms']} ms"),
        ("VAD per 32 ms window", f"{r['vad_ms_per_32ms_window']} ms"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\nglassmate models benchmark ({r['machine']['cpus']} CPUs, {r['machine']['date']})")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


if __name__ == "__main__":
    asyncio.run(main())
