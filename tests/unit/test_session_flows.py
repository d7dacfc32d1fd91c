"""Session behaviours beyond the basic turn: push-to-talk, wake phrase, buttons, uncancellable skills, frames."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import numpy as np

from glassmate.skills.installed import default_skills
from glassmate.testing import FakeASR, FakeOCR, FakeTTS, ScriptedLLM, silence, tone
from glassmate.testing.scenes import jpeg_bytes, render_label


def pcm(audio: np.ndarray) -> str:
    return base64.b64encode((audio * 32767).astype("<i2").tobytes()).decode()


def utterance(seconds: float = 0.8) -> np.ndarray:
    return np.concatenate([silence(0.3, rate=24_000).samples, tone(seconds, rate=24_000).samples,
                           silence(1.0, rate=24_000).samples])  # fmt: skip


async def collect(conn: Any, until: str, limit_s: float = 15) -> list[Any]:
    events = []
    async with asyncio.timeout(limit_s):
        async for ev in conn:
            events.append(ev)
            if ev.type == until:
                return events
    return events


async def send_audio(conn: Any, audio: np.ndarray) -> None:
    for i in range(0, len(audio), 2400):
        await conn.input_audio_buffer.append(audio=pcm(audio[i : i + 2400]))


async def test_push_to_talk_commits_and_responds_on_request(make_server: Any) -> None:
    client, _ = make_server(asr=FakeASR(["What time is it?"]))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.session.update(session={"type": "realtime", "audio": {"input": {"turn_detection": None}}})
        await collect(conn, "session.updated")
        await send_audio(conn, tone(0.8, rate=24_000).samples)
        await conn.input_audio_buffer.commit()
        await conn.response.create()
        events = await collect(conn, "response.done")
    types = [e.type for e in events]
    assert "input_audio_buffer.speech_started" not in types  # no server VAD in push-to-talk
    assert "input_audio_buffer.committed" in types
    assert events[-1].response.metadata["route"] == "time"


async def test_wake_phrase_gates_the_answer(make_server: Any) -> None:
    client, _ = make_server(asr=FakeASR(["What time is it?", "Hey glasses, what time is it?"]))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.session.update(session={"type": "realtime", "glassmate": {"wake_phrase": "hey glasses"}})  # type: ignore[typeddict-unknown-key]
        await collect(conn, "session.updated")
        await send_audio(conn, utterance())
        first = await collect(conn, "conversation.item.input_audio_transcription.completed")
        await send_audio(conn, utterance())
        second = await collect(conn, "response.done")
    assert first[-1].transcript == "What time is it?"
    assert not any(
        e.type == "response.created"
        for e in second[: [e.type for e in second].index("conversation.item.input_audio_transcription.completed")]
    )
    assert second[-1].response.metadata["route"] == "time"


async def test_buttons_repeat_and_stop(make_server: Any) -> None:
    client, _ = make_server(asr=FakeASR(["What time is it?"]))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await send_audio(conn, utterance())
        first = await collect(conn, "response.done")
        await conn.send({"type": "device.button", "button": "double_tap"})
        again = await collect(conn, "response.done")
    said = "".join(e.delta for e in first if e.type == "response.output_audio_transcript.delta")
    repeated = "".join(e.delta for e in again if e.type == "response.output_audio_transcript.delta")
    assert repeated == said and again[-1].response.metadata["route"] == "repeat"


async def test_an_uncancellable_skill_finishes_despite_barge_in(make_server: Any) -> None:
    """A toy skill added by its package and one line in the list; its tool's policy says barge-in cannot stop it."""
    from tests.unit.toy.skill import CountSkill

    client, _ = make_server(
        skills=[*default_skills(), CountSkill], asr=FakeASR(["Count to three.", "What time is it?"])
    )
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await send_audio(conn, utterance())
        await collect(conn, "response.output_audio_transcript.delta")
        await send_audio(conn, utterance(0.5))  # talking over the counting
        events = await collect(conn, "response.done")
        assert events[-1].response.metadata["route"] == "count"
        assert events[-1].response.metadata["matched_by"] == "intent"
        assert events[-1].response.status == "completed"
        assert events[-1].response.output[0].content[0].transcript == "one two three"
        nxt = await collect(conn, "response.done")
        assert nxt[-1].response.metadata["route"] == "time"


async def test_read_this_reads_the_latest_frame(make_server: Any) -> None:
    client, _ = make_server(asr=FakeASR(["Read this."]), ocr=FakeOCR(["OAT MILK", "2.49 EUR"]))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        frame = jpeg_bytes(render_label(["OAT MILK"]))
        await conn.send({"type": "input_image.append", "image": base64.b64encode(frame).decode()})
        await send_audio(conn, utterance())
        events = await collect(conn, "response.done")
    text = "".join(e.delta for e in events if e.type == "response.output_audio_transcript.delta")
    assert text == "OAT MILK. 2.49 EUR."
    assert any(e.type == "hud.card" for e in events)


async def test_ask_uses_the_conversation_so_far(make_server: Any) -> None:
    llm = ScriptedLLM(["Paris.", "About two million."])
    client, _ = make_server(asr=FakeASR(["Capital of France?", "How many people live there?"]), llm=llm)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        for _ in range(2):
            await send_audio(conn, utterance())
            await collect(conn, "response.done")
    second_prompt = [m.content for m in llm.calls[1]]
    assert "Capital of France?" in second_prompt and "Paris." in second_prompt


async def test_the_conversation_is_prefilled_before_the_next_question(make_server: Any) -> None:
    """After each exchange the LLM is handed the conversation so far (a time answer it never saw included), and
    the next question's prompt starts with exactly that, so llama.cpp prefills only the new words."""
    llm = ScriptedLLM(["Paris."])
    client, _ = make_server(asr=FakeASR(["What time is it?", "Capital of France?"]), llm=llm)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        for _ in range(2):
            await send_audio(conn, utterance())
            await collect(conn, "response.done")
        for _ in range(500):  # the prefill runs in the background after the answer
            if len(llm.prefilled) == 2:
                break
            await asyncio.sleep(0.01)
    first, second = llm.prefilled
    assert [m.role for m in first] == ["system", "user", "assistant"] and first[1].content == "What time is it?"
    (prompt,) = llm.calls
    assert prompt[: len(first)] == first and prompt[-1].content.endswith("Capital of France?")
    assert second == [*prompt, second[-1]] and second[-1].content == "Paris."


async def test_session_voice_reaches_the_tts(make_server: Any) -> None:
    class RecordingTTS(FakeTTS):
        def __init__(self) -> None:
            super().__init__()
            self.voices: list[str | None] = []

        async def _stream_impl(self, text, language, voice):  # type: ignore[no-untyped-def]
            self.voices.append(voice)
            async for chunk in super()._stream_impl(text, language, voice):
                yield chunk

    tts = RecordingTTS()
    client, _ = make_server(asr=FakeASR(["What time is it?"]), tts=tts)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.session.update(session={"type": "realtime", "audio": {"output": {"voice": "espeak"}}})
        await collect(conn, "session.updated")
        await send_audio(conn, utterance())
        await collect(conn, "response.done")
    assert tts.voices == ["espeak"]


class TwoSpeakerASR(FakeASR):
    """Scripted (text, language) pairs: a conversation between the wearer and someone else."""

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        super().__init__()
        self.lines = list(lines)
        self.options: list[Any] = []

    async def _transcribe_impl(self, samples, options):  # type: ignore[no-untyped-def]
        from glassmate.providers.asr.base import Segment, Transcript

        self.options.append(options)
        text, language = self.lines.pop(0)
        return Transcript(text, language, 0.9, len(samples) / 16_000, [Segment(0.0, 1.0, text)])


async def start_translating(conn: Any, **options: Any) -> None:
    """Skip the session.created event and switch translation on with `options` (other_language, glossary…)."""
    await conn.recv()
    await conn.session.update(session={"type": "realtime", "glassmate": {"translation": {"enabled": True, **options}}})
    await collect(conn, "session.updated")


async def captions_until(conn: Any, done: Any) -> list[Any]:
    """Events up to the first `hud.caption` for which `done(caption)` holds."""
    events = await collect(conn, "hud.caption", limit_s=10)
    while not (events[-1].type == "hud.caption" and done(events[-1])):
        events += await collect(conn, "hud.caption", limit_s=10)
    return events


async def test_conversation_translation_by_voice(make_server: Any) -> None:
    asr = TwoSpeakerASR([
        ("Translate to German.", "en"),
        ("Where is the station?", "en"),
        ("Geradeaus, dann links.", "de"),
        ("Stop translating.", "en"),
    ])  # fmt: skip
    llm = ScriptedLLM(["Wo ist der Bahnhof?", "Straight ahead, then left."])
    client, _ = make_server(asr=asr, llm=llm)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await send_audio(conn, utterance())
        on = await collect(conn, "response.done")
        assert on[-1].response.metadata["route"] == "translate"
        assert any(e.type == "session.updated" and e.session.glassmate["translation"]["enabled"] for e in on)

        await send_audio(conn, utterance())  # the wearer, in English: captioned, translated, spoken in German
        mine = await collect(conn, "response.done")
        captions = [e for e in mine if e.type == "hud.caption" and e.final]
        assert [(c.side, c.kind, c.text) for c in captions] == [
            ("me", "source", "Where is the station?"),
            ("me", "translation", "Wo ist der Bahnhof?"),
        ]
        spoken = "".join(e.delta for e in mine if e.type == "response.output_audio_transcript.delta")
        assert spoken == "Wo ist der Bahnhof?"

        await send_audio(conn, utterance())  # the other person, in German: captioned and translated, not spoken
        theirs = await captions_until(conn, lambda c: c.kind == "translation")
        assert theirs[-1].side == "them" and theirs[-1].text == "Straight ahead, then left."
        assert theirs[-1].language == "en"
        assert not any(e.type == "response.created" for e in theirs)

        await send_audio(conn, utterance())
        off = await collect(conn, "response.done")
        assert "Translation off." in "".join(e.delta for e in off if e.type == "response.output_audio_transcript.delta")
    # Utterances were identified among the two languages in play once the other one was known.
    assert asr.options[2].candidates == ("en", "de") and asr.options[2].language is None


async def test_a_clause_is_translated_while_the_speaker_goes_on(make_server: Any) -> None:
    """Translation keeps up with the speaker: a clause ended by a short pause is translated at once, and the
    utterance's final translation is the clauses' translations in order, spoken once in the other language."""
    asr = TwoSpeakerASR([("Where is the station?", "en"), ("Is it far?", "en")])
    llm = ScriptedLLM(["Wo ist der Bahnhof?", "Ist es weit?"])
    client, _ = make_server(asr=asr, llm=llm)
    async with client.realtime.connect(model="glassmate") as conn:
        await start_translating(conn, other_language="de", glossary={"station": "Bahnhof"})
        # First clause, then a 0.3 s pause: a chunk boundary, not the end of the turn.
        await send_audio(conn, np.concatenate([silence(0.3, rate=24_000).samples, tone(1.5, rate=24_000).samples,
                                               silence(0.3, rate=24_000).samples]))  # fmt: skip
        first = await captions_until(conn, lambda c: c.kind == "translation")
        assert (first[-1].text, first[-1].final, first[-1].language) == ("Wo ist der Bahnhof?", False, "de")
        assert not any(e.type == "input_audio_buffer.speech_stopped" for e in first)  # the speaker is not done

        await send_audio(conn, np.concatenate([tone(1.0, rate=24_000).samples, silence(1.0, rate=24_000).samples]))
        rest = await collect(conn, "response.done")
    finals = [(e.kind, e.text) for e in rest if e.type == "hud.caption" and e.final]
    assert finals == [
        ("source", "Where is the station? Is it far?"),
        ("translation", "Wo ist der Bahnhof? Ist es weit?"),
    ]
    spoken = "".join(e.delta for e in rest if e.type == "response.output_audio_transcript.delta")
    assert spoken == "Wo ist der Bahnhof? Ist es weit?"
    assert "station → Bahnhof" in llm.calls[0][-1].content  # the session's glossary reached the translator


async def test_stop_stays_a_command_in_translation_mode(make_server: Any) -> None:
    """ "Wait, stop." while translating goes to the glasses, answered at once: not captioned as a translation."""
    llm = ScriptedLLM(["Warte, halt."])
    client, _ = make_server(asr=TwoSpeakerASR([("Wait, stop.", "en")]), llm=llm)
    async with client.realtime.connect(model="glassmate") as conn:
        await start_translating(conn, other_language="de")
        await send_audio(conn, utterance())
        events = await collect(conn, "response.done")
    assert events[-1].response.metadata["route"] == "stop"
    assert not any(e.type == "hud.caption" and e.kind == "translation" for e in events)
    assert llm.calls == []


async def test_a_language_the_translator_does_not_know_is_said_on_the_hud(make_server: Any) -> None:
    """The other party speaks a language outside the translator's list (a remote ASR may return any code)."""
    client, _ = make_server(asr=TwoSpeakerASR([("Habari yako?", "sw")]))
    async with client.realtime.connect(model="glassmate") as conn:
        await start_translating(conn, other_language="de")
        await send_audio(conn, utterance())
        events = await captions_until(conn, lambda c: c.text.startswith("("))
    assert events[-1].side == "them" and "not supported" in events[-1].text


async def test_where_is_this_cheaper_names_the_product_and_the_best_offer(make_server: Any) -> None:
    """A package with its shelf price in view: the answer names it and the cheaper merchant; the card says so."""
    from glassmate.products import demo
    from glassmate.providers.codes.zxing import ZXingScanner

    client, app = make_server(asr=FakeASR(["Where is it cheaper?"]), codes=ZXingScanner(), ocr=FakeOCR(["9.99 €"]))
    rows = demo.products()[:5]
    app.state.services.catalog.import_rows({"products": rows, "offers": demo.offers(rows)})
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send({"type": "input_image.append", "image": base64.b64encode(
            jpeg_bytes(demo.render_package(rows[2]), quality=90)).decode()})  # fmt: skip
        await send_audio(conn, utterance())
        events = await collect(conn, "response.done")
    said = "".join(e.delta for e in events if e.type == "response.output_audio_transcript.delta")
    best = app.state.services.catalog.offers(rows[2]["gtin"])[0]
    assert said.startswith(f"This is {rows[2]['name_en']}.") and best.merchant in said and "less" in said
    card = next(e for e in events if e.type == "hud.card").card
    assert card["icon"] == "product" and card["lines"][1] == "Here: 9.99 EUR" and card["lines"][3].startswith("Save")
    assert events[-1].response.metadata["route"] == "identify"


async def test_the_long_press_and_what_is_this_reach_the_same_tool(make_server: Any) -> None:
    """Buttons and voice agree: both are the identify skill's tool, matched by button and by intent."""
    client, _ = make_server(asr=FakeASR(["What is this?"]), ocr=FakeOCR(["OAT MILK"]))
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.send(
            {"type": "input_image.append", "image": base64.b64encode(jpeg_bytes(render_label(["OAT"]))).decode()}
        )
        await conn.send({"type": "device.button", "button": "long_press"})
        pressed = await collect(conn, "response.done")
        await send_audio(conn, utterance())
        spoken = await collect(conn, "response.done")
    assert [(e[-1].response.metadata["route"], e[-1].response.metadata["matched_by"]) for e in (pressed, spoken)] == [
        ("identify", "button"),
        ("identify", "intent"),
    ]
