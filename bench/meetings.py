"""Meetings: diarization error on real and synthetic speech, action-item recall, end-to-end speed of a 10-minute
meeting, memory over a 2-hour recording, and the enrolled voice's matches.

- **DER** (NIST, 0.25 s collar, pyannote.metrics' definition): the real two-person call shipped in pyannote.audio
  4.0.7's wheel (with its reference RTTM), and synthetic meetings of 2 and 3 voices (Piper + espeak-ng) made from
  `PLANNING`, a script and seeds that were not used to tune the diarization (held out).
- **Action items**: the 3-voice planning meeting through the whole pipeline (ASR, diarization, notes by the
  embedded LLM); recall of its 6 known action items (a notes item whose task names the item's keyword), their
  owners and due dates, and the notes' items that match none.
- **10-minute meeting**: the planning script spoken in rounds until 10 minutes, end to end: transcription with
  speakers, then notes; real-time factor = processing time / audio time, on this machine's 2 cores.
- **2 hours**: that meeting repeated to 2 hours and streamed through the transcriber in 30 s blocks (as a file
  is decoded); the process's RSS after every 10 minutes of audio. `--long-minutes 0` skips it (it takes ~15 min).
- **Enrolment**: five synthetic voices enrolled from other sentences; in seven 2- and 3-voice meetings, the
  cosine of each speaker to each enrolled voice, and how voiceprint.MATCH decides.
- **Remote Qwen**: the notes of one transcript of the planning meeting by the embedded 0.5B and by a bigger Qwen
  behind an OpenAI-compatible endpoint: live with `--remote URL [--remote-model NAME] [--record]` (`--record`
  saves its answers and the transcript to tests/data/meetings/remote_notes.json), otherwise replayed from that
  recording.

Prints a table and writes bench/out/meetings.json. Run: `.venv/bin/python bench/meetings.py` (models prepared,
`scripts/setup.sh --test` for the real sample); `--only remote,planning` runs some parts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.audio import ASR_RATE
from glassmate.config import Settings
from glassmate.meetings.audio_io import blocks
from glassmate.meetings.der import diarization_error, read_rttm
from glassmate.meetings.notes import MeetingNotes, NoteWriter
from glassmate.meetings.pipeline import MeetingSegment, MeetingTranscriber, MeetingTranscript
from glassmate.meetings.voiceprint import MATCH, enrol, unit
from glassmate.providers.llm.base import LLM
from glassmate.providers.llm.recorded import RecordedLLM, RecordingLLM
from glassmate.runtime import Models
from glassmate.testing.material import pyannote_sample
from glassmate.testing.meetings import PLANNING, PLANNING_ACTIONS, VOICES, Meeting, scripted_meeting, speak_line
from glassmate.text import fold

OUT = Path(__file__).parent / "out"
RECORDED = Path(__file__).parents[1] / "tests" / "data" / "meetings" / "remote_notes.json"
SECTIONS = ("real", "synthetic", "planning", "ten", "long", "enrolment", "remote")
ENROLMENT = (
    "The quick brown fox jumps over the lazy dog while the farmer watches from the old wooden gate.",
    "Every morning I walk to the station, buy a newspaper and read it on the train to the office.",
    "My favourite season is autumn, when the leaves turn red and gold and the air smells of rain.",
)


def rss_mb() -> float:
    """The process's resident memory now (MB)."""
    with open("/proc/self/statm") as f:
        return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def hypothesis(result: MeetingTranscript) -> list[tuple[float, float, str]]:
    return [(s.start, s.end, str(s.speaker)) for s in result.segments]


def chunks(samples: np.ndarray, seconds: float = 30.0) -> Iterator[np.ndarray]:
    step = int(seconds * ASR_RATE)
    for i in range(0, len(samples), step):
        yield samples[i : i + step]


async def real_der(models: Models) -> dict[str, Any]:
    sample = pyannote_sample()
    t0 = time.perf_counter()
    result = await MeetingTranscriber(models=models).run(blocks(sample.audio))
    der = diarization_error(read_rttm(sample.rttm), hypothesis(result), collar=0.25)
    return {"recording": "pyannote sample (real call, 2 speakers)", "duration_s": round(result.duration_s, 1),
            "speakers": result.speakers, "der": round(der.der, 4), "missed": round(der.missed, 2),
            "false_alarm": round(der.false_alarm, 2), "confusion": round(der.confusion, 2),
            "seconds": round(time.perf_counter() - t0, 2)}  # fmt: skip


def planning_lines(voices: int) -> list[tuple[int, str]]:
    """The planning script for 2 voices (the third one's lines go to the others in turn) or 3."""
    if voices == 3:
        return list(PLANNING)
    return [(who if who < 2 else i % 2, text) for i, (who, text) in enumerate(PLANNING)]


async def synthetic_der(models: Models, seeds: list[int]) -> list[dict[str, Any]]:
    rows = []
    for voices, cast in ((2, ("piper", "en+f3")), (2, ("en-us+m3", "en+f5")), (3, ("piper", "en-us+m3", "en+f3")),
                         (3, ("en-gb+m1", "en+f5", "piper"))):  # fmt: skip
        for seed in seeds:
            meeting = await scripted_meeting(planning_lines(voices), voices=cast, tts=models.tts, seed=seed)
            result = await MeetingTranscriber(models=models).run(chunks(meeting.audio.samples))
            der = diarization_error(meeting.reference, hypothesis(result), collar=0.25)
            rows.append({"voices": "+".join(cast), "seed": seed, "duration_s": round(meeting.audio.duration_s, 1),
                         "speakers": result.speakers, "der": round(der.der, 4)})  # fmt: skip
    return rows


def action_recall(notes: MeetingNotes) -> dict[str, Any]:
    """The notes' action items against PLANNING_ACTIONS: found, right owner, right due date, extras."""
    items = list(notes.action_items)
    used: set[int] = set()
    found = owners = dues = 0
    detail = []
    for expected in PLANNING_ACTIONS:
        hit = next((i for i, item in enumerate(items) if i not in used
                    and any(k in fold(item.task) for k in expected.keywords)), None)  # fmt: skip
        if hit is None:
            detail.append({"expected": expected.keywords[0], "found": None})
            continue
        used.add(hit)
        item = items[hit]
        found += 1
        owners += int(fold(item.owner or "") == fold(expected.owner))
        dues += int(expected.due is not None and fold(expected.due) in fold(item.due or ""))
        detail.append({"expected": expected.keywords[0], "found": item.model_dump()})
    n = len(PLANNING_ACTIONS)
    return {"expected": n, "recall": round(found / n, 3), "owner_right": round(owners / n, 3),
            "due_right": round(dues / n, 3), "extra": [items[i].model_dump() for i in range(len(items))
                                                       if i not in used], "items": detail}  # fmt: skip


async def end_to_end(models: Models, meeting: Meeting) -> tuple[dict[str, Any], MeetingNotes, MeetingTranscript]:
    t0 = time.perf_counter()
    result = await MeetingTranscriber(models=models).run(chunks(meeting.audio.samples))
    t1 = time.perf_counter()
    names = [f"Speaker {i + 1}" for i in range(result.speakers)]
    steps: list[float] = []  # seconds into the notes when the pieces, the action items, the headline were done

    def step(*_: int) -> None:
        steps.append(round(time.perf_counter() - t1, 1))

    notes = await NoteWriter(llm=models.llm).write(result.segments, names, result.language, progress=step)
    t2 = time.perf_counter()
    audio_s = meeting.audio.duration_s
    der = diarization_error(meeting.reference, hypothesis(result), collar=0.25)
    return {"audio_s": round(audio_s, 1), "speakers": result.speakers, "der": round(der.der, 4),
            "transcribe_s": round(t1 - t0, 1), "notes_s": round(t2 - t1, 1), "notes_steps_s": steps,
            "rtf_transcribe": round((t1 - t0) / audio_s, 3), "rtf_total": round((t2 - t0) / audio_s, 3),
            "segments": len(result.segments), "action_items": len(notes.action_items),
            "decisions": len(notes.decisions), "title": notes.title,
            "peak_rss_mb": peak_mb()}, notes, result  # fmt: skip


async def long_memory(models: Models, meeting: Meeting, minutes: float) -> dict[str, Any]:
    """`meeting` repeated to `minutes`, streamed block by block; RSS after every 10 minutes of audio."""
    total = int(minutes * 60 * ASR_RATE)
    one = meeting.audio.samples

    def stream() -> Iterator[np.ndarray]:
        sent = 0
        while sent < total:
            for block in chunks(one):
                if sent >= total:
                    return
                block = block[: total - sent]
                sent += len(block)
                yield block

    marks: list[dict[str, float]] = []
    next_mark = [600.0]
    t0 = time.perf_counter()

    def progress(seconds: float) -> None:
        if seconds >= next_mark[0]:
            marks.append({"audio_min": round(seconds / 60, 1), "rss_mb": rss_mb(),
                          "elapsed_s": round(time.perf_counter() - t0, 1)})  # fmt: skip
            next_mark[0] += 600.0

    result = await MeetingTranscriber(models=models).run(stream(), progress)
    elapsed = time.perf_counter() - t0
    return {"audio_min": round(total / ASR_RATE / 60, 1), "seconds": round(elapsed, 1),
            "rtf": round(elapsed / (total / ASR_RATE), 3), "speakers": result.speakers,
            "segments": len(result.segments), "rss": marks, "rss_after_mb": rss_mb()}  # fmt: skip


async def enrolment(models: Models) -> dict[str, Any]:
    prints = {}
    for voice in VOICES:
        lines = [(await speak_line(text, voice, models.tts)).samples for text in ENROLMENT]
        prints[voice], _ = await enrol(models, [np.concatenate(lines)])
    same: list[float] = []
    other: list[float] = []
    decisions = {"named_right": 0, "named_wrong": 0, "missed": 0, "absent_named": 0, "absent_none": 0}
    for cast in ((0, 1), (1, 2), (2, 3), (3, 4), (0, 4), (0, 2, 3), (1, 3, 4)):
        voices = [VOICES[i] for i in cast]
        lines = [(i % len(cast), text) for i, (_, text) in enumerate(PLANNING[:12])]
        meeting = await scripted_meeting(lines, voices=voices, tts=models.tts, seed=7)
        result = await MeetingTranscriber(models=models).run(chunks(meeting.audio.samples))
        # The voice of each found speaker: the reference speaker who has most of its speech.
        truth = []
        for k in range(result.speakers):
            spoken: dict[str, float] = {}
            for seg in result.segments:
                if seg.speaker != k:
                    continue
                for a, b, who in meeting.reference:
                    spoken[who] = spoken.get(who, 0.0) + max(0.0, min(b, seg.end) - max(a, seg.start))
            truth.append(voices[int(max(spoken, key=spoken.__getitem__)[1:]) - 1] if spoken else "")
        for voice, vector in prints.items():
            scores = [float(unit(c) @ vector) for c in result.centroids]
            for k, score in enumerate(scores):
                (same if truth[k] == voice else other).append(score)
            best = int(np.argmax(scores)) if scores else -1
            named = best if scores and scores[best] >= MATCH else None
            if voice in truth:
                key = "missed" if named is None else "named_right" if truth[named] == voice else "named_wrong"
            else:
                key = "absent_none" if named is None else "absent_named"
            decisions[key] += 1
    return {"threshold": MATCH, "same_voice": [round(min(same), 3), round(float(np.median(same)), 3),
            round(max(same), 3)], "other_voice": [round(min(other), 3), round(float(np.median(other)), 3),
            round(max(other), 3)], "pairs_same": len(same), "pairs_other": len(other), **decisions}  # fmt: skip


async def notes_by(llm: LLM, segments: list[MeetingSegment], names: list[str], language: str | None
                   ) -> dict[str, Any]:  # fmt: skip
    t0 = time.perf_counter()
    notes = await NoteWriter(llm=llm).write(segments, names, language)
    return {"model": llm.model_name, "seconds": round(time.perf_counter() - t0, 1), "title": notes.title,
            "summary": notes.summary, "decisions": notes.decisions, "open_questions": notes.open_questions,
            "actions": action_recall(notes)}  # fmt: skip


async def remote(models: Models, args: argparse.Namespace, transcript: MeetingTranscript | None) -> dict[str, Any]:
    """The embedded LLM and a bigger remote Qwen write notes of the same transcript (live, or replayed)."""
    if args.remote:
        from glassmate.config import LLMSettings, RemoteSettings
        from glassmate.providers.llm.openai_compat import OpenAICompatLLM

        assert transcript is not None, "--remote needs the planning section"
        segments, names, language = (
            transcript.segments,
            [f"Speaker {i + 1}" for i in range(transcript.speakers)],
            transcript.language,
        )
        inner = OpenAICompatLLM(settings=RemoteSettings(base_url=args.remote, api_key=args.remote_key,
                                                        model=args.remote_model, timeout_s=600, max_retries=0),
                                defaults=LLMSettings())  # fmt: skip
        llm: LLM = RecordingLLM(inner)
    else:
        data = json.loads(RECORDED.read_text(encoding="utf-8"))
        segments = [MeetingSegment(**s) for s in data["transcript"]["segments"]]
        names, language = data["transcript"]["names"], data["transcript"]["language"]
        llm = RecordedLLM(data["calls"], model_name=data["model"])
    out = {
        "embedded": await notes_by(models.llm, segments, names, language),
        "remote": await notes_by(llm, segments, names, language),
        "replayed": not args.remote,
    }
    if args.remote and args.record and isinstance(llm, RecordingLLM):
        RECORDED.parent.mkdir(parents=True, exist_ok=True)
        RECORDED.write_text(json.dumps({
            "model": args.remote_model, "served_by": args.served_by,
            "recorded_at": time.strftime("%Y-%m-%d"),
            "transcript": {"segments": [vars(s) | {"start": round(s.start, 2), "end": round(s.end, 2)}
                                        for s in segments], "names": names, "language": language},
            "calls": llm.calls}, indent=1, ensure_ascii=False) + "\n")  # fmt: skip
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    models = Models(settings=Settings())
    only = set(args.only.split(",")) if args.only else set(SECTIONS)
    out: dict[str, Any] = {"machine": f"{os.cpu_count()} cores, no GPU"}
    transcript: MeetingTranscript | None = None
    try:
        if "real" in only:
            out["real"] = await real_der(models)
            print("real", out["real"], flush=True)
        if "synthetic" in only:
            out["synthetic"] = await synthetic_der(models, [100, 101])
            for row in out["synthetic"]:
                print("synthetic", row, flush=True)
        if "planning" in only:
            planning = await scripted_meeting(planning_lines(3), voices=("piper", "en-us+m3", "en+f3"),
                                              tts=models.tts, seed=100)  # fmt: skip
            stats, notes, transcript = await end_to_end(models, planning)
            out["planning"] = {**stats, "actions": action_recall(notes), "notes": notes.model_dump()}
            print("planning", stats, out["planning"]["actions"]["recall"], flush=True)
        if "ten" in only or "long" in only:
            rounds: list[Meeting] = []
            seed = 200
            while sum(len(r.audio.samples) for r in rounds) < 600 * ASR_RATE:
                rounds.append(await scripted_meeting(planning_lines(3), voices=("piper", "en-us+m3", "en+f3"),
                                                     tts=models.tts, seed=seed))  # fmt: skip
                seed += 1
            long = _concat(rounds)
            if "ten" in only:
                out["ten_minutes"], _, _ = await end_to_end(models, long)
                print("10 min", out["ten_minutes"], flush=True)
            if "long" in only and args.long_minutes > 0:
                out["long"] = await long_memory(models, long, args.long_minutes)
                print("long", out["long"], flush=True)
        if "enrolment" in only:
            out["enrolment"] = await enrolment(models)
            print("enrolment", out["enrolment"], flush=True)
        if "remote" in only and (args.remote or RECORDED.is_file()):
            out["remote"] = await remote(models, args, transcript)
            print("remote", {k: v["actions"]["recall"] for k, v in out["remote"].items() if k != "replayed"})
    finally:
        await models.aclose()
    return out


def _concat(meetings: list[Meeting]) -> Meeting:
    from glassmate.audio import Audio

    reference, offset, parts, lines = [], 0.0, [], []
    for m in meetings:
        reference += [(a + offset, b + offset, who) for a, b, who in m.reference]
        parts.append(m.audio.samples)
        offset += m.audio.duration_s
        lines += list(m.lines)
    return Meeting(Audio(np.concatenate(parts), ASR_RATE), reference, tuple(lines))


def table(out: dict[str, Any]) -> None:
    if "real" in out:
        r = out["real"]
        print(f"\nDER (collar 0.25 s)\n  {r['recording']}: {r['der'] * 100:.1f} %  ({r['speakers']} speakers found, "
              f"{r['duration_s']} s)")  # fmt: skip
    for row in out.get("synthetic", []):
        print(f"  {row['voices']:<26} seed {row['seed']}: {row['der'] * 100:5.1f} %  ({row['speakers']} found, "
              f"{row['duration_s']} s)")  # fmt: skip
    if "planning" in out:
        p, a = out["planning"], out["planning"]["actions"]
        print(f"\nAction items (planning meeting, {p['audio_s']} s, 3 voices): recall {a['recall']:.2f}, owner "
              f"right {a['owner_right']:.2f}, due right {a['due_right']:.2f}, extra {len(a['extra'])}")  # fmt: skip
    if "ten_minutes" in out:
        t = out["ten_minutes"]
        print(f"\n10-minute meeting ({t['audio_s'] / 60:.1f} min): transcribe {t['transcribe_s']} s (RTF "
              f"{t['rtf_transcribe']}), notes {t['notes_s']} s, total RTF {t['rtf_total']}, DER "
              f"{t['der'] * 100:.1f} %, peak RSS {t['peak_rss_mb']} MB")  # fmt: skip
    if "long" in out:
        g = out["long"]
        marks = ", ".join(f"{m['audio_min']:.0f} min {m['rss_mb']:.0f} MB" for m in g["rss"])
        print(f"\n{g['audio_min']:.0f} minutes streamed: RTF {g['rtf']}, RSS {marks}")
    if "enrolment" in out:
        e = out["enrolment"]
        print(
            f"\nEnrolment (threshold {e['threshold']}): same voice {e['same_voice']}, other voices "
            f"{e['other_voice']} (min/median/max); named right {e['named_right']}, wrong {e['named_wrong']}, "
            f"missed {e['missed']}; absent voice named {e['absent_named']}, not named {e['absent_none']}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--long-minutes", type=float, default=120.0, help="minutes streamed for memory (0: skip)")
    parser.add_argument("--only", default="", help=f"comma-separated parts: {','.join(SECTIONS)}")
    parser.add_argument("--remote", default="", help="an OpenAI-compatible base URL (…/v1) of a bigger Qwen")
    parser.add_argument("--remote-model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--remote-key", default="none")
    parser.add_argument("--served-by", default="", help="what served it, for the recording")
    parser.add_argument("--record", action="store_true", help="save the remote answers for replay")
    args = parser.parse_args()
    result = asyncio.run(main(args))
    OUT.mkdir(exist_ok=True)
    (OUT / "meetings.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    table(result)
