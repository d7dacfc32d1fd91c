"""Intents: sentence templates per language that call a skill's tool with slots, matched by Home Assistant's
`hassil` (the template language of `home-assistant-intents`: `(a|b)` alternatives, `[optional]` words,
`{slot}` lists and wildcards, `<rule>` expansions, skip words).

Each skill writes `intents/<language>.yaml` beside its module, in hassil's format, with the tool's name as the
intent's name; the slots become the tool's arguments. A shared `skills/intents/<language>.yaml` holds the rules
and skip words every skill may use. Matching casefolds both sides (German ß = ss, "STOPP" = "stopp") and maps a
wildcard slot back to the words as they were said; Chinese files set `ignore_whitespace`, so no word splitting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from hassil import Intents
from hassil.recognize import recognize_best

from glassmate.errors import ConfigError
from glassmate.skills.base import LANGUAGES, Skill
from glassmate.text import casefold_with_offsets

_PUNCTUATION = " \t\n.,!?;:。，！？；：、\"'“”‘’「」()（）"
_PAUSES = str.maketrans({ch: " " for ch in ',.!?;:。，！？；：、"“”「」()（）…'})


@dataclass(frozen=True)
class IntentMatch:
    tool: str
    args: dict[str, Any]
    language: str


def _fold(merged: dict[str, Any]) -> None:
    """Casefold the words of the templates, list values and rules (input text is casefolded the same way)."""
    for intent in merged["intents"].values():
        for block in intent.get("data") or ():
            block["sentences"] = [s.casefold() for s in block.get("sentences") or ()]
    for slot_list in merged["lists"].values():
        values = slot_list.get("values")
        if values:  # a plain string is its own value: keep it as said, match it folded
            slot_list["values"] = [
                {**v, "in": v["in"].casefold()} if isinstance(v, dict) else {"in": str(v).casefold(), "out": v}
                for v in values
            ]
    merged["expansion_rules"] = {k: v.casefold() for k, v in merged["expansion_rules"].items()}
    merged["skip_words"] = [w.casefold() for w in merged["skip_words"]]


def _intents_file(package: str, name: str) -> Traversable | None:
    """A file in the package's intents/ folder; None when it (or the folder) is missing, or when the skill lives in
    a plain module (a skill with no intents: the agent still offers its tools)."""
    try:
        path = files(package).joinpath("intents", name)
    except TypeError:  # not a package
        return None
    return path if path.is_file() else None


def _read(package: str, language: str) -> dict[str, Any] | None:
    path = _intents_file(package, f"{language}.yaml")
    if path is None:
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if data.get("language") != language:
        raise ConfigError(f"{package}/intents/{language}.yaml must say `language: {language}`")
    shared = path_lists(package)
    if shared:  # lists.yaml: slot lists every language of the package uses (language names, ...)
        data["lists"] = {**shared, **(data.get("lists") or {})}
    return data


def path_lists(package: str) -> dict[str, Any]:
    """The slot lists in a package's `intents/lists.yaml` (shared by its languages), or {}."""
    path = _intents_file(package, "lists.yaml")
    if path is None:
        return {}
    return dict((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("lists") or {})


def _merge(into: dict[str, Any], part: dict[str, Any], where: str) -> None:
    for key in ("intents", "lists", "expansion_rules"):
        for name, value in (part.get(key) or {}).items():
            have = into[key].get(name)
            if have is not None and have != value:
                raise ConfigError(f"{where}: {key[:-1]} {name!r} is defined differently by another skill")
            into[key][name] = value
    into["skip_words"] += [w for w in part.get("skip_words") or () if w not in into["skip_words"]]
    into["settings"].update(part.get("settings") or {})


@lru_cache(maxsize=16)
def compiled(packages: tuple[str, ...], language: str) -> tuple[Intents, tuple[str, ...]] | None:
    """The intents of these skill packages in one language (parsed once per process: they are data)."""
    merged: dict[str, Any] = {"language": language, "intents": {}, "lists": {}, "expansion_rules": {},
                              "skip_words": [], "settings": {}}  # fmt: skip
    for package in ("glassmate.skills", *packages):
        part = _read(package, language)
        if part is not None:
            _merge(merged, part, f"{package}/intents/{language}.yaml")
    if not merged["intents"]:
        return None
    _fold(merged)
    skip = tuple(merged.pop("skip_words"))
    return Intents.from_dict(merged), skip


def _clean(value: Any) -> Any:
    return value.strip(_PUNCTUATION) if isinstance(value, str) else value


class IntentMatcher:
    """The intents of one set of skills, in every language they are written in."""

    def __init__(self, skills: Sequence[type[Skill]], *, tools: dict[str, str]) -> None:
        # tools: tool name -> skill name, to refuse an intent that names no tool of the skill that declares it.
        self.packages = tuple(dict.fromkeys(_package(s) for s in skills))
        self.tools = tools

    def check(self) -> None:
        """Parse every intent file now and check that each intent names a tool (ConfigError otherwise)."""
        for language in LANGUAGES:
            built = compiled(self.packages, language)
            if built is None:
                continue
            for name in built[0].intents:
                if name not in self.tools:
                    raise ConfigError(f"the {language} intent {name!r} names no tool of the session's skills")

    def match(self, text: str, languages: Iterable[str]) -> IntentMatch | None:
        """The first language (in the order given) in which a template matches the whole of `text`."""
        # Punctuation inside a sentence ("等等，停下", "Hey glasses, stop") is a pause, not a word: a space, one for
        # one, so that offsets into the folded text still point at the words as said.
        folded, offsets = casefold_with_offsets(text.translate(_PAUSES))
        for language in dict.fromkeys(languages):
            built = compiled(self.packages, language)
            if built is None:
                continue
            intents, skip = built
            said, where = folded, offsets
            if intents.settings.ignore_whitespace:  # Chinese: spaces (and the pauses made spaces) mean nothing
                kept = [i for i, ch in enumerate(folded) if not ch.isspace()]
                said, where = "".join(folded[i] for i in kept), [offsets[i] for i in kept]
            result = recognize_best(said, intents, skip_words=skip, language=language)
            if result is None or result.intent.name not in self.tools:
                continue
            args: dict[str, Any] = {}
            for name, entity in result.entities.items():
                value = entity.value
                if entity.is_wildcard and entity.text_span is not None:
                    start, end = entity.text_span  # in the folded text: the words as said, with their case
                    value = text[where[start] : where[end - 1] + 1] if end > start else ""
                args[name] = _clean(value)
            return IntentMatch(result.intent.name, args, language)
        return None


def _package(skill: type[Skill]) -> str:
    module = skill.__module__
    return module.rsplit(".", 1)[0] if module.endswith(".skill") else module


def sentences(package: str, language: str) -> list[str]:
    """Every template sentence of a package in a language (for docs and for tests that check the tables
    are not the templates themselves)."""
    data = _read(package, language) or {}
    out: list[str] = []
    for intent in (data.get("intents") or {}).values():
        for block in intent.get("data") or ():
            out += block.get("sentences") or []
    return out
