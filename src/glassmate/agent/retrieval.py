"""Tool retrieval: which tools a turn is about, by meaning, in any language.

Each tool is known by examples: sentences sampled from its intents in every language, and its description. They are
embedded once (a multilingual sentence encoder), and a turn's words are compared with them; only the tools whose
best example is close enough are offered to the LLM. A small model shown every tool calls one for almost any
question ("What is 2+3?" read the camera); shown none, it answers; shown the one or two that fit, it mostly picks
right (bench/agent.py). A strong remote model may be shown all of them (`agent.offer_tools = 0`).
"""

from __future__ import annotations

import itertools
import random
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from hassil.sample import sample_intents

from glassmate.providers.embed.base import Embedder
from glassmate.skills.base import LANGUAGES
from glassmate.skills.intents import IntentMatcher, compiled
from glassmate.skills.tools import Tool

EXAMPLES_PER_LANGUAGE = 24  # per tool: enough to cover its phrasings, few enough to embed in ~0.1 s
_SAMPLED_PER_INTENT = 400

_cache: weakref.WeakKeyDictionary[Embedder, dict[tuple[tuple[str, tuple[str, ...]], ...], _Vectors]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class _Vectors:
    owners: np.ndarray  # the tool of each row
    vectors: np.ndarray


def examples(intents: IntentMatcher, tools: Sequence[Tool]) -> dict[str, tuple[str, ...]]:
    """Example sentences per tool: its description and declared examples, and a seeded sample of its intents'
    sentences in each language."""
    described = tuple((t.name, (t.description, *t.policy.examples)) for t in tools)
    return dict(_examples(intents.packages, described))


@lru_cache(maxsize=16)
def _examples(
    packages: tuple[str, ...], tools: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    names = {name for name, _ in tools}
    found: dict[str, list[str]] = {name: list(given) for name, given in tools}
    for language in LANGUAGES:
        built = compiled(packages, language)
        if built is None:
            continue
        sampled: dict[str, list[str]] = {}
        # Sentences with a wildcard slot are left out: filled with any words, they attract questions that merely
        # share their frame ("wie heißt … auf …" drew "Wie heißt die Hauptstadt von Italien?"). Such tools declare
        # examples of their own.
        samples = sample_intents(built[0], max_sentences_per_intent=_SAMPLED_PER_INTENT, intent_names=names)
        for name, text in itertools.islice(samples, 100_000):
            sampled.setdefault(name, []).append(" ".join(text.split()))
        for name, texts in sampled.items():
            unique = sorted(set(texts))
            random.Random(f"{name}:{language}").shuffle(unique)
            found[name] += unique[:EXAMPLES_PER_LANGUAGE]
    return tuple((name, tuple(texts)) for name, texts in found.items())


class ToolIndex:
    """The example sentences of a set of tools, embedded (once per embedder and tool set)."""

    def __init__(self, *, embedder: Embedder, examples: dict[str, tuple[str, ...]]) -> None:
        self.embedder = embedder
        self.examples = examples
        self._key = tuple(examples.items())  # in the tools' order, which a session's skills keep

    async def _vectors(self) -> _Vectors:
        per_embedder = _cache.setdefault(self.embedder, {})
        vectors = per_embedder.get(self._key)
        if vectors is None:
            owners = [name for name, texts in self._key for _ in texts]
            texts = [text for _, texts in self._key for text in texts]
            vectors = _Vectors(np.array(owners), await self.embedder.embed(texts))
            per_embedder[self._key] = vectors
        return vectors

    async def rank(self, text: str) -> list[tuple[str, float]]:
        """Every tool with the similarity of its closest example to `text`, best first."""
        index = await self._vectors()
        query = (await self.embedder.embed([text]))[0]
        similarity = index.vectors @ query
        best: dict[str, float] = {}
        for owner, score in zip(index.owners.tolist(), similarity.tolist(), strict=True):
            best[owner] = max(best.get(owner, -1.0), score)
        return sorted(best.items(), key=lambda item: -item[1])

    async def shortlist(self, text: str, *, limit: int, min_similarity: float,
                        available: Callable[[str], bool] | None = None) -> list[str]:  # fmt: skip
        """The tools `text` is about: at most `limit`, each at least `min_similarity` close, among those
        `available` now (as if the others did not exist)."""
        ranked = [(name, score) for name, score in await self.rank(text) if available is None or available(name)]
        return [name for name, score in ranked[:limit] if score >= min_similarity]
