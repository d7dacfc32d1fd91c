import json

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


def test_the_lazy_grammar_writes_what_the_full_grammar_writes(models: Models) -> None:
    """Greedy JSON with the grammar checked on the chosen token only (LazyGrammarSampler) is token for token what
    llama-cpp-python's own sampler writes with the grammar over the whole vocabulary; the schema's enum and integer
    make the free choice break the grammar now and then, so the fallback path runs too."""
    from llama_cpp import Llama, LlamaGrammar

    from glassmate.providers.llm.llama_sampling import LazyGrammarLlama

    schema = {
        "type": "object",
        "properties": {
            "mood": {"enum": ["calm", "tense", "cheerful"]},
            "people": {"type": "integer"},
            "topics": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        },
        "required": ["mood", "people", "topics"],
    }
    grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    prompt = "Anna and Tom argued loudly about the budget and the trade fair stand. Describe the meeting as JSON.\n"
    path = models.llm.model_path  # type: ignore[attr-defined]
    texts, fallbacks = [], 0
    for cls in (Llama, LazyGrammarLlama):
        llama = cls(model_path=str(path), n_ctx=512, n_threads=2, verbose=False, seed=0)
        try:
            out = llama.create_completion(prompt, max_tokens=60, temperature=0.0, grammar=grammar)
            texts.append(out["choices"][0]["text"])
            if isinstance(llama, LazyGrammarLlama) and llama.last_sampler is not None:
                fallbacks = llama.last_sampler.fallbacks
        finally:
            llama.close()
    assert texts[0] == texts[1]
    data = json.loads(texts[1])
    assert data["mood"] in {"calm", "tense", "cheerful"} and isinstance(data["people"], int)
    assert fallbacks > 0


async def test_json_requests_decoded_together_answer_each_its_own(models: Models) -> None:
    """complete_json_many on the embedded model: one llama.cpp batch with a sequence per request, the shared
    system prompt evaluated once; each answer follows its own schema and its own question, also when the
    requests are split over several batches."""
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
    llm = models.llm
    assert isinstance(llm, LlamaCppLLM) and llm._batch_writer is not None
    llm._batch_writer.MAX_SEQUENCES = 3  # two batches: 3 + 1
    assert await llm.complete_json_many(questions, options=GREEDY) == answers
