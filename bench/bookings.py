"""Bookings read from pasted confirmations by the embedded LLM (or a remote one): per field, how many values were
read right, left empty (asked for) or read wrong, on the texts of tests/data/bookings/ against expected.json;
the held-out mails apart from those looked at while the reader was written; the time per booking.

A wrong value is the failure that matters (it would plan a reminder for the wrong time); an empty one is asked.
Fields: per leg the number, departure and arrival (airport code, or station as written), date, departure and
arrival time; per hotel its name and dates; per car rental the company, pick-up date and time, return date; and
each booking's kind and reference. A date the text writes without a year is compared by month and day.

Prints a table and writes bench/out/bookings.json. Run: `.venv/bin/python bench/bookings.py` (~4 minutes on 2
cores; the embedded model, or `GLASSMATE_LLM__BACKEND=openai` with a remote one).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from glassmate.config import Settings
from glassmate.errors import GlassmateError
from glassmate.runtime import Models
from glassmate.travel.bookings import Booking, BookingReader

DATA = Path(__file__).parents[1] / "tests" / "data" / "bookings"
OUT = Path(__file__).parent / "out"
TODAY = dt.date(2016, 1, 1)  # before every trip in the set: a date without a year is the next such day from here


def _same(field: str, got: Any, want: Any) -> bool:
    if isinstance(got, dt.date) and isinstance(want, str) and len(want) == 5:  # MM-DD: written without a year
        return got.strftime("%m-%d") == want
    if isinstance(got, dt.date | dt.time):
        got = got.isoformat()[: len(want)]
    return isinstance(got, str) and isinstance(want, str) and got.casefold() == want.casefold()


def _fields(booking: Booking, want: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, what was read, what the text says) for every field the text states."""
    out: list[tuple[str, Any, Any]] = [("kind", booking.kind, want["kind"]), ("reference", booking.reference,
                                                                              want.get("reference"))]  # fmt: skip
    if "legs" in want:
        for i, leg in enumerate(want["legs"]):
            seg = booking.segments[i] if i < len(booking.segments) else None
            flight = want["kind"] == "flight"
            got = {
                "number": seg.number if seg else None,
                "from": (seg.from_code if flight else seg.from_place) if seg else None,
                "to": (seg.to_code if flight else seg.to_place) if seg else None,
                "date": seg.date if seg else None,
                "departs": seg.departs if seg else None,
                "arrives": seg.arrives if seg else None,
            }
            out += [(name, got[name], leg[name]) for name in got]
    else:
        out += [(name, getattr(booking, name), value) for name, value in want.items()
                if name not in ("kind", "reference")]  # fmt: skip
    return [(name, got, wanted) for name, got, wanted in out if wanted is not None]


async def run(only: str | None) -> dict[str, Any]:
    settings = Settings()
    models = Models(settings=settings)
    reader = BookingReader(models.llm, zone="Europe/Berlin")
    expected = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))["texts"]
    report: dict[str, Any] = {"model": models.llm.model_name, "texts": {}, "sets": {}}
    try:
        await reader.read((DATA / "eurowings_1.txt").read_text(), today=TODAY)  # load the model, warm its cache
        for name, want in expected.items():
            if only and only not in name:
                continue
            text = (DATA / name).read_text(encoding="utf-8")
            start = time.perf_counter()
            try:
                checked, _ = await reader.read(text, today=TODAY)
                outcome: dict[str, Any] = {"seconds": round(time.perf_counter() - start, 2)}
            except GlassmateError as exc:
                outcome = {"seconds": round(time.perf_counter() - start, 2), "error": exc.code}
                checked = None
            if "error" in want:
                outcome["fields"] = {"refused": "right" if outcome.get("error") == want["error"] else "wrong"}
            elif checked is None:
                outcome["fields"] = {"booking": "wrong"}
            else:
                outcome["fields"] = {}
                for i, (field, got, wanted) in enumerate(_fields(checked.booking, want)):
                    verdict = "empty" if got is None else "right" if _same(field, got, wanted) else "wrong"
                    outcome["fields"][f"{i:02d}.{field}"] = verdict
                    if verdict == "wrong":
                        outcome.setdefault("wrong", []).append(f"{field}: read {got!s}, says {wanted}")
            report["texts"][name] = outcome
            print(f"{name:<52} {outcome['seconds']:>5.1f}s  "
                  f"{dict(Counter(outcome['fields'].values()))}  {outcome.get('wrong', '')}", flush=True)  # fmt: skip
    finally:
        await models.aclose()
    for label, chosen in (("developed on (real + written)", lambda n: not n.startswith("heldout/")),
                          ("real mails only (KDE)", lambda n: "/" not in n),
                          ("held out (KDE)", lambda n: n.startswith("heldout/"))):  # fmt: skip
        counts: Counter[str] = Counter()
        by_field: dict[str, Counter[str]] = {}
        seconds = []
        for name, outcome in report["texts"].items():
            if not chosen(name):
                continue
            seconds.append(outcome["seconds"])
            for key, verdict in outcome["fields"].items():
                counts[verdict] += 1
                by_field.setdefault(key.split(".", 1)[-1], Counter())[verdict] += 1
        total = sum(counts.values()) or 1
        report["sets"][label] = {
            "texts": len(seconds), "fields": sum(counts.values()),
            "right": counts["right"], "empty": counts["empty"], "wrong": counts["wrong"],
            "right_pct": round(100 * counts["right"] / total, 1), "wrong_pct": round(100 * counts["wrong"] / total, 1),
            "seconds_p50": sorted(seconds)[len(seconds) // 2] if seconds else None,
            "by_field": {k: dict(v) for k, v in sorted(by_field.items())},
        }  # fmt: skip
    return report


def print_table(report: dict[str, Any]) -> None:
    print(f"\nbookings read by {report['model']}")
    print(f"{'set':<32} {'texts':>5} {'fields':>6} {'right':>7} {'empty':>7} {'wrong':>7} {'s/text p50':>10}")
    for label, s in report["sets"].items():
        if not s["texts"]:
            continue
        print(f"{label:<32} {s['texts']:>5} {s['fields']:>6} {s['right_pct']:>6}% {s['empty']:>7} "
              f"{s['wrong_pct']:>6}% {s['seconds_p50']:>10}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="only the texts whose name contains this")
    parser.add_argument("--output", type=Path, default=OUT / "bookings.json")
    args = parser.parse_args()
    report = asyncio.run(run(args.only))
    print_table(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
