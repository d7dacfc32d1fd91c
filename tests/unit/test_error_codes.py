"""Error codes: one style (glassmate's kebab-case, OpenAI's own only where OpenAI defines them), one code per
condition, all declared in glassmate.error_codes. The source is read for every code it can answer."""

from __future__ import annotations

import re
from pathlib import Path

from glassmate.error_codes import ALL, GLASSMATE, OPENAI

SRC = Path(__file__).parents[2] / "src" / "glassmate"
PATTERNS = [
    r'code="([a-z0-9_\-]+)"', r'\bcode = "([a-z0-9_\-]+)"', r'error_response\([^,]+,[^,]+,\s*"([a-z0-9_\-]+)"',
    r'error_event\(\s*"([a-z0-9_\-]+)"', r'ProtocolError\(\s*"([a-z0-9_\-]+)"', r'_fail\(\s*"([a-z0-9_\-]+)"',
    r'"code": "([a-z0-9_\-]+)"', r'_refuse\(ws, "([a-z0-9_\-]+)"', r'TOO_LARGE = "([a-z0-9_\-]+)"',
]  # fmt: skip


def codes_in_source() -> dict[str, str]:
    found = {}
    for path in SRC.rglob("*.py"):
        if path.name == "error_codes.py":
            continue
        text = path.read_text()
        for pattern in PATTERNS:
            for match in re.finditer(pattern, text):
                found.setdefault(match.group(1), str(path.relative_to(SRC)))
    return found


def test_every_code_the_source_answers_is_declared() -> None:
    used = codes_in_source()
    assert len(used) > 80  # the scan finds them
    assert not {code: where for code, where in used.items() if code not in ALL}


def test_one_style() -> None:
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code) for code in GLASSMATE)
    assert all(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", code) for code in OPENAI)
    # One condition, one code: no code twice in both styles (image_too_large and image-too-large were).
    assert not {c.replace("_", "-") for c in OPENAI} & set(GLASSMATE)
