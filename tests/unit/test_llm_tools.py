from glassmate.providers.llm.base import ChatMessage, ToolSpec
from glassmate.providers.llm.tools_schema import describe_tool, parse_reply, reply_schema, with_tools_instruction

WEATHER = ToolSpec("weather", "Weather for a city.", {"type": "object", "properties": {"city": {"type": "string"}}})
TIME = ToolSpec("time", "The time now.", {"type": "object", "properties": {}})


def test_auto_admits_every_tool_and_a_plain_answer() -> None:
    schema = reply_schema([WEATHER, TIME], "auto")
    names = [v["properties"].get("tool", {}).get("const") for v in schema["anyOf"]]
    assert names == ["weather", "time", None]


def test_named_choice_admits_only_that_tool() -> None:
    schema = reply_schema([WEATHER, TIME], "time")
    assert schema["properties"]["tool"] == {"const": "time"}


def test_required_admits_no_plain_answer() -> None:
    schema = reply_schema([WEATHER, TIME], "required")
    assert all("tool" in v["properties"] for v in schema["anyOf"])


def test_parse_reply() -> None:
    call = parse_reply('{"tool": "weather", "arguments": {"city": "Helsinki"}}')
    assert call.tool_calls[0].name == "weather" and call.tool_calls[0].arguments == {"city": "Helsinki"}
    assert call.finish_reason == "tool_calls"
    assert parse_reply('{"answer": "It is sunny."}').text == "It is sunny."
    assert parse_reply("not json").text == "not json"


def test_instruction_goes_into_the_last_user_message_so_the_prompt_before_it_stays_cached() -> None:
    before = [ChatMessage("system", "Be brief."), ChatMessage("user", "hi"), ChatMessage("assistant", "Hello.")]
    messages = with_tools_instruction([*before, ChatMessage("user", "weather?")], [WEATHER], "auto")
    assert messages[:3] == before
    assert len(messages) == 4 and messages[3].content.startswith("weather?") and "weather:" in messages[3].content


def test_the_llama_cpp_history_keeps_tool_calls_and_results() -> None:
    from glassmate.providers.llm.base import ToolCall
    from glassmate.providers.llm.llama_cpp import LlamaCppLLM

    call = ToolCall("c1", "weather", {"city": "Oslo"})
    history = [ChatMessage("user", "Weather in Oslo?"), ChatMessage("assistant", "", tool_calls=(call,)),
               ChatMessage("tool", "rain, 12 °C", tool_call_id="c1")]  # fmt: skip
    rendered = LlamaCppLLM._messages(history)
    assert rendered[1] == {"role": "assistant", "content": '{"tool": "weather", "arguments": {"city": "Oslo"}}'}
    assert rendered[2] == {"role": "tool", "content": "rain, 12 °C", "tool_call_id": "c1"}


def test_a_tool_is_described_in_few_tokens_and_its_own_script() -> None:
    """Flat arguments one line each, in words (the grammar enforces the exact schema); non-Latin examples as
    themselves, not as \\u escapes (6 characters and several tokens each)."""
    remind = ToolSpec("set_reminder", "Set a reminder.", {"type": "object", "required": ["when"], "properties": {
        "when": {"type": "string", "description": 'the time as said ("五点")'},
        "photo": {"type": "boolean", "default": False},
        "language": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}}})  # fmt: skip
    assert describe_tool(remind) == (
        "- set_reminder: Set a reminder. Arguments:\n"
        '  when (text): the time as said ("五点")\n'
        "  photo (true or false, optional)\n"
        "  language (text, optional)"
    )
    assert describe_tool(TIME) == "- time: The time now. No arguments."


def test_a_tool_with_nested_arguments_is_shown_with_its_schema() -> None:
    order = ToolSpec("order", "Order items.", {"type": "object", "properties": {
        "items": {"type": "array", "items": {"type": "string"}}}})  # fmt: skip
    assert describe_tool(order) == (
        '- order: Order items. Arguments schema: {"type":"object","properties":{"items":{"type":"array",'
        '"items":{"type":"string"}}}}'
    )
