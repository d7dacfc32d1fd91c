"""Translation quality (chrF, sacrebleu) and speed of the translator, on 100 everyday sentences in English,
German and Chinese (bench/data/phrases_en_de_zh.tsv: written for glassmate, travel and daily-life phrases, each
line one sentence in the three languages).

Directions en→de, de→en, en→zh, zh→en with the embedded Qwen (and the configured remote translator with
--remote); en→zh also without the one-shot example, to show what the prompt is worth. Prints a table and writes
bench/out/translation.json. Run: `.venv/bin/python bench/translation.py` (about 10 minutes here).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import sacrebleu

from glassmate.config import Settings
from glassmate.providers.translate.llm import LLMTranslator
from glassmate.runtime import Models

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


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    models = Models(settings=settings)
    rows = load_pairs(args.limit)
    report: dict[str, Any] = {"embedded": [], "remote": []}
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
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    report = asyncio.run(main_async(args))
    report["machine"] = {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nglassmate translation ({report['machine']['cpus']} CPUs, {report['machine']['date']})")
    for kind in ("embedded", "remote"):
        for r in report[kind]:
            print(f"  {kind:<9}{r['direction']:<22} chrF {r['chrf']:>5}   median {r['median_s']} s / sentence")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
