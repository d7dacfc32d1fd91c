"""The memory recall set (tests/data/memory/recall.json) run through a Memories store: each question's answer
among all the set's memories, recall@1 and @3, per pair of languages (the memory's → the question's). Used by the
integration test and bench/memory.py."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glassmate.memory.service import Memories

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@dataclass
class RecallReport:
    questions: int = 0
    at1: int = 0
    at3: int = 0
    by_pair: Counter[str] = field(default_factory=Counter)  # "en→zh": questions
    right_by_pair: Counter[str] = field(default_factory=Counter)
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recall_at_1(self) -> float:
        return self.at1 / self.questions if self.questions else 0.0

    @property
    def recall_at_3(self) -> float:
        return self.at3 / self.questions if self.questions else 0.0


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


async def run_set(memories: Memories, data: dict[str, Any], *, owner: str = "device:eval") -> RecallReport:
    """Make the set's memories (at their days ago), ask every question, and score the answers."""
    made: dict[str, str] = {}  # memory id in the store -> id in the set
    languages = {m["id"]: m["language"] for m in data["memories"]}
    for m in data["memories"]:
        kept = await memories.remember(owner, m["text"], language=m["language"],
                                       now=NOW - dt.timedelta(days=m["days_ago"], minutes=len(made)))  # fmt: skip
        made[kept.id] = m["id"]
    report = RecallReport()
    for q in data["questions"]:
        found = [made[r.memory.id] for r in await memories.recall(owner, q["text"], limit=3)]
        pair = f"{languages[q['expect']]}→{q['language']}"
        report.questions += 1
        report.by_pair[pair] += 1
        if found[:1] == [q["expect"]]:
            report.at1 += 1
            report.right_by_pair[pair] += 1
        else:
            report.misses.append({"question": q["text"], "expect": q["expect"], "got": found})
        report.at3 += q["expect"] in found
    return report
