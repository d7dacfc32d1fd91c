"""Voice latency of the realtime loop with the embedded models, as a pair of glasses sees it.

Starts `glassmate serve` in its own process, connects like glasses (the OpenAI SDK's realtime client) and streams
spoken questions at real-time pace: Piper and espeak-ng voices at several speeds, in English, German and Chinese,
a third of them with a hesitation inside the sentence ("Take me to the | railway station", glassmate/testing/
voices.py). It reports p50/p95 from the end of speech to the turn's detection, the first text, the first audio and
the HUD card, for deterministic and LLM turns, the first turn of the connection apart; false cut-offs (a turn the
server ended inside the sentence) and how many of them were still answered as the whole question (the words said
after the cut joined to those before it); and the barge-in cancel latency. `--turn server_vad` (the silence alone) or
`semantic_vad` (the end-of-turn model and the words, the default). Prints a table and writes
bench/out/voice_latency[-TURN].json. Run: `.venv/bin/python bench/voice_latency.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glassmate.audio import Audio
from glassmate.client import GlassesClient, TurnResult
from glassmate.config import Settings
from glassmate.runtime import Models
from glassmate.testing.scenes import jpeg_bytes, render_label
from glassmate.testing.voices import Voice, spoken
from served import glassmate_server

OUT = Path(__file__).parent / "out"


@dataclass(frozen=True)
class Question:
    text: str  # "|" marks a hesitation inside the sentence
    language: str
    voice: Voice
    speed: float
    scene: str | None = None
    pause_s: float = 0.0
    ambiguous: bool = False  # the words before the hesitation are a whole question already


P, E = "piper", "espeak"
# Hesitations (0.35, 0.5 or 0.7 s) come where people search for a word: after "the", "about", "of", "me", where the
# words so far are not a sentence; two ("planet |", "tips |") come where they already are one, and only the
# voice's tune could tell (marked ambiguous). English only: Whisper base hears espeak-ng's German and Mandarin
# voices as noise ("Rischbeet ist es." for "Wie spät ist es?", "ii,4,4,4" for 现在几点了), and no other German or
# Chinese voice is on the registries; the end-of-turn check's words in those languages are unit-tested.
DETERMINISTIC = [
    Question("What time is it?", "en", P, 1.0),
    Question("What's the battery level?", "en", P, 1.2),
    Question("Read this.", "en", P, 1.0, "label"),
    Question("Repeat that.", "en", P, 1.0),
    Question("What time | is it right now?", "en", P, 0.9, pause_s=0.5),
    Question("How much battery do I have | left?", "en", P, 0.85, pause_s=0.35),
    Question("What time is it?", "en", E, 0.9),
    Question("Read the | label.", "en", P, 1.2, "label", pause_s=0.7),
    Question("Repeat that.", "en", E, 1.0),
    Question("What's the | battery level?", "en", P, 1.0, pause_s=0.5),
    Question("What time is it?", "en", P, 0.85),
    Question("Read this.", "en", E, 0.9, "label"),
]
LLM = [
    Question("What is the capital of France?", "en", P, 1.0),
    Question("How many legs does a spider have?", "en", P, 1.2),
    Question("Who wrote the | play Romeo and Juliet?", "en", P, 0.9, pause_s=0.5),
    Question("Why is the sky blue?", "en", E, 0.9),
    Question("What is the largest planet | in our solar system?", "en", P, 1.0, pause_s=0.7, ambiguous=True),
    Question("Tell me about | the Eiffel Tower in two sentences.", "en", P, 0.85, pause_s=0.7),
    Question("What colour is the sky?", "en", E, 1.0),
    Question("What is the boiling point of | water?", "en", P, 1.0, pause_s=0.5),
    Question("Give me two tips | for a long flight.", "en", P, 1.0, pause_s=0.5, ambiguous=True),
    Question("Can you give me | a word that rhymes with cat?", "en", P, 0.9, pause_s=0.35),
    Question("How many days are in a week?", "en", E, 0.9),
    Question("What is the opposite of | hot?", "en", P, 1.2, pause_s=0.7),
]
BARGE_INS = 5


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.replace("|", " ").casefold()).split()


def heard_whole(question: str, heard: str) -> bool:
    """Whether the transcript the turn was answered with holds the question's first and last words: after a
    cut-off, whether the wearer's going on was joined to the first part (the answer is to the whole question)."""
    asked, got = _words(question), set(_words(heard))
    return bool(asked) and asked[0] in got and asked[-1] in got


def summarise(every: list[TurnResult]) -> dict[str, Any]:
    # A cut-off turn whose rest started no turn was answered before the speech ended: it has no latency to time.
    turns = [t for t in every if not t.rest_unheard]
    out: dict[str, Any] = {"n": len(turns), "routes": sorted({t.route for t in turns})}
    for name in ("speech_stopped", "first_text", "first_audio", "card_at"):
        values = [v for t in turns if (v := t.ms(name)) is not None]
        out[name] = {"p50": pct(values, 0.5), "p95": pct(values, 0.95), "n": len(values)}
    for name in ("first_text", "first_audio"):
        values = [v for t in turns if (v := t.ms(name, since="speech_stopped")) is not None]
        out[f"{name}_after_turn_detected"] = {"p50": pct(values, 0.5), "p95": pct(values, 0.95)}
    out["cut_offs"] = sum(1 for t in every if t.cut_offs)
    out["rest_unheard"] = sum(1 for t in every if t.rest_unheard)
    return out


async def barge_in(glasses: GlassesClient, question: Audio, stop: Audio) -> float | None:
    """Ask for a long answer; talk over it once audio plays; time speech_started → response.done (cancelled).
    None when there was nothing to interrupt: the answer was complete before the interruption was heard."""
    conn = glasses.conn
    speaking = asyncio.create_task(glasses.speak(question))
    started_at = None
    interrupting: asyncio.Task[float] | None = None
    result = None
    async with asyncio.timeout(90):
        async for ev in conn:
            if ev.type == "response.output_audio.delta" and interrupting is None:
                interrupting = asyncio.create_task(glasses.speak(stop, lead_s=0.0))
            elif ev.type == "input_audio_buffer.speech_started" and interrupting is not None and started_at is None:
                started_at = time.monotonic()
            elif ev.type == "response.done" and started_at is None and interrupting is not None:
                break  # the answer was over before the interruption was heard: nothing to time (None)
            elif ev.type == "response.done" and started_at is not None:
                if ev.response.status == "cancelled":
                    result = (time.monotonic() - started_at) * 1000
                break
    await speaking
    if interrupting is not None:
        await interrupting
    # Let the interruption's own turn ("stop") finish before the next trial (a turn heard as nothing has none).
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            async for ev in conn:
                if ev.type == "response.done":
                    break
    return None if result is None else round(result, 1)


async def run(base: str, token: str, *, turn: str, quick: bool = False) -> dict[str, Any]:
    models = Models(settings=Settings())
    piper = models.tts.piper._engine()  # type: ignore[attr-defined]
    label = jpeg_bytes(render_label(["OAT DRINK 1L", "PRICE 2.49 EUR"], (960, 540), 56))

    def voice(q: Question) -> Audio:
        return spoken(q.text, voice=q.voice, language=q.language, speed=q.speed, pause_s=q.pause_s,
                      piper_voice=piper).audio  # fmt: skip

    deterministic: list[TurnResult] = []
    llm: list[TurnResult] = []
    paused: list[TurnResult] = []
    ambiguous: list[TurnResult] = []
    every: list[TurnResult] = []
    first: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []  # every turn, for paired comparisons between runs
    detection = {"type": turn, "create_response": True, "interrupt_response": True}
    async with GlassesClient(base_url=base, token=token) as glasses:
        language = ""
        await glasses.configure(audio={"input": {"format": {"type": "audio/pcm", "rate": 24000},
                                                 "turn_detection": detection}})  # fmt: skip
        await glasses.conn.send({"type": "device.state", "battery": {"level": 0.8, "charging": False}})
        for kind, questions, results in (("deterministic", DETERMINISTIC, deterministic), ("llm", LLM, llm)):
            for q in questions[:2] if quick else questions:
                if q.language != language:
                    language = q.language
                    await glasses.configure(glassmate={"language": language})
                if q.scene == "label":
                    await glasses.send_frame(label)
                result = await glasses.turn(voice(q))
                every.append(result)
                whole = heard_whole(q.text, result.transcript)
                rows.append({"text": q.text, "voice": q.voice, "speed": q.speed, "route": result.route,
                             "heard": result.transcript, "cut_off": bool(result.cut_offs), "heard_whole": whole,
                             "rest_unheard": result.rest_unheard, "turn_detected_ms": result.ms("speech_stopped"),
                             "first_audio_ms": result.ms("first_audio"),
                             "started_early": result.started_early})  # fmt: skip
                if not first:  # the connection's first turn: reported apart (models warming up)
                    first = {"kind": kind, "text": q.text, "first_audio": result.ms("first_audio")}
                else:
                    results.append(result)
                if q.pause_s:
                    (ambiguous if q.ambiguous else paused).append(result)
                cut = (" CUT OFF" if result.cut_offs else "") + (", REST UNHEARD" if result.rest_unheard else "")
                cut += ", ANSWERED WHOLE" if result.cut_offs and whole else ""
                cut += ", early" if result.started_early else ""
                print(f"  {result.route:<12} {result.ms('first_audio')} ms{cut}  [{q.language} {q.voice} x{q.speed}] "
                      f"{q.text} → {result.transcript[:40]!r} → {result.answer[:40]!r}", flush=True)  # fmt: skip
        await glasses.configure(glassmate={"language": "en"})
        story = "Tell me a long story about a dragon and a knight, in ten sentences."
        long_question = spoken(story, voice=P, language="en", piper_voice=piper).audio
        stop = spoken("Wait, stop.", voice=P, language="en", piper_voice=piper).audio
        cancels = [await barge_in(glasses, long_question, stop) for _ in range(1 if quick else BARGE_INS)]
    await models.aclose()
    return {
        "turn_detection": turn,
        "first_turn": first,
        "deterministic": summarise(deterministic),
        "llm": summarise(llm),
        "hesitations": {"n": len(paused), "cut_offs": sum(1 for t in paused if t.cut_offs)},
        "ambiguous_hesitations": {"n": len(ambiguous), "cut_offs": sum(1 for t in ambiguous if t.cut_offs)},
        "cut_offs": {
            "turns": len(every),
            "cut": sum(1 for t in every if t.cut_offs),
            "answered_whole": sum(1 for r in rows if r["cut_off"] and r["heard_whole"]),
        },
        "barge_in_cancel_ms": {"values": cancels, "p50": pct([c for c in cancels if c is not None], 0.5)},
        "misrouted": [t.transcript for t in deterministic if t.route == "ask"],
        "turns": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turn", choices=("semantic_vad", "server_vad"), default="semantic_vad")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="two turns of each kind (a smoke test)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    output = args.output or OUT / f"voice_latency-{args.turn}.json"
    with glassmate_server(credential="devices", log=OUT / "voice_latency_server.log") as served:
        report = asyncio.run(run(served.base, served.secret, turn=args.turn, quick=args.quick))
    report["machine"] = {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    output.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nwrote {output}")


def print_table(r: dict[str, Any]) -> None:
    print(f"\nglassmate voice latency, {r['turn_detection']} ({r['machine']['cpus']} CPUs, {r['machine']['date']}), "
          "ms from end of speech")  # fmt: skip
    print(f"  {'':<24}{'turn detected':>16}{'first text':>16}{'first audio':>16}{'HUD card':>16}")
    for kind in ("deterministic", "llm"):
        s = r[kind]
        cells = [f"{s[k]['p50']} / {s[k]['p95']}" for k in ("speech_stopped", "first_text", "first_audio", "card_at")]
        print(f"  {kind + ' (n=' + str(s['n']) + ')':<24}" + "".join(f"{c:>16}" for c in cells))
    print("  (p50 / p95)")
    for kind in ("deterministic", "llm"):
        s = r[kind]
        print(f"  {kind}: after the server detected the end of the turn, first audio p50 "
              f"{s['first_audio_after_turn_detected']['p50']} ms")  # fmt: skip
    print(f"  first turn of the connection: {r['first_turn']}")
    print(f"  false cut-offs: {r['cut_offs']['cut']} of {r['cut_offs']['turns']} turns; "
          f"{r['hesitations']['cut_offs']} of the {r['hesitations']['n']} with a hesitation where the words so far are "
          f"no sentence, {r['ambiguous_hesitations']['cut_offs']} of {r['ambiguous_hesitations']['n']} where they "
          "are one")  # fmt: skip
    print(f"  … of the cut-off turns, answered as the whole question (the wearer's going on joined to the first "
          f"part): {r['cut_offs'].get('answered_whole', 0)} of {r['cut_offs']['cut']}")  # fmt: skip
    print(f"  barge-in, speech_started → response cancelled: {r['barge_in_cancel_ms']}")
    if r["misrouted"]:
        print(f"  deterministic questions the router sent to the LLM: {r['misrouted']}")


if __name__ == "__main__":
    main()
