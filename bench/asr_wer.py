"""Word error rate and speed of the embedded ASR on real recorded English speech.

The speech is Debian's Asterisk prompts (glassmate/testing/corpus.py): ~350 sentences and phrases recorded by a
person, 16 kHz, with their transcripts; `scripts/setup.sh --test` downloads them. Each clip is transcribed the way
a realtime turn is (FasterWhisperASR, greedy, the encoder window trimmed to the clip) by:
- Whisper base, told the language is English (what an English wearer's turns used before tiny.en);
- Whisper base, detecting the language among zh/en/de (a session whose language is "auto");
- Whisper tiny.en (what an English wearer's turns use now).
WER is over words lower-cased, digits spelled out and punctuation dropped (corpus.normalize), the same for all.
Prints a table and writes bench/out/asr_wer.json. Run: `.venv/bin/python bench/asr_wer.py [--limit N]`;
`--tiny-windows 10,6` adds tiny.en runs with shorter encoder windows (`asr.min_window_s`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from glassmate.audio import Audio
from glassmate.config import ASRSettings, Settings
from glassmate.providers.asr.base import TranscribeOptions
from glassmate.providers.asr.faster_whisper import FasterWhisperASR
from glassmate.testing.corpus import RATE, Recording, asterisk_english, normalize, word_errors
from glassmate.weights.store import WeightStore

OUT = Path(__file__).parent / "out"


async def run(label: str, asr: FasterWhisperASR, options: TranscribeOptions, clips: list[Recording]) -> dict[str, Any]:
    await asr.load()
    await asr.transcribe(Audio(clips[0].samples, RATE), options)  # warm-up
    errors = {"all": 0, "short": 0}
    words = {"all": 0, "short": 0}
    times, worst = [], []
    for clip in clips:
        start = time.perf_counter()
        heard = await asr.transcribe(Audio(clip.samples, RATE), options)
        times.append(time.perf_counter() - start)
        reference = normalize(clip.text)
        wrong = word_errors(reference, normalize(heard.text))
        for part in ("all", "short") if len(reference) <= 8 else ("all",):
            errors[part] += wrong
            words[part] += len(reference)
        if wrong:
            worst.append((wrong, clip.name, clip.text, heard.text))
    audio_s = sum(c.seconds for c in clips)
    worst.sort(reverse=True)
    return {
        "model": label,
        "wer_pct": round(100 * errors["all"] / words["all"], 2),
        "wer_short_pct": round(100 * errors["short"] / max(1, words["short"]), 2),
        "words": words["all"],
        "short_words": words["short"],
        "p50_ms": round(statistics.median(times) * 1000),
        "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))] * 1000),
        "rtf": round(sum(times) / audio_s, 3),
        "worst": [{"errors": w, "name": n, "said": s, "heard": h} for w, n, s, h in worst[:15]],
    }


async def main_async(limit: int | None, tiny_windows: list[float]) -> dict[str, Any]:
    clips = asterisk_english()
    if limit:
        clips = clips[:: max(1, len(clips) // limit)][:limit]
    settings = ASRSettings()
    store = WeightStore(models_dir=Settings().models_dir)
    base_dir, tiny_dir = store.folder("asr"), store.folder("asr_en")
    runs = [
        (
            "base, told English",
            FasterWhisperASR(model_dir=base_dir, settings=settings),
            TranscribeOptions(language="en"),
        ),
        (
            "base, detecting zh/en/de",
            FasterWhisperASR(model_dir=base_dir, settings=settings),
            TranscribeOptions(candidates=("zh", "en", "de")),
        ),
        (
            "tiny.en",
            FasterWhisperASR(model_dir=base_dir, settings=settings, english_dir=tiny_dir),
            TranscribeOptions(language="en"),
        ),
        (  # what a realtime turn asks for: one decoding, no temperature fallback
            "tiny.en, decoded once (a spoken turn)",
            FasterWhisperASR(model_dir=base_dir, settings=settings, english_dir=tiny_dir),
            TranscribeOptions(language="en", fallback=False),
        ),
    ]
    for window in tiny_windows:  # shorter encoder windows for tiny.en (the default is asr.min_window_s)
        windowed = settings.model_copy(update={"min_window_s": window})
        asr = FasterWhisperASR(model_dir=base_dir, settings=windowed, english_dir=tiny_dir)
        runs.append((f"tiny.en, {window:g} s window", asr, TranscribeOptions(language="en")))
    results = []
    for label, asr, options in runs:
        results.append(await run(label, asr, options, clips))
        await asr.aclose()
    return {
        "machine": f"{platform.machine()}, {settings.cpu_threads} threads, no GPU",
        "clips": len(clips),
        "audio_min": round(sum(c.seconds for c in clips) / 60, 1),
        "mean_clip_s": round(statistics.mean(c.seconds for c in clips), 2),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="use this many clips, spread over the corpus")
    parser.add_argument("--output", type=Path, default=OUT / "asr_wer.json")
    parser.add_argument("--tiny-windows", default="", help="also tiny.en with these encoder windows, e.g. 10,6")
    args = parser.parse_args()
    windows = [float(w) for w in args.tiny_windows.split(",") if w.strip()]
    report = asyncio.run(main_async(args.limit, windows))
    print(f"{report['clips']} clips, {report['audio_min']} min of real speech (mean {report['mean_clip_s']} s)")
    print(f"{'model':<26} {'WER %':>6} {'≤8 words':>9} {'p50 ms':>7} {'p95 ms':>7} {'RTF':>6}")
    for r in report["results"]:
        figures = f"{r['wer_pct']:>6} {r['wer_short_pct']:>9} {r['p50_ms']:>7} {r['p95_ms']:>7} {r['rtf']:>6}"
        print(f"{r['model']:<26} {figures}")
    OUT.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
