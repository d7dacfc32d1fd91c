"""The semantic end of turn on real recorded speech: how often it ends a turn inside a sentence, and how soon after
the last word it ends it.

bench/voice_latency.py speaks its questions with Piper and espeak-ng; Smart Turn hears no intonation in those
voices, so there the words alone decide. This bench takes real speech instead: the 351 prompts of Debian's
Asterisk sounds (one woman's voice, glassmate/testing/corpus.py; nothing was tuned on them), many of them with
pauses inside ("To leave a message, | press 1."). Each clip, with silence around it, goes through the same code as a
realtime session's `semantic_vad` (the input buffer and Silero VAD at 40 ms appends, Smart Turn, Whisper tiny.en,
`sounds_finished`), at the pace of the audio: at each pause the judgement runs, and the turn ends there only if the
next audio, as long as the judgement took, stays silent (what `InputAudio.end_turn` checks in the server). A turn
that ends before the clip's last word is a false cut-off. Prints a table and writes bench/out/turn_end_real.json.
Run: `.venv/bin/python bench/turn_end_real.py [--limit N] [--pause-ms 128,96] [--min-silence-ms 0,360]
[--speed 1,4]` (`--speed 4`: the judgement as if on a machine four times faster).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.audio import Audio
from glassmate.config import Settings, VADSettings
from glassmate.providers.asr.base import TranscribeOptions, speech_text
from glassmate.runtime import Models
from glassmate.session.audio_input import InputAudio
from glassmate.session.turn_end import sounds_finished
from glassmate.testing.corpus import RATE, Recording, asterisk_english

OUT = Path(__file__).parent / "out"
APPEND = RATE * 40 // 1000  # 40 ms, as the glasses page sends
LEAD_S, TAIL_S = 0.5, 2.5


def pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


async def one_clip(models: Models, settings: Settings, clip: Recording, pause_ms: int, *, min_silence_ms: int,
                   speed: float) -> dict[str, Any]:  # fmt: skip
    """Feed one clip like a session; returns where its turn ended and what was judged on the way."""
    turn = settings.turn
    vad = models.vad.stream(VADSettings(threshold=0.5, min_silence_ms=turn.wait_ms["auto"], prefix_padding_ms=300,
                                        min_speech_ms=settings.vad.min_speech_ms, pause_ms=pause_ms))  # fmt: skip
    buffer = InputAudio(vad=vad, input_rate=RATE, prefix_padding_ms=300)
    lead = np.zeros(int(LEAD_S * RATE), np.float32)
    audio = np.concatenate([lead, clip.samples.astype(np.float32), np.zeros(int(TAIL_S * RATE), np.float32)])
    # The last word's end: the last 32-ms window Silero calls speech (the clips end in some silence).
    speaking = np.flatnonzero(models.vad.speech_probabilities(clip.samples.astype(np.float32)) >= 0.5)
    last_ms = (int(speaking[-1]) + 1) * 32 if speaking.size else int(clip.seconds * 1000)
    speech_end_ms = int(LEAD_S * 1000) + last_ms
    judged: list[dict[str, Any]] = []
    ended_ms: int | None = None
    ended_by = ""
    position = 0
    pending: list[Any] = []
    while position < len(audio) and ended_ms is None:
        events = pending or buffer.append(pcm(audio[position : position + APPEND]))
        if not pending:
            position += APPEND
        pending = []
        for ev in events:
            if ev.kind == "speech_stopped":  # the long silence of the eagerness ended it
                ended_ms, ended_by = ev.at_ms, "silence"
                break
            if not ev.paused:
                continue
            # As the server does: the speculative transcript and Smart Turn at the same time.
            start = time.perf_counter()
            so_far = buffer.utterance_audio()
            heard, probability = await asyncio.gather(
                models.asr.transcribe(Audio(so_far, RATE), TranscribeOptions(language="en")), models.turn.score(so_far)
            )
            text = speech_text(heard)
            finished = probability >= turn.finished and sounds_finished(text, "en")
            took_ms = (time.perf_counter() - start) * 1000 / speed  # `speed`: as on a machine that much faster
            # The judgement took `took_ms` of real time: that much more audio arrives meanwhile; and the turn ends
            # only once the silence is `min_silence_ms` long (Hearing._end_if_silent_enough).
            wait_until_ms = max(position * 1000 // RATE + took_ms, ev.at_ms + min_silence_ms)
            upto = min(len(audio), int(wait_until_ms * RATE / 1000))
            while position < upto:
                pending += buffer.append(pcm(audio[position : position + APPEND]))
                position += APPEND
            judged.append({"at_ms": ev.at_ms, "p": round(probability, 2), "text": text, "finished": finished,
                           "took_ms": round(took_ms)})  # fmt: skip
            if finished and (stopped := buffer.end_turn(ev.at_ms)) is not None:
                ended_ms, ended_by = stopped.at_ms, "judged"
                pending = []
                break
    cut = ended_ms is not None and ended_ms < speech_end_ms - 150
    decided_ms = None
    if ended_ms is not None and not cut:
        decided_ms = position * 1000 // RATE - speech_end_ms  # from the last word to the decision, in stream time
    return {"clip": clip.name, "said": clip.text, "seconds": round(clip.seconds, 2), "ended_ms": ended_ms,
            "speech_end_ms": speech_end_ms, "ended_by": ended_by, "cut_off": cut, "decided_after_ms": decided_ms,
            "judged": judged}  # fmt: skip


def summary(label: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    cut = [r for r in rows if r["cut_off"]]
    delays = sorted(r["decided_after_ms"] for r in rows if r["decided_after_ms"] is not None)
    early = sum(1 for r in rows if r["ended_by"] == "judged" and not r["cut_off"])
    cut_offs = []
    for r in cut:
        heard = next((j["text"] for j in reversed(r["judged"]) if j["finished"]), "")
        cut_offs.append({"said": r["said"], "heard": heard, "at_s": round(r["ended_ms"] / 1000 - LEAD_S, 2),
                         "of_s": r["seconds"]})  # fmt: skip
    return {
        "setting": label,
        "clips": len(rows),
        "pauses_inside_judged": sum(1 for r in rows for j in r["judged"] if j["at_ms"] < r["speech_end_ms"] - 150),
        "false_cut_offs": len(cut),
        "false_cut_off_pct": round(100 * len(cut) / len(rows), 1),
        "ended_at_a_pause_pct": round(100 * early / len(rows), 1),
        "decided_after_last_word_ms": {
            "p50": statistics.median(delays) if delays else None,
            "p95": delays[int(0.95 * (len(delays) - 1))] if delays else None,
        },
        "cut_offs": cut_offs,
        "rows": rows,
    }


async def run(limit: int | None, settings_tried: list[tuple[int, int, float]]) -> dict[str, Any]:
    settings = Settings()
    models = Models(settings=settings)
    clips = asterisk_english()
    if limit:
        clips = clips[:: max(1, len(clips) // limit)][:limit]
    await models.asr.load()
    models.turn.load()
    results = []
    for pause_ms, min_silence_ms, speed in settings_tried:
        rows = [await one_clip(models, settings, clip, pause_ms, min_silence_ms=min_silence_ms, speed=speed)
                for clip in clips]  # fmt: skip
        faster = f", judgement {speed:g}x faster" if speed != 1 else ""
        label = f"pause {pause_ms}, min silence {min_silence_ms}{faster}"
        results.append(summary(label, rows))
    await models.aclose()
    return {"machine": f"{platform.machine()}, {settings.asr.cpu_threads} ASR threads, no GPU", "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="use this many clips, spread over the corpus")
    parser.add_argument("--pause-ms", default="128", help="the VAD pause(s) at which a turn is judged, e.g. 128,96")
    parser.add_argument("--min-silence-ms", default="", help="turn.min_silence_ms value(s); default: the setting's")
    parser.add_argument("--speed", default="1", help="judge as if this many times faster, e.g. 1,4 (a faster box)")
    parser.add_argument("--output", type=Path, default=OUT / "turn_end_real.json")
    args = parser.parse_args()
    minimums = [int(m) for m in args.min_silence_ms.split(",") if m] or [Settings().turn.min_silence_ms]
    tried = [(int(p), m, float(s)) for p in args.pause_ms.split(",") for m in minimums for s in args.speed.split(",")]
    report = asyncio.run(run(args.limit, tried))
    print(f"{'setting':<48} {'clips':>6} {'pauses inside':>14} {'false cut-offs':>15} {'ended at a pause':>17}"
          f" {'decided after last word p50 / p95':>35}")  # fmt: skip
    for r in report["results"]:
        d = r["decided_after_last_word_ms"]
        print(f"{r['setting']:<48} {r['clips']:>6} {r['pauses_inside_judged']:>14} "
              f"{r['false_cut_offs']:>6} ({r['false_cut_off_pct']:>4} %) {r['ended_at_a_pause_pct']:>15} % "
              f"{str(d['p50']) + ' / ' + str(d['p95']):>35}")  # fmt: skip
        for c in r["cut_offs"][:12]:
            print(f"    cut at {c['at_s']} s of {c['of_s']} s: {c['said']!r} (heard {c['heard']!r})")
    OUT.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
