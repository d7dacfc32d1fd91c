"""semantic_vad turn detection: the turn ends at a short pause when the voice sounds finished and the words can end
a sentence, and waits for the long silence otherwise; server_vad stays the silence alone."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from glassmate.config import Settings, VADSettings
from glassmate.providers.vad.base import VADStream
from glassmate.session.audio_input import InputAudio
from glassmate.session.turn_end import sounds_finished
from glassmate.skills.base import Skill, SkillEnv, Turn
from glassmate.skills.routing import Skills
from glassmate.skills.tools import ToolContext, tool
from glassmate.testing import FakeASR, silence, tone
from glassmate.testing.fakes import FakeTTS, FakeTurn, ScriptedLLM
from tests.unit.test_session_flows import collect, send_audio
from tests.unit.test_vad_stream import LoudnessScorer

R = 24_000


@pytest.mark.parametrize(
    ("text", "language"),
    [("What time is it?", "en"), ("Take me to the station", "en"), ("Wie spät ist es?", "de"), ("Was ist das", "de"),
     ("现在几点了", "zh"), ("这是什么", "zh"), ("Repeat that", "en"), ("Turn it on.", "en"),
     ("Tell me where it is", "en"), ("Mach das Licht an", "de"), ("好的", "zh"), ("天气很暖和", "zh")],
)  # fmt: skip
def test_whole_sentences_can_end_a_turn(text: str, language: str) -> None:
    assert sounds_finished(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [("Take me to the", "en"), ("What is the capital of", "en"), ("Remember that my", "en"), ("and", "en"),
     ("Take me to the...", "en"), ("Well,", "en"), ("Wie komme ich zum", "de"), ("Ich möchte einen", "de"),
     ("Was ist die Hauptstadt von", "de"), ("我想去火车站但是", "zh"), ("如果", "zh"), ("", "en"), ("  . ", "en"),
     ("uh", None)],
)  # fmt: skip
def test_words_that_go_on_keep_the_turn_open(text: str, language: str | None) -> None:
    assert not sounds_finished(text, language)


def _feed(audio: InputAudio, samples: np.ndarray) -> list[Any]:
    return audio.append((samples * 32767).astype("<i2").tobytes())


def test_a_turn_ends_at_a_pause_only_while_the_silence_lasts() -> None:
    vad = VADStream(scorer=LoudnessScorer(), settings=VADSettings(min_silence_ms=800, pause_ms=200))
    audio = InputAudio(vad=vad, input_rate=16_000)
    events = _feed(audio, np.concatenate([silence(0.3).samples, tone(1.0).samples, silence(0.3).samples]))
    (paused,) = [e for e in events if e.paused]
    assert audio.utterance_audio().size > 1.0 * 16_000
    _feed(audio, tone(0.3).samples)  # speech went on: that pause cannot end the turn any more
    assert audio.end_turn(paused.at_ms) is None
    events = _feed(audio, silence(0.3).samples)
    (paused,) = [e for e in events if e.paused]
    stopped = audio.end_turn(paused.at_ms)
    assert stopped is not None and stopped.kind == "speech_stopped" and stopped.at_ms == paused.at_ms
    assert not audio.speaking and audio.end_turn(paused.at_ms) is None  # once
    assert [e.kind for e in _feed(audio, silence(1.0).samples)] == []  # the VAD does not end it again


def _speech(*parts: tuple[str, float]) -> np.ndarray:
    return np.concatenate([(tone if kind == "tone" else silence)(s, rate=R).samples for kind, s in parts])


async def _semantic(conn: Any, **detection: Any) -> None:
    await conn.recv()
    turn = {"type": "semantic_vad", "create_response": True, "interrupt_response": True, **detection}
    await conn.session.update(session={"type": "realtime", "audio": {"input": {"turn_detection": turn}}})
    await collect(conn, "session.updated")


async def _stopped_within(conn: Any, seconds: float) -> list[Any]:
    """The events until speech_stopped, or [] if it does not come within `seconds`."""
    seen: list[Any] = []
    try:
        async with asyncio.timeout(seconds):
            async for ev in conn:
                seen.append(ev)
                if ev.type == "input_audio_buffer.speech_stopped":
                    return seen
    except TimeoutError:
        return []
    return []


async def test_semantic_vad_ends_a_finished_turn_at_a_short_pause(make_server: Any) -> None:
    """ "Take me to the | station": the hesitation's words cannot end a sentence, so the turn stays open although
    the voice sounds finished; after "station" it ends once the silence is `turn.min_silence_ms` (360) long (the
    long wait would be 800)."""
    turn = FakeTurn([0.9])
    client, _ = make_server(asr=FakeASR(["Take me to the", "Take me to the station"]), turn=turn)
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn)
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.4)))
        heard = await collect(conn, "hud.caption")  # the hesitation's words were heard ("Take me to the")
        assert "input_audio_buffer.speech_stopped" not in [e.type for e in heard]
        await send_audio(conn, _speech(("tone", 0.6), ("silence", 0.45)))
        seen = await _stopped_within(conn, 3.0)
        assert seen, "the turn did not end at the pause"
        assert [e.type for e in seen].count("input_audio_buffer.speech_started") == 0  # the same turn went on
        events = await collect(conn, "response.done")
    transcript = [e.transcript for e in events if e.type == "conversation.item.input_audio_transcription.completed"]
    assert transcript == ["Take me to the station"]
    assert len(turn.asked) == 2 and turn.asked[1] > turn.asked[0] > 1.0  # asked at each pause, about all so far


async def test_semantic_vad_waits_when_the_voice_sounds_unfinished(make_server: Any) -> None:
    turn = FakeTurn([0.2])
    client, _ = make_server(asr=FakeASR(["What time is it?"]), turn=turn)
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn, eagerness="medium")
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.4)))
        assert await _stopped_within(conn, 1.5) == []  # 400 ms of silence: not enough without the model's word
        await send_audio(conn, silence(0.6, rate=R).samples)  # 1 s of silence in all: more than medium's 800 ms
        assert await _stopped_within(conn, 3.0)
        events = await collect(conn, "response.done")
    assert events[-1].response.metadata["route"] == "time"
    assert turn.asked


async def test_server_vad_is_the_silence_alone(make_server: Any) -> None:
    turn = FakeTurn([0.99])
    client, _ = make_server(asr=FakeASR(["What time is it?"]), turn=turn)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.3)))
        assert await _stopped_within(conn, 1.5) == []  # OpenAI's default 500 ms silence has not passed
        await send_audio(conn, silence(0.4, rate=R).samples)
        assert await _stopped_within(conn, 3.0)
        await collect(conn, "response.done")
    assert turn.asked == []


async def test_an_unknown_eagerness_is_refused(make_server: Any) -> None:
    client, _ = make_server()
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        turn = {"type": "semantic_vad", "eagerness": "eager"}
        await conn.session.update(session={"type": "realtime", "audio": {"input": {"turn_detection": turn}}})
        (error,) = [e for e in await collect(conn, "error") if e.type == "error"]
    assert error.error.code == "invalid-session"


async def test_a_broken_end_of_turn_model_falls_back_to_the_silence(make_server: Any) -> None:
    from glassmate.errors import ModelMissingError

    turn = FakeTurn(error=ModelMissingError("the end-of-turn model is not prepared"))
    client, _ = make_server(asr=FakeASR(["What time is it?"]), turn=turn)
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn, eagerness="high")
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.8)))
        events = await collect(conn, "response.done")
    assert turn.asked and "error" not in [e.type for e in events]
    assert events[-1].response.metadata["route"] == "time"


async def _two_parts(conn: Any, *, pause_s: float, rest: tuple[tuple[str, float], ...]) -> tuple[str, list[Any]]:
    """Speak 0.8 s, pause `pause_s` until the turn has ended, then say `rest`: the first turn's item, and the
    events until the answer to a later item is done."""
    await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", pause_s)))
    first = await _stopped_within(conn, 3.0)
    assert first, "the first part's turn did not end"
    first_item = first[-1].item_id
    await send_audio(conn, _speech(*rest))
    return first_item, await _until_answered_after(conn, first_item)


async def _until_answered_after(conn: Any, first_item: str) -> list[Any]:
    """The events until a response is done for an item other than `first_item` (whose answer may come first)."""
    events = await collect(conn, "response.done")
    while not any(e.type == "conversation.item.input_audio_transcription.completed" and e.item_id != first_item
                  for e in events):  # fmt: skip
        events += await collect(conn, "response.done")
    return events


async def test_speech_that_goes_on_after_a_turn_ended_at_a_pause_continues_it(make_server: Any) -> None:
    """ "What time | is it right now?": the turn ends at the hesitation (the words can end a sentence), the wearer
    goes on 300 ms later, and the two parts are answered as one question; the half question leaves the
    conversation (its item is deleted) and is not remembered."""
    asr = FakeASR(["What time", "is it right now?"])
    client, _ = make_server(asr=asr, turn=FakeTurn([0.9]))
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn)
        first_item, events = await _two_parts(conn, pause_s=0.45, rest=(("tone", 0.6), ("silence", 0.4)))
    deleted = [e.item_id for e in events if e.type == "conversation.item.deleted"]
    transcripts = {e.item_id: e.transcript for e in events
                   if e.type == "conversation.item.input_audio_transcription.completed"}  # fmt: skip
    assert deleted == [first_item]
    (merged,) = [t for item, t in transcripts.items() if item != first_item]
    assert merged == "What time is it right now?"
    assert asr.prompts[-1] == "What time"  # the second part was transcribed knowing the first
    assert not any(o.fallback for o in asr.options)  # a spoken turn: no decoding again at higher temperatures


async def test_speech_after_the_resume_window_is_a_turn_of_its_own(make_server: Any) -> None:
    asr = FakeASR(["What time is it?", "Repeat that."])
    client, _ = make_server(asr=asr, turn=FakeTurn([0.9]))
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn)
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 1.5)))
        await collect(conn, "response.done")
        await send_audio(conn, _speech(("tone", 0.6), ("silence", 0.5)))
        events = await collect(conn, "response.done")
    assert "conversation.item.deleted" not in [e.type for e in events]
    transcripts = [e.transcript for e in events if e.type == "conversation.item.input_audio_transcription.completed"]
    assert transcripts == ["Repeat that."]


async def test_a_command_right_after_a_turn_is_not_joined_to_it(make_server: Any) -> None:
    """ "What time is it?" ends at the pause and "Stop." follows at once: a command of its own (cutting in on the
    answer), not the rest of the question."""
    asr = FakeASR(["What time is it?", "Stop."])
    client, _ = make_server(asr=asr, turn=FakeTurn([0.9]))
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn)
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.45)))
        assert await _stopped_within(conn, 3.0)
        await send_audio(conn, _speech(("tone", 0.5), ("silence", 0.4)))
        events = await collect(conn, "response.done")
        while not any(e.type == "conversation.item.input_audio_transcription.completed" and e.transcript == "Stop."
                      for e in events):  # fmt: skip
            events += await collect(conn, "response.done")
    assert "conversation.item.deleted" not in [e.type for e in events]


async def test_a_pause_shorter_than_the_minimum_silence_does_not_end_the_turn(make_server: Any) -> None:
    """The judgement says finished at a 300-ms pause (sound and words), but speech goes on before the silence
    reaches `turn.min_silence_ms`: one turn, however fast the judgement was (on real speech, pauses inside a
    sentence are mostly this short)."""
    asr = FakeASR(["What time is it?", "What time is it right now?"])
    turn = FakeTurn([0.9])
    client, _ = make_server(asr=asr, turn=turn)
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn)
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.3)))
        events = await collect(conn, "hud.caption")  # judged: the speculative transcript is in
        await asyncio.sleep(0.2)  # the judgement is done; only the audio's 300 ms of silence is missing
        await send_audio(conn, _speech(("tone", 0.6), ("silence", 1.0)))
        events += await collect(conn, "response.done")
    assert [e.type for e in events].count("input_audio_buffer.speech_stopped") == 1
    transcripts = [e.transcript for e in events if e.type == "conversation.item.input_audio_transcription.completed"]
    assert transcripts == ["What time is it right now?"] and turn.asked


async def test_speech_right_after_the_long_silence_also_goes_on_with_the_turn(make_server: Any) -> None:
    """The voice sounded unfinished, so the turn waited for the long silence (high: 500 ms) and ended there, 600 ms
    into the hesitation; the wearer went on 100 ms later, within a second of the last word: one question."""
    asr = FakeASR(["What is the largest planet", "in our solar system?"])
    client, _ = make_server(asr=asr, turn=FakeTurn([0.2]))
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn, eagerness="high")
        _, events = await _two_parts(conn, pause_s=0.6, rest=(("tone", 0.6), ("silence", 0.7)))
    transcripts = [e.transcript for e in events if e.type == "conversation.item.input_audio_transcription.completed"]
    assert transcripts[-1] == "What is the largest planet in our solar system?"


async def test_an_answer_started_at_the_judged_pause_is_heard_once_the_turn_has_ended(make_server: Any) -> None:
    """ "What time is it?" is answered when the pause is judged finished, before the minimum silence has passed;
    what it sends is held, and goes out after the turn's own events, in the usual order."""
    tts = FakeTTS()
    client, _ = make_server(asr=FakeASR(["What time is it?"]), turn=FakeTurn([0.9]), tts=tts)
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn)
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.6)))
        events = await collect(conn, "response.done")
    types = [e.type for e in events]
    assert types.index("input_audio_buffer.speech_stopped") < types.index(
        "conversation.item.input_audio_transcription.completed"
    ) < types.index("response.created") < types.index("response.output_audio.delta")  # fmt: skip
    assert types.count("response.created") == 1
    assert events[-1].response.status == "completed" and events[-1].response.metadata["route"] == "time"
    assert events[-1].response.metadata["started_early"] == "true"
    spoken = [e.transcript for e in events if e.type == "response.output_audio_transcript.done"]
    assert spoken == tts.spoken and spoken[0].startswith("It's")


async def test_an_answer_started_early_is_dropped_unheard_when_the_wearer_goes_on(make_server: Any) -> None:
    """ "What time is it? | Tell me a joke.": judged finished at a 300-ms pause, the time is answered at once; the
    wearer goes on before the minimum silence: that answer is dropped, nothing of it reaches the glasses, and the
    whole turn is answered once."""
    tts, llm = FakeTTS(), ScriptedLLM(["Cats rule."])
    asr = FakeASR(["What time is it?", "What time is it? Tell me a joke."])
    client, _ = make_server(asr=asr, turn=FakeTurn([0.9]), tts=tts, llm=llm)
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn)
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.3)))
        events = await collect(conn, "hud.caption")
        for _ in range(100):  # the time is answered, and held
            if tts.spoken:
                break
            await asyncio.sleep(0.02)
        assert tts.spoken and tts.spoken[0].startswith("It's"), "the answer did not start at the judged pause"
        await send_audio(conn, _speech(("tone", 0.6), ("silence", 1.0)))
        events += await collect(conn, "response.done")
    types = [e.type for e in events]
    assert types.count("response.created") == 1 and types.count("input_audio_buffer.speech_stopped") == 1
    spoken = [e.transcript for e in events if e.type == "response.output_audio_transcript.done"]
    assert spoken == ["Cats rule."] and tts.spoken[-1] == "Cats rule."
    assert "It's" not in str([e for e in events if e.type.startswith("response.")])
    assert "started_early" not in events[-1].response.metadata


async def test_a_tool_that_acts_waits_for_the_end_of_the_turn() -> None:
    """An answer started early may read (the time, the map) but not act: a tool with side effects runs only once
    the turn has ended, and never if the wearer went on."""
    ran: list[str] = []

    class Lamp(Skill):
        name = "lamp"

        @tool
        async def switch_on(self, ctx: ToolContext) -> str:
            """Switch the lamp on."""
            ran.append("switch_on")
            return "On."

        @tool(side_effects=False)
        async def lamp_state(self, ctx: ToolContext) -> str:
            """Say whether the lamp is on."""
            ran.append("lamp_state")
            return "Off."

    skills = Skills.build([Lamp], SkillEnv(models=None, settings=Settings()))  # type: ignore[arg-type]
    ended = asyncio.Event()
    ctx = ToolContext(turn=Turn("switch the lamp on"), env=skills.env, turn_ended=ended)

    async def answer(name: str) -> list[Any]:
        return [out async for out in skills.tools[name].answer(ctx, {})]

    assert await answer("lamp_state") == ["Off."]
    acting = asyncio.create_task(answer("switch_on"))
    await asyncio.sleep(0.05)
    assert ran == ["lamp_state"] and not acting.done()
    ended.set()
    assert await acting == ["On."] and ran == ["lamp_state", "switch_on"]


async def test_a_command_that_acts_is_not_answered_early(make_server: Any) -> None:
    """ "Forget that." deletes a memory: its intent's tool has side effects, so its answer starts only once the
    turn has ended (a question that only reads, like the time, starts early; so does nothing the LLM answers)."""
    client, _ = make_server(asr=FakeASR(["Forget that.", "What time is it?"]), turn=FakeTurn([0.9]))
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn)
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.6)))
        acting = (await collect(conn, "response.done"))[-1].response
        await send_audio(conn, _speech(("silence", 1.2), ("tone", 0.8), ("silence", 0.6)))
        reading = (await collect(conn, "response.done"))[-1].response
    assert acting.metadata["route"] == "memory" and "started_early" not in acting.metadata
    assert reading.metadata["route"] == "time" and reading.metadata["started_early"] == "true"


async def test_what_the_llm_answers_is_not_started_early(make_server: Any) -> None:
    llm = ScriptedLLM(["Paris."])
    client, _ = make_server(asr=FakeASR(["What is the capital of France?"]), turn=FakeTurn([0.9]), llm=llm)
    async with client.realtime.connect(model="glassmate") as conn:
        await _semantic(conn)
        await send_audio(conn, _speech(("silence", 0.3), ("tone", 0.8), ("silence", 0.6)))
        done = (await collect(conn, "response.done"))[-1].response
    assert done.metadata["route"] == "ask" and "started_early" not in done.metadata and len(llm.calls) == 1
