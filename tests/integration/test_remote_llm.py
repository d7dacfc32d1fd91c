"""The OpenAI-compatible LLM provider against a real OpenAI-compatible server: llama.cpp's own (llama-server's
code, as xllamacpp ships it), started here in a process of its own on the embedded GGUF."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from glassmate.config import LLMSettings, RemoteSettings
from glassmate.errors import ProviderAuthError, ProviderError
from glassmate.providers.llm.base import ChatMessage, GenerationOptions
from glassmate.providers.llm.openai_compat import OpenAICompatLLM
from glassmate.runtime import Models

GREEDY = GenerationOptions(temperature=0.0, max_tokens=40)
API_KEY = "test-key-123"


# llama.cpp's HTTP server, as `llama-server --model M --alias qwen-embedded --port P --api-key K -c 2048 -t 2` runs it.
SERVER = """
import sys, threading
import xllamacpp as xlc
params = xlc.CommonParams()
params.model.path, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
params.model_alias = {"qwen-embedded"}
params.hostnames, params.port, params.api_keys = ["127.0.0.1"], port, [key]
params.n_ctx, params.cpuparams.n_threads, params.cpuparams_batch.n_threads = 2048, 2, 2
server = xlc.Server(params)
print("listening on", server.listening_address, flush=True)
threading.Event().wait()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(models: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    gguf = models.store.ensure("llm")["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"]
    port = _free_port()
    cmd = [sys.executable, "-c", SERVER, str(gguf), str(port), API_KEY]
    # The server logs a lot: into a file, as an unread pipe would fill up and stall it.
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"llama.cpp's server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/models", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("llama.cpp's server did not start in 120 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _llm(base: str, key: str = API_KEY) -> OpenAICompatLLM:
    return OpenAICompatLLM(
        settings=RemoteSettings(base_url=base, api_key=key, model="qwen-embedded", max_retries=0, timeout_s=120),
        defaults=LLMSettings(),
    )


async def test_remote_chat_and_stream(llama_server: str) -> None:
    llm = _llm(llama_server)
    try:
        result = await llm.chat([ChatMessage("user", "What is 2+3? Answer with the number.")], options=GREEDY)
        assert "5" in result.text and result.completion_tokens > 0
        deltas = [d async for d in llm.stream([ChatMessage("user", "Say hello in German.")], options=GREEDY)]
        assert len(deltas) > 1 and "".join(deltas).strip()
    finally:
        await llm.aclose()


async def test_remote_json_follows_the_schema(llama_server: str) -> None:
    llm = _llm(llama_server)
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
    }
    try:
        data = await llm.complete_json(
            [ChatMessage("user", "Which city is the capital of France? Reply as JSON with city and country.")],
            schema,
            options=GREEDY,
        )
        assert set(data) == {"city", "country"} and "paris" in data["city"].lower()
    finally:
        await llm.aclose()


async def test_remote_wrong_key_is_an_auth_error(llama_server: str) -> None:
    llm = _llm(llama_server, key="wrong")
    try:
        with pytest.raises(ProviderError) as info:
            await llm.chat([ChatMessage("user", "hi")], options=GREEDY)
        assert isinstance(info.value, ProviderAuthError) or "401" in info.value.message
    finally:
        await llm.aclose()
