"""Live translation: quality (chrF, sacrebleu) of the translator and latency of captions in a conversation.

Quality: 100 everyday sentences in English, German and Chinese (bench/data/phrases_en_de_zh.tsv: written for
glassmate, travel and daily-life phrases, each line one sentence in the three languages). Directions en→de,
de→en, en→zh, zh→en with the embedded Qwen (and the configured remote translator with --remote); en→zh also
without the one-shot example, to show what the prompt is worth.

Latency: `glassmate serve` in its own process; a headless pair of glasses in translation mode (wearer English,
other party German) streams a conversation at real-time pace: the wearer's lines in Piper's voice, the other
party's in espeak-ng's German, some lines two clauses with a short pause between. Per clause: end of the spoken
clause → its final source caption and → its translated caption (p50/p95); then "stop" said over a spoken
translation (speech_started → response cancelled).

Prints tables and writes bench/out/translation.json. Run: `.venv/bin/python bench/translation.py` (about 12
minutes here; `--skip-quality` or `--skip-latency` for one half).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import sacrebleu

from glassmate.audio import Audio, pcm16_to_audio
from glassmate.client import GlassesClient
from glassmate.config import Settings
from glassmate.providers.translate.llm import LLMTranslator
from glassmate.runtime import Models
from served import glassmate_server

HERE = Path(__file__).parent
OUT = HERE / "out"
DIRECTIONS = [("en", "de"), ("de", "en"), ("en", "zh"), ("zh", "en")]


def load_pairs(limit: int | None) -> list[dict[str, str]]:
    with (HERE / "data" / "phrases_en_de_zh.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return rows[:limit] if limit else rows


async def run_direction(translator: Any, rows: list[dict[str, str]], src: str, tgt: str) -> dict[str, Any]:
    hypotheses, seconds = [], []
    for row in rows:
        start = time.perf_counter()
        result = await translator.translate(row[src], source=src, target=tgt)
        seconds.append(time.perf_counter() - start)
        hypotheses.append(result.text)
    references = [row[tgt] for row in rows]
    chrf = sacrebleu.corpus_chrf(hypotheses, [references])
    return {
        "direction": f"{src}→{tgt}",
        "n": len(rows),
        "chrf": round(chrf.score, 1),
        "median_s": round(statistics.median(seconds), 2),
        "examples": [
            {"source": r[src], "reference": r[tgt], "output": h}
            for r, h in list(zip(rows, hypotheses, strict=True))[:5]
        ],
    }


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


async def conversation_latency(base: str, token: str, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Stream a conversation; time each clause's end → its source caption and its translated caption."""
    models = Models(settings=Settings())
    pause = np.zeros(int(0.35 * 16_000), np.float32)  # between two clauses: a chunk boundary, not a turn end

    async def voice(text: str, language: str) -> np.ndarray:
        """The TTS's speech without its leading and trailing silence (a clause pause must stay short)."""
        chunk = await models.tts.synthesize(text, language=language)
        samples = pcm16_to_audio(chunk.pcm16, chunk.sample_rate).resampled(16_000).samples
        loud = np.flatnonzero(np.abs(samples) > 0.02)
        return samples[loud[0] : loud[-1] + 1] if loud.size else samples

    clauses: list[dict[str, Any]] = []
    async with GlassesClient(base_url=base, token=token) as glasses:
        await glasses.configure(glassmate={"language": "en", "translation": {"enabled": True, "other_language": "de"}})
        for i, row in enumerate(rows):
            side, language = ("me", "en") if i % 2 == 0 else ("them", "de")
            texts = [row[language]]
            if i % 4 >= 2:  # every other line of each side: two clauses
                texts.append(rows[(i + 7) % len(rows)][language])
            parts = [await voice(t, language) for t in texts]
            audio = np.concatenate([parts[0], *[np.concatenate([pause, p]) for p in parts[1:]]])
            # Where each clause ends, in samples from the end of the speech (the client sends at real-time pace).
            ends, at = [], 0
            for n, part in enumerate(parts):
                at += len(part) + (len(pause) if n else 0)
                ends.append((len(audio) - at) / 16_000)
            state = {"translated": False}

            def done(ev: Any, state: dict[str, bool] = state, side: str = side) -> bool:
                if ev.type == "hud.caption" and ev.kind == "translation" and ev.final:
                    state["translated"] = True
                    return side == "them"  # the wearer's line is also spoken: wait for that to end
                return state["translated"] and ev.type == "response.done"

            speech_end, seen = await glasses.say_and_watch(Audio(audio, 16_000), done, limit_s=90)
            captions = [(t, e) for t, e in seen if e.type == "hud.caption"]
            heard = [e for _, e in captions if e.kind == "source" and e.final]
            for n, (text, from_end) in enumerate(zip(texts, ends, strict=True)):
                clause_end = speech_end - from_end
                # A clause is captioned once a caption holds as many clauses' words as are spoken up to it.
                # (or is the final one).
                source_at = next(
                    (t for t, e in captions if e.kind == "source" and (e.final or _covers(e.text, texts[: n + 1]))),
                    None,
                )
                translated_at = next(
                    (t for t, e in captions if e.kind == "translation" and (e.final or _sentences(e.text) >= n + 1)),
                    None,
                )
                clauses.append({
                    "side": side, "text": text, "clauses_in_line": len(texts),
                    "heard": heard[0].text if heard else "", "heard_side": heard[0].side if heard else None,
                    "source_ms": None if source_at is None else round((source_at - clause_end) * 1000, 1),
                    "translation_ms": None if translated_at is None else round((translated_at - clause_end) * 1000, 1),
                    "events": [(round((t - speech_end) * 1000), e.type, getattr(e, "kind", None),
                                getattr(e, "text", None)) for t, e in seen if e.type != "response.output_audio.delta"],
                })  # fmt: skip
            await _drain(glasses)  # a late event of this line must not be taken for one of the next
            last = clauses[-1]
            if os.environ.get("DEBUG_BENCH"):
                print(last["events"])
            print(f"  {side:<4} {last['source_ms']!s:>7} ms {last['translation_ms']!s:>7} ms  {' | '.join(texts)}",
                  flush=True)  # fmt: skip
        # "Stop" must stay a command to the glasses in translation mode: answered at once, never translated.
        stop = Audio(await voice("Wait, stop.", "en"), 16_000)
        stops = []
        for _ in range(3):
            stops.append(await glasses.turn(stop))
            await _drain(glasses)
    await models.aclose()
    source = [c["source_ms"] for c in clauses if c["source_ms"] is not None]
    translated = [c["translation_ms"] for c in clauses if c["translation_ms"] is not None]
    return {
        "clauses": clauses,
        "source_caption_ms": {"p50": pct(source, 0.5), "p95": pct(source, 0.95), "n": len(source)},
        "translation_caption_ms": {"p50": pct(translated, 0.5), "p95": pct(translated, 0.95), "n": len(translated)},
        "side_correct": sum(c["heard_side"] == c["side"] for c in clauses),
        "stop_in_translation_mode": {
            "routes": [t.route for t in stops],
            "done_ms": [t.ms("done") for t in stops],
            "p50": pct([v for t in stops if (v := t.ms("done")) is not None], 0.5),
        },
    }


async def _drain(glasses: GlassesClient, quiet_s: float = 1.5) -> None:
    """Read events until none has come for `quiet_s`."""
    while True:
        try:
            async with asyncio.timeout(quiet_s):
                await glasses.conn.recv()
        except TimeoutError:
            return


def _sentences(text: str) -> int:
    return max(1, len(re.findall(r"[.!?。？！](\s|$)", text.strip())))


def _covers(caption: str, spoken: list[str]) -> bool:
    """Whether a caption holds (roughly) as many words as the clauses spoken so far."""
    wanted = sum(len(t.split()) for t in spoken)
    return len(caption.split()) >= 0.75 * wanted


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    rows = load_pairs(args.limit)
    report: dict[str, Any] = {"embedded": [], "remote": []}
    if not args.skip_latency:
        with glassmate_server(credential="devices", log=OUT / "translation_server.log") as served:
            report["latency"] = await conversation_latency(served.base, served.secret, rows[: args.lines])
    if args.skip_quality:
        return report
    models = Models(settings=settings)
    embedded = LLMTranslator(llm=models.llm)
    for src, tgt in DIRECTIONS:
        report["embedded"].append(await run_direction(embedded, rows, src, tgt))
        print(f"  embedded {src}→{tgt}: chrF {report['embedded'][-1]['chrf']}", flush=True)
    zero = await run_direction(LLMTranslator(llm=models.llm, one_shot=False), rows, "en", "zh")
    zero["direction"] += " (no example)"
    report["embedded"].append(zero)
    print(f"  embedded en→zh without the example: chrF {zero['chrf']}", flush=True)
    if args.remote:
        for src, tgt in DIRECTIONS:
            report["remote"].append(await run_direction(models.translator, rows, src, tgt))
    await models.aclose()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="only the first N sentences (a smoke test)")
    parser.add_argument("--remote", action="store_true", help="also the configured remote translator")
    parser.add_argument("--output", type=Path, default=OUT / "translation.json")
    parser.add_argument("--lines", type=int, default=24, help="conversation lines for the latency part")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    report = asyncio.run(main_async(args))
    report["machine"] = {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nglassmate translation ({report['machine']['cpus']} CPUs, {report['machine']['date']})")
    for kind in ("embedded", "remote"):
        for r in report[kind]:
            print(f"  {kind:<9}{r['direction']:<22} chrF {r['chrf']:>5}   median {r['median_s']} s / sentence")
    if "latency" in report:
        lat = report["latency"]
        src, tr = lat["source_caption_ms"], lat["translation_caption_ms"]
        print(f"\n  end of clause → source caption      p50 {src['p50']} ms  p95 {src['p95']} ms  (n={src['n']})")
        print(f"  end of clause → translated caption  p50 {tr['p50']} ms  p95 {tr['p95']} ms  (n={tr['n']})")
        print(f"  lines captioned on the right side: {lat['side_correct']} / {len(lat['clauses'])} clauses")
        stop = lat["stop_in_translation_mode"]
        print(f"  'wait, stop' in translation mode: routes {stop['routes']}, end of speech → done p50 {stop['p50']} ms")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
