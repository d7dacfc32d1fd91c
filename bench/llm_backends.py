"""xllamacpp (glassmate's LLM engine since December 2026) and llama-cpp-python (before it) side by side on the
embedded GGUF (Qwen2.5 0.5B Q4_K_M).

xllamacpp binds llama.cpp's own server code and ships prebuilt CPU wheels (llama-cpp-python compiles for 4-5
minutes at install); the question was whether it is as good where glassmate needs it. Each backend runs in a
process of its own, with the settings glassmate uses (2 threads, n_ctx 4096, n_batch 256, flash attention,
greedy-ish temperature 0.2):
- load time and RSS after loading; peak RSS at the end;
- first token of a cold prompt (the agent's system prompt and a question, nothing cached);
- first token with the system prompt cached (another question after a first one), median of 5;
- decoding speed (64 tokens of counting), median of 3;
- grammar-constrained JSON: a tool-call reply constrained by glassmate's reply schema (ms per token, valid JSON,
  matches the schema);
- the tool each engine picks, greedily, for a few requests: the same weights and prompt should give the same
  choice (at temperature 0.2 the two engines' random draws differ, and so, now and then, does the choice);
- streaming cancel: a long answer stopped after 5 pieces: ms until the call has returned, and the next request's
  first token.
Run: `.venv/bin/python bench/llm_backends.py --llama-cpp-python PATH` where PATH holds llama-cpp-python, e.g. after
`CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF" pip install --target PATH
llama-cpp-python==0.3.36` (a 4-5 minute compile; llama.cpp's native build crashes on these CPUs' AMX path).
Prints a table, writes bench/out/llm_backends.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "out"
QUESTION = "My train to Tampere leaves at nine forty from platform seven. What should I do now? Two sentences."
OTHER = "What is the capital of Finland? One sentence."
COUNT = "Count from one to fifty in words, separated by commas."
STORY = "Tell me a long story about a lighthouse keeper."
TOOL_ASK = "Take me to the railway station, walking."
GREEDY_ASKS = [TOOL_ASK, "What time is it?", "Translate 'good morning' into German.", "How many days are in a week?"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tools(ask: str = TOOL_ASK) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The prompt and reply schema of an agent step with three of glassmate's tool shapes."""
    from glassmate.agent.prompt import SYSTEM_PROMPT
    from glassmate.providers.llm.base import ChatMessage, ToolSpec
    from glassmate.providers.llm.llama_cpp import LlamaCppLLM
    from glassmate.providers.llm.tools_schema import reply_schema, with_tools_instruction

    specs = [
        ToolSpec("navigate", "Walking directions to a place.", {
            "type": "object", "properties": {"destination": {"type": "string"}}, "required": ["destination"]}),
        ToolSpec("what_time", "The current time.", {"type": "object", "properties": {}}),
        ToolSpec("translate", "Translate a sentence.", {
            "type": "object", "required": ["text", "to"],
            "properties": {"text": {"type": "string"}, "to": {"type": "string", "enum": ["en", "de", "zh"]}}}),
    ]  # fmt: skip
    messages = [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", ask)]
    prompt = LlamaCppLLM._messages(with_tools_instruction(messages, specs, "auto"))
    return prompt, reply_schema(specs, "auto")


def chat(system: str, user: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class Backend:
    """One engine, driven the same way: `stream` yields text pieces and may be closed early."""

    name = ""
    temperature = 0.2

    def stream(self, messages: list[dict[str, Any]], max_tokens: int, **extra: Any) -> Iterator[str]:
        raise NotImplementedError


class LlamaCppPython(Backend):
    name = "llama-cpp-python"

    def __init__(self, model: str) -> None:
        from llama_cpp import Llama

        from glassmate.config import LLMSettings

        s = LLMSettings()
        self.llama = Llama(
            model_path=model, n_ctx=s.n_ctx, n_threads=s.n_threads, n_threads_batch=s.n_threads, n_batch=s.n_batch,
            flash_attn=s.flash_attn, seed=s.seed, verbose=False,
        )  # fmt: skip
        self.temperature = s.temperature

    def stream(self, messages: list[dict[str, Any]], max_tokens: int, **extra: Any) -> Iterator[str]:
        if "schema" in extra:
            extra = {"response_format": {"type": "json_object", "schema": extra.pop("schema")}}
        chunks = self.llama.create_chat_completion(
            messages=messages, stream=True, max_tokens=max_tokens, temperature=self.temperature, seed=0, **extra
        )
        for chunk in chunks:
            delta = chunk["choices"][0]["delta"].get("content")
            if delta:
                yield delta


class XLlamaCpp(Backend):
    """xllamacpp exactly as glassmate runs it: glassmate's own provider (providers/llm/llama_cpp.py), its server
    settings and its streaming (a thread per call; closing the iterator stops the generation)."""

    name = "xllamacpp"

    def __init__(self, model: str) -> None:
        from glassmate.config import LLMSettings
        from glassmate.providers.llm.llama_cpp import LlamaCppLLM

        s = LLMSettings()
        self.llm = LlamaCppLLM(model_path=Path(model), settings=s)
        self.llm._engine()
        self.temperature = s.temperature

    def stream(self, messages: list[dict[str, Any]], max_tokens: int, **extra: Any) -> Iterator[str]:
        if "schema" in extra:
            extra = {"json_schema": extra.pop("schema")}
        request = {"messages": messages, "max_tokens": max_tokens, "temperature": self.temperature, "seed": 0,
                   **extra}  # fmt: skip
        return self.llm._deltas(request)


def first_token(backend: Backend, messages: list[dict[str, Any]], max_tokens: int = 16) -> float:
    start = time.perf_counter()
    stream = backend.stream(messages, max_tokens)
    next(stream)
    first = time.perf_counter() - start
    for _ in stream:
        pass
    return first


def tokens_per_s(backend: Backend, messages: list[dict[str, Any]], n: int = 64) -> float:
    stream = backend.stream(messages, n)
    next(stream)
    after_first, pieces = time.perf_counter(), sum(1 for _ in stream)
    return pieces / (time.perf_counter() - after_first)


def measure(make: Callable[[], Backend]) -> dict[str, Any]:
    from glassmate.agent.prompt import SYSTEM_PROMPT

    out: dict[str, Any] = {}
    start = time.perf_counter()
    backend = make()
    out["load_s"] = round(time.perf_counter() - start, 2)
    out["rss_loaded_mb"] = round(rss_mb())
    out["first_token_cold_ms"] = round(first_token(backend, chat(SYSTEM_PROMPT, QUESTION)) * 1000)
    cached = []
    for i in range(5):
        first_token(backend, chat(SYSTEM_PROMPT, f"Hello number {i}."), max_tokens=2)
        cached.append(first_token(backend, chat(SYSTEM_PROMPT, OTHER)))
    out["first_token_cached_ms"] = round(statistics.median(cached) * 1000)
    out["decode_tokens_per_s"] = round(statistics.median(tokens_per_s(backend, chat("", COUNT)) for _ in range(3)), 1)

    prompt, schema = tools()
    first_token(backend, prompt, max_tokens=2)  # the prompt cached, as in an agent step
    start = time.perf_counter()
    pieces = list(backend.stream(prompt, 96, schema=schema))
    elapsed = time.perf_counter() - start
    text = "".join(pieces)
    try:  # the shape reply_schema allows: a known tool with its arguments, or an answer
        reply = json.loads(text)
        tool = next(
            (v for v in schema["anyOf"] if v["properties"].get("tool", {}).get("const") == reply.get("tool")), None
        )
        needed = tool["properties"]["arguments"].get("required", []) if tool else []
        valid = ("answer" in reply) or (tool is not None and all(k in reply["arguments"] for k in needed))
    except (ValueError, AttributeError, KeyError, TypeError):
        valid = False
    out["json"] = {"ms_per_piece": round(1000 * elapsed / max(1, len(pieces)), 1), "pieces": len(pieces),
                   "valid": valid, "text": text}  # fmt: skip
    temperature, backend.temperature = backend.temperature, 0.0
    out["greedy_tools"] = {}
    for ask in GREEDY_ASKS:
        prompt, schema = tools(ask)
        out["greedy_tools"][ask] = "".join(backend.stream(prompt, 96, schema=schema))
    backend.temperature = temperature

    stream = backend.stream(chat(SYSTEM_PROMPT, STORY), 400)
    for _ in range(5):
        next(stream)
    start = time.perf_counter()
    stream.close()  # type: ignore[attr-defined]
    out["cancel_ms"] = round((time.perf_counter() - start) * 1000)
    out["first_token_after_cancel_ms"] = round(first_token(backend, chat(SYSTEM_PROMPT, OTHER)) * 1000)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def child(which: str, model: str) -> None:
    make = {"llama-cpp-python": lambda: LlamaCppPython(model), "xllamacpp": lambda: XLlamaCpp(model)}[which]
    print(json.dumps(measure(make)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--llama-cpp-python", type=Path, help="folder that holds the llama_cpp package")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=OUT / "llm_backends.json")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model)
        return
    from glassmate.config import Settings
    from glassmate.weights.store import WeightStore

    model = str(WeightStore(models_dir=Settings().models_dir).ensure("llm")["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"])
    report: dict[str, Any] = {"model": Path(model).name, "machine": f"{os.cpu_count()} cores, no GPU"}
    for which in ("llama-cpp-python", "xllamacpp"):
        env = dict(os.environ)
        if which == "llama-cpp-python" and args.llama_cpp_python:
            env["PYTHONPATH"] = f"{args.llama_cpp_python}:{env.get('PYTHONPATH', '')}"
        done = subprocess.run(
            [sys.executable, __file__, "--child", which, "--model", model], env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            report[which] = {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
            print(done.stderr[-3000:], file=sys.stderr)
            continue
        report[which] = json.loads(done.stdout.strip().splitlines()[-1])
    rows = ["load_s", "rss_loaded_mb", "first_token_cold_ms", "first_token_cached_ms", "decode_tokens_per_s",
            "cancel_ms", "first_token_after_cancel_ms", "peak_rss_mb"]  # fmt: skip
    print(f"{'':<28} {'llama-cpp-python':>17} {'xllamacpp':>10}")
    for row in rows:
        print(f"{row:<28} {report['llama-cpp-python'].get(row, '-')!s:>17} {report['xllamacpp'].get(row, '-')!s:>10}")
    for which in ("llama-cpp-python", "xllamacpp"):
        print(which, "JSON:", report[which].get("json"))
    picks = [report[w].get("greedy_tools", {}) for w in ("llama-cpp-python", "xllamacpp")]
    report["greedy_tools_agree"] = bool(picks[0]) and picks[0] == picks[1]
    for ask, reply in picks[1].items():
        print(f"greedy: {ask!r} -> {reply} ({'same' if picks[0].get(ask) == reply else 'DIFFERENT'})")
    OUT.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
