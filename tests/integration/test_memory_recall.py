"""Recall by meaning with the real multilingual sentence encoder: memories made in one of Chinese, English and
German are found by questions in another, among distractors (tests/data/memory/recall.json: 60 memories, 46
questions). bench/memory.py reports the figures; this test holds the floor under them."""

from __future__ import annotations

from pathlib import Path

from glassmate.config import MemorySettings
from glassmate.memory.service import Memories
from glassmate.runtime import Models
from glassmate.store.db import Database
from glassmate.testing.recall import load, run_set

DATA = Path(__file__).parents[1] / "data" / "memory" / "recall.json"


async def test_memories_are_recalled_across_languages(models: Models, tmp_path: Path) -> None:
    memories = Memories(db=Database(url=f"sqlite:///{tmp_path}/m.db"), embedder=models.embedder,
                        settings=MemorySettings())  # fmt: skip
    report = await run_set(memories, load(DATA))
    assert report.questions == 46
    # Measured 80.4 % @1 and 95.7 % @3 (bench/RESULTS.md); each language pair answers most of its questions.
    assert report.recall_at_1 >= 0.75 and report.recall_at_3 >= 0.9, report.misses
    assert all(report.right_by_pair[p] >= n / 2 for p, n in report.by_pair.items()), report.by_pair


async def test_the_parking_example_in_three_languages(models: Models, tmp_path: Path) -> None:
    memories = Memories(db=Database(url=f"sqlite:///{tmp_path}/m.db"), embedder=models.embedder,
                        settings=MemorySettings())  # fmt: skip
    parked = await memories.remember("device:g", "I parked on level three")
    for distractor in ("My locker is number 118", "Der Zahnarzttermin ist am Donnerstag", "我姐姐的生日是五月四日"):
        await memories.remember("device:g", distractor)
    for question in ("Where did I park?", "我把车停在哪里了", "Wo habe ich geparkt?"):
        found = await memories.recall("device:g", question, limit=1)
        assert [r.memory.id for r in found] == [parked.id], question
