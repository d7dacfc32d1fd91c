"""Memory: recall by meaning across Chinese, English and German on the set of tests/data/memory/recall.json (60
memories, 46 questions, each asked in another language than its memory, with distractors); the embedding model's
speed and memory; and recall's latency as a wearer's memories grow (1,000 and 10,000 kept in SQLite, end to end
through Memories.recall: the store's change check, the cached matrix, embedding the question, the search, the
rows), plus the bare matrix search at 100,000 and 1,000,000 vectors, to say where brute force stops being fine.

Prints a table and writes bench/out/memory.json. Run: `.venv/bin/python bench/memory.py` (~1 minute, 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.config import Settings
from glassmate.memory.index import VectorIndex
from glassmate.memory.service import Memories
from glassmate.providers.embed.base import Embedder
from glassmate.runtime import Models
from glassmate.store.db import Database
from glassmate.store.memory import MemoryRow
from glassmate.testing.recall import load, run_set

DATA = Path(__file__).parents[1] / "tests" / "data" / "memory" / "recall.json"
OUT = Path(__file__).parent / "out"


def rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered) * 1000, 2),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2)}  # fmt: skip


async def embedding_speed(embedder: Embedder, texts: list[str]) -> dict[str, Any]:
    before = rss_mb()
    started = time.perf_counter()
    await embedder.embed(["warm up"])
    load_s = time.perf_counter() - started
    single = []
    for text in texts:
        t = time.perf_counter()
        await embedder.embed([text])
        single.append(time.perf_counter() - t)
    batch = (texts * 2)[:64]
    t = time.perf_counter()
    await embedder.embed(batch)
    per_in_batch = (time.perf_counter() - t) / len(batch)
    return {"load_s": round(load_s, 2), "one_sentence_ms": ms(single),
            "in_batch_of_64_ms": round(per_in_batch * 1000, 2), "model_rss_mb": round(rss_mb() - before, 1),
            "bytes_per_memory_vector": embedder.dimensions * 4}  # fmt: skip


async def recall_latency(embedder: Embedder, count: int, questions: list[str], texts: list[str]) -> dict[str, Any]:
    """`count` memories of one owner in a fresh SQLite store (their vectors from the real model), then recall."""
    with tempfile.TemporaryDirectory() as home:
        db = Database(url=f"sqlite:///{home}/memory.db")
        memories = Memories(db=db, embedder=embedder, settings=Settings().memory)
        rng = random.Random(count)
        made = [f"{rng.choice(texts)} (#{i})" for i in range(count)]
        vectors = await embedder.embed(made)
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        with db.session() as s, s.begin():
            s.add_all(MemoryRow(id=f"mem_{i:08d}", owner="device:bench", text=text, language="en",
                                vector=vectors[i].tobytes(), embedder=embedder.name, place="", in_view={},
                                created_at=start + dt.timedelta(minutes=i)) for i, text in enumerate(made))  # fmt: skip
        t = time.perf_counter()
        await memories.recall("device:bench", questions[0])
        first = time.perf_counter() - t
        samples = []
        for question in questions * 2:
            t = time.perf_counter()
            await memories.recall("device:bench", question)
            samples.append(time.perf_counter() - t)
        db.dispose()
    return {"memories": count, "first_recall_ms": round(first * 1000, 1), "recall_ms": ms(samples)}


def search_only(count: int, dims: int) -> dict[str, Any]:
    rng = np.random.default_rng(count)
    vectors = rng.standard_normal((count, dims), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(tuple(str(i) for i in range(count)), vectors, np.arange(count, dtype=np.float64))
    samples = []
    for _ in range(20):
        query = vectors[rng.integers(count)]
        t = time.perf_counter()
        index.search(query, limit=8, min_similarity=0.3, newer_within=0.04)
        samples.append(time.perf_counter() - t)
    return {"vectors": count, "matrix_mb": round(vectors.nbytes / 1e6), "search_ms": ms(samples)}


async def run() -> dict[str, Any]:
    data = load(DATA)
    models = Models(settings=Settings())
    embedder = models.embedder
    texts = [m["text"] for m in data["memories"]]
    questions = [q["text"] for q in data["questions"]]
    speed = await embedding_speed(embedder, texts)
    with tempfile.TemporaryDirectory() as home:
        memories = Memories(db=Database(url=f"sqlite:///{home}/m.db"), embedder=embedder, settings=Settings().memory)
        report = await run_set(memories, data)
    latency = [await recall_latency(embedder, n, questions, texts) for n in (1_000, 10_000)]
    brute = [search_only(n, embedder.dimensions) for n in (100_000, 1_000_000)]
    return {
        "machine": "2 cores, no GPU",
        "recall": {
            "memories": len(data["memories"]),
            "questions": report.questions,
            "recall_at_1": round(report.recall_at_1, 3),
            "recall_at_3": round(report.recall_at_3, 3),
            "by_pair": {p: f"{report.right_by_pair[p]}/{n}" for p, n in sorted(report.by_pair.items())},
            "misses": report.misses,
        },
        "embedding": speed,
        "recall_latency": latency,
        "search_only": brute,
        "peak_rss_mb": round(rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=OUT / "memory.json")
    args = parser.parse_args()
    result = asyncio.run(run())
    r = result["recall"]
    print(f"recall@1 {r['recall_at_1']:.1%}  recall@3 {r['recall_at_3']:.1%}  ({r['questions']} questions, "
          f"{r['memories']} memories)")  # fmt: skip
    print("  by language pair (memory→question): " + ", ".join(f"{p} {v}" for p, v in r["by_pair"].items()))
    for miss in r["misses"]:
        print(f"  miss: {miss['question']!r} wanted {miss['expect']}, got {miss['got']}")
    e = result["embedding"]
    print(f"embedding: load {e['load_s']} s, one sentence p50 {e['one_sentence_ms']['p50']} ms "
          f"(p95 {e['one_sentence_ms']['p95']}), {e['in_batch_of_64_ms']} ms each in a batch of 64, "
          f"model +{e['model_rss_mb']} MB RSS, {e['bytes_per_memory_vector']} B per memory")  # fmt: skip
    print(f"{'memories':>10} {'first recall ms':>16} {'recall p50 ms':>14} {'p95 ms':>8}")
    for row in result["recall_latency"]:
        print(f"{row['memories']:>10,} {row['first_recall_ms']:>16} {row['recall_ms']['p50']:>14} "
              f"{row['recall_ms']['p95']:>8}")  # fmt: skip
    for row in result["search_only"]:
        print(f"search only, {row['vectors']:,} vectors ({row['matrix_mb']} MB): p50 {row['search_ms']['p50']} ms")
    print(f"peak RSS {result['peak_rss_mb']} MB")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
