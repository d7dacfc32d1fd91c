import pytest

from glassmate.agent.prompt import SYSTEM_PROMPT, SceneContext, answer
from glassmate.config import LLMSettings
from glassmate.errors import ModelLoadError
from glassmate.providers.llm.base import ChatMessage, GenerationOptions, ToolSpec
from glassmate.providers.llm.llama_cpp import LlamaCppLLM
from glassmate.providers.ocr.base import TextLine
from glassmate.runtime import Models

GREEDY = GenerationOptions(temperature=0.0, max_tokens=48)


async def test_answers_what_is_two_plus_three(models: Models) -> None:
    text = "".join([d async for d in answer("What is 2+3?", llm=models.llm, options=GREEDY)])
    assert "5" in text


async def test_streams_several_deltas_and_can_be_stopped_early(models: Models) -> None:
    messages = [
        ChatMessage("system", SYSTEM_PROMPT),
        ChatMessage("user", "Count from one to twenty in words."),
    ]
    stream = models.llm.stream(messages, options=GenerationOptions(temperature=0.0, max_tokens=200))
    deltas = []
    async for delta in stream:
        deltas.append(delta)
        if len(deltas) == 3:
            break
    await stream.aclose()
    assert len(deltas) == 3
    # The engine is free again right away: the next turn works.
    again = await models.llm.chat([ChatMessage("user", "Say OK.")], options=GREEDY)
    assert again.text


async def test_tool_call_is_constrained_to_the_schema(models: Models) -> None:
    weather = ToolSpec(
        "get_weather",
        "Current weather for a city.",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    timer = ToolSpec(
        "set_timer",
        "Start a countdown timer.",
        {"type": "object", "properties": {"minutes": {"type": "integer"}}, "required": ["minutes"]},
    )
    result = await models.llm.chat(
        [ChatMessage("user", "What's the weather like in Helsinki right now?")],
        tools=[weather, timer],
        tool_choice="required",
        options=GREEDY,
    )
    assert result.finish_reason == "tool_calls"
    call = result.tool_calls[0]
    assert call.name == "get_weather"
    assert "helsinki" in call.arguments["city"].lower()


async def test_json_output_matches_the_schema(models: Models) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
    }
    data = await models.llm.complete_json(
        [ChatMessage("user", "Which city is the capital of France? Reply as JSON with city and country.")],
        schema,
        options=GREEDY,
    )
    assert set(data) == {"city", "country"}
    assert "paris" in data["city"].lower()


async def test_scene_context_reaches_the_answer(models: Models) -> None:
    scene = SceneContext(lines=[TextLine("Oat Milk 1L", 0.99, ()), TextLine("Price: 2.49 EUR", 0.99, ())])
    text = "".join([d async for d in answer("How much does this cost?", llm=models.llm, scene=scene, options=GREEDY)])
    assert "2.49" in text


async def test_an_unreadable_model_file_is_a_load_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 1000)
    llm = LlamaCppLLM(model_path=bad, settings=LLMSettings())
    with pytest.raises(ModelLoadError) as info:
        await llm.chat([ChatMessage("user", "hi")])
    assert info.value.code == "model-load-failed"


async def test_json_requests_decoded_together_answer_each_its_own(models: Models) -> None:
    """complete_json_many on the embedded model: the requests decoded together in llama.cpp's parallel slots;
    each answer follows its own schema and its own question, also when there are more requests than slots, and
    they are the answers the requests get one at a time."""
    city = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    number = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    system = ChatMessage("system", "Answer with JSON only.")
    questions = [
        ([system, ChatMessage("user", "Which city is the capital of France?")], city),
        ([system, ChatMessage("user", "What is two plus three? Reply as JSON with n.")], number),
        ([system, ChatMessage("user", "Which city is the capital of Japan?")], city),
        ([system, ChatMessage("user", "Which city is the capital of Italy?")], city),
    ]
    answers = await models.llm.complete_json_many(questions, options=GREEDY)
    assert "paris" in answers[0]["city"].lower() and answers[1] == {"n": 5}
    assert "tokyo" in answers[2]["city"].lower() and "rome" in answers[3]["city"].lower()
    assert isinstance(models.llm, LlamaCppLLM) and models.llm.settings.parallel < len(questions) * 2
    assert await models.llm.complete_json_many(questions * 2, options=GREEDY) == answers * 2
    one_by_one = [await models.llm.complete_json(m, s, options=GREEDY) for m, s in questions]
    assert one_by_one == answers


async def test_a_conversation_longer_than_the_context_is_a_bad_input_error(models: Models) -> None:
    from glassmate.errors import BadInputError

    long = "word " * (models.llm.settings.n_ctx + 500)  # type: ignore[attr-defined]  # one slot's context, not all 4
    with pytest.raises(BadInputError) as info:
        await models.llm.chat([ChatMessage("user", long)], options=GREEDY)
    assert "too long" in str(info.value)
    assert (await models.llm.chat([ChatMessage("user", "Say OK.")], options=GREEDY)).text  # still serving


async def test_a_prefilled_conversation_is_not_prefilled_again(
    models: Models, caplog: pytest.LogCaptureFixture
) -> None:
    """prefill() leaves the conversation so far in a slot's cache: the next question's request reuses all of it
    and prefills only its own words (llama.cpp's timings, logged at DEBUG)."""
    import re

    from glassmate.agent.prompt import conversation_so_far
    from glassmate.skills.base import Exchange

    history = [Exchange(f"Question number {i}: what is {i} plus {i}?", f"{i} plus {i} is {2 * i}.") for i in range(6)]
    prefix = conversation_so_far(history)
    await models.llm.prefill(prefix)
    caplog.set_level("DEBUG", logger="glassmate.providers")
    caplog.clear()
    reply = await models.llm.chat([*prefix, ChatMessage("user", "And what is 7 plus 7?")], options=GREEDY)
    assert "14" in reply.text
    (timings,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("llama.cpp: ")]
    cached, prefilled = map(int, re.findall(r"(\d+) prompt tokens cached, (\d+) prefilled", timings)[0])
    assert cached > 200 and prefilled < 25, timings
