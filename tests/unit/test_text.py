from glassmate.text import split_sentences


def test_split_sentences_latin_and_cjk() -> None:
    assert split_sentences("Hello there. How are you? Fine!") == ["Hello there.", "How are you?", "Fine!"]
    assert split_sentences("你好。今天天气很好！") == ["你好。", "今天天气很好！"]
    assert split_sentences("  no punctuation  ") == ["no punctuation"]
    assert split_sentences("") == []
