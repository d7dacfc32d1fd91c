# ruff: noqa: E501  (tables of utterances, one case per pair, read better unwrapped)
"""How often the agent picks the right tool, with the embedded LLM, for utterances no intent matches.

Each case is something a wearer might say that the intent templates do not cover (paraphrases, indirect requests,
questions that need no tool at all), in English, Chinese and German, with the tool the agent should call or
"answer" when it should answer itself. The agent's first step runs on the real model (greedy, as served), with the
session's tool list and a camera frame in view (the glasses' camera is usually on). A case that an intent does match
is reported and left out: it never reaches the agent.

Run: `.venv/bin/python bench/agent.py` (about 2 minutes); writes bench/out/agent.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any

from glassmate.config import Settings
from glassmate.runtime import Models
from glassmate.skills.base import Frame, SkillEnv, Turn
from glassmate.skills.installed import default_skills
from glassmate.skills.routing import Skills
from glassmate.skills.tools import ToolContext

OUT = Path(__file__).parent / "out"

# (said, expected tool or "answer")
CASES: list[tuple[str, str]] = [
    # no tool: general questions the LLM answers itself
    ("What is 2+3?", "answer"), ("Who painted the Mona Lisa?", "answer"), ("Give me a synonym for happy.", "answer"),
    ("How many days are in a leap year?", "answer"), ("What's a good name for a cat?", "answer"),
    ("二加三等于几？", "answer"), ("谁发明了电话？", "answer"), ("一年有几个月？", "answer"),
    ("Wer hat die Relativitätstheorie entwickelt?", "answer"), ("Wie viele Tage hat eine Woche?", "answer"),
    ("Was reimt sich auf Haus?", "answer"), ("Nenne mir eine Primzahl.", "answer"),
    # time
    ("Is it already past noon?", "current_time"), ("Am I late for my nine o'clock?", "current_time"),
    ("现在是上午还是下午？", "current_time"), ("Ist es schon Mittag?", "current_time"),
    # battery
    ("Will the glasses last another hour?", "battery_level"), ("Are you about to die on me?", "battery_level"),
    ("眼镜还能用多久？", "battery_level"), ("Hält die Brille noch bis heute Abend?", "battery_level"),
    # read-text / look
    ("What's on the menu in front of me?", "look"), ("Is there anything vegetarian on this menu?", "look"),
    ("Which platform does the sign say?", "look"), ("这个牌子上说几点关门？", "look"),
    ("Steht auf dem Schild, wann geöffnet ist?", "look"), ("Read me the small print.", "read_text"),
    # identify
    ("Do you know what product I'm holding?", "identify"), ("Is there a better deal for this somewhere?", "identify"),
    ("这个东西网上卖多少钱？", "identify"), ("Kennst du dieses Produkt?", "identify"),
    # translate
    ("I need to speak with this waiter, he only knows Italian.", "start_translation"),
    ("我想和这位德国人聊天。", "start_translation"), ("Ich will mit der Verkäuferin auf Englisch reden.", "start_translation"),
    ("What is good evening in Japanese?", "translate_text"), ("晚安用英语怎么说？", "translate_text"),
    ("Wie übersetzt man Apfel ins Französische?", "translate_text"),
    # stop / repeat
    ("Alright, that's plenty, thanks.", "stop_speaking"), ("Hmm, I missed what you just said.", "repeat_last"),
    # pay
    ("I'd like to settle up with this shop using the code.", "pay"), ("我要用这个二维码付钱。", "pay"),
]  # fmt: skip


# Written after the threshold was set on CASES; its results were then seen while choosing to offer one tool rather
# than two and while writing tool examples, so it is not clean either.
HELD_OUT: list[tuple[str, str]] = [
    ("What's the square root of 81?", "answer"), ("Name three colours of the rainbow.", "answer"),
    ("Why is the sky blue?", "answer"), ("世界上最高的山是什么？", "answer"), ("猫喜欢吃什么？", "answer"),
    ("Wie heißt die Hauptstadt von Italien?", "answer"), ("Was ist schwerer, ein Kilo Federn oder Eisen?", "answer"),
    ("Tell me something nice.", "answer"), ("How much longer until midnight?", "current_time"),
    ("现在几点钟了，我要赶火车。", "current_time"), ("Sag mal, wie spät haben wir es?", "current_time"),
    ("Is the battery going to make it through the tour?", "battery_level"), ("电池快没了吗？", "battery_level"),
    ("Reicht der Akku noch für eine Stunde?", "battery_level"), ("What does this page say at the bottom?", "look"),
    ("这张纸上写了什么内容？", "look"), ("Welche Öffnungszeiten stehen auf der Tür?", "look"),
    ("Could you figure out what brand this is?", "identify"), ("这个商品叫什么名字？", "identify"),
    ("Was ist das für ein Ding in meiner Hand?", "identify"), ("Please help me chat with this Korean man.", "start_translation"),
    ("帮我和这位法国人交流。", "start_translation"), ("What's the French word for cheese?", "translate_text"),
    ("请停一停。", "stop_speaking"), ("Can you go over that once more?", "repeat_last"),
    ("Let me pay the merchant with this code.", "pay"), ("Ich möchte mit dem QR-Code bezahlen.", "pay"),
]  # fmt: skip


# Written last, after every choice above was made, and run once: the figure to trust.
FRESH: list[tuple[str, str]] = [
    ("How many legs does a spider have?", "answer"), ("Give me a word that rhymes with moon.", "answer"),
    ("What's the boiling point of water?", "answer"), ("太阳从哪边升起？", "answer"), ("一周有几天？", "answer"),
    ("Wie viele Kontinente gibt es?", "answer"), ("Nenne mir ein Gemüse.", "answer"), ("Is a tomato a fruit?", "answer"),
    ("Do I still have time before five?", "current_time"), ("现在大概几点了？", "current_time"),
    ("Ist es schon spät?", "current_time"), ("Is my battery okay?", "battery_level"), ("眼镜的电还够吗？", "battery_level"),
    ("Ist die Brille bald leer?", "battery_level"), ("Does this poster mention a date?", "look"),
    ("这张票上写的是几号车厢？", "look"), ("Was steht auf dem Zettel hier?", "look"),
    ("What kind of item is this?", "identify"), ("这个瓶子是什么饮料？", "identify"), ("Welche Marke hat das hier?", "identify"),
    ("This lady speaks Japanese, help me talk to her.", "start_translation"), ("我要和一位意大利人对话。", "start_translation"),
    ("How do Germans say cheers?", "translate_text"), ("Quiet now, please.", "stop_speaking"),
    ("Sorry, can you say it one more time?", "repeat_last"), ("I want to pay this café with the QR code.", "pay"),
    ("我想扫这个码付钱。", "pay"),
]  # fmt: skip


async def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path, default=OUT / "agent.json")
    args = parser.parse_args()
    settings = Settings()
    models = Models(settings=settings)
    skills = Skills.build(default_skills(), SkillEnv(models=models, settings=settings))
    agent = skills.agent()
    frame = Frame(b"", 0)  # the camera is on
    rows, skipped = [], []
    sets = [("tuned", *c) for c in CASES] + [("held", *c) for c in HELD_OUT] + [("fresh", *c) for c in FRESH]
    for part, said, expected in sets:
        turn = Turn(text=said, frame=frame)
        if skills.match(turn) is not None:
            skipped.append(said)
            continue
        ctx = ToolContext(turn=turn, env=skills.env)
        messages = await agent.messages(ctx)
        start = time.perf_counter()
        offered = await agent.offered(ctx)
        shortlist = [t.name for t in offered]
        chosen, first_ms, text = "answer", None, ""
        choice = "auto" if offered else "none"
        async for piece in models.llm.stream_reply(messages, tools=offered, tool_choice=choice):
            if first_ms is None:
                first_ms = (time.perf_counter() - start) * 1000
            if isinstance(piece, str):
                text += piece
            else:
                chosen = piece.name
                text = json.dumps(piece.arguments, ensure_ascii=False)
                break
        total_ms = (time.perf_counter() - start) * 1000
        ok = chosen == expected
        retrieved = expected in shortlist if expected != "answer" else not shortlist
        rows.append({"said": said, "set": part, "expected": expected, "chosen": chosen, "ok": ok,
                     "offered": shortlist, "retrieved": retrieved, "first_ms": round(first_ms or 0),
                     "total_ms": round(total_ms), "reply": text[:80]})  # fmt: skip
        print(f"{'✓' if ok else '✗'} {part:<5} {said[:44]:<46} {expected:<17} {chosen:<17} {','.join(shortlist):<30}"
              f" {total_ms:6.0f} ms  {text[:30]}", flush=True)  # fmt: skip
    await models.aclose()
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, 2 threads",
        "llm": models.llm.model_name,
        "offer_tools": settings.agent.offer_tools,
        "min_similarity": settings.agent.min_similarity,
        "matched_by_intent_instead": skipped,
    }
    for part in ("tuned", "held", "fresh"):
        part_rows = [r for r in rows if r["set"] == part]
        tools = [r for r in part_rows if r["expected"] != "answer"]
        answers = [r for r in part_rows if r["expected"] == "answer"]
        result[part] = {
            "n": len(part_rows),
            "accuracy": round(sum(r["ok"] for r in part_rows) / len(part_rows), 3),
            "tool_cases_right": f"{sum(r['ok'] for r in tools)}/{len(tools)}",
            "answer_cases_right": f"{sum(r['ok'] for r in answers)}/{len(answers)}",
            "retrieval_right": f"{sum(r['retrieved'] for r in part_rows)}/{len(part_rows)}",
            "confusions": Counter(f"{r['expected']}→{r['chosen']}" for r in part_rows if not r["ok"]).most_common(),
            "median_total_ms": sorted(r["total_ms"] for r in part_rows)[len(part_rows) // 2],
        }
        p = result[part]
        print(
            f"\n{part}: accuracy {p['accuracy']:.0%} (n={p['n']}): tools {p['tool_cases_right']}, answers "
            f"{p['answer_cases_right']}, retrieval {p['retrieval_right']}; median {p['median_total_ms']} ms"
        )
    result["rows"] = rows
    if skipped:
        print(f"matched by an intent (never reach the agent): {skipped}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


if __name__ == "__main__":
    asyncio.run(main())
