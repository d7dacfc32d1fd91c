"""complete_json_many: several JSON requests at once, answers in order; a remote endpoint gets them concurrently
(a few at a time), after one request alone that finds the JSON form it accepts."""

import asyncio
import json

import httpx
import pytest
from openai import AsyncOpenAI

from glassmate.config import LLMSettings, RemoteSettings
from glassmate.errors import BadInputError, ProviderError
from glassmate.providers.llm.base import ChatMessage
from glassmate.providers.llm.openai_compat import OpenAICompatLLM
from glassmate.testing.fakes import ScriptedLLM

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}


def _ask(n: int) -> list[ChatMessage]:
    return [ChatMessage("user", f"Say {n} as JSON.")]


async def test_the_default_asks_one_after_another_and_keeps_the_order() -> None:
    llm = ScriptedLLM(['{"n": 1}', '{"n": 2}', '{"n": 3}'])
    assert await llm.complete_json_many([(_ask(n), SCHEMA) for n in (1, 2, 3)]) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert [c[-1].content for c in llm.calls] == ["Say 1 as JSON.", "Say 2 as JSON.", "Say 3 as JSON."]
    assert await llm.complete_json_many([]) == []


async def test_bad_requests_and_answers_are_typed_errors() -> None:
    with pytest.raises(BadInputError):
        await ScriptedLLM([]).complete_json_many([([ChatMessage("user", " ")], SCHEMA)])
    with pytest.raises(ProviderError):
        await ScriptedLLM(['{"n": 1}', "not json"]).complete_json_many([(_ask(1), SCHEMA), (_ask(2), SCHEMA)])


async def test_a_remote_endpoint_gets_them_concurrently_a_few_at_a_time() -> None:
    in_flight, most, forms = 0, 0, []

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        body = json.loads(request.read())
        form = body["response_format"]["type"]
        forms.append(form)
        if form == "json_schema":  # like llama.cpp's server: only {"type": "json_object", "schema": …}
            return httpx.Response(400, json={"error": {"message": "response_format json_schema not supported"}})
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        n = int(body["messages"][-1]["content"].split()[1])
        message = {"role": "assistant", "content": json.dumps({"n": n})}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return httpx.Response(200, json={"id": "c", "object": "chat.completion", "created": 0, "model": "qwen",
                                         "choices": [choice]})  # fmt: skip

    llm = OpenAICompatLLM(settings=RemoteSettings(model="qwen", max_retries=0), defaults=LLMSettings())
    llm._client = AsyncOpenAI(base_url="http://remote.test/v1", api_key="sk-test", max_retries=0,
                              http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))  # fmt: skip
    answers = await llm.complete_json_many([(_ask(n), SCHEMA) for n in range(12)])
    assert answers == [{"n": n} for n in range(12)]
    assert forms[:2] == ["json_schema", "json_object"] and forms.count("json_schema") == 1
    assert 1 < most <= OpenAICompatLLM.CONCURRENT_JSON
    await llm.aclose()
