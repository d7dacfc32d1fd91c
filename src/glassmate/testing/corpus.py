"""Real recorded speech with transcripts, for measuring ASR on what this team did not write.

The source is Debian's Asterisk core sounds: about 570 English phone prompts recorded by Allison Smith (CC-BY-SA-3.0),
in the 16 kHz G.722 edition (`asterisk-core-sounds-en-g722`), with their transcripts (`core-sounds-en.txt` in
`asterisk-core-sounds-en`). One professional voice reading short sentences: real speech, but clean and careful.
`scripts/setup.sh --test` fetches the two packages (pinned, checked by sha256 here) with `apt-get download` into
`~/.cache/glassmate/wheels`; nothing is installed. The sounds are decoded with PyAV.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassmate.testing.material import WHEELS, MaterialMissing

RATE = 16_000
# The Debian packages (bookworm), by file name, with the sha256 of the .deb.
PACKAGES = {
    "asterisk-core-sounds-en-g722_1.6.1-1_all.deb": "38c5261820b406dcb0ecb37675720da2b0864850690690352ca52707eb623806",
    "asterisk-core-sounds-en_1.6.1-1_all.deb": "973e797d28e37fa6ca3c0a9d6fa717e77cf1268ae916bf09fd3503113cdffa50",
}
_SOUNDS = "usr/share/asterisk/sounds/en_US_f_Allison"
_TEXTS = "usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"


@dataclass(frozen=True)
class Recording:
    name: str
    text: str
    samples: np.ndarray  # float32 mono at 16 kHz

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE


def unpacked(cache: Path = WHEELS) -> Path:
    """The two packages unpacked (once) under `cache`, after checking the downloaded .debs' sha256."""
    root = cache / "asterisk-en"
    if (root / _TEXTS).is_file() and (root / _SOUNDS).is_dir():
        return root
    for deb, digest in PACKAGES.items():
        path = cache / deb
        if not path.is_file():
            raise MaterialMissing(f"{path} is missing: run scripts/setup.sh --test (it runs `apt-get download`)")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise MaterialMissing(f"{path} does not have the expected sha256")
    for deb in PACKAGES:
        subprocess.run(["dpkg-deb", "-x", str(cache / deb), str(root)], check=True)
    return root


def transcripts(root: Path) -> dict[str, str]:
    """Prompt name -> what is said, for the prompts that are speech (not "[tones]")."""
    texts: dict[str, str] = {}
    with gzip.open(root / _TEXTS, "rt", encoding="utf-8") as lines:
        listed = list(lines)
    for line in listed:
        name, sep, text = line.partition(":")
        text = text.strip()
        if not sep or line.startswith(";") or "/" in name or not text or "[" in text or "<" in text:
            continue
        texts[name.strip()] = text
    return texts


def decode_g722(path: Path) -> np.ndarray:
    import av

    with av.open(str(path), format="g722") as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        chunks = [out.to_ndarray().ravel() for frame in container.decode(stream) for out in resampler.resample(frame)]
    return (np.concatenate(chunks).astype(np.float32) / 32768.0) if chunks else np.zeros(0, np.float32)


def asterisk_english(cache: Path = WHEELS, *, min_words: int = 1) -> list[Recording]:
    """Every English prompt with a transcript of at least `min_words` words, sorted by name."""
    root = unpacked(cache)
    out = []
    for name, text in sorted(transcripts(root).items()):
        path = root / _SOUNDS / f"{name}.g722"
        if path.is_file() and len(text.split()) >= min_words:
            out.append(Recording(name, text, decode_g722(path)))
    return out


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()  # noqa: SIM905
_ONES += "sixteen seventeen eighteen nineteen".split()  # noqa: SIM905
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905


def _number(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + _number(n % 100))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalize(text: str) -> list[str]:
    """Words for WER: lower case, digits as words, "#" as "pound", "*" as "star", punctuation dropped."""
    text = text.lower().replace("#", " pound ").replace("*", " star ").replace("&", " and ")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"\d+", lambda m: " " + _number(int(m.group())) + " ", text)
    text = re.sub(r"[-‐–—/]", " ", text)
    text = re.sub(r"[^\w' ]+", " ", text).replace(" '", " ").replace("' ", " ")
    return [w.strip("'") for w in text.split() if w.strip("'")]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Substitutions + deletions + insertions between two word lists (Levenshtein over words)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != hyp))
    return row[-1]
